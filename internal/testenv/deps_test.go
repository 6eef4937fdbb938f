package testenv

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies holds the architecture rule for this package: testenv
// imports the standard library only (see ARCHITECTURE.md). A test that needs
// an SDK client builds it itself from Addr, RootToken or Endpoint.
func TestDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: not running go list")
	}
	const self = "github.com/dashtam/secretsgen/internal/testenv"
	// go test puts the go command that runs it first on PATH.
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", self)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go list -deps %s: %v\n%s", self, err, stderr)
	}
	var bad []string
	for line := range strings.Lines(string(out)) {
		if p := strings.TrimSpace(line); p != "" && p != self {
			bad = append(bad, p)
		}
	}
	if len(bad) > 0 {
		t.Errorf("%s may import the standard library only; it depends on:\n\t%s", self, strings.Join(bad, "\n\t"))
	}
}
