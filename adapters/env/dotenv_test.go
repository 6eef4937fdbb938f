package env_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// quoteDotenv returns v written so that godotenv v1.5.1 reads it back
// unchanged, and false when godotenv cannot represent v. godotenv has no
// escape for a double-quoted value that ends in `"` or `\` (it trims every
// trailing quote and takes `\"` for an escaped quote), so those values use
// single quotes, which cannot hold `'` or "\r".
func quoteDotenv(v string) (string, bool) {
	if v == "" || strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:@+,=%\\-") == "" {
		return v, true // bare: no space, quote, #, $ or line break
	}
	if !strings.ContainsAny(v, "'\r") && !strings.HasSuffix(v, `\`) {
		return "'" + v + "'", true // single quotes: taken literally, newlines included
	}
	if strings.HasSuffix(v, `"`) || strings.HasSuffix(v, `\`) {
		return "", false
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "$", `\$`)
	return `"` + r.Replace(v) + `"`, true
}

// writeDotenv writes vars to file in .env syntax, failing t for a value
// godotenv cannot read back.
func writeDotenv(t testing.TB, file string, vars map[string]string) {
	t.Helper()
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		q, ok := quoteDotenv(vars[k])
		if !ok {
			t.Fatalf("godotenv cannot represent the value of %s", k)
		}
		b.WriteString(k + "=" + q + "\n")
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// tempFile writes text to a new file in a temporary directory.
func tempFile(t testing.TB, name, text string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}
