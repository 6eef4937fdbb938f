package codegen

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dashtam/secretsgen/internal/generator/manifest"
)

// collideSpec is one secret of a collision case.
type collideSpec struct {
	path   string
	kind   manifest.Kind
	values []string // enum values; default [a]
	fields []string // json keys, all strings; default [k]
}

// collideCase writes specs as a manifest: each secret on one line from line
// 5, with an env name of its own so that only Go names can collide.
func collideCase(specs []collideSpec) string {
	var b strings.Builder
	b.WriteString("version: 1\napp: x\nbackends: [env]\nsecrets:\n")
	for i, sp := range specs {
		fmt.Fprintf(&b, "  %s: {type: %s, env: S%d", sp.path, sp.kind, i)
		switch sp.kind {
		case manifest.Enum:
			values := sp.values
			if values == nil {
				values = []string{"a"}
			}
			b.WriteString(", values: [" + strings.Join(values, ", ") + "]")
		case manifest.JSON:
			keys := sp.fields
			if keys == nil {
				keys = []string{"k"}
			}
			b.WriteString(", fields: {" + strings.Join(keys, ": string, ") + ": string}")
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// TestCollisions covers every collision of generated names that Generate
// used to find alone, and the ones manifest.Parse always found: Parse
// reports each with its file:line:col, so that a manifest that passes
// Parse (and check, docs, policy) also generates.
func TestCollisions(t *testing.T) {
	type s = collideSpec
	const (
		str  = manifest.String
		enum = manifest.Enum
		json = manifest.JSON
	)
	tests := []struct {
		name  string
		specs []collideSpec
		want  []string // Parse's problems; none for a good manifest
	}{
		{"distinct", []s{{path: "database/url", kind: manifest.URL}, {path: "database/settings", kind: str}, {path: "level", kind: enum, values: []string{"settings"}}}, nil},
		// Found by Generate alone before.
		{"group type and json type", []s{{path: "cache/ttl", kind: manifest.Duration}, {path: "cache/settings", kind: json}},
			[]string{"m.yaml:6:3: secret cache/settings: Go type CacheSettings collides with group type CacheSettings of cache/ (secret cache/ttl at 5:3)"}},
		{"json type and its own group type", []s{{path: "cache/settings", kind: json}},
			[]string{"m.yaml:5:3: secret cache/settings: Go type CacheSettings collides with its own group type CacheSettings of cache/"}},
		{"json type and App", []s{{path: "app", kind: json}},
			[]string{"m.yaml:5:3: secret app: Go type App collides with a generated identifier"}},
		{"setter and Memory method", []s{{path: "error", kind: str}},
			[]string{"m.yaml:5:3: secret error: Fake setter SetError collides with the method SetError of Fake"}},
		{"group type and SampleSettings", []s{{path: "sample/x", kind: str}},
			[]string{"m.yaml:5:3: secret sample/x: group type SampleSettings of sample/ collides with a generated identifier"}},
		{"two group types", []s{{path: "a_b/x", kind: str}, {path: "a/b/y", kind: str}},
			[]string{"m.yaml:6:3: secret a/b/y: group type ABSettings of a/b/ collides with group type ABSettings of a_b/ (secret a_b/x at 5:3)"}},
		{"path constant and enum type", []s{{path: "path/x", kind: enum}, {path: "x", kind: str}},
			[]string{"m.yaml:6:3: secret x: path constant PathX collides with Go type PathX of secret path/x (5:3)"}},
		{"path constant and enum constant", []s{{path: "path_q", kind: enum, values: []string{"z"}}, {path: "q_z", kind: str}},
			[]string{"m.yaml:6:3: secret q_z: path constant PathQZ collides with enum constant PathQZ of secret path_q (5:3)"}},
		{"own path constant and enum constant", []s{{path: "path_path", kind: enum, values: []string{"path"}}},
			[]string{"m.yaml:5:3: secret path_path: enum constant PathPathPath collides with its own path constant PathPathPath"}},
		{"enum constant and group type", []s{{path: "mo/de/z", kind: str}, {path: "mo_de", kind: enum, values: []string{"settings"}}},
			[]string{"m.yaml:6:3: secret mo_de: enum constant MoDeSettings collides with group type MoDeSettings of mo/de/ (secret mo/de/z at 5:3)"}},
		{"path constant and group type", []s{{path: "path/y/w", kind: str}, {path: "y_settings", kind: str}},
			[]string{"m.yaml:6:3: secret y_settings: path constant PathYSettings collides with group type PathYSettings of path/y/ (secret path/y/w at 5:3)"}},
		{"enum type and enum constant", []s{{path: "log/level", kind: enum, values: []string{"debug"}}, {path: "log/level_debug", kind: enum}},
			[]string{"m.yaml:6:3: secret log/level_debug: Go type LogLevelDebug collides with enum constant LogLevelDebug of secret log/level (5:3)"}},
		// Found by both before.
		{"leaf and group", []s{{path: "database", kind: str}, {path: "database/url", kind: manifest.URL}},
			[]string{"m.yaml:6:3: secret database/url: database is a secret (5:3), so it cannot also be a group of secrets"}},
		{"group and leaf", []s{{path: "database/url", kind: manifest.URL}, {path: "database", kind: str}},
			[]string{"m.yaml:6:3: secret database: database is a group of secrets (secret database/url at 5:3), so it cannot also be a secret"}},
		{"two fields", []s{{path: "http-timeout", kind: str}, {path: "http_timeout", kind: str}},
			[]string{`m.yaml:6:3: secret http_timeout: "http_timeout" and "http-timeout" (secret http-timeout at 5:3) both become Go name Settings.HTTPTimeout`}},
		{"two groups", []s{{path: "http-client/a", kind: str}, {path: "http_client/b", kind: str}},
			[]string{`m.yaml:6:3: secret http_client/b: "http_client" and "http-client" (secret http-client/a at 5:3) both become Go name Settings.HTTPClient`}},
		{"two Go names", []s{{path: "log/level_debug", kind: str}, {path: "log_level/debug", kind: str}},
			[]string{"m.yaml:6:3: secret log_level/debug: Go name LogLevelDebug (constant PathLogLevelDebug) is also the Go name of secret log/level_debug (5:3)"}},
		{"json fields", []s{{path: "db", kind: json, fields: []string{"a_b", "a__b"}}},
			[]string{`m.yaml:5:51: secret db: fields "a__b" and "a_b" (5:38) both become Go field AB`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := collideCase(tt.specs)
			m, err := manifest.Parse("m.yaml", []byte(text))
			var got []string
			if err != nil {
				var list manifest.ErrorList
				if !errors.As(err, &list) {
					t.Fatalf("Parse error %v is not a manifest.ErrorList", err)
				}
				for _, p := range list {
					got = append(got, p.Error())
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("Parse problems (-want +got):\n%s\nmanifest:\n%s", diff, text)
			}
			if tt.want == nil {
				if _, err := Generate(m, Config{}); err != nil {
					t.Fatalf("Generate of the parsed manifest: %v", err)
				}
			}
		})
	}
}
