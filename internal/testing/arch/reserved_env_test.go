package arch

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// TestReservedEnv checks that internal/generator/manifest reserves every variable the
// runtime and the adapters read by name, so that no secret's env name can
// shadow one. internal/generator/manifest may not import the adapters, so the
// cross-check lives here: every Env* constant of adapters/vault, and every
// variable named by a string literal or a constant in a getenv or lookup
// call of runtime, adapters/env and adapters/vault, must be listed in
// backends.ReservedEnv. adapters/awssm reads only the AWS SDK's own AWS_*
// variables, which the backend table's EnvPrefix covers: those must be
// reserved (backends.ReservedEnvWhy), not listed.
func TestReservedEnv(t *testing.T) {
	t.Parallel()
	read := map[string]string{} // variable name -> where it is read; must be listed
	sdk := map[string]string{}  // the same, for variables the SDK defines
	for _, dir := range []string{"runtime", "runtime/genimpl", "adapters/env", "adapters/vault", "adapters/awssm"} {
		consts, calls := scanEnvReads(t, filepath.Join("..", "..", "..", filepath.FromSlash(dir)))
		if dir == "adapters/awssm" {
			for name, where := range calls {
				sdk[name] = where
			}
			continue
		}
		if dir == "adapters/vault" {
			if len(consts) == 0 || !slices.ContainsFunc(consts, func(c envConst) bool { return c.value == vault.EnvMount }) {
				t.Fatalf("found no Env* constants in adapters/vault (want one for vault.EnvMount = %q): %v", vault.EnvMount, consts)
			}
			for _, c := range consts {
				read[c.value] = "adapters/vault." + c.name
			}
		}
		for name, where := range calls {
			read[name] = where
		}
	}
	// Sanity: the scan sees the reads ReadConfig and the env adapter make.
	for _, name := range []string{"SECRETS_BACKEND", "ENVIRONMENT", "SECRETS_CACHE_TTL", "SECRETS_ENV_FILE"} {
		if _, ok := read[name]; !ok {
			t.Errorf("scan found no read of %s; found %v", name, read)
		}
	}
	// What ReadConfig asks for, whatever the backend.
	for _, backend := range []string{"", "env", "aws", "vault"} {
		getenv := func(name string) string {
			read[name] = "genimpl.ReadConfig"
			switch name {
			case "SECRETS_BACKEND":
				return backend
			case "ENVIRONMENT":
				return "production"
			}
			return ""
		}
		if _, err := genimpl.ReadConfig(getenv, nil); err != nil {
			t.Fatalf("ReadConfig with SECRETS_BACKEND=%q: %v", backend, err)
		}
	}
	for name, where := range read {
		if !slices.Contains(backends.ReservedEnv, name) {
			t.Errorf("%s (read by %s) is not in backends.ReservedEnv", name, where)
		}
	}
	for name, where := range sdk {
		read[name] = where
	}
	for name, where := range read {
		if backends.ReservedEnvWhy(name) == "" {
			t.Errorf("backends.ReservedEnvWhy(%s) is empty; %s reads it", name, where)
		}
	}
}

type envConst struct{ name, value string }

// scanEnvReads parses the non-test Go files in dir and returns its exported
// string constants named Env*, and the variables named in calls of
// Getenv, LookupEnv, getenv or lookup (os.Getenv("X"), getenv(EnvX), ...),
// each with the position of a call.
func scanEnvReads(t *testing.T, dir string) ([]envConst, map[string]string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	fset := token.NewFileSet()
	var parsed []*ast.File
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
	}
	// String constants of the package, for arguments that name one.
	values := map[string]string{}
	var consts []envConst
	for _, f := range parsed {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					v, ok := stringLit(vs.Values[i])
					if !ok {
						continue
					}
					values[id.Name] = v
					if strings.HasPrefix(id.Name, "Env") && id.IsExported() {
						consts = append(consts, envConst{id.Name, v})
					}
				}
			}
		}
	}
	calls := map[string]string{}
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var fn string
			switch e := call.Fun.(type) {
			case *ast.Ident:
				fn = e.Name
			case *ast.SelectorExpr:
				fn = e.Sel.Name
			}
			// getenv(NAME), or a helper that reads with a getenv it is
			// given: durationEnv(getenv, NAME).
			var arg ast.Expr
			switch {
			case len(call.Args) == 1 && slices.Contains([]string{"Getenv", "LookupEnv", "getenv", "lookup"}, fn):
				arg = call.Args[0]
			case len(call.Args) == 2 && strings.HasSuffix(fn, "Env"):
				if id, ok := call.Args[0].(*ast.Ident); !ok || id.Name != "getenv" {
					return true
				}
				arg = call.Args[1]
			default:
				return true
			}
			name, ok := stringLit(arg)
			if id, isIdent := arg.(*ast.Ident); !ok && isIdent {
				name, ok = values[id.Name]
			}
			if ok {
				calls[name] = fset.Position(call.Pos()).String()
			}
			return true
		})
	}
	return consts, calls
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}
