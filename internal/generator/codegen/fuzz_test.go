package codegen

import (
	"bytes"
	"go/ast"
	"go/format"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dashtam/secretsgen/internal/generator/manifest"
)

// The review's reproducers (issue 8): text that once reached generated code
// raw, and manifests Parse accepted that Generate could not write.
var fuzzSeeds = []string{
	"version: 1\napp: x\nbackends: [aws]\nsecrets:\n  a:\n    type: string\n    source: {key: \"x\\nEvil string //\"}\n",
	"version: 1\napp: x\nbackends: [aws]\nsecrets:\n  a:\n    type: string\n    source: {version: \"v\\nfunc Evil() {}\"}\n",
	"version: 1\napp: x\nsecrets:\n  a:\n    type: string\n    description: \"nul \\0 here\"\n",
	"version: 1\napp: x\nsecrets:\n  a:\n    type: string\n    description: \"bom \\uFEFF here\"\n",
	"version: 1\napp: x\npackage: init\nsecrets:\n  a: {type: string}\n",
	"version: 1\napp: x\nsecrets:\n  a:\n    type: string\n    description: \"two\\n\\nparagraphs */ // and a long line that goes on and on and on beyond the width of a comment line\"\n    default: \"x\\ny\"\n",
	"version: 1\napp: x\nbackends: [aws]\nsecrets:\n  a:\n    type: string\n    source: {path: b, key: \"k */ \\\" // ü\", version: AWSPREVIOUS}\n",
	"version: 1\napp: x\nsecrets:\n  a/b: {type: enum, values: [x, y], default: x}\n  c: {type: json, fields: {k: int, t: time}}\n  d: {type: \"map[string]url\", optional: true}\n",
	"version: 1\napp: x\nsecrets:\n  db/app: {type: credential, database: {role: app}}\n  db/ro: {type: credential, optional: true, database: {role: ro, static: true, mount: \"a/b\"}}\n  db/rds: {type: credential, env: RDS}\n",
}

// FuzzGenerate generates from every manifest Parse accepts and requires
// that Generate succeeds, that every file is gofmt-clean, that the package
// type-checks against the module's runtime packages, and that it declares
// exactly the names of manifest.Names and the reserved names, each once
// (checkDecls): no manifest text can add a declaration. `go test` runs it
// on the seeds.
func FuzzGenerate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		m, err := manifest.Parse("m.yaml", []byte(text))
		if err != nil {
			return
		}
		files, err := Generate(m, Config{})
		if err != nil {
			t.Fatalf("Generate of a manifest Parse accepted: %v", err)
		}
		for name, src := range files {
			if formatted, err := format.Source(src); err != nil || !bytes.Equal(formatted, src) {
				t.Fatalf("%s is not gofmt-clean (err %v)", name, err)
			}
		}
		checkDecls(t, m, files)
		typeCheck(t, files)
	})
}

// TestManifestTextRejected checks the manifest errors of the seeds that
// carry control characters or a package that cannot be imported.
func TestManifestTextRejected(t *testing.T) {
	for i, want := range map[int]string{
		0: "source.key must be printable", 1: "source.version must be printable",
		2: "description must be printable", 3: "description must be printable",
		4: `package "init" cannot be imported`,
	} {
		_, err := manifest.Parse("m.yaml", []byte(fuzzSeeds[i]))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("seed %d: Parse error %v, want %q", i, err, want)
		}
	}
}

var (
	typeCheckMu  sync.Mutex
	typeCheckImp = importer.ForCompiler(token.NewFileSet(), "source", nil)
)

// typeCheck type-checks the generated package. provider.go imports the
// adapters (and through them the SDKs), which the source importer would
// compile on every run: a stub with NewProvider's signature stands in.
func typeCheck(t *testing.T, files map[string][]byte) {
	t.Helper()
	fset := token.NewFileSet()
	var asts []*ast.File
	for name, src := range files {
		if name == providerFile {
			src = []byte(strings.Join([]string{
				"package " + packageOf(src),
				`import ("context"; "github.com/dashtam/secretsgen/runtime")`,
				"func NewProvider(context.Context) (*runtime.Cache, error) { return nil, nil }",
			}, "\n"))
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		asts = append(asts, f)
	}
	typeCheckMu.Lock()
	defer typeCheckMu.Unlock()
	conf := types.Config{Importer: typeCheckImp.(types.ImporterFrom)}
	if _, err := conf.Check("example.com/gen", fset, asts, nil); err != nil {
		t.Fatalf("generated package does not type-check: %v", err)
	}
}

func packageOf(src []byte) string {
	_, rest, _ := strings.Cut(string(src), "\npackage ")
	name, _, _ := strings.Cut(rest, "\n")
	return name
}

// checkDecls parses the generated files of m and requires that they declare
// the reserved names, manifest.FakeMembers and the names of m.Names, each
// once, and nothing else.
func checkDecls(t *testing.T, m *manifest.Manifest, files map[string][]byte) {
	t.Helper()
	n, err := m.Names()
	if err != nil {
		t.Fatal(err)
	}
	want := append([]string{}, manifest.ReservedGoNames...)
	for _, name := range manifest.FakeMembers {
		want = append(want, "(*Fake)."+name)
	}
	for _, g := range n.Groups {
		want = append(want, g.Type)
	}
	for _, l := range n.Leaves {
		want = append(want, l.Const, "(*Fake)."+l.Setter)
		for _, name := range append([]string{l.TypeName, l.Parser, l.Formatter}, l.EnumConsts...) {
			if name != "" {
				want = append(want, name)
			}
		}
		for _, m := range []string{l.Rotator, l.Expirer, l.Renewer, l.RenewFailer} {
			if m != "" {
				want = append(want, "(*Fake)."+m)
			}
		}
	}
	var got []string
	for _, src := range files {
		f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv != nil {
					got = append(got, "(*Fake)."+d.Name.Name) // the only receiver (type-checked)
				} else {
					got = append(got, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch spec := spec.(type) {
					case *ast.TypeSpec:
						got = append(got, spec.Name.Name)
					case *ast.ValueSpec:
						for _, id := range spec.Names {
							if id.Name != "_" {
								got = append(got, id.Name)
							}
						}
					}
				}
			}
		}
	}
	if !slices.Contains(got, manifest.NameMustParse) {
		want = slices.DeleteFunc(want, func(s string) bool { return s == manifest.NameMustParse })
	}
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("declared names (-want +got):\n%s", diff)
	}
}
