package awssm_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/internal/testing/awstest"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// TestCredential reads a credential from moto: the whole SecretString, in
// the RDS rotation format, becomes a runtime.Credential with its other
// members; a secret without a password is an invalid value whose message
// shows neither the value nor the password; a rotation is a new version.
func TestCredential(t *testing.T) {
	ctx := t.Context()
	moto := testenv.SharedMoto(t)
	client := newClient(moto.Endpoint(), awstest.ClientOptions{})
	v1 := putSecret(ctx, t, client, secretID("cred/rds"), `{"engine":"postgres","host":"db.internal","port":5432,"username":"app","password":"zq9rds-pw","dbname":"app"}`)
	putSecret(ctx, t, client, secretID("cred/nopass"), `{"username":"app","pass":"zq9nopass-pw"}`)
	p := awssm.New(client, testApp, testEnv, nil)
	refs := []runtime.Ref{{Path: "cred/rds", Type: "credential"}, {Path: "cred/nopass", Type: "credential"}}

	l := genimpl.Fetch(ctx, p, refs)
	c := genimpl.Credential(l, 0)
	_ = genimpl.Credential(l, 1)
	if c.Username != "app" || c.Password.Reveal() != "zq9rds-pw" || c.Lease() != nil {
		t.Fatalf("credential %v", c)
	}
	if port, _ := c.Member("port"); port != "5432" {
		t.Errorf("port %q", port)
	}
	if host, _ := c.Member("host"); host != "db.internal" {
		t.Errorf("host %q", host)
	}
	err := l.Err()
	var le *runtime.LoadError
	if !errors.As(err, &le) || len(le.Errors) != 1 || le.Errors[0].Path != "cred/nopass" || !errors.Is(le.Errors[0], runtime.ErrInvalidValue) {
		t.Fatalf("err %v", err)
	}
	if msg := fmt.Sprintf("%v %+v", err, err); strings.Contains(msg, "zq9") || !strings.Contains(msg, `"password"`) {
		t.Errorf("error %s: shows a value or does not name the password member", msg)
	}

	v2 := putSecret(ctx, t, client, secretID("cred/rds"), `{"username":"app","password":"zq9rotated-pw"}`)
	v, err := p.Get(ctx, refs[0])
	if err != nil {
		t.Fatal(err)
	}
	if v.Version != v2 || v.Version == v1 {
		t.Errorf("version after the rotation %q, want %q (was %q)", v.Version, v2, v1)
	}
	if c, err := genimpl.ParseCredentialValue(v); err != nil || c.Password.Reveal() != "zq9rotated-pw" {
		t.Errorf("after the rotation: %v, %v", c, err)
	}
}
