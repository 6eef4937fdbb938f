package arch

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/dashtam/secretsgen"

// rules reads the package table of docs/design.md ("Packages and import
// rules"): for each package, the import-path prefixes of the non-standard
// packages it may depend on (module-relative entries get the module path;
// "*" means no rule). The table is the rule, so the doc and the code
// cannot drift.
func rules(t *testing.T) map[string][]string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "design.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "## Packages and import rules")
	if !ok {
		t.Fatal("docs/design.md has no section \"Packages and import rules\"")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	code := regexp.MustCompile("`([^`]+)`")
	out := map[string][]string{}
	for line := range strings.Lines(section) {
		cells := strings.Split(strings.TrimSpace(line), "|")
		if len(cells) != 5 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue // not a package row
		}
		var prefixes []string
		for _, m := range code.FindAllStringSubmatch(cells[3], -1) {
			entry := m[1]
			if first, _, _ := strings.Cut(entry, "/"); !strings.Contains(first, ".") && entry != "*" {
				entry = module + "/" + entry // a package of this module
			}
			prefixes = append(prefixes, entry)
		}
		for _, m := range code.FindAllStringSubmatch(cells[1], -1) {
			if _, dup := out[m[1]]; dup {
				t.Errorf("docs/design.md lists %s twice", m[1])
			}
			out[m[1]] = prefixes
		}
	}
	if len(out) == 0 {
		t.Fatal("docs/design.md's package table has no rows")
	}
	return out
}

// TestEveryPackageHasARule: every package of the module is a row of the
// table, and every row is a package.
func TestEveryPackageHasARule(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: not running go list")
	}
	table := rules(t)
	out, err := exec.Command("go", "list", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	listed := map[string]bool{}
	for line := range strings.Lines(string(out)) {
		pkg := strings.TrimPrefix(strings.TrimSpace(line), module+"/")
		listed[pkg] = true
		if _, ok := table[pkg]; !ok {
			t.Errorf("package %s is not in docs/design.md's package table (\"Packages and import rules\"): add a row saying what it owns and what it may import", pkg)
		}
	}
	for pkg := range table {
		if !listed[pkg] {
			t.Errorf("docs/design.md's package table lists %s, which is not a package of the module", pkg)
		}
	}
}

func TestImportRules(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: not running go list")
	}
	for pkg, prefixes := range rules(t) {
		if slices.Contains(prefixes, "*") {
			continue
		}
		t.Run(pkg, func(t *testing.T) {
			t.Parallel()
			path := module + "/" + pkg
			// go test puts the go command that runs it first on PATH.
			out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", path).Output()
			if err != nil {
				var stderr []byte
				if ee, ok := err.(*exec.ExitError); ok {
					stderr = ee.Stderr
				}
				t.Fatalf("go list -deps %s: %v\n%s", path, err, stderr)
			}
			var bad []string
			for line := range strings.Lines(string(out)) {
				dep := strings.TrimSpace(line)
				if dep == "" || dep == path || strings.HasPrefix(dep, path+"/internal") {
					continue
				}
				if !hasPrefix(dep, prefixes) {
					bad = append(bad, dep)
				}
			}
			if len(bad) > 0 {
				t.Errorf("%s may depend on %v only (docs/design.md, Packages and import rules); it depends on:\n\t%s", pkg, prefixes, strings.Join(bad, "\n\t"))
			}
		})
	}
}

// TestTestHelpersOnlyInTests: no package outside internal/testing imports
// one of its packages from non-test code (they start servers, inject
// faults and check for leaked goroutines; they belong in _test.go files).
func TestTestHelpersOnlyInTests(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: not running go list")
	}
	support := module + "/internal/testing/"
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}:{{range .Imports}} {{.}}{{end}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list %s/...: %v", module, err)
	}
	for line := range strings.Lines(string(out)) {
		pkg, imports, _ := strings.Cut(strings.TrimSpace(line), ":")
		if strings.HasPrefix(pkg, support) {
			continue
		}
		for _, imp := range strings.Fields(imports) {
			if strings.HasPrefix(imp, support) {
				t.Errorf("%s imports %s from non-test code; import it from _test.go files only", pkg, imp)
			}
		}
	}
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
