package testenv

import (
	"encoding/json"
	"testing"
)

// TestConfigureVaultDB: the dynamic role creates a PostgreSQL user that
// logs in (and DynamicUsers counts it), a wrong password is refused, and
// the static role hands out static_app's password.
func TestConfigureVaultDB(t *testing.T) {
	v := StartVault(t)
	pg := StartPostgres(t)
	db := ConfigureVaultDB(t, v, pg, VaultDBOptions{})
	home := t.TempDir()
	read := func(path string) (user, pass string) {
		t.Helper()
		out, err := v.cli(home, "read", "-format=json", path)
		if err != nil {
			t.Fatalf("vault read %s: %v", path, err)
		}
		var s struct {
			Data struct {
				Username string `json:"username"`
				Password string `json:"password"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(out), &s); err != nil || s.Data.Username == "" || s.Data.Password == "" {
			t.Fatalf("vault read %s: no username and password (%v)", path, err)
		}
		return s.Data.Username, s.Data.Password
	}
	if n, err := db.DynamicUsers(); err != nil || n != 0 {
		t.Fatalf("before a read: %d users, %v", n, err)
	}
	user, pass := read(db.Mount + "/creds/" + db.DynamicRole)
	if err := pg.Login(user, pass); err != nil {
		t.Fatal(err)
	}
	if err := pg.Login(user, pass+"x"); err == nil {
		t.Fatal("a wrong password logged in")
	}
	if n, err := db.DynamicUsers(); err != nil || n != 1 {
		t.Fatalf("after a read: %d users, %v", n, err)
	}
	suser, spass := read(db.Mount + "/static-creds/" + db.StaticRole)
	if suser != db.StaticUser {
		t.Fatalf("static user %q, want %q", suser, db.StaticUser)
	}
	if err := pg.Login(suser, spass); err != nil {
		// rotation_period is 5 s: it may have rotated since the read
		if _, spass = read(db.Mount + "/static-creds/" + db.StaticRole); pg.Login(suser, spass) != nil {
			t.Fatal(err)
		}
	}
}
