package arch

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/dashtam/secretsgen"

// allowed lists, for each package, the import-path prefixes of the
// non-standard packages it may depend on (directly or not), itself aside.
var allowed = map[string][]string{
	"runtime":              {module + "/internal/foreach", module + "/internal/backends", module + "/runtime", "golang.org/x/sync"},
	"runtime/providertest": {module + "/internal/foreach", module + "/internal/backends", module + "/runtime", "golang.org/x/sync", "github.com/google/go-cmp"},
	"internal/manifest":    {module + "/internal/foreach", module + "/internal/backends", module + "/runtime", "golang.org/x/sync", "gopkg.in/yaml.v3"},
	"internal/codegen":     {module + "/internal/foreach", module + "/internal/backends", module + "/internal/manifest", module + "/runtime", "golang.org/x/sync", "gopkg.in/yaml.v3", "github.com/dave/jennifer"},
	"internal/policy":      {module + "/internal/foreach", module + "/internal/backends", module + "/internal/manifest", module + "/runtime", "golang.org/x/sync", "gopkg.in/yaml.v3"},
	"internal/docs":        {module + "/internal/foreach", module + "/internal/backends", module + "/internal/manifest", module + "/runtime", "golang.org/x/sync", "gopkg.in/yaml.v3"},
	"internal/testenv":     {},
	"adapters/env":         {module + "/adapters/internal", module + "/internal/foreach", module + "/internal/backends", module + "/runtime", "golang.org/x/sync", "github.com/joho/godotenv", "github.com/fsnotify/fsnotify", "golang.org/x/sys"},
	"adapters/awssm":       {module + "/adapters/internal", module + "/internal/foreach", module + "/internal/backends", module + "/runtime", "golang.org/x/sync", "github.com/aws/"},
	"adapters/ssm":         {module + "/adapters/internal", module + "/internal/foreach", module + "/internal/backends", module + "/runtime", "golang.org/x/sync", "github.com/aws/"},
	"adapters/files":       {module + "/adapters/internal", module + "/internal/foreach", module + "/internal/backends", module + "/runtime", "golang.org/x/sync", "github.com/fsnotify/fsnotify", "golang.org/x/sys"},
	"internal/k8s":         {module + "/internal/foreach", module + "/internal/backends", module + "/internal/manifest", module + "/runtime", "golang.org/x/sync", "gopkg.in/yaml.v3"},
	// The adapters' shared internals: the standard library only, except
	// awscore, which is the AWS adapters' core (it uses the AWS SDK).
	"adapters/internal/capped":   {},
	"adapters/internal/fileread": {},
	"adapters/internal/neterr":   {},
	"adapters/internal/jsonobj":  {},
	"adapters/internal/awscore":  {module + "/adapters/internal", module + "/internal/foreach", module + "/internal/backends", module + "/runtime", "golang.org/x/sync", "github.com/aws/"},
	// The AWS adapters' shared test helpers (only _test.go files import
	// them: TestTestHelpersOnlyInTests).
	"adapters/internal/awstest": {module + "/internal/testenv", module + "/internal/foreach", module + "/internal/backends", module + "/runtime", "golang.org/x/sync", "github.com/aws/", "github.com/google/go-cmp"},
	"adapters/vault":            {module + "/adapters/internal", module + "/internal/foreach", module + "/internal/backends", module + "/runtime", "golang.org/x/sync", "github.com/hashicorp/", "github.com/go-jose/", "github.com/cenkalti/backoff", "github.com/mitchellh/", "github.com/ryanuber/go-glob", "golang.org/x/", "github.com/go-viper/"},
}

func TestImportRules(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: not running go list")
	}
	for pkg, prefixes := range allowed {
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
				t.Errorf("%s may depend on %v only (docs/design.md); it depends on:\n\t%s", pkg, prefixes, strings.Join(bad, "\n\t"))
			}
		})
	}
}

// TestTestHelpersOnlyInTests: no package's non-test code imports a test
// helper package (adapters/internal/awstest starts servers and injects
// faults, internal/leaktest checks for leaked goroutines; they belong in
// _test.go files only).
func TestTestHelpersOnlyInTests(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: not running go list")
	}
	helpers := []string{module + "/adapters/internal/awstest", module + "/internal/leaktest"}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}:{{range .Imports}} {{.}}{{end}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list %s/...: %v", module, err)
	}
	for line := range strings.Lines(string(out)) {
		pkg, imports, _ := strings.Cut(strings.TrimSpace(line), ":")
		for _, imp := range strings.Fields(imports) {
			if slices.Contains(helpers, imp) {
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
