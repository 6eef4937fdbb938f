package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every problem has a
// position, and that an accepted manifest is complete. Seeds are the
// testdata manifests.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse("f.yaml", data)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 || m != nil {
				t.Fatalf("Parse = %v, %v; want nil and a non-empty ErrorList", m, err)
			}
			for _, p := range list {
				if p.Pos.Line < 1 || p.Pos.Col < 1 || p.File != "f.yaml" || p.Msg == "" {
					t.Errorf("bad problem %+v", p)
				}
			}
			return
		}
		if m == nil || m.Version != 1 || m.App == "" || m.Package == "" || len(m.Backends) == 0 || len(m.Secrets) == 0 {
			t.Fatalf("incomplete manifest %+v", m)
		}
		for _, s := range m.Secrets {
			if len(s.GoPath) != strings.Count(s.Path, "/")+1 || !envRE.MatchString(s.Env) || s.Pos.Line < 1 || s.Pos.Col < 1 {
				t.Errorf("secret %q: GoPath %v env %q pos %v", s.Path, s.GoPath, s.Env, s.Pos)
			}
			if s.Default != nil && s.Check(*s.Default) != nil {
				t.Errorf("secret %q: default does not parse", s.Path)
			}
		}
	})
}
