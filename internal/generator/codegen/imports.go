package codegen

import (
	"path"

	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dashtam/secretsgen/internal/generator/manifest"
	"github.com/dave/jennifer/jen"
)

// goPackage is the import path of a package that generated code uses.
// Generated code imports the constants below, the packages of the scalar
// kinds' Go types (manifest.ScalarKind.GoPkg) and the adapters of
// backends.All, nothing else.
type goPackage string

// The packages generated code imports besides the adapters and the kinds'.
const (
	runtimePkg goPackage = "github.com/dashtam/secretsgen/runtime"
	genimplPkg goPackage = "github.com/dashtam/secretsgen/runtime/genimpl"
	contextPkg goPackage = "context"
	osPkg      goPackage = "os"
	fmtPkg     goPackage = "fmt"
)

// packageNames are the package names of the imports, so that generated
// files never need an import alias.
var packageNames = func() map[string]string {
	m := map[string]string{}
	for _, p := range []goPackage{runtimePkg, genimplPkg, contextPkg, osPkg, fmtPkg} {
		m[string(p)] = path.Base(string(p))
	}
	for _, k := range manifest.Scalars() {
		if sk := manifest.Scalar(k); sk.GoPkg != "" {
			m[sk.GoPkg] = path.Base(sk.GoPkg)
		}
	}
	for _, b := range backends.All {
		m[b.Package] = b.PkgName
	}
	return m
}()

// Ident returns the qualified identifier p.name.
func (p goPackage) Ident(name string) *jen.Statement { return jen.Qual(string(p), name) }
