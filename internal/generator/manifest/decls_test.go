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
		l := newLeaf(&Secret{GoPath: tt.goPath, Type: Type{Kind: tt.kind}})
		got := []string{l.Const, l.Setter, l.TypeName, l.Parser, l.Formatter}
		if diff := cmp.Diff([]string{tt.path, tt.setter, tt.typ, tt.parser, tt.formatter}, got); diff != "" {
			t.Errorf("names of %v (%s) (-want +got):\n%s", tt.goPath, tt.kind, diff)
		}
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

// TestNames lists the generated names of a small manifest: the Settings
// tree with its group types, and the names of each secret.
func TestNames(t *testing.T) {
	t.Parallel()
	m, err := parseSecrets(`
  database/url: {type: url}
  database/credentials: {type: json, fields: {user: string}}
  app/log_level: {type: enum, values: [debug, info]}
  http_client/x/y: {type: string}
  token: {type: string}
`)
	if err != nil {
		t.Fatal(err)
	}
	n, err := m.Names()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var walk func(g *Group)
	walk = func(g *Group) {
		for _, mb := range g.Members {
			if mb.Group != nil {
				got = append(got, fmt.Sprintf("%s.%s %s (%s/)", g.Type, mb.Field, mb.Group.Type, mb.Group.Prefix))
				walk(mb.Group)
				continue
			}
			l := mb.Leaf
			got = append(got, fmt.Sprintf("%s.%s %s: %s (*Fake).%s %q %s %s %v", g.Type, mb.Field, l.Path, l.Const, l.Setter, l.TypeName, l.Parser, l.Formatter, l.EnumConsts))
		}
	}
	walk(n.Root)
	want := []string{
		"Settings.Database DatabaseSettings (database/)",
		`DatabaseSettings.URL database/url: PathDatabaseURL (*Fake).SetDatabaseURL ""   []`,
		`DatabaseSettings.Credentials database/credentials: PathDatabaseCredentials (*Fake).SetDatabaseCredentials "DatabaseCredentials" parseDatabaseCredentials formatDatabaseCredentials []`,
		"Settings.App AppSettings (app/)",
		`AppSettings.LogLevel app/log_level: PathAppLogLevel (*Fake).SetAppLogLevel "AppLogLevel"   [AppLogLevelDebug AppLogLevelInfo]`,
		"Settings.HTTPClient HTTPClientSettings (http_client/)",
		"HTTPClientSettings.X HTTPClientXSettings (http_client/x/)",
		`HTTPClientXSettings.Y http_client/x/y: PathHTTPClientXY (*Fake).SetHTTPClientXY ""   []`,
		`Settings.Token token: PathToken (*Fake).SetToken ""   []`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Names (-want +got):\n%s", diff)
	}
	var groups, leaves []string
	for _, g := range n.Groups {
		groups = append(groups, g.Type)
	}
	for _, l := range n.Leaves {
		leaves = append(leaves, l.Path)
	}
	if diff := cmp.Diff([]string{"DatabaseSettings", "AppSettings", "HTTPClientSettings", "HTTPClientXSettings"}, groups); diff != "" {
		t.Errorf("Groups (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"database/url", "database/credentials", "app/log_level", "http_client/x/y", "token"}, leaves); diff != "" {
		t.Errorf("Leaves (-want +got):\n%s", diff)
	}
	if n.Root.Type != NameSettings || n.Root.Prefix != "" {
		t.Errorf("Root = %+v, want the type Settings", n.Root)
	}
}
