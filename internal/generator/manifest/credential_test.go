package manifest

import (
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/runtime"
	"github.com/google/go-cmp/cmp"
)

// TestParseCredential checks what Parse derives from credential entries
// and the Ref generated code and `secretsgen check` read them with.
func TestParseCredential(t *testing.T) {
	t.Parallel()
	m, err := parseSecrets(`  database/app:
    type: credential
    description: Login of the application role.
    database: {role: app}
  database/report:
    type: credential
    database: {role: report, static: true, mount: db}
  database/rds: {type: credential, optional: true, source: {path: rds/main}}
`)
	if err != nil {
		t.Fatal(err)
	}
	wantRefs := []runtime.Ref{
		{Path: "database/app", Env: "DATABASE_APP", Type: "credential", Database: "database/creds/app"},
		{Path: "database/report", Env: "DATABASE_REPORT", Type: "credential", Database: "db/static-creds/report"},
		{Path: "database/rds", Env: "DATABASE_RDS", Type: "credential", Source: "rds/main"},
	}
	for i, s := range m.Secrets {
		if diff := cmp.Diff(wantRefs[i], s.Ref()); diff != "" {
			t.Errorf("%s: Ref (-want +got):\n%s", s.Path, diff)
		}
		if !s.Sensitive || s.Type.Kind != Credential || s.Type.String() != "credential" {
			t.Errorf("%s: sensitive %v type %v", s.Path, s.Sensitive, s.Type)
		}
	}
	if d := m.Secrets[1].Database; d == nil || *d != (Database{Mount: "db", Role: "report", Static: true, Pos: Pos{10, 15}}) {
		t.Errorf("database of database/report: %+v", d)
	}
	if !m.Secrets[2].Optional || m.Secrets[2].Database != nil {
		t.Errorf("database/rds: optional %v database %v", m.Secrets[2].Optional, m.Secrets[2].Database)
	}
}

// TestCheckCredential: Check accepts what Load accepts and never quotes the
// text.
func TestCheckCredential(t *testing.T) {
	t.Parallel()
	s := &Secret{Type: Type{Kind: Credential}}
	for text, ok := range map[string]bool{
		`{"username":"app","password":"zq9pw"}`:             true,
		`{"username":"app","password":"zq9pw","port":5432}`: true,
		`{"username":"app"}`:                                false,
		`{"username":"","password":"zq9pw"}`:                false,
		`zq9pw`:                                             false,
		``:                                                  false,
	} {
		err := s.Check(text)
		if (err == nil) != ok {
			t.Errorf("Check(%q) = %v, want ok %v", text, err, ok)
		}
		if err != nil && (len(err.Error()) == 0 || strings.Contains(err.Error(), "zq9")) {
			t.Errorf("Check(%q) = %q: empty or shows the text", text, err)
		}
	}
}
