package alerts_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/internal/generator/alerts"
	"github.com/dashtam/secretsgen/internal/generator/manifest"
)

// TestOperationsPage: docs/operations.md shows the output for the
// repository's manifest as it is, and its metric table names every metric
// a rule reads.
func TestOperationsPage(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..", "..")
	page, err := os.ReadFile(filepath.Join(root, "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load(filepath.Join(root, "secrets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m.File = "secrets.yaml" // as `secretsgen alerts` names it, run from the root
	out, err := alerts.Rules(m, "production", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "```yaml\n"+string(out)+"```\n") {
		t.Errorf("docs/operations.md does not show the output of `secretsgen alerts -env production` for secrets.yaml; it is now:\n%s", out)
	}
	var table []string
	for _, line := range strings.Split(string(page), "\n") {
		if strings.HasPrefix(line, "| `secretsgen.") {
			table = append(table, line)
		}
	}
	names := regexp.MustCompile(`secretsgen_[a-z_]+`).FindAllString(string(out), -1)
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		base := strings.TrimSuffix(name, "_count")
		if !slices.ContainsFunc(table, func(l string) bool { return strings.Contains(l, "`"+base) }) {
			t.Errorf("the metric table of docs/operations.md has no row for %s", name)
		}
	}
}
