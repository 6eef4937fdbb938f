package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// postgresStartTimeout bounds how long StartPostgres waits for the server
// to accept connections.
const postgresStartTimeout = 2 * time.Minute

// postgresSuperuser is the superuser initdb creates; it connects over the
// server's Unix socket only (trust), never over TCP.
const postgresSuperuser = "postgres"

// Postgres is a PostgreSQL server started by StartPostgres in a fresh
// temporary cluster, listening on a 127.0.0.1 port. TCP connections
// authenticate with passwords (scram-sha-256); the superuser reaches the
// server only through its Unix socket, which the helpers below use.
type Postgres struct {
	bindir string
	dir    string // the temporary directory: data/ and the socket
	port   int
	asUser []string // argv prefix that runs a command as the postgres user ("" when not root)
	cred   *syscall.Credential
	*proc
}

// StartPostgres initialises a cluster in a fresh temporary directory and
// starts the server of the Debian postgresql package (the binaries in
// `pg_config --bindir`) on a free 127.0.0.1 port, and stops it and removes
// the directory when t ends. PostgreSQL refuses to run as root, so when the
// test runs as root, initdb, postgres and psql run as the postgres system
// user, which owns the directory. A missing installation or a server that
// does not start fails t (install the package: apt-get install -y
// postgresql); only `go test -short` skips.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	SkipIfShort(t, "postgres")
	p, err := startPostgres()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(p.Stop)
	return p
}

// PostgresBinDir returns the directory of the PostgreSQL server binaries:
// `pg_config --bindir`, or the newest /usr/lib/postgresql/*/bin.
func PostgresBinDir() (string, error) {
	const install = "install the Debian postgresql package (apt-get install -y postgresql); go test -short skips the tests that need it"
	var dirs []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin"); len(m) > 0 {
		for i := len(m) - 1; i >= 0; i-- {
			dirs = append(dirs, m[i])
		}
	}
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL server binaries (initdb, postgres) found via pg_config --bindir or /usr/lib/postgresql/*/bin: %s", install)
}

func startPostgres() (*Postgres, error) {
	bindir, err := PostgresBinDir()
	if err != nil {
		return nil, err
	}
	p := &Postgres{bindir: bindir}
	dir, err := os.MkdirTemp("", "secretsgen-pg-")
	if err != nil {
		return nil, fmt.Errorf("postgres: temporary directory: %v", err)
	}
	p.dir = dir
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("postgres refuses to run as root and there is no postgres system user to run it as (%v): install the Debian postgresql package, which creates it", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("postgres: chown %s to the postgres user: %v", dir, err)
		}
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		runuser, err := exec.LookPath("runuser")
		if err != nil {
			os.RemoveAll(dir)
			return nil, errors.New("postgres: running as root needs runuser (util-linux) to start the server as the postgres user")
		}
		p.asUser = []string{runuser, "-u", "postgres", "--"}
	}
	data := filepath.Join(dir, "data")
	if out, err := p.run(nil, filepath.Join(bindir, "initdb"), "-D", data, "-U", postgresSuperuser,
		"--auth-local=trust", "--auth-host=scram-sha-256", "--no-locale", "--encoding=UTF8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("postgres: initdb failed: %v; output:\n%s", err, out)
	}
	s, err := onFreePort(func(port int) (*Postgres, error) {
		p.port = port
		argv := append(append([]string{}, p.asUser...), filepath.Join(bindir, "postgres"), "-D", data,
			"-p", strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1",
			"-c", "unix_socket_directories="+dir, "-c", "fsync=off", "-c", "synchronous_commit=off",
			"-c", "full_page_writes=off", "-c", "max_connections=100")
		out := newTail()
		proc, err := startServer(argv, nil, dir, out, p.ready, postgresStartTimeout)
		if err != nil {
			return nil, fmt.Errorf("postgres at 127.0.0.1:%d %w; server output:\n%s", port, err, out)
		}
		p.proc = proc
		return p, nil
	})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// run runs argv as the postgres user (when root), with stdin, and returns
// its combined output.
func (p *Postgres) run(stdin []byte, argv ...string) (string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = p.dir
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	cmd.Env = append(os.Environ(), "PGTZ=UTC", "LC_ALL=C")
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// ready reports whether the server accepts connections on its TCP port.
func (p *Postgres) ready() error {
	c, err := net.DialTimeout("tcp", p.Addr(), time.Second)
	if err != nil {
		return err
	}
	c.Close()
	_, err = p.run(nil, filepath.Join(p.bindir, "pg_isready"), "-q", "-h", p.dir, "-p", strconv.Itoa(p.port))
	return err
}

// Addr returns the server's TCP address, e.g. "127.0.0.1:41234".
func (p *Postgres) Addr() string { return "127.0.0.1:" + strconv.Itoa(p.port) }

// Port returns the server's TCP port.
func (p *Postgres) Port() int { return p.port }

// URL returns a connection URL for user with password on the postgres
// database, with TLS off (the server listens on loopback only).
func (p *Postgres) URL(user, password string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: p.Addr(), Path: "/postgres", RawQuery: "sslmode=disable"}
	return u.String()
}

// Exec runs sql as the superuser through the server's Unix socket (psql,
// statements on stdin, stopping at the first error). The error holds psql's
// output with each of redact replaced by [REDACTED].
func (p *Postgres) Exec(sql string, redact ...string) error {
	out, err := p.run([]byte(sql), filepath.Join(p.bindir, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
		"-h", p.dir, "-p", strconv.Itoa(p.port), "-U", postgresSuperuser, "-d", "postgres")
	if err != nil {
		for _, r := range redact {
			if r != "" {
				out = strings.ReplaceAll(out, r, "[REDACTED]")
			}
		}
		return fmt.Errorf("psql: %v; output:\n%s", err, out)
	}
	return nil
}

// CreateRole creates a role that can log in with password. It fails t on
// error; the password never appears in the message.
func (p *Postgres) CreateRole(t testing.TB, role, password string) {
	t.Helper()
	if err := p.Exec("CREATE ROLE "+quoteIdent(role)+" LOGIN PASSWORD "+quoteLiteral(password)+";\n", password); err != nil {
		t.Fatalf("testenv: create role %s: %v", role, err)
	}
}

// SetPassword changes role's password (ALTER ROLE ... PASSWORD), the
// database half of a rotation. Sessions already open stay open; new
// connections need the new password. It fails t on error; the password
// never appears in the message.
func (p *Postgres) SetPassword(t testing.TB, role, password string) {
	t.Helper()
	if err := p.Exec("ALTER ROLE "+quoteIdent(role)+" PASSWORD "+quoteLiteral(password)+";\n", password); err != nil {
		t.Fatalf("testenv: alter role %s password: %v", role, err)
	}
}

func quoteIdent(s string) string   { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func quoteLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

// Stop stops the server (a fast shutdown, then its whole process group is
// killed) and removes its directory. It is safe to call more than once;
// StartPostgres registers it on t.Cleanup.
func (p *Postgres) Stop() {
	if p.proc == nil {
		return
	}
	select {
	case <-p.exited:
	default:
		_, _ = p.run(nil, filepath.Join(p.bindir, "pg_ctl"), "stop", "-D", filepath.Join(p.dir, "data"), "-m", "fast", "-w", "-t", "10")
	}
	p.stop()
	_ = os.RemoveAll(p.dir)
}
