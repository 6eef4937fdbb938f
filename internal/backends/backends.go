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
	"slices"
	"strconv"
	"strings"
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
	// Env lists the variables the adapter reads by name, and EnvPrefix the
	// prefix of a whole family of variables its SDK reads (EnvOwner names
	// the SDK in messages). No secret may use one as its env name: see
	// ReservedEnv.
	Env                 []string
	EnvPrefix, EnvOwner string
	// Pin says how the backend reads v as a manifest source.version: what
	// it pins ("the label \"blue\"", "the version 3"), or "" and the rule v
	// breaks. Nil for a backend that ignores source (env, files).
	Pin func(v string) (reads, rule string)
}

// All lists the backends in their usual order, the default of a manifest
// without backends:.
var All = []Backend{
	{Name: "env", Package: module + "/adapters/env", PkgName: "env", Env: []string{"SECRETS_ENV_FILE"}},
	{Name: "aws", Package: module + "/adapters/awssm", PkgName: "awssm", Scoped: true, EnvPrefix: "AWS_", EnvOwner: "the AWS SDK", Pin: awsPin},
	{Name: "ssm", Package: module + "/adapters/ssm", PkgName: "ssm", Scoped: true, EnvPrefix: "AWS_", EnvOwner: "the AWS SDK", Pin: ssmPin},
	{Name: "vault", Package: module + "/adapters/vault", PkgName: "vault", Scoped: true, Env: []string{
		"SECRETS_VAULT_AUTH", "SECRETS_VAULT_AUTH_MOUNT", "SECRETS_VAULT_K8S_ROLE",
		"SECRETS_VAULT_K8S_TOKEN_FILE", "SECRETS_VAULT_MOUNT",
		"SECRETS_VAULT_DB_DRAIN", "SECRETS_VAULT_KEEP_LEASES",
		"VAULT_ROLE_ID", "VAULT_SECRET_ID", "VAULT_SECRET_ID_FILE",
	}, EnvPrefix: "VAULT_", EnvOwner: "the Vault client", Pin: vaultPin},
	{Name: "files", Package: module + "/adapters/files", PkgName: "files", Env: []string{"SECRETS_FILES_DIR"}},
}

// ReservedEnv lists the variables secretsgen itself reads by name
// (genimpl.ReadConfig, runtime.PollIntervalFromEnv and each backend's Env,
// login variables included).
// No secret may use one as its env name: the env backend would read the
// secret from the variable that configures secretsgen, and setting either
// would change the other.
var ReservedEnv = func() []string {
	out := []string{"ENVIRONMENT", "SECRETS_BACKEND", "SECRETS_CACHE_TTL", "SECRETS_POLL_INTERVAL"}
	for _, b := range All {
		out = append(out, b.Env...)
	}
	return out
}()

// ReservedEnvWhy returns why name is reserved, or "" when it is not: it is
// in ReservedEnv, or it starts with SECRETS_ (secretsgen's configuration,
// present and future) or with a backend's EnvPrefix (AWS_: the AWS SDK's
// default chain, which grows with SDK releases; VAULT_: the Vault client's
// api.DefaultConfig and the AppRole login). A secret's file variable
// (NAME_FILE) shares its prefix, so it is covered too. Variables of the
// process at large that the standard library and the SDKs also read (HOME,
// HTTP_PROXY, SSL_CERT_FILE, ...) are not reserved: they configure no
// backend by themselves, and a secret may deliberately supply one.
func ReservedEnvWhy(name string) string {
	if slices.Contains(ReservedEnv, name) {
		return "is reserved for secretsgen configuration"
	}
	for _, b := range append([]Backend{{EnvPrefix: "SECRETS_", EnvOwner: "secretsgen"}}, All...) {
		if b.EnvPrefix != "" && strings.HasPrefix(name, b.EnvPrefix) {
			return "is reserved: variables starting with " + b.EnvPrefix + " configure " + b.EnvOwner
		}
	}
	return ""
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

// AWSVersionID reports whether v has the form of the version ids Secrets
// Manager and the SDKs generate (UUIDs): the AWS adapter reads such a pin
// as a VersionId, anything else as a VersionStage (a staging label).
func AWSVersionID(v string) bool { return awsVersionIDRE.MatchString(v) }

var awsVersionIDRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func awsPin(v string) (string, string) {
	if AWSVersionID(v) {
		return fmt.Sprintf("the version id %q", v), ""
	}
	return fmt.Sprintf("the label %q", v), ""
}

// vaultPin: a KV version number, a positive integer.
func vaultPin(v string) (string, string) {
	if n, err := strconv.ParseUint(v, 10, 64); err == nil && n > 0 {
		return "the version " + strconv.FormatUint(n, 10), ""
	}
	return "", "a Vault KV version number (a positive integer)"
}

// ssmLabelRE is the form of an SSM parameter label: letters, digits, '.',
// '-' and '_', at most 100, not starting with a digit.
var ssmLabelRE = regexp.MustCompile(`^[A-Za-z._-][A-Za-z0-9._-]{0,99}$`)

// ssmPin: a parameter version number (a positive integer without leading
// zeros) or a label (ssmLabelRE, not starting with "aws" or "ssm" in any
// case: AWS reserves those).
func ssmPin(v string) (string, string) {
	if n, err := strconv.ParseUint(v, 10, 64); err == nil && n > 0 && v[0] != '0' {
		return "the version " + v, ""
	}
	if low := strings.ToLower(v); ssmLabelRE.MatchString(v) && !strings.HasPrefix(low, "aws") && !strings.HasPrefix(low, "ssm") {
		return fmt.Sprintf("the label %q", v), ""
	}
	return "", `an SSM parameter version number (a positive integer without leading zeros) or a parameter label (up to 100 letters, digits, '.', '-' and '_', not starting with a digit, "aws" or "ssm")`
}
