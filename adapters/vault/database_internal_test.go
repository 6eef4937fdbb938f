package vault

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/runtime"
)

// TestFromLookupDatabaseOptions: SECRETS_VAULT_DB_DRAIN and
// SECRETS_VAULT_KEEP_LEASES set the options; a bad value is an error
// naming the variable.
func TestFromLookupDatabaseOptions(t *testing.T) {
	base := map[string]string{EnvAuth: "approle", EnvRoleID: "role", EnvSecretID: "sid"}
	for _, tt := range []struct {
		drain, keep string
		want        time.Duration
		wantKeep    bool
		bad         string
	}{
		{want: 0},
		{drain: "45s", keep: "true", want: 45 * time.Second, wantKeep: true},
		{drain: "2m", keep: "false", want: 2 * time.Minute},
		{drain: "soon", bad: EnvDBDrain},
		{drain: "-1s", bad: EnvDBDrain},
		{keep: "maybe", bad: EnvKeepLeases},
	} {
		env := map[string]string{EnvDBDrain: tt.drain, EnvKeepLeases: tt.keep}
		for k, v := range base {
			env[k] = v
		}
		p, err := FromLookup(context.Background(), "dashtam", "production", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		if tt.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tt.bad) {
				t.Errorf("drain %q keep %q: error %v, want one naming %s", tt.drain, tt.keep, err, tt.bad)
			}
			continue
		}
		if err != nil {
			t.Fatalf("drain %q keep %q: %v", tt.drain, tt.keep, err)
		}
		if p.db.drain != tt.want || p.db.keep != tt.wantKeep {
			t.Errorf("drain %q keep %q: got %v %t", tt.drain, tt.keep, p.db.drain, p.db.keep)
		}
		_ = p.Close()
	}
}

// TestParseDatabase: which paths name a dynamic or a static credential.
func TestParseDatabase(t *testing.T) {
	for _, tt := range []struct {
		path string
		want dbKind
	}{
		{"database/creds/app", dbDynamic},
		{"/database/creds/app/", dbDynamic},
		{"team/db/creds/app", dbDynamic},
		{"database/static-creds/app", dbStatic},
		{"database/creds/", 0},
		{"creds/app", 0},
		{"database/creds/a/b", 0},
		{"database/roles/app", 0},
		{"", 0},
	} {
		got, err := parseDatabase(tt.path)
		if got != tt.want || (err == nil) != (tt.want != 0) {
			t.Errorf("parseDatabase(%q) = %v, %v; want %v", tt.path, got, err, tt.want)
		}
	}
}

// TestPendingOnlyDynamic: only a dynamic credential's current ref has a
// pending ref (its Get replaces the lease).
func TestPendingOnlyDynamic(t *testing.T) {
	p := &Provider{}
	for _, tt := range []struct {
		ref  runtime.Ref
		want bool
	}{
		{runtime.Ref{Path: "a", Database: "database/creds/app"}, true},
		{runtime.Ref{Path: "a", Database: "database/creds/app", Version: replaceVersion}, false},
		{runtime.Ref{Path: "a", Database: "database/static-creds/app"}, false},
		{runtime.Ref{Path: "a"}, false},
	} {
		got, ok := p.Pending(tt.ref)
		if ok != tt.want || ok && got.Version != replaceVersion {
			t.Errorf("Pending(%+v) = %+v, %t", tt.ref, got, ok)
		}
	}
}
