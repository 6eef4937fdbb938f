package ssm_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/dashtam/secretsgen/adapters/ssm"
	"github.com/dashtam/secretsgen/internal/testing/awstest"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// TestCredential reads a credential from a SecureString parameter in moto:
// the whole JSON value becomes a runtime.Credential with its other
// members; one without a username is an invalid value that shows no
// value; an overwrite is a new version.
func TestCredential(t *testing.T) {
	ctx := t.Context()
	moto := testenv.SharedMoto(t)
	client := newClient(moto.Endpoint(), awstest.ClientOptions{})
	v1 := putParam(ctx, t, client, paramName("cred/app"), `{"username":"app","password":"zq9ssm-pw","port":5432}`, types.ParameterTypeSecureString)
	putParam(ctx, t, client, paramName("cred/nouser"), `{"password":"zq9nouser-pw"}`, types.ParameterTypeSecureString)
	p := ssm.New(client, testApp, testEnv, nil)
	refs := []runtime.Ref{{Path: "cred/app", Type: "credential"}, {Path: "cred/nouser", Type: "credential"}}

	l := genimpl.Fetch(ctx, p, refs)
	c := genimpl.Credential(l, 0)
	_ = genimpl.Credential(l, 1)
	if c.Username != "app" || c.Password.Reveal() != "zq9ssm-pw" || c.Lease() != nil {
		t.Fatalf("credential %v", c)
	}
	if port, _ := c.Member("port"); port != "5432" {
		t.Errorf("port %q", port)
	}
	err := l.Err()
	var le *runtime.LoadError
	if !errors.As(err, &le) || len(le.Errors) != 1 || le.Errors[0].Path != "cred/nouser" || !errors.Is(le.Errors[0], runtime.ErrInvalidValue) {
		t.Fatalf("err %v", err)
	}
	if msg := fmt.Sprintf("%v %+v", err, err); strings.Contains(msg, "zq9") || !strings.Contains(msg, `"username"`) {
		t.Errorf("error %s: shows a value or does not name the username member", msg)
	}

	v2 := putParam(ctx, t, client, paramName("cred/app"), `{"username":"app","password":"zq9rotated-pw"}`, types.ParameterTypeSecureString)
	v, err := p.Get(ctx, refs[0])
	if err != nil {
		t.Fatal(err)
	}
	if v.Version != strconv.FormatInt(v2, 10) || v2 == v1 {
		t.Errorf("version after the overwrite %q, want %d (was %d)", v.Version, v2, v1)
	}
	if c, err := genimpl.ParseCredentialValue(v); err != nil || c.Password.Reveal() != "zq9rotated-pw" {
		t.Errorf("after the overwrite: %v, %v", c, err)
	}
}
