package codegen

import (
	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dave/jennifer/jen"
)

// goPackage is the import path of a package that generated code uses.
// Generated code imports the constants below and the adapters of
// backends.All, nothing else.
type goPackage string

// The packages generated code imports besides the adapters.
const (
	runtimePkg goPackage = "github.com/dashtam/secretsgen/runtime"
	genimplPkg goPackage = "github.com/dashtam/secretsgen/runtime/genimpl"
	contextPkg goPackage = "context"
	osPkg      goPackage = "os"
	urlPkg     goPackage = "net/url"
	timePkg    goPackage = "time"
)

// packageNames are the package names of the imports, so that generated
// files never need an import alias.
var packageNames = func() map[string]string {
	m := map[string]string{
		string(runtimePkg): "runtime",
		string(genimplPkg): "genimpl",
		string(contextPkg): "context",
		string(osPkg):      "os",
		string(urlPkg):     "url",
		string(timePkg):    "time",
	}
	for _, b := range backends.All {
		m[b.Package] = b.PkgName
	}
	return m
}()

// Ident returns the qualified identifier p.name.
func (p goPackage) Ident(name string) *jen.Statement { return jen.Qual(string(p), name) }
