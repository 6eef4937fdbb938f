package gen_test

import (
	"errors"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/gen"
	"github.com/dashtam/secretsgen/runtime"
)

// TestLoadReportsDeniedSecret uses the Fake as a service's unit test would
// (README.md's own fake example is run by internal/testing/readme): typed
// settings, an injected failure, a rotation and a call count.
func TestLoadReportsDeniedSecret(t *testing.T) {
	s := gen.SampleSettings()                                 // valid values for every field
	s.HTTP.Timeout = time.Second                              // typed setting
	f := gen.NewFake(s)                                       // a runtime.Provider: no backend, no env
	f.SetError(gen.PathSchwabAPIKey, runtime.ErrAccessDenied) // inject a failure
	f.Rotate(gen.PathSchwabAPISecret, "rotated")              // raw backend text, new version
	_, err := gen.Load(t.Context(), f)
	if !errors.Is(err, runtime.ErrAccessDenied) || f.Calls(gen.PathSchwabAPIKey) != 1 {
		t.Fatalf("Load = %v, want access denied after one read", err)
	}
}
