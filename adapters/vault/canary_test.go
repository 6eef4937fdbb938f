package vault_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// TestCanary feeds a known value through every failing path of this adapter
// (invalid values of every type, not found, access denied, a failed login)
// and checks that neither the value nor any token or credential appears in
// an error, however printed, or in the log.
func TestCanary(t *testing.T) {
	const canary = "zq9canary"
	srv := startServer(t)
	const env = "production"
	ctx := ctxFor(t)

	types := []string{"int", "int64", "float64", "bool", "duration", "url", "bytes", "time", "json", "[]int", "map[string]int", "enum"}
	var refs []runtime.Ref
	for _, typ := range types {
		path := "canary/" + strings.NewReplacer("[", "", "]", "", "map", "m").Replace(typ)
		srv.put(t, env, path, map[string]any{"value": canary + "-" + typ + " {\"a\":1} 5"})
		refs = append(refs, runtime.Ref{Path: path, Type: typ})
	}
	srv.put(t, env, "canary/fields", map[string]any{"username": canary + "-user", "port": canary + "-port"})
	refs = append(refs, runtime.Ref{Path: "canary/fields", Type: "json"}, runtime.Ref{Path: "canary/missing", Type: "string"})

	var logs logBuffer
	p := newProvider(t, srv.root, env, &vault.Options{Logger: logs.logger()})
	l := genimpl.Fetch(ctx, p, refs)
	parsers := map[string]func(*genimpl.Loader, int) any{
		"int": field(genimpl.ParseInt), "int64": field(genimpl.ParseInt64), "float64": field(genimpl.ParseFloat64),
		"bool": field(genimpl.ParseBool), "duration": field(genimpl.ParseDuration), "url": field(genimpl.ParseURL),
		"bytes": field(genimpl.ParseBytes), "time": field(genimpl.ParseTime), "json": field(parseCredentials),
		"[]int": field(genimpl.ParseList(genimpl.ParseInt)), "map[string]int": field(genimpl.ParseMap(genimpl.ParseInt)),
		"enum": field(genimpl.ParseEnum("debug", "info")), "string": field(genimpl.ParseString),
	}
	for i, ref := range refs {
		parsers[ref.Type](l, i)
	}
	loadErr := l.Err()
	if loadErr == nil {
		t.Fatal("loading canary values of the wrong shape succeeded")
	}
	messages := []error{loadErr}

	// Access denied, with a token limited to staging.
	srv.policy(t, "dashtam-staging", "staging")
	tok, err := srv.root.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"dashtam-staging"}})
	if err != nil {
		t.Fatal(err)
	}
	limited, err := newVaultClient(srv.Vault, tok.Auth.ClientToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = newProvider(t, limited, env, &vault.Options{Logger: logs.logger()}).Get(ctx, refs[0])
	checkErr(t, err, runtime.ErrAccessDenied)
	messages = append(messages, err)

	// A failed AppRole login with a wrong secret id.
	roleID, secretID := srv.appRole(t, env, "1m", "10m")
	auth, err := vault.AppRoleAuth("", roleID, canary+"-secret-id", "")
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := newVaultClient(srv.Vault, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = newProvider(t, fresh, env, &vault.Options{Auth: auth, Logger: logs.logger()}).Get(ctx, refs[0])
	checkErr(t, err, runtime.ErrAccessDenied, "vault login (approle) failed: HTTP 400")
	messages = append(messages, err)

	// A value over the size limit, a value Vault cannot encode (a 500 whose
	// message quotes the number), and a secret-id file over its limit, all
	// holding the canary.
	srv.put(t, env, "canary/big", map[string]any{"value": strings.Repeat(canary, vault.MaxValueSize/len(canary)+1)})
	_, err = p.Get(ctx, runtime.Ref{Path: "canary/big"})
	checkErr(t, err, runtime.ErrInvalidValue, "larger than the limit of 1 MiB")
	messages = append(messages, err)
	srv.put(t, env, "canary/huge", map[string]any{"value": json.Number("1e400"), canary: json.Number("1e400")})
	_, err = p.Get(ctx, runtime.Ref{Path: "canary/huge"})
	checkErr(t, err, runtime.ErrInvalidValue, "HTTP 500")
	messages = append(messages, err)
	bigSID := filepath.Join(t.TempDir(), "secret-id")
	if err := os.WriteFile(bigSID, []byte(strings.Repeat(canary, 64<<10/len(canary)+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	fileAuth, err := vault.AppRoleAuth("", roleID, "", bigSID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = newProvider(t, fresh, env, &vault.Options{Auth: fileAuth, Logger: logs.logger()}).Get(ctx, refs[0])
	checkErr(t, err, runtime.ErrAccessDenied, "larger than the limit of 64 KiB")
	messages = append(messages, err)

	// A read and an AppRole login that a rate-limit quota (with
	// Retry-After headers) refuses until their context ends, through a
	// client FromEnv built (its retry policy hands Retry-After over).
	srv.write(t, "sys/quotas/config", map[string]any{"enable_rate_limit_response_headers": true})
	srv.write(t, "sys/quotas/rate-limit/canary", map[string]any{"rate": 1, "interval": "1m"})
	t.Setenv("VAULT_ADDR", srv.Addr())
	t.Setenv("VAULT_TOKEN", srv.RootToken())
	t.Setenv("VAULT_NAMESPACE", "")
	for _, method := range []string{"token", "approle"} {
		t.Setenv(vault.EnvAuth, method)
		t.Setenv(vault.EnvRoleID, roleID)
		t.Setenv(vault.EnvSecretID, canary+"-secret-id")
		t.Setenv(vault.EnvSecretIDFile, "")
		t.Setenv(vault.EnvMount, "")
		rp, err := vault.FromEnv(ctx, app, env)
		if err != nil {
			t.Fatal(err)
		}
		// Shorter than the Retry-After (up to a minute): the read fails
		// at the 429, long before its deadline, however busy the machine.
		short, cancel := context.WithTimeout(ctx, 10*time.Second)
		for range 2 { // the first may pass
			_, err = rp.Get(short, runtime.Ref{Path: "canary/int"})
		}
		cancel()
		rp.Close()
		checkErr(t, err, runtime.ErrUnavailable, "HTTP 429: rate limited", "rate-limit quota")
		if method == "approle" {
			checkErr(t, err, runtime.ErrUnavailable, "vault login (approle) failed")
		}
		t.Logf("%s: %v", method, err)
		messages = append(messages, err)
	}

	forbidden := []string{canary, srv.RootToken(), tok.Auth.ClientToken, secretID}
	var printed []string
	for _, err := range messages {
		printed = append(printed, err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
	}
	printed = append(printed, logs.String())
	for _, out := range printed {
		for _, f := range forbidden {
			if strings.Contains(out, f) {
				t.Errorf("printed output contains a value or credential %.12q...:\n%s", f, out)
			}
		}
	}
	// Every failing path is named with the backend and where it lives.
	for _, ref := range refs {
		if !strings.Contains(loadErr.Error(), ref.Path) {
			t.Errorf("the load error does not name %s:\n%v", ref.Path, loadErr)
		}
	}
	if !strings.Contains(loadErr.Error(), "secret/dashtam/production/canary/int#value") {
		t.Errorf("the load error does not say where the invalid value is:\n%v", loadErr)
	}
}
