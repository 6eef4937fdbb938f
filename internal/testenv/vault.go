package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// VaultBinEnv names the variable that overrides where StartVault finds the
// Vault binary. By default it is bin/vault at the module root, which
// `make vault` builds.
const VaultBinEnv = "SECRETSGEN_VAULT_BIN"

// vaultStartTimeout bounds how long StartVault waits for /v1/sys/health.
const vaultStartTimeout = 60 * time.Second

// Vault is a Vault server in -dev mode (in memory, unsealed, KV v2 mounted at
// secret/) listening on a 127.0.0.1 port, started by StartVault.
type Vault struct {
	addr  string
	token string
	cmd   *exec.Cmd
	log   *bytes.Buffer // guarded by logMu; the server's output
	logMu *sync.Mutex

	stopOnce sync.Once
	exited   chan struct{} // closed when the process has exited
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
	v, err := startVault(bin, FreePort(t), t.TempDir())
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

func startVault(bin string, port int, home string) (*Vault, error) {
	token, err := randomToken()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	v := &Vault{
		addr:   "http://" + addr,
		token:  token,
		log:    new(bytes.Buffer),
		logMu:  new(sync.Mutex),
		exited: make(chan struct{}),
	}
	v.cmd = exec.Command(bin, "server", "-dev",
		"-dev-listen-address="+addr,
		"-dev-root-token-id="+token,
		"-dev-no-store-token",
		"-log-level=warn",
	)
	// A private HOME keeps the server and its token helper away from the
	// developer's ~/.vault-token; the VAULT_* variables of the developer's
	// shell must not reach the server either.
	v.cmd.Env = append(cleanEnv(os.Environ()), "HOME="+home)
	v.cmd.Dir = home
	v.cmd.Stdout = lockedWriter{v.logMu, v.log}
	v.cmd.Stderr = lockedWriter{v.logMu, v.log}
	v.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := v.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %v", bin, err)
	}
	go func() {
		_ = v.cmd.Wait()
		close(v.exited)
	}()
	if err := v.waitHealthy(vaultStartTimeout); err != nil {
		v.Stop()
		return nil, fmt.Errorf("vault server -dev on %s did not become healthy: %v\nserver output:\n%s", addr, err, v.output())
	}
	return v, nil
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

func (v *Vault) waitHealthy(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.addr+"/v1/sys/health", nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-v.exited:
			return errors.New("the server exited")
		case <-ctx.Done():
			return fmt.Errorf("no healthy answer from /v1/sys/health within %v", timeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// output returns the server's output with the root token redacted.
func (v *Vault) output() string {
	v.logMu.Lock()
	defer v.logMu.Unlock()
	return strings.ReplaceAll(v.log.String(), v.token, "[REDACTED]")
}

// Addr returns the server's address, e.g. "http://127.0.0.1:41234".
func (v *Vault) Addr() string { return v.addr }

// RootToken returns the server's root token.
//
// testenv imports only the standard library; a test that wants a Vault API
// client builds one from Addr and RootToken (adapters/vault's tests do so in
// helpers_test.go).
func (v *Vault) RootToken() string { return v.token }

// Stop kills the server (its whole process group) and waits for it to exit.
// It is safe to call more than once; StartVault registers it on t.Cleanup.
func (v *Vault) Stop() {
	v.stopOnce.Do(func() {
		if v.cmd.Process != nil {
			_ = syscall.Kill(-v.cmd.Process.Pid, syscall.SIGKILL)
		}
		select {
		case <-v.exited:
		case <-time.After(10 * time.Second):
		}
	})
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
