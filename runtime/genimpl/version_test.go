package genimpl

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"testing"
)

// TestVersionGuard type-checks version.go together with the guard lines
// generated code emits for generator version g: they compile exactly when
// MinGenVersion <= g <= GenVersion.
func TestVersionGuard(t *testing.T) {
	fset := token.NewFileSet()
	version, err := parser.ParseFile(fset, "version.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []int{MinGenVersion - 1, MinGenVersion, GenVersion, GenVersion + 1} {
		src := fmt.Sprintf(`package genimpl
const _ = EnforceVersion(GenVersion - %d)
const _ = EnforceVersion(%d - MinGenVersion)
`, g, g)
		guard, err := parser.ParseFile(fset, "guard.go", src, 0)
		if err != nil {
			t.Fatal(err)
		}
		conf := types.Config{Error: func(error) {}}
		_, err = conf.Check("genimpl", fset, []*ast.File{version, guard}, nil)
		if want := g >= MinGenVersion && g <= GenVersion; (err == nil) != want {
			t.Errorf("generator version %d: type-check error %v, want compiling = %v", g, err, want)
		}
	}
}
