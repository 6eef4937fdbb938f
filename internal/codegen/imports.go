package codegen

import "github.com/dave/jennifer/jen"

// goPackage is the import path of a package that generated code uses. Every
// import of generated code is one of the constants below, so this file is
// the complete list of what generated packages depend on.
type goPackage string

// The packages generated code imports.
const (
	runtimePkg goPackage = "github.com/dashtam/secretsgen/runtime"
	envPkg     goPackage = "github.com/dashtam/secretsgen/adapters/env"
	awssmPkg   goPackage = "github.com/dashtam/secretsgen/adapters/awssm"
	vaultPkg   goPackage = "github.com/dashtam/secretsgen/adapters/vault"
	contextPkg goPackage = "context"
	fmtPkg     goPackage = "fmt"
	osPkg      goPackage = "os"
	urlPkg     goPackage = "net/url"
	timePkg    goPackage = "time"
)

// packageNames are the package names of the imports, so that generated
// files never need an import alias.
var packageNames = map[string]string{
	string(runtimePkg): "runtime",
	string(envPkg):     "env",
	string(awssmPkg):   "awssm",
	string(vaultPkg):   "vault",
	string(contextPkg): "context",
	string(fmtPkg):     "fmt",
	string(osPkg):      "os",
	string(urlPkg):     "url",
	string(timePkg):    "time",
}

// backendPackages maps a manifest backend to its adapter package.
var backendPackages = map[string]goPackage{
	"env":   envPkg,
	"aws":   awssmPkg,
	"vault": vaultPkg,
}

// Ident returns the qualified identifier p.name.
func (p goPackage) Ident(name string) *jen.Statement { return jen.Qual(string(p), name) }
