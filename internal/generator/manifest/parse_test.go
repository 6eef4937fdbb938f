package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ptr(s string) *string { return &s }

// TestParseSpecExample checks every field Parse fills for the manifest of
// docs/design.md ("Manifest") and the SPEC example.
func TestParseSpecExample(t *testing.T) {
	t.Parallel()
	m, err := Load("testdata/good/spec_example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Manifest{
		File:     "testdata/good/spec_example.yaml",
		Version:  1,
		App:      "dashtam",
		Package:  "gen",
		Backends: []string{"env", "aws", "vault"},
		Secrets: []*Secret{
			{Path: "database/url", Type: Type{Kind: URL}, Description: "PostgreSQL connection URL.", Sensitive: true,
				Env: "DATABASE_URL", GoPath: []string{"Database", "URL"}, Pos: Pos{7, 3}},
			{Path: "schwab/api_key", Type: Type{Kind: String}, Sensitive: true,
				Env: "SCHWAB_API_KEY", GoPath: []string{"Schwab", "APIKey"}, Pos: Pos{10, 3}},
			{Path: "app/secret_key", Type: Type{Kind: Bytes}, Sensitive: true,
				Env: "APP_SECRET_KEY", GoPath: []string{"App", "SecretKey"}, Pos: Pos{12, 3}},
			{Path: "http/timeout", Type: Type{Kind: Duration}, Default: ptr("30s"), Optional: true,
				Env: "HTTP_TIMEOUT", GoPath: []string{"HTTP", "Timeout"}, Pos: Pos{14, 3}},
			{Path: "database/credentials", Type: Type{Kind: JSON}, Sensitive: true,
				Env: "DATABASE_CREDENTIALS", GoPath: []string{"Database", "Credentials"}, Pos: Pos{18, 3},
				Fields: []Field{
					{Key: "username", GoName: "Username", Type: String, Pos: Pos{20, 14}},
					{Key: "password", GoName: "Password", Type: String, Pos: Pos{20, 32}},
					{Key: "port", GoName: "Port", Type: Int, Pos: Pos{20, 50}},
				}},
			{Path: "mail/password", Type: Type{Kind: String}, Sensitive: true, Source: Source{Path: "mail/smtp", Key: "password"},
				Env: "MAIL_PASSWORD", GoPath: []string{"Mail", "Password"}, Pos: Pos{21, 3}},
			{Path: "features/allowed_hosts", Type: Type{Kind: List, Elem: String}, Optional: true, Sensitive: true,
				Env: "FEATURES_ALLOWED_HOSTS", GoPath: []string{"Features", "AllowedHosts"}, Pos: Pos{24, 3}},
		},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
}

// parseSecrets parses a manifest made of a fixed header and the given
// secrets block (indented by two spaces).
func parseSecrets(secrets string) (*Manifest, error) {
	return Parse("m.yaml", []byte("version: 1\napp: x\nsecrets:\n"+secrets))
}

// TestParseValues checks what Parse derives from one secret.
func TestParseValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml string
		check      func(t *testing.T, s *Secret)
	}{
		{"sensitive by default", "  a: {type: string}", func(t *testing.T, s *Secret) {
			if !s.Sensitive || s.Optional || s.Default != nil {
				t.Errorf("sensitive %v optional %v default %v", s.Sensitive, s.Optional, s.Default)
			}
		}},
		{"sensitive false", "  a: {type: string, sensitive: false}", func(t *testing.T, s *Secret) {
			if s.Sensitive {
				t.Error("sensitive")
			}
		}},
		{"optional true", "  a: {type: string, optional: true}", func(t *testing.T, s *Secret) {
			if !s.Optional || s.Default != nil {
				t.Errorf("optional %v default %v", s.Optional, s.Default)
			}
		}},
		{"optional false", "  a: {type: string, optional: false}", func(t *testing.T, s *Secret) {
			if s.Optional {
				t.Error("optional")
			}
		}},
		{"default makes optional", "  a: {type: int, default: 5}", func(t *testing.T, s *Secret) {
			if !s.Optional || s.Default == nil || *s.Default != "5" {
				t.Errorf("optional %v default %v", s.Optional, s.Default)
			}
		}},
		{"optional true and default", "  a: {type: int, default: 5, optional: true}", func(t *testing.T, s *Secret) {
			if !s.Optional || *s.Default != "5" {
				t.Errorf("optional %v default %v", s.Optional, s.Default)
			}
		}},
		{"empty string default", `  a: {type: string, default: ""}`, func(t *testing.T, s *Secret) {
			if s.Default == nil || *s.Default != "" {
				t.Errorf("default %v", s.Default)
			}
		}},
		{"list default from YAML list", "  a: {type: \"[]int\", default: [1, 2]}", func(t *testing.T, s *Secret) {
			if *s.Default != `["1","2"]` {
				t.Errorf("default %q", *s.Default)
			}
		}},
		{"empty list default", "  a: {type: \"[]int\", default: []}", func(t *testing.T, s *Secret) {
			if *s.Default != `[]` {
				t.Errorf("default %q", *s.Default)
			}
		}},
		{"list default needing escapes", "  a: {type: \"[]string\", default: ['a\"b', 'c,d']}", func(t *testing.T, s *Secret) {
			if *s.Default != `["a\"b","c,d"]` {
				t.Errorf("default %q", *s.Default)
			}
		}},
		{"list default as text", "  a: {type: \"[]string\", default: \"a, b\"}", func(t *testing.T, s *Secret) {
			if *s.Default != "a, b" {
				t.Errorf("default %q", *s.Default)
			}
		}},
		{"map default from YAML mapping keeps order", "  a: {type: \"map[string]int\", default: {z: 1, a: 2}}", func(t *testing.T, s *Secret) {
			if *s.Default != `{"z":"1","a":"2"}` {
				t.Errorf("default %q", *s.Default)
			}
		}},
		{"json default from YAML mapping", "  a: {type: json, fields: {user: string, port: int}, default: {user: app, port: 5432}}", func(t *testing.T, s *Secret) {
			if *s.Default != `{"user":"app","port":"5432"}` {
				t.Errorf("default %q", *s.Default)
			}
		}},
		{"time default keeps its text", "  a: {type: time, default: 2024-01-02T03:04:05+01:00}", func(t *testing.T, s *Secret) {
			if *s.Default != "2024-01-02T03:04:05+01:00" {
				t.Errorf("default %q", *s.Default)
			}
		}},
		{"enum values and default", "  a: {type: enum, values: [b, a], default: a}", func(t *testing.T, s *Secret) {
			if diff := cmp.Diff([]string{"b", "a"}, s.Values); diff != "" || *s.Default != "a" {
				t.Errorf("values %v default %q", s.Values, *s.Default)
			}
		}},
		{"enum default with surrounding space", `  a: {type: enum, values: [debug, info], default: "info "}`, func(t *testing.T, s *Secret) {
			// genimpl.ParseEnum trims, as Load does: the default is kept as written.
			if *s.Default != "info " {
				t.Errorf("default %q", *s.Default)
			}
		}},
		{"env override", "  a/b: {type: string, env: MY_B}", func(t *testing.T, s *Secret) {
			if s.Env != "MY_B" {
				t.Errorf("env %q", s.Env)
			}
		}},
		{"env derived", "  http-client/api_key: {type: string}", func(t *testing.T, s *Secret) {
			if s.Env != "HTTP_CLIENT_API_KEY" || !cmp.Equal(s.GoPath, []string{"HTTPClient", "APIKey"}) {
				t.Errorf("env %q GoPath %v", s.Env, s.GoPath)
			}
		}},
		{"leading digit override", "  2fa/secret: {type: string, env: TWO_FA_SECRET}", func(t *testing.T, s *Secret) {
			if s.Env != "TWO_FA_SECRET" || !cmp.Equal(s.GoPath, []string{"X2fa", "Secret"}) {
				t.Errorf("env %q GoPath %v", s.Env, s.GoPath)
			}
		}},
		{"source", "  a: {type: string, source: {path: b/c, key: k}}", func(t *testing.T, s *Secret) {
			if s.Source != (Source{Path: "b/c", Key: "k"}) {
				t.Errorf("source %+v", s.Source)
			}
		}},
		{"bytes from a source path without key", "  a: {type: bytes, source: {path: keys/signing}}", func(t *testing.T, s *Secret) {
			if s.Source.Path != "keys/signing" {
				t.Errorf("source %+v", s.Source)
			}
		}},
		{"description trimmed", "  a:\n    type: string\n    description: |\n      Line one.\n      Line two.\n", func(t *testing.T, s *Secret) {
			if s.Description != "Line one.\nLine two." {
				t.Errorf("description %q", s.Description)
			}
		}},
		{"description lines keep paragraph breaks", "  a:\n    type: string\n    description: |\n\n      One.\n\n      Two.\n\n", func(t *testing.T, s *Secret) {
			if diff := cmp.Diff([]string{"One.", "", "Two."}, s.DescriptionLines()); diff != "" {
				t.Errorf("DescriptionLines (-want +got):\n%s", diff)
			}
		}},
		{"no description, no lines", "  a: {type: string}", func(t *testing.T, s *Secret) {
			if lines := s.DescriptionLines(); lines != nil {
				t.Errorf("DescriptionLines = %q, want nil", lines)
			}
		}},
		{"json field Go names", "  a: {type: json, fields: {api_url: url, _id: string, tls: bool}}", func(t *testing.T, s *Secret) {
			var got []string
			for _, f := range s.Fields {
				got = append(got, f.Key+"="+f.GoName+":"+string(f.Type))
			}
			if diff := cmp.Diff([]string{"api_url=APIURL:url", "_id=ID:string", "tls=TLS:bool"}, got); diff != "" {
				t.Error(diff)
			}
		}},
		{"types", "  a: {type: \"map[string]duration\"}", func(t *testing.T, s *Secret) {
			if s.Type != (Type{Kind: Map, Elem: Duration}) || s.Type.String() != "map[string]duration" {
				t.Errorf("type %+v", s.Type)
			}
		}},
		{"aliases are followed", "  a: &x {type: int, default: 1}\n  b: *x", func(t *testing.T, s *Secret) {
			if s.Type.Kind != Int || *s.Default != "1" {
				t.Errorf("type %v default %v", s.Type, s.Default)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := parseSecrets(tt.yaml)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, m.Secrets[len(m.Secrets)-1])
		})
	}
}

