package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// VaultBinEnv names the variable that overrides where StartVault finds the
// Vault binary. By default it is bin/vault at the module root, which
// `make vault` builds.
const VaultBinEnv = "SECRETSGEN_VAULT_BIN"

// vaultStartTimeout bounds how long StartVault waits for /v1/sys/health: a
// server that never answers, not a slow start on a busy machine.
const vaultStartTimeout = 2 * time.Minute

// Vault is a Vault server in -dev mode (in memory, unsealed, KV v2 mounted at
// secret/) listening on a 127.0.0.1 port, started by StartVault.
type Vault struct {
	addr  string
	token string
	*proc
}

// StartVault starts bin/vault (or $SECRETSGEN_VAULT_BIN) in -dev mode on a
// free 127.0.0.1 port with a random root token, waits until it reports
// healthy, and stops it when t's test ends. A missing binary or a server that
// does not start fails t (run `make vault`); only `go test -short` skips.
func StartVault(t testing.TB) *Vault {
	t.Helper()
	SkipIfShort(t, "vault")
	bin, err := VaultBinary()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	v, err := startVault(bin, t.TempDir())
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(v.Stop)
	return v
}

// VaultBinary returns the path of the Vault binary the tests run:
// $SECRETSGEN_VAULT_BIN, or bin/vault at the module root. The error says to
// run `make vault` when it is missing.
func VaultBinary() (string, error) {
	if p := os.Getenv(VaultBinEnv); p != "" {
		if !isExecutable(p) {
			return "", fmt.Errorf("%s=%s is not an executable file; unset it or run make vault", VaultBinEnv, p)
		}
		return p, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, "bin", "vault")
	if !isExecutable(p) {
		return "", fmt.Errorf("no Vault binary at %s: run make vault (or set %s)", p, VaultBinEnv)
	}
	return p, nil
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// moduleRoot walks up from the working directory (a package directory under
// go test) to the folder holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find the module root: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find the module root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// startVault starts bin in -dev mode with home as its HOME and working
// directory, trying another port when the one chosen was taken meanwhile.
func startVault(bin, home string) (*Vault, error) {
	token, err := randomToken()
	if err != nil {
		return nil, err
	}
	// A private HOME keeps the server and its token helper away from the
	// developer's ~/.vault-token; the VAULT_* variables of the developer's
	// shell must not reach the server either. The root token goes in the
	// environment, which other users cannot read, rather than on the
	// command line, which ps shows to anyone.
	env := append(cleanEnv(os.Environ()), "HOME="+home, "VAULT_DEV_ROOT_TOKEN_ID="+token)
	return onFreePort(func(port int) (*Vault, error) {
		addr := "127.0.0.1:" + strconv.Itoa(port)
		v := &Vault{addr: "http://" + addr, token: token}
		argv := []string{bin, "server", "-dev",
			"-dev-listen-address=" + addr,
			"-dev-no-store-token",
			"-log-level=warn",
		}
		out := newTail()
		p, err := startServer(argv, env, home, out, httpReady(v.addr+"/v1/sys/health"), vaultStartTimeout)
		if err != nil {
			return nil, fmt.Errorf("vault server -dev at %s %w; server output:\n%s", v.addr, err, redact(out.String(), token))
		}
		v.proc = p
		return v, nil
	})
}

func randomToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random root token: %v", err)
	}
	return "root-" + hex.EncodeToString(b), nil
}

func cleanEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "VAULT_") && !strings.HasPrefix(kv, "HOME=") {
			out = append(out, kv)
		}
	}
	return out
}

// output returns the server's output with the root token redacted.
func (v *Vault) output() string { return redact(v.out.String(), v.token) }

func redact(s, token string) string { return strings.ReplaceAll(s, token, "[REDACTED]") }

// Addr returns the server's address, e.g. "http://127.0.0.1:41234".
func (v *Vault) Addr() string { return v.addr }

// RootToken returns the server's root token.
//
// testenv imports only the standard library; a test that wants a Vault API
// client builds one from Addr and RootToken (adapters/vault's tests do so in
// helpers_test.go).
func (v *Vault) RootToken() string { return v.token }

// CLIEnv returns the environment for running the vault CLI against v as
// root: the test process's environment without its VAULT_* variables and
// HOME, plus VAULT_ADDR and VAULT_TOKEN. Add HOME= a temporary directory, so
// that the CLI's token helper stays away from the developer's
// ~/.vault-token.
func (v *Vault) CLIEnv() []string {
	return append(cleanEnv(os.Environ()), "VAULT_ADDR="+v.addr, "VAULT_TOKEN="+v.token)
}

// Stop kills the server (its whole process group) and waits for it to exit.
// It is safe to call more than once; StartVault registers it on t.Cleanup.
func (v *Vault) Stop() { v.stop() }
