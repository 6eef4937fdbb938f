package codegen

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dashtam/secretsgen/internal/manifest"
)

// collideSpec is one secret of a collision case.
type collideSpec struct {
	path   string
	kind   manifest.Kind
	values []string // enum values; default [a]
	fields []string // json keys, all strings; default [k]
}

// collideCase writes specs as a manifest: each secret on one line from line
// 5, with an env name of its own so that only Go names can collide.
func collideCase(specs []collideSpec) string {
	var b strings.Builder
	b.WriteString("version: 1\napp: x\nbackends: [env]\nsecrets:\n")
	for i, sp := range specs {
		fmt.Fprintf(&b, "  %s: {type: %s, env: S%d", sp.path, sp.kind, i)
		switch sp.kind {
		case manifest.Enum:
			values := sp.values
			if values == nil {
				values = []string{"a"}
			}
			b.WriteString(", values: [" + strings.Join(values, ", ") + "]")
		case manifest.JSON:
			keys := sp.fields
			if keys == nil {
				keys = []string{"k"}
			}
			b.WriteString(", fields: {" + strings.Join(keys, ": string, ") + ": string}")
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// TestCollisions covers every collision of generated names that Generate
// used to find alone, and the ones manifest.Parse always found: Parse
// reports each with its file:line:col, so that a manifest that passes
// Parse (and check, docs, policy) also generates.
func TestCollisions(t *testing.T) {
	type s = collideSpec
	const (
		str  = manifest.String
		enum = manifest.Enum
		json = manifest.JSON
	)
	tests := []struct {
		name  string
		specs []collideSpec
		want  []string // Parse's problems; none for a good manifest
	}{
		{"distinct", []s{{path: "database/url", kind: manifest.URL}, {path: "database/settings", kind: str}, {path: "level", kind: enum, values: []string{"settings"}}}, nil},
		// Found by Generate alone before.
		{"group type and json type", []s{{path: "cache/ttl", kind: manifest.Duration}, {path: "cache/settings", kind: json}},
			[]string{"m.yaml:6:3: secret cache/settings: Go type CacheSettings collides with group type CacheSettings of cache/ (secret cache/ttl at 5:3)"}},
		{"json type and its own group type", []s{{path: "cache/settings", kind: json}},
			[]string{"m.yaml:5:3: secret cache/settings: Go type CacheSettings collides with its own group type CacheSettings of cache/"}},
		{"json type and App", []s{{path: "app", kind: json}},
			[]string{"m.yaml:5:3: secret app: Go type App collides with a generated identifier"}},
		{"setter and Memory method", []s{{path: "error", kind: str}},
			[]string{"m.yaml:5:3: secret error: Fake setter SetError collides with the method SetError of Fake"}},
		{"group type and SampleSettings", []s{{path: "sample/x", kind: str}},
			[]string{"m.yaml:5:3: secret sample/x: group type SampleSettings of sample/ collides with a generated identifier"}},
		{"two group types", []s{{path: "a_b/x", kind: str}, {path: "a/b/y", kind: str}},
			[]string{"m.yaml:6:3: secret a/b/y: group type ABSettings of a/b/ collides with group type ABSettings of a_b/ (secret a_b/x at 5:3)"}},
		{"path constant and enum type", []s{{path: "path/x", kind: enum}, {path: "x", kind: str}},
			[]string{"m.yaml:6:3: secret x: path constant PathX collides with Go type PathX of secret path/x (5:3)"}},
		{"path constant and enum constant", []s{{path: "path_q", kind: enum, values: []string{"z"}}, {path: "q_z", kind: str}},
			[]string{"m.yaml:6:3: secret q_z: path constant PathQZ collides with enum constant PathQZ of secret path_q (5:3)"}},
		{"own path constant and enum constant", []s{{path: "path_path", kind: enum, values: []string{"path"}}},
			[]string{"m.yaml:5:3: secret path_path: enum constant PathPathPath collides with its own path constant PathPathPath"}},
		{"enum constant and group type", []s{{path: "mo/de/z", kind: str}, {path: "mo_de", kind: enum, values: []string{"settings"}}},
			[]string{"m.yaml:6:3: secret mo_de: enum constant MoDeSettings collides with group type MoDeSettings of mo/de/ (secret mo/de/z at 5:3)"}},
		{"path constant and group type", []s{{path: "path/y/w", kind: str}, {path: "y_settings", kind: str}},
			[]string{"m.yaml:6:3: secret y_settings: path constant PathYSettings collides with group type PathYSettings of path/y/ (secret path/y/w at 5:3)"}},
		{"enum type and enum constant", []s{{path: "log/level", kind: enum, values: []string{"debug"}}, {path: "log/level_debug", kind: enum}},
			[]string{"m.yaml:6:3: secret log/level_debug: Go type LogLevelDebug collides with enum constant LogLevelDebug of secret log/level (5:3)"}},
		// Found by both before.
		{"leaf and group", []s{{path: "database", kind: str}, {path: "database/url", kind: manifest.URL}},
			[]string{"m.yaml:6:3: secret database/url: database is a secret (5:3), so it cannot also be a group of secrets"}},
		{"group and leaf", []s{{path: "database/url", kind: manifest.URL}, {path: "database", kind: str}},
			[]string{"m.yaml:6:3: secret database: database is a group of secrets (secret database/url at 5:3), so it cannot also be a secret"}},
		{"two fields", []s{{path: "http-timeout", kind: str}, {path: "http_timeout", kind: str}},
			[]string{`m.yaml:6:3: secret http_timeout: "http_timeout" and "http-timeout" (secret http-timeout at 5:3) both become Go name Settings.HTTPTimeout`}},
		{"two groups", []s{{path: "http-client/a", kind: str}, {path: "http_client/b", kind: str}},
			[]string{`m.yaml:6:3: secret http_client/b: "http_client" and "http-client" (secret http-client/a at 5:3) both become Go name Settings.HTTPClient`}},
		{"two Go names", []s{{path: "log/level_debug", kind: str}, {path: "log_level/debug", kind: str}},
			[]string{"m.yaml:6:3: secret log_level/debug: Go name LogLevelDebug (constant PathLogLevelDebug) is also the Go name of secret log/level_debug (5:3)"}},
		{"json fields", []s{{path: "db", kind: json, fields: []string{"a_b", "a__b"}}},
			[]string{`m.yaml:5:51: secret db: fields "a__b" and "a_b" (5:38) both become Go field AB`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := collideCase(tt.specs)
			m, err := manifest.Parse("m.yaml", []byte(text))
			var got []string
			if err != nil {
				var list manifest.ErrorList
				if !errors.As(err, &list) {
					t.Fatalf("Parse error %v is not a manifest.ErrorList", err)
				}
				for _, p := range list {
					got = append(got, p.Error())
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("Parse problems (-want +got):\n%s\nmanifest:\n%s", diff, text)
			}
			if tt.want == nil {
				if _, err := Generate(m, Config{}); err != nil {
					t.Fatalf("Generate of the parsed manifest: %v", err)
				}
			}
		})
	}
}

// TestDecls checks that the generated package declares exactly the names of
// manifest.Decls, which manifest.Parse checks for collisions, each once;
// that Fake holds a *runtime.Memory and its methods are manifest.FakeMembers and the setters;
// and that Generate succeeds on every manifest Parse accepts. The manifests
// are the golden cases and random ones built from path segments, enum
// values and types that make generated names collide.
func TestDecls(t *testing.T) {
	for _, name := range []string{"minimal", "kitchen_sink", "all_backends"} {
		t.Run(name, func(t *testing.T) {
			checkDecls(t, parseCase(t, name))
		})
	}

	segs := []string{"a", "b", "a_b", "a-b", "x", "settings", "path", "path_x", "x_settings", "set", "error", "app", "sample", "fake", "load", "memory", "calls", "parse"}
	values := []string{"a", "x", "b", "settings", "path", "path_x", "error"}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	n := 1000
	if testing.Short() {
		n = 200
	}
	accepted := 0
	for i := range n {
		var b strings.Builder
		b.WriteString("version: 1\napp: x\nbackends: [env]\nsecrets:\n")
		for j := range 1 + rng.IntN(5) {
			path := pick(segs)
			for range rng.IntN(3) {
				path += "/" + pick(segs)
			}
			fmt.Fprintf(&b, "  %s:\n    env: S%d\n", path, j)
			switch rng.IntN(3) {
			case 0:
				b.WriteString("    type: string\n")
			case 1:
				fmt.Fprintf(&b, "    type: enum\n    values: [%s, %s]\n", pick(values), pick(values))
			case 2:
				b.WriteString("    type: json\n    fields: {k: string}\n")
			}
		}
		m, err := manifest.Parse("m.yaml", []byte(b.String()))
		if err != nil {
			continue
		}
		accepted++
		ok := t.Run(fmt.Sprint("random", i), func(t *testing.T) { checkDecls(t, m) })
		if !ok {
			t.Fatalf("manifest:\n%s", b.String())
		}
	}
	if accepted < n/10 || accepted > n*9/10 {
		t.Errorf("Parse accepted %d of %d random manifests; the test needs both kinds", accepted, n)
	}
}

// checkDecls generates m and compares the names its files declare with
// m.Decls().
func checkDecls(t *testing.T, m *manifest.Manifest) {
	t.Helper()
	files, err := Generate(m, Config{})
	if err != nil {
		t.Fatalf("Generate of a manifest that Parse accepted: %v", err)
	}
	fset := token.NewFileSet()
	var pkg, setters, fakeFields []string
	for _, name := range sortedKeys(files) {
		f, err := parser.ParseFile(fset, name, files[name], parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					pkg = append(pkg, d.Name.Name)
					continue
				}
				star, ok := d.Recv.List[0].Type.(*ast.StarExpr)
				if id, isID := star.X.(*ast.Ident); !ok || !isID || id.Name != "Fake" {
					t.Errorf("method %s of another receiver than *Fake", d.Name.Name)
				}
				setters = append(setters, d.Name.Name)
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch spec := spec.(type) {
					case *ast.TypeSpec:
						pkg = append(pkg, spec.Name.Name)
						if spec.Name.Name == "Fake" {
							for _, f := range spec.Type.(*ast.StructType).Fields.List {
								fakeFields = append(fakeFields, typeString(f.Type))
							}
						}
					case *ast.ValueSpec:
						for _, id := range spec.Names {
							if id.Name != "_" {
								pkg = append(pkg, id.Name)
							}
						}
					}
				}
			}
		}
	}
	if diff := cmp.Diff([]string{"*runtime.Memory"}, fakeFields); diff != "" {
		t.Errorf("the fields of Fake (-want +got), which the Fake methods use:\n%s", diff)
	}

	var wantPkg, wantSetters []string
	for _, d := range m.Decls() {
		switch {
		case d.Method:
			wantSetters = append(wantSetters, d.Name)
		case d.Name == "mustParse" && !slices.Contains(pkg, "mustParse"):
			// Declared only when SampleSettings needs it.
		default:
			wantPkg = append(wantPkg, d.Name)
		}
	}
	for _, list := range [][]string{pkg, setters, wantPkg, wantSetters} {
		slices.Sort(list)
	}
	if diff := cmp.Diff(wantPkg, pkg); diff != "" {
		t.Errorf("package-level names (-manifest.Decls +generated):\n%s", diff)
	}
	if diff := cmp.Diff(wantSetters, setters); diff != "" {
		t.Errorf("methods of Fake (-manifest.Decls +generated):\n%s", diff)
	}
	if dup := slices.Compact(slices.Clone(pkg)); len(dup) != len(pkg) {
		t.Errorf("a package-level name is declared twice: %v", pkg)
	}
	if dup := slices.Compact(slices.Clone(setters)); len(dup) != len(setters) {
		t.Errorf("a method of Fake is declared twice (a setter shadows a member of Fake): %v", setters)
	}
}

// typeString renders a field type such as *runtime.Memory.
func typeString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return "*" + typeString(e.X)
	case *ast.SelectorExpr:
		return typeString(e.X) + "." + e.Sel.Name
	case *ast.Ident:
		return e.Name
	}
	return fmt.Sprintf("%T", e)
}
