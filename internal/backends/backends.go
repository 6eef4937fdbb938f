// Package backends is the one table of the backends secretsgen knows and
// their naming rules. The manifest validates backends: against it, the
// generator imports and calls the adapters it lists, the generated
// NewProvider's configuration (genimpl.ReadConfig) accepts its names, and
// `secretsgen check` builds its providers from it. Adding a backend means
// one entry here plus its adapter (and its constructor in
// cmd/secretsgen, whose test checks that every entry has one).
package backends

import (
	"fmt"
	"regexp"
)

const module = "github.com/dashtam/secretsgen"

// Backend describes one backend.
type Backend struct {
	// Name is the SECRETS_BACKEND value and the manifest's backends: entry.
	Name string
	// Package is the import path of the adapter and PkgName its package
	// name. The adapter has a FromEnv function: FromEnv(ctx) when Scoped is
	// false, FromEnv(ctx, app, environment) when it is true.
	Package, PkgName string
	// Scoped is true when backend secret names carry the {app} and
	// {environment} segments: ENVIRONMENT is then required and must pass
	// CheckEnvironment.
	Scoped bool
}

// All lists the backends in their usual order, the default of a manifest
// without backends:.
var All = []Backend{
	{Name: "env", Package: module + "/adapters/env", PkgName: "env"},
	{Name: "aws", Package: module + "/adapters/awssm", PkgName: "awssm", Scoped: true},
	{Name: "vault", Package: module + "/adapters/vault", PkgName: "vault", Scoped: true},
}

// Names returns the names of All, in order.
func Names() []string {
	out := make([]string, len(All))
	for i, b := range All {
		out[i] = b.Name
	}
	return out
}

// Lookup returns the backend called name.
func Lookup(name string) (Backend, bool) {
	for _, b := range All {
		if b.Name == name {
			return b, true
		}
	}
	return Backend{}, false
}

var environmentRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// EnvironmentRule says what CheckEnvironment accepts.
const EnvironmentRule = "use lower-case letters, digits, '-' and '_', starting with a letter or digit, such as production (it is the {environment} segment of secret names: [a-z0-9][a-z0-9_-]*)"

// CheckEnvironment reports whether env can be the {environment} segment of
// backend secret names (/{app}/{environment}/{path} in AWS Secrets Manager,
// {app}/{environment}/{path} in Vault): one path segment of lower-case
// letters, digits, '-' and '_' that starts with a letter or digit, the
// pattern [a-z0-9][a-z0-9_-]*. Scoped backends apply it to ENVIRONMENT.
func CheckEnvironment(env string) error {
	if !environmentRE.MatchString(env) {
		return fmt.Errorf("environment %q is not valid: %s", env, EnvironmentRule)
	}
	return nil
}
