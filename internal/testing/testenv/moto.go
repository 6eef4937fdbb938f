package testenv

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

// motoStartTimeout bounds how long StartMoto waits for moto_server to answer:
// a server that never answers, not a slow start (a Python server's imports
// take many seconds on a busy machine). A server that exits is reported at
// once.
const motoStartTimeout = 2 * time.Minute

// Moto is a running moto_server (a local AWS API mock, used here for
// Secrets Manager and SSM Parameter Store) listening on 127.0.0.1.
type Moto struct {
	endpoint string
	*proc
}

// StartMoto starts moto_server on a free 127.0.0.1 port, waits until it
// answers, and stops it when t ends. It skips t under -short and fails it
// when moto_server is not installed or does not start.
func StartMoto(t testing.TB) *Moto {
	t.Helper()
	SkipIfShort(t, "moto_server")
	m, err := startMoto()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(m.Stop)
	return m
}

// startMoto starts moto_server, trying another port when the one chosen was
// taken in the meantime.
func startMoto() (*Moto, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, errors.New(`moto_server is not on PATH: install it with pip install "moto[server]" (go test -short skips the tests that need it)`)
	}
	return onFreePort(func(port int) (*Moto, error) {
		m := &Moto{endpoint: "http://127.0.0.1:" + strconv.Itoa(port)}
		out := newTail()
		argv := []string{bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port)}
		p, err := startServer(argv, nil, "", out, httpReady(m.endpoint+"/moto-api/"), motoStartTimeout)
		if err != nil {
			return nil, fmt.Errorf("moto_server at %s %w; moto_server output:\n%s", m.endpoint, err, out)
		}
		m.proc = p
		return m, nil
	})
}

// Endpoint returns the server's base URL, e.g. "http://127.0.0.1:40123",
// for secretsmanager.Options.BaseEndpoint or AWS_ENDPOINT_URL.
func (m *Moto) Endpoint() string { return m.endpoint }

// Reset drops every resource the server holds (POST /moto-api/reset).
func (m *Moto) Reset(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang, not a busy machine
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.endpoint+"/moto-api/reset", nil)
	if err != nil {
		t.Fatalf("testenv: reset moto: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("testenv: reset moto at %s: %v", m.endpoint, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("testenv: reset moto at %s: %s", m.endpoint, resp.Status)
	}
}

// Stop kills the server's process group and waits for it to exit. It may
// be called more than once; later calls do nothing.
func (m *Moto) Stop() { m.stop() }

// The moto_server shared by the tests of one test binary (see SharedMoto).
// Test helpers are the one place this module keeps package-level state.
var shared struct {
	mu      sync.Mutex
	enabled bool // MotoMain is running the tests
	moto    *Moto
	err     error // why the shared server could not start
}

// MotoMain runs the tests of a package whose tests call SharedMoto, then
// stops the shared server. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.MotoMain(m)) }
func MotoMain(m *testing.M) int {
	shared.mu.Lock()
	shared.enabled = true
	shared.mu.Unlock()
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.moto != nil {
		shared.moto.Stop()
	}
	shared.enabled = false
	return code
}

// SharedMoto returns the test binary's shared moto_server, starting it on
// first use, and resets it so that t starts from an empty server. Starting
// moto_server takes a second or more; sharing one makes a package's tests
// pay that once. Tests that use it must not call t.Parallel (each reset
// wipes the server) and must not stop it; a test that stops its server uses
// StartMoto. It skips t under -short and fails it when the server cannot
// start or TestMain does not call MotoMain.
func SharedMoto(t testing.TB) *Moto {
	t.Helper()
	SkipIfShort(t, "moto_server")
	shared.mu.Lock()
	if !shared.enabled {
		shared.mu.Unlock()
		t.Fatal("testenv: SharedMoto needs TestMain to call testenv.MotoMain, which stops the server")
	}
	if shared.moto == nil && shared.err == nil {
		shared.moto, shared.err = startMoto()
	}
	m, err := shared.moto, shared.err
	shared.mu.Unlock()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	m.Reset(t)
	return m
}
