package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// VaultDBOptions configures ConfigureVaultDB. Zero durations take the
// defaults below.
type VaultDBOptions struct {
	// DefaultTTL and MaxTTL of the dynamic role. Default 10 s and 30 s.
	DefaultTTL, MaxTTL time.Duration
	// RotationPeriod of the static role. Default 5 s, Vault's minimum.
	RotationPeriod time.Duration
}

// VaultDB is Vault's database secrets engine, enabled at Mount on a dev
// Vault and connected to a PostgreSQL server, with a dynamic role and a
// static role.
type VaultDB struct {
	// Mount is where the engine is enabled: "database".
	Mount string
	// DynamicRole is the dynamic role: read Mount+"/creds/"+DynamicRole.
	DynamicRole string
	// StaticRole is the static role: read Mount+"/static-creds/"+StaticRole.
	StaticRole string
	// StaticUser is the PostgreSQL role the static role rotates.
	StaticUser string
	// UserPrefix starts the name of every user the dynamic role creates.
	UserPrefix string
	pg         *Postgres
}

// ConfigureVaultDB enables the database secrets engine on v at
// "database", connects it to pg as a superuser it creates (vaultadmin,
// with a random password), and writes a dynamic role "app" (creation
// statements CREATE ROLE ... VALID UNTIL '{{expiration}}' and a grant on
// schema public; default_ttl and max_ttl from opts) and a static role
// "static-app" rotating the PostgreSQL role static_app (rotation_period
// from opts). It fails t on error; no password appears in a message.
func ConfigureVaultDB(t testing.TB, v *Vault, pg *Postgres, opts VaultDBOptions) *VaultDB {
	t.Helper()
	if opts.DefaultTTL <= 0 {
		opts.DefaultTTL = 10 * time.Second
	}
	if opts.MaxTTL <= 0 {
		opts.MaxTTL = 30 * time.Second
	}
	if opts.RotationPeriod <= 0 {
		opts.RotationPeriod = 5 * time.Second
	}
	adminPass, err := randomToken()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	staticPass, err := randomToken()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	if err := pg.Exec("CREATE ROLE vaultadmin SUPERUSER LOGIN PASSWORD "+quoteLiteral(adminPass)+";\n"+
		"CREATE ROLE static_app LOGIN PASSWORD "+quoteLiteral(staticPass)+";\n", adminPass, staticPass); err != nil {
		t.Fatalf("testenv: vault database roles: %v", err)
	}
	db := &VaultDB{Mount: "database", DynamicRole: "app", StaticRole: "static-app", StaticUser: "static_app", UserPrefix: "v-", pg: pg}
	home := t.TempDir()
	secs := func(d time.Duration) string { return strconv.Itoa(int(d/time.Second)) + "s" }
	steps := [][]string{
		{"secrets", "enable", "-path=" + db.Mount, "database"},
		{"write", db.Mount + "/config/pg",
			"plugin_name=postgresql-database-plugin",
			"connection_url=postgresql://{{username}}:{{password}}@" + pg.Addr() + "/postgres?sslmode=disable",
			"username=vaultadmin", "password=" + adminPass,
			"allowed_roles=" + db.DynamicRole + "," + db.StaticRole,
			"verify_connection=true"},
		{"write", db.Mount + "/roles/" + db.DynamicRole,
			"db_name=pg",
			`creation_statements=CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT USAGE ON SCHEMA public TO "{{name}}";`,
			"default_ttl=" + secs(opts.DefaultTTL), "max_ttl=" + secs(opts.MaxTTL)},
		{"write", db.Mount + "/static-roles/" + db.StaticRole,
			"db_name=pg", "username=" + db.StaticUser, "rotation_period=" + secs(opts.RotationPeriod)},
	}
	for _, args := range steps {
		if out, err := v.cli(home, args...); err != nil {
			out = strings.ReplaceAll(strings.ReplaceAll(out, adminPass, "[REDACTED]"), staticPass, "[REDACTED]")
			t.Fatalf("testenv: vault %s %s: %v; output:\n%s", args[0], args[1], err, out)
		}
	}
	return db
}

// cli runs the vault CLI against v as root with HOME=home.
func (v *Vault) cli(home string, args ...string) (string, error) {
	bin, err := VaultBinary()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(v.CLIEnv(), "HOME="+home)
	out, err := cmd.CombinedOutput()
	return redact(string(out), v.token), err
}

// DynamicUsers returns how many PostgreSQL roles the dynamic role created
// exist now (Vault drops a role when its lease is revoked or ends).
func (d *VaultDB) DynamicUsers() (int, error) {
	out, err := d.pg.Query("SELECT count(*) FROM pg_roles WHERE rolname LIKE '" + d.UserPrefix + "%'")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(out))
}

// Query runs one SQL query as the superuser and returns its rows,
// unaligned and without headers (psql -At).
func (p *Postgres) Query(sql string) (string, error) {
	out, err := p.run(nil, filepath.Join(p.bindir, "psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1",
		"-h", p.dir, "-p", strconv.Itoa(p.port), "-U", postgresSuperuser, "-d", "postgres", "-c", sql)
	if err != nil {
		return "", fmt.Errorf("psql: %v; output:\n%s", err, out)
	}
	return out, nil
}

// Login opens a session over TCP as user with password and runs SELECT 1,
// as an application would. The error says whether the server refused the
// login; it never holds the password.
func (p *Postgres) Login(user, password string) error {
	cmd := exec.Command(filepath.Join(p.bindir, "psql"), "-X", "-At", "-w",
		"-h", "127.0.0.1", "-p", strconv.Itoa(p.port), "-U", user, "-d", "postgres", "-c", "SELECT 1")
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "PGSSLMODE=disable", "PGCONNECT_TIMEOUT=10", "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("login as %s: %v: %s", user, err, strings.TrimSpace(strings.ReplaceAll(string(out), password, "[REDACTED]")))
	}
	return nil
}