// TestSourceVersion checks source.version against backends: each backend
// of the table that reads pins must accept it, and all of them must read it
// alike (digits are a version to Vault and SSM, a staging label to AWS).
func TestSourceVersion(t *testing.T) {
	t.Parallel()
	differ := func(v, a, aReads, b, bReads string) string {
		return `m.yaml:5:%d: secret a: source.version "` + v + `" is ` + aReads + ` on ` + a + ` but ` + bReads + ` on ` + b + `; pin one both read alike, or list only one of them in backends`
	}
	notNumber := func(v string) string {
		return `m.yaml:5:%d: secret a: source.version "` + v + `" is not a Vault KV version number (a positive integer), but backends include vault; use one or list only the backends that understand it`
	}
	tests := []struct {
		backends string // the backends line, "" to omit it
		source   string
		want     Source
		err      string // with %d for the column of the version
	}{
		// aws and vault (or ssm): no version reads alike.
		{"", `{version: "3"}`, Source{}, differ("3", "aws", `the label "3"`, "ssm", "the version 3")},
		{"backends: [env, aws, vault]", `{version: 3}`, Source{}, differ("3", "aws", `the label "3"`, "vault", "the version 3")},
		{"backends: [aws, vault]", `{version: AWSPREVIOUS}`, Source{}, notNumber("AWSPREVIOUS")},
		{"backends: [vault, aws]", `{path: b/c, key: k, version: "3"}`, Source{}, differ("3", "vault", "the version 3", "aws", `the label "3"`)},
		// aws and ssm: a label reads alike.
		{"backends: [aws, ssm]", `{version: blue}`, Source{Version: "blue"}, ""},
		// vault only: a positive integer.
		{"backends: [env, vault]", `{path: b/c, key: k, version: "3"}`, Source{Path: "b/c", Key: "k", Version: "3"}, ""},
		{"backends: [vault]", `{version: 7}`, Source{Version: "7"}, ""},
		{"backends: [vault]", `{version: AWSPREVIOUS}`, Source{}, notNumber("AWSPREVIOUS")},
		{"backends: [env, vault]", `{version: 0}`, Source{}, notNumber("0")},
		{"backends: [vault]", `{version: "-1"}`, Source{}, notNumber("-1")},
		// aws only: any non-empty string.
		{"backends: [aws]", `{version: AWSPREVIOUS}`, Source{Version: "AWSPREVIOUS"}, ""},
		{"backends: [env, aws]", `{version: 3}`, Source{Version: "3"}, ""},
		{"backends: [aws]", `{version: 01234567-89ab-cdef-0123-456789abcdef}`, Source{Version: "01234567-89ab-cdef-0123-456789abcdef"}, ""},
		{"backends: [aws]", `{version: ""}`, Source{}, "m.yaml:5:%d: secret a: source.version must not be empty"},
		// env only ignores source.
		{"backends: [env]", `{version: anything}`, Source{Version: "anything"}, ""},
	}
	for _, tt := range tests {
		line := "  a: {type: string, source: " + tt.source + "}"
		text := "version: 1\napp: x\n" + tt.backends + "\nsecrets:\n" + line + "\n"
		m, err := Parse("m.yaml", []byte(text))
		if tt.err == "" {
			if err != nil {
				t.Errorf("%s, source %s: %v", tt.backends, tt.source, err)
			} else if got := m.Secrets[0].Source; got != tt.want {
				t.Errorf("%s, source %s: Source = %+v, want %+v", tt.backends, tt.source, got, tt.want)
			}
			continue
		}
		want := fmt.Sprintf(tt.err, strings.Index(line, "version:")+len("version: ")+1)
		if err == nil || err.Error() != want {
			t.Errorf("%s, source %s: error\n got %v\nwant %s", tt.backends, tt.source, err, want)
		}
	}
}

func TestParseTopLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		yaml     string
		pkg      string
		backends []string
	}{
		{"version: 1\napp: x\nsecrets: {a: {type: string}}", "gen", []string{"env", "aws", "ssm", "vault", "files"}},
		{"version: 1\napp: x\npackage: config\nbackends: [vault, env]\nsecrets: {a: {type: string}}", "config", []string{"vault", "env"}},
		{"secrets: {a: {type: string}}\nbackends: [aws]\napp: a-1\nversion: 1", "gen", []string{"aws"}},
	}
	for _, tt := range tests {
		m, err := Parse("m.yaml", []byte(tt.yaml))
		if err != nil {
			t.Errorf("%q: %v", tt.yaml, err)
			continue
		}
		if m.Package != tt.pkg || !cmp.Equal(m.Backends, tt.backends) {
			t.Errorf("%q: package %q backends %v", tt.yaml, m.Package, m.Backends)
		}
	}
}

// TestRules runs one small manifest per rule and compares the exact
// problems (line:col: message); testdata/bad holds larger cases.
func TestRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rule, yaml string
		want       []string
	}{
		{"unknown key", "  a: {type: string, typo: 1}",
			[]string{`4:21: unknown key "typo" in secret a; known keys: database, default, description, env, fields, optional, sensitive, source, type, values`}},
		{"path upper case", "  A/b: {type: string}",
			[]string{`4:3: secret path "A/b" must be lower case: use "a/b"`}},
		{"path dot", "  a/./b: {type: string}",
			[]string{`4:3: secret path "a/./b" must not have a "." or ".." segment`}},
		{"type required", "  a: {}",
			[]string{`4:3: secret a: type is required, e.g. type: string`}},
		{"unknown type", "  a: {type: integer}",
			[]string{`4:13: secret a: unknown type "integer" (did you mean "int" or "int64"?); known types: string, int, int64, float64, bool, duration, url, bytes, time, enum, json, credential, []T, map[string]T`}},
		{"enum requires values", "  a: {type: enum}",
			[]string{`4:13: secret a: type enum requires values, e.g. values: [debug, info]`}},
		{"values only with enum", "  a: {type: string, values: [x]}",
			[]string{`4:21: secret a: values is only allowed with type enum`}},
		{"enum Go constant clash", "  a: {type: enum, values: [x-y, x_y]}",
			[]string{`4:33: secret a: enum values "x_y" and "x-y" (4:28) both become Go constant suffix XY`}},
		{"json requires fields", "  a: {type: json}",
			[]string{`4:13: secret a: type json requires fields, e.g. fields: {username: string, port: int}`}},
		{"fields only with json", "  a: {type: string, fields: {x: int}}",
			[]string{`4:21: secret a: fields is only allowed with type json`}},
		{"field type", "  a: {type: json, fields: {x: enum}}",
			[]string{`4:31: secret a: field x has type "enum"; field types are string, int, int64, float64, bool, duration, url, bytes, time`}},
		{"bad default", "  a: {type: duration, default: 5}",
			[]string{`4:32: secret a: default does not parse as duration: expected a duration in Go syntax, such as 30s or 1h30m`}},
		{"optional false with default", "  a: {type: int, default: 5, optional: false}",
			[]string{`4:40: secret a: optional: false contradicts the default (a default makes a secret optional); remove one of them`}},
		{"env override pattern", "  a: {type: string, env: a-b}",
			[]string{`4:26: secret a: env "a-b" must match [A-Z_][A-Z0-9_]*; use "A_B"`}},
		{"source bytes key", "  a: {type: bytes, source: {key: k}}",
			[]string{`4:34: secret a: source.key cannot be used with type bytes: bytes are read as a binary secret, which has no JSON members; drop key, or store base64 text in the member and use type string`}},
		{"env collision", "  a-b: {type: string}\n  a/b: {type: string}",
			[]string{
				`5:3: secret a/b: env name A_B is also the env name of secret a-b (4:3); set env: on one of them`,
				`5:3: secret a/b: Go name AB (constant PathAB) is also the Go name of secret a-b (4:3)`,
			}},
		{"Go path collision", "  a-b: {type: string, env: X}\n  a_b: {type: string}",
			[]string{`5:3: secret a_b: "a_b" and "a-b" (secret a-b at 4:3) both become Go name Settings.AB`}},
		{"leaf and group", "  db: {type: string}\n  db/url: {type: string}",
			[]string{`5:3: secret db/url: db is a secret (4:3), so it cannot also be a group of secrets`}},
		{"leaf and group by Go name", "  d_b: {type: string}\n  d-b/url: {type: string}",
			[]string{`5:3: secret d-b/url: "d-b" and "d_b" (secret d_b at 4:3) both become Go name Settings.DB`}},
		{"json type and its own group type", "  opts/settings: {type: json, fields: {a: string}}",
			[]string{`4:3: secret opts/settings: Go type OptsSettings collides with its own group type OptsSettings of opts/`}},
		{"group type and generated identifier", "  sample/x: {type: string}\n  sample/y: {type: string}",
			[]string{`4:3: secret sample/x: group type SampleSettings of sample/ collides with a generated identifier`}},
		{"setter and Memory method", "  error: {type: string}",
			[]string{`4:3: secret error: Fake setter SetError collides with the method SetError of Fake`}},
		{"json field clash", "  a: {type: json, fields: {a_b: int, a__b: int}}",
			[]string{`4:38: secret a: fields "a__b" and "a_b" (4:28) both become Go field AB`}},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			t.Parallel()
			m, err := parseSecrets(tt.yaml)
			var list ErrorList
			if !errors.As(err, &list) || m != nil {
				t.Fatalf("Parse = %v, %v; want an ErrorList", m, err)
			}
			var got []string
			for _, p := range list {
				if p.File != "m.yaml" {
					t.Errorf("problem file %q", p.File)
				}
				got = append(got, strings.TrimPrefix(p.Error(), "m.yaml:"))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestErrorList checks the order and the text of many problems at once.
func TestErrorList(t *testing.T) {
	t.Parallel()
	_, err := Parse("s.yaml", []byte("secrets:\n  b: {type: x}\n  a: {type: y}\napp: X\n"))
	want := strings.Join([]string{
		`s.yaml:1:1: version is required: add version: 1`,
		`s.yaml:2:13: secret b: unknown type "x"; known types: string, int, int64, float64, bool, duration, url, bytes, time, enum, json, credential, []T, map[string]T`,
		`s.yaml:3:13: secret a: unknown type "y"; known types: string, int, int64, float64, bool, duration, url, bytes, time, enum, json, credential, []T, map[string]T`,
		`s.yaml:4:6: app "X" must match [a-z][a-z0-9-]*`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load(filepath.Join(t.TempDir(), "secrets.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load = %v, want fs.ErrNotExist", err)
	}
}

// TestDefaultNotInMessages feeds a canary through a bad default of every
// type: messages must say what was expected, never repeat the value.
func TestDefaultNotInMessages(t *testing.T) {
	t.Parallel()
	const canary = "s3cr3t-canary"
	types := []string{"int", "int64", "float64", "bool", "duration", "url", "bytes", "time", "enum, values: [a]",
		`"[]int"`, `"[]url"`, `"map[string]int"`, "json, fields: {a: int}"}
	for _, typ := range types {
		for _, def := range []string{canary, "[" + canary + "]", "{a: " + canary + "}", `'{"a": "` + canary + `"}'`, `'["` + canary + `"]'`} {
			_, err := parseSecrets("  a: {type: " + typ + ", default: " + def + "}")
			if err == nil {
				t.Errorf("type %s default %s: no error", typ, def)
				continue
			}
			if strings.Contains(err.Error(), canary) {
				t.Errorf("type %s: message shows the default: %v", typ, err)
			}
		}
	}
}

// TestRepositoryManifest parses the repository's own secrets.yaml.
func TestRepositoryManifest(t *testing.T) {
	t.Parallel()
	m, err := Load("../../../secrets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if m.App != "dashtam" {
		t.Errorf("app %q, want dashtam", m.App)
	}
}

// TestCollisions checks the errors of Manifest.Names: nothing for a parsed manifest,
// and for one changed by hand the problem Parse would report, or a GoPath
// that does not match the path.
func TestCollisions(t *testing.T) {
	t.Parallel()
	const secrets = "  a/x: {type: string}\n  b: {type: enum, values: [c]}\n"
	m, err := parseSecrets(secrets)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Names(); err != nil {
		t.Fatalf("Names of a parsed manifest: %v", err)
	}
	tests := []struct {
		name   string
		change func(m *Manifest)
		want   string
	}{
		{"Go name", func(m *Manifest) { m.Secrets[1].GoPath = []string{"AX"} },
			"m.yaml:5:3: secret b: Go name AX (constant PathAX) is also the Go name of secret a/x (4:3)"},
		{"env name", func(m *Manifest) { m.Secrets[1].Env = "A_X" },
			"m.yaml:5:3: secret b: env name A_X is also the env name of secret a/x (4:3); set env: on one of them"},
		{"enum constant", func(m *Manifest) { m.Secrets[1].Values = []string{"c", "c"} },
			"m.yaml:5:3: secret b: enum constant BC collides with its own enum constant BC"},
		{"Go path", func(m *Manifest) { m.Secrets[0].GoPath = []string{"AX"} },
			"m.yaml:4:3: secret a/x: Go path [AX] does not match the path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := parseSecrets(secrets)
			if err != nil {
				t.Fatal(err)
			}
			tt.change(m)
			_, err = m.Names()
			var list ErrorList
			if !errors.As(err, &list) || err.Error() != tt.want {
				t.Errorf("Names error = %v (%T), want the ErrorList %s", err, err, tt.want)
			}
		})
	}
}
