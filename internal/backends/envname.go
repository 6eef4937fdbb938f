package backends

import "strings"

// envNameReplacer turns the separators of a logical path into "_".
var envNameReplacer = strings.NewReplacer("/", "_", "-", "_")

// EnvName is the environment variable the env backend reads for a logical
// path, (docs/design.md, "Backend naming"): "/" and "-" become "_" and letters
// are upper-cased ("database/url" -> "DATABASE_URL", "schwab/api-key" ->
// "SCHWAB_API_KEY"). Nothing else changes, so the result is not always a
// valid variable name ("2fa/secret" -> "2FA_SECRET"); the manifest reports
// such names. A manifest env: override replaces this name: generated code
// puts the name to read in Ref.Env.
func EnvName(path string) string {
	return strings.ToUpper(envNameReplacer.Replace(path))
}
