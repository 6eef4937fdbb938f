package codegen

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dashtam/secretsgen/internal/generator/manifest"
	"github.com/dashtam/secretsgen/runtime"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// parseCase parses testdata/<name>/secrets.yaml, naming it secrets.yaml in
// messages so that golden error text does not depend on the directory.
func parseCase(t testing.TB, name string) *manifest.Manifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name, "secrets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Parse("secrets.yaml", data)
	if err != nil {
		t.Fatalf("manifest of case %s: %v", name, err)
	}
	return m
}

// TestGolden generates every case in testdata and compares the output with
// testdata/<case>/want/<file>.golden. go test -update rewrites them.
func TestGolden(t *testing.T) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			files, err := Generate(parseCase(t, name), Config{Source: "secrets.yaml"})
			if err != nil {
				t.Fatal(err)
			}
			wantDir := filepath.Join("testdata", name, "want")
			if *update {
				if err := os.RemoveAll(wantDir); err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(wantDir, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			goldens, err := filepath.Glob(filepath.Join(wantDir, "*.golden"))
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, g := range goldens {
				want = append(want, strings.TrimSuffix(filepath.Base(g), ".golden"))
			}
			for file, data := range files {
				compareGolden(t, filepath.Join(wantDir, file+".golden"), data)
			}
			if !*update {
				if diff := cmp.Diff(want, sortedKeys(files)); diff != "" {
					t.Errorf("generated files differ from %s (-want +got):\n%s", wantDir, diff)
				}
			}
		})
	}
}

func compareGolden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got); go test -update rewrites it:\n%s", file, diff)
	}
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestOutputForm checks what every generated file must be: headed by the
// generated-code line, gofmt-clean, and the same on every run.
func TestOutputForm(t *testing.T) {
	for _, name := range []string{"minimal", "kitchen_sink", "all_backends"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m := parseCase(t, name)
			first, err := Generate(m, Config{Source: "secrets.yaml"})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 5; i++ {
				again, err := Generate(m, Config{Source: "secrets.yaml"})
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(first, again) {
					t.Fatal("two runs of Generate gave different output")
				}
			}
			for file, data := range first {
				if !bytes.HasPrefix(data, []byte(Header+"\n")) {
					t.Errorf("%s does not start with %q", file, Header)
				}
				formatted, err := format.Source(data)
				if err != nil {
					t.Errorf("%s does not parse: %v", file, err)
				} else if !bytes.Equal(formatted, data) {
					t.Errorf("%s is not gofmt-clean", file)
				}
			}
		})
	}
}

// The adapter packages of backends.All.
const (
	envPkg   goPackage = "github.com/dashtam/secretsgen/adapters/env"
	awssmPkg goPackage = "github.com/dashtam/secretsgen/adapters/awssm"
	vaultPkg goPackage = "github.com/dashtam/secretsgen/adapters/vault"
)

// TestImports checks that generated code imports only the packages listed
// in imports.go, and an adapter only when its backend is enabled.
func TestImports(t *testing.T) {
	tests := []struct {
		name     string
		backends []string
		adapters []goPackage
	}{
		{"env only", []string{"env"}, []goPackage{envPkg}},
		{"vault only", []string{"vault"}, []goPackage{vaultPkg}},
		{"aws and env", []string{"aws", "env"}, []goPackage{awssmPkg, envPkg}},
		{"all", []string{"env", "aws", "vault"}, []goPackage{envPkg, awssmPkg, vaultPkg}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parseCase(t, "kitchen_sink")
			m.Backends = tt.backends
			files, err := Generate(m, Config{})
			if err != nil {
				t.Fatal(err)
			}
			all := string(bytes.Join([][]byte{files[settingsFile], files[loadFile], files[providerFile], files[fakeFile]}, nil))
			for path := range packageNames {
				imported := strings.Contains(all, `"`+path+`"`)
				isAdapter := slices.Contains([]goPackage{envPkg, awssmPkg, vaultPkg}, goPackage(path))
				if isAdapter && imported != slices.Contains(tt.adapters, goPackage(path)) {
					t.Errorf("import of %s: got %v, want %v", path, imported, !imported)
				}
			}
			for _, line := range strings.Split(all, "\n") {
				line = strings.TrimSpace(line)
				if strings.HasPrefix(line, `"`) && strings.HasSuffix(line, `"`) {
					if _, ok := packageNames[strings.Trim(line, `"`)]; !ok {
						t.Errorf("generated code imports %s, which imports.go does not list", line)
					}
				}
			}
			for _, b := range tt.backends {
				if !strings.Contains(string(files[providerFile]), "case "+`"`+b+`"`) {
					t.Errorf("NewProvider has no case for backend %s", b)
				}
			}
		})
	}
}

