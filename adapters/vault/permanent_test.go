package vault_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/dashtam/secretsgen/runtime"
)

// TestPermanentFaults: answers no retry can change are not outages, so a
// cache does not serve stale values on them forever. A number that does not
// fit a float64 (1e400) makes Vault answer every read with HTTP 500; it is
// an invalid value, not unavailable.
func TestPermanentFaults(t *testing.T) {
	srv := startServer(t)
	const env = "production"
	srv.put(t, env, "huge/number", map[string]any{"value": json.Number("1e400")})
	p := newProvider(t, srv.root, env, nil)
	ref := runtime.Ref{Path: "huge/number", Type: "float"}
	_, err := p.Get(ctxFor(t), ref)
	t.Logf("Get: %v", err)
	if !errors.Is(err, runtime.ErrInvalidValue) || errors.Is(err, runtime.ErrUnavailable) {
		t.Errorf("Get of a secret Vault cannot encode: %v; want an invalid value", err)
	}
	for _, r := range p.GetMany(ctxFor(t), []runtime.Ref{ref}) {
		if !errors.Is(r.Err, runtime.ErrInvalidValue) {
			t.Errorf("GetMany: %v; want an invalid value", r.Err)
		}
	}
}
