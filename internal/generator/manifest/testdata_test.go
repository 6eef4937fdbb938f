package manifest

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/internal/backends"
)

var update = flag.Bool("update", false, "rewrite testdata/bad/*.err from the current messages")

// TestGood parses every testdata/good manifest, which must have no problem.
func TestGood(t *testing.T) {
	files, err := filepath.Glob("testdata/good/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no good manifests: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			m, err := Load(file)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if m.Version != 1 || m.App == "" || len(m.Secrets) == 0 {
				t.Errorf("incomplete manifest: version %d, app %q, %d secrets", m.Version, m.App, len(m.Secrets))
			}
		})
	}
}

// kitchenSink is the one wide manifest of the tests of manifest and codegen,
// which generates and runs it.
const kitchenSink = "../codegen/testdata/kitchen_sink/secrets.yaml"

// TestKitchenSink checks that the kitchen sink, which generators use as
// their widest input, parses and has every type and every secret key.
func TestKitchenSink(t *testing.T) {
	t.Parallel()
	m, err := Load(kitchenSink)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	var env, source, version, description, insensitive bool
	for _, s := range m.Secrets {
		types[s.Type.String()] = true
		env = env || s.Env != backends.EnvName(s.Path)
		source = source || s.Source.Path != "" && s.Source.Key != ""
		version = version || s.Source.Version != ""
		description = description || s.Description != ""
		insensitive = insensitive || !s.Sensitive
	}
	want := []string{"enum", "json"}
	for _, k := range Scalars() {
		want = append(want, string(k), "[]"+string(k), "map[string]"+string(k))
	}
	for _, w := range want {
		if !types[w] {
			t.Errorf("no secret of type %s", w)
		}
	}
	if !env || !source || !version || !description || !insensitive {
		t.Errorf("missing a key: env %v source %v version %v description %v sensitive: false %v", env, source, version, description, insensitive)
	}
}

// TestBad parses every testdata/bad/<case>.yaml and compares its problems
// with <case>.err, one "file:line:col: message" per line. Run with -update
// to rewrite the .err files, then review the diff.
func TestBad(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad manifests: %v", err)
	}
	errs, _ := filepath.Glob("testdata/bad/*.err")
	for _, e := range errs {
		if _, err := os.Stat(strings.TrimSuffix(e, ".err") + ".yaml"); err != nil {
			t.Errorf("%s has no manifest: %v", e, err)
		}
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			m, err := Load(file)
			var list ErrorList
			if !errors.As(err, &list) || m != nil {
				t.Fatalf("Load = %v, %v; want nil and an ErrorList", m, err)
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(file, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("problems differ\n got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}