// TestEnumDefaultTrimmed: genimpl.ParseEnum trims, so manifest.Parse
// accepts an enum default with surrounding space, and Generate writes it as
// the constant of the value.
func TestEnumDefaultTrimmed(t *testing.T) {
	m, err := manifest.Parse("m.yaml", []byte("version: 1\napp: x\nbackends: [env]\nsecrets:\n"+
		"  log_level: {type: enum, values: [debug, info], default: \"info \", sensitive: false}\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	files, err := Generate(m, Config{})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if want := "s.LogLevel = LogLevelInfo\n"; !strings.Contains(string(files[fakeFile]), want) {
		t.Errorf("SampleSettings lacks %q:\n%s", want, files[fakeFile])
	}
}

// TestRefLiteral checks that the refs entry of a secret sets every field of
// runtime.Ref to the value of manifest.Secret.Ref: the secret sets every
// field, so a field added to runtime.Ref fails here until both the secret
// below and refLiteral write it.
func TestRefLiteral(t *testing.T) {
	m, err := manifest.Parse("m.yaml", []byte("version: 1\napp: x\nbackends: [vault]\nsecrets:\n"+
		"  a/b: {type: string, env: MY_B, default: d, source: {path: c/d, key: k, version: \"1\"}}\n"+
		"  a/c: {type: credential, env: MY_C, source: {path: c/e}, database: {role: app}}\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	// No one secret can set every field (key and database exclude each
	// other): together they do.
	set := map[string]bool{}
	for _, s := range m.Secrets {
		ref := reflect.ValueOf(s.Ref())
		for i := range ref.NumField() {
			if !ref.Field(i).IsZero() {
				set[ref.Type().Field(i).Name] = true
			}
		}
	}
	for i := range reflect.TypeFor[runtime.Ref]().NumField() {
		if name := reflect.TypeFor[runtime.Ref]().Field(i).Name; !set[name] {
			t.Fatalf("test bug: the secrets leave runtime.Ref.%s zero", name)
		}
	}
	files, err := Generate(m, Config{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), loadFile, files[loadFile], parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var refs *ast.CompositeLit
	ast.Inspect(f, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok && vs.Names[0].Name == "refs" {
			refs = vs.Values[0].(*ast.CompositeLit)
		}
		return refs == nil
	})
	if refs == nil || len(refs.Elts) != len(m.Secrets) {
		t.Fatalf("refs is %v, want %d entries", refs, len(m.Secrets))
	}
	for k, s := range m.Secrets {
		got := map[string]string{}
		for _, e := range refs.Elts[k].(*ast.CompositeLit).Elts {
			kv := e.(*ast.KeyValueExpr)
			v := fmt.Sprint(kv.Value) // an identifier: PathAB
			if bl, ok := kv.Value.(*ast.BasicLit); ok {
				v, _ = strconv.Unquote(bl.Value)
			}
			got[kv.Key.(*ast.Ident).Name] = v
		}
		want := map[string]string{}
		ref := reflect.ValueOf(s.Ref())
		for i := range ref.NumField() {
			if !ref.Field(i).IsZero() {
				want[ref.Type().Field(i).Name] = fmt.Sprint(ref.Field(i).Interface())
			}
		}
		want["Path"] = "Path" + s.GoName()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("refs entry of %s (-runtime.Ref +generated):\n%s", s.Path, diff)
		}
	}
}

// TestScalarKinds checks that the generator knows every scalar kind of the
// manifest package: its runtime parser and formatter, Go type and sample.
func TestScalarKinds(t *testing.T) {
	kinds := manifest.Scalars()
	for _, k := range kinds {
		sk := manifest.Scalar(k)
		if sk == nil || sk.Func == "" || sk.GoName == "" {
			t.Errorf("the table of scalar kinds lacks %s: %+v", k, sk)
			continue
		}
		scalarType(k)
		(&sampler{}).sample(k, "a/b")
		s := &manifest.Secret{Type: manifest.Type{Kind: k}}
		if err := s.Check(sk.Sample("a/b")); err != nil {
			t.Errorf("the sample of %s does not parse: %v", k, err)
		}
	}
	if len(kinds) != 9 {
		t.Errorf("manifest.Scalars has %d kinds, want 9", len(kinds))
	}
}

// TestGenerateChangedManifest: a manifest changed after Parse so that two
// secrets collide is refused with the problem of
// manifest.Manifest.Collisions, rather than written as code that does not
// compile.
func TestGenerateChangedManifest(t *testing.T) {
	m, err := manifest.Parse("m.yaml", []byte("version: 1\napp: x\nbackends: [env]\nsecrets:\n  a/x: {type: string}\n  b: {type: string}\n"))
	if err != nil {
		t.Fatal(err)
	}
	m.Secrets[1].GoPath = []string{"AX"}
	_, err = Generate(m, Config{})
	var list manifest.ErrorList
	if want := "m.yaml:6:3: secret b: Go name AX (constant PathAX) is also the Go name of secret a/x (5:3)"; !errors.As(err, &list) || err.Error() != want {
		t.Errorf("Generate error:\n got %v\nwant %s", err, want)
	}
}

func TestWrap(t *testing.T) {
	long := strings.Repeat("word ", 30)
	tests := []struct {
		in   []string
		want []string
	}{
		{[]string{"short"}, []string{"short"}},
		{[]string{""}, []string{""}},
		{[]string{"\tindented " + long}, []string{"\tindented " + long}},
		{[]string{strings.TrimSpace(long)}, []string{
			strings.TrimSpace(strings.Repeat("word ", 15)),
			strings.TrimSpace(strings.Repeat("word ", 15)),
		}},
		{[]string{strings.Repeat("x", 100)}, []string{strings.Repeat("x", 100)}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, wrap(tt.in)); diff != "" {
			t.Errorf("wrap(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestQuoteIfNeeded(t *testing.T) {
	tests := map[string]string{
		"30s":              "30s",
		"":                 `""`,
		"a b":              `"a b"`,
		`{"k":"v"}`:        `{"k":"v"}`,
		"line\nbreak":      `"line\nbreak"`,
		"https://x.test/p": "https://x.test/p",
	}
	for in, want := range tests {
		if got := quoteIfNeeded(in); got != want {
			t.Errorf("quoteIfNeeded(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestNilManifest(t *testing.T) {
	if _, err := Generate(nil, Config{}); err == nil {
		t.Fatal("Generate(nil) succeeded")
	}
}

// TestCompileAndRun generates the kitchen_sink and all_backends packages
// (and a stray one, see below) into a temporary module, builds them with a program (testdata/kitchen_sink/run/main.go.txt)
// against this module's runtime and env adapter, runs it with the
// environment of testdata/kitchen_sink/run/env.txt, and compares its output
// with testdata/kitchen_sink/run/want.txt. One go run: a few seconds.
func TestCompileAndRun(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: not building the generated kitchen_sink package")
	}
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join("testdata", "kitchen_sink", "run")
	m := parseCase(t, "kitchen_sink")
	files, err := Generate(m, Config{Source: "secrets.yaml"})
	if err != nil {
		t.Fatal(err)
	}

	tmp := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		file := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range files {
		write(filepath.Join("sink", name), data)
	}
	// The all_backends package is only compiled (the program imports it
	// for its side effects, of which it has none): its NewProvider calls
	// the aws and vault adapters.
	all, err := Generate(parseCase(t, "all_backends"), Config{Source: "secrets.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range all {
		write(filepath.Join("allbackends", name), data)
	}
	// The stray package is the minimal one whose ReadConfig also accepts
	// files, a backend its NewProvider has no case for: what a generator
	// bug would make. The program sees NewProvider say so.
	mm := parseCase(t, "minimal")
	mm.Backends, mm.Package = []string{"env"}, "stray"
	stray, err := Generate(mm, Config{Source: "secrets.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	const names = `genimpl.ReadConfig(os.Getenv, []string{"env"})`
	if !bytes.Contains(stray[providerFile], []byte(names)) {
		t.Fatalf("stray %s does not call %s", providerFile, names)
	}
	stray[providerFile] = bytes.Replace(stray[providerFile], []byte(names), []byte(`genimpl.ReadConfig(os.Getenv, []string{"env", "files"})`), 1)
	for name, data := range stray {
		write(filepath.Join("stray", name), data)
	}
	program, err := os.ReadFile(filepath.Join(runDir, "main.go.txt"))
	if err != nil {
		t.Fatal(err)
	}
	write("main.go", program)
	write("go.mod", []byte("module example.com/sinkrun\n\ngo 1.26.8\n"))
	write("go.work", []byte("go 1.26.8\n\nuse (\n\t.\n\t"+strconv.Quote(root)+"\n)\n"))

	// The environment: this process's, without anything the program reads,
	// plus env.txt.
	drop := map[string]bool{"SECRETS_BACKEND": true, "SECRETS_ENV_FILE": true, "SECRETS_CACHE_TTL": true, "ENVIRONMENT": true}
	for _, s := range m.Secrets {
		drop[s.Env], drop[s.Env+"_FILE"] = true, true
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !drop[name] && !strings.HasPrefix(name, "GO") {
			env = append(env, kv)
		}
	}
	env = append(env, "GOWORK="+filepath.Join(tmp, "go.work"), "GOFLAGS=-buildvcs=false", "GOPROXY=off", "GOTOOLCHAIN=local")
	for _, name := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	envText, err := os.ReadFile(filepath.Join(runDir, "env.txt"))
	if err != nil {
		t.Fatal(err)
	}
	env = append(env, strings.Split(strings.TrimSpace(string(envText)), "\n")...)

	cmd := exec.Command("go", "run", ".")
	cmd.Dir = tmp
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.Bytes())
	}
	for _, canary := range []string{"canary-value-1", "canary-value-2"} {
		if bytes.Contains(out, []byte(canary)) {
			t.Errorf("the output contains the secret value %q", canary)
		}
	}
	compareGolden(t, filepath.Join(runDir, "want.txt"), out)
}
