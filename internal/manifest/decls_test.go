package manifest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

func TestGeneratedNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		goPath                               []string
		kind                                 Kind
		path, setter, typ, parser, formatter string
	}{
		{[]string{"Database", "URL"}, URL, "PathDatabaseURL", "SetDatabaseURL", "", "", ""},
		{[]string{"App", "LogLevel"}, Enum, "PathAppLogLevel", "SetAppLogLevel", "AppLogLevel", "", ""},
		{[]string{"Database", "Credentials"}, JSON, "PathDatabaseCredentials", "SetDatabaseCredentials", "DatabaseCredentials", "parseDatabaseCredentials", "formatDatabaseCredentials"},
	}
	for _, tt := range tests {
		s := &Secret{GoPath: tt.goPath, Type: Type{Kind: tt.kind}}
		got := []string{s.PathConst(), s.SetterName(), s.TypeName(), s.ParserName(), s.FormatterName()}
		if diff := cmp.Diff([]string{tt.path, tt.setter, tt.typ, tt.parser, tt.formatter}, got); diff != "" {
			t.Errorf("names of %v (%s) (-want +got):\n%s", tt.goPath, tt.kind, diff)
		}
	}
	if got := GroupTypeName([]string{"HTTP", "Client"}); got != "HTTPClientSettings" {
		t.Errorf("GroupTypeName = %q", got)
	}
	if got := GroupTypeName(nil); got != "Settings" {
		t.Errorf("GroupTypeName(nil) = %q, want the root type Settings", got)
	}
}

// TestFakeMembers checks FakeMembers against a fixed list, so that a change
// to the exported methods or fields of *runtime.Memory (which the generated
// Fake promotes) is acknowledged here, and that Parse rejects a secret whose
// setter would be any of them.
func TestFakeMembers(t *testing.T) {
	t.Parallel()
	want := []string{"Calls", "Delete", "Get", "Name", "Rotate", "SetError", "SetRaw", "Where"}
	got := slices.Sorted(slices.Values(FakeMembers))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FakeMembers (-want +got); update this list when the generated Fake changes:\n%s", diff)
	}

	tested := 0
	for _, member := range FakeMembers {
		name, ok := strings.CutPrefix(member, "Set")
		if !ok || name == "" {
			continue // no setter can be named so
		}
		path := snake(name)
		if GoName(path) != name {
			t.Errorf("test bug: GoName(%q) = %q, want %q", path, GoName(path), name)
			continue
		}
		tested++
		_, err := parseSecrets(fmt.Sprintf("  %s: {type: string}\n", path))
		want := fmt.Sprintf("m.yaml:4:3: secret %s: Fake setter %s collides with the method %s of Fake", path, member, member)
		if err == nil || err.Error() != want {
			t.Errorf("Parse of secret %s:\n got %v\nwant %s", path, err, want)
		}
	}
	if tested == 0 {
		t.Error("no member of Fake starts with Set: the test checks nothing")
	}
}

// snake turns a Go name back into a path segment: "SetError" -> "set_error".
func snake(name string) string {
	var b strings.Builder
	for i, r := range name {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func TestReservedNamesDistinct(t *testing.T) {
	t.Parallel()
	for _, list := range [][]string{ReservedGoNames, FakeMembers} {
		if sorted := slices.Sorted(slices.Values(list)); len(slices.Compact(sorted)) != len(list) {
			t.Errorf("%v has a name twice", list)
		}
	}
}

// TestDecls lists the generated names of a small manifest.
func TestDecls(t *testing.T) {
	t.Parallel()
	m, err := parseSecrets(`
  database/url: {type: url}
  database/credentials: {type: json, fields: {user: string}}
  app/log_level: {type: enum, values: [debug, info]}
  token: {type: string}
`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range m.Decls() {
		if d.Kind == DeclReserved || d.Kind == DeclFakeMember {
			continue
		}
		name := d.Name
		if d.Method {
			name = "(*Fake)." + name
		}
		got = append(got, fmt.Sprintf("%s %s: %s", d.Secret.Path, d.Kind, name))
	}
	want := []string{
		"database/url group type: DatabaseSettings",
		"database/url path constant: PathDatabaseURL",
		"database/url Fake setter: (*Fake).SetDatabaseURL",
		"database/credentials path constant: PathDatabaseCredentials",
		"database/credentials Fake setter: (*Fake).SetDatabaseCredentials",
		"database/credentials Go type: DatabaseCredentials",
		"database/credentials JSON parser: parseDatabaseCredentials",
		"database/credentials JSON formatter: formatDatabaseCredentials",
		"app/log_level group type: AppSettings",
		"app/log_level path constant: PathAppLogLevel",
		"app/log_level Fake setter: (*Fake).SetAppLogLevel",
		"app/log_level Go type: AppLogLevel",
		"app/log_level enum constant: AppLogLevelDebug",
		"app/log_level enum constant: AppLogLevelInfo",
		"token path constant: PathToken",
		"token Fake setter: (*Fake).SetToken",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Decls (-want +got):\n%s", diff)
	}
	for _, d := range m.Decls()[:len(ReservedGoNames)] {
		if d.Kind != DeclReserved || d.Secret != nil || d.Method {
			t.Errorf("Decls starts with %+v, want ReservedGoNames", d)
		}
	}
}
