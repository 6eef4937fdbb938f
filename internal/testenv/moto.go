package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// motoStartTimeout bounds how long StartMoto waits for moto_server to answer.
const motoStartTimeout = 30 * time.Second

// Moto is a running moto_server (a local AWS API mock, used here for
// Secrets Manager) listening on 127.0.0.1.
type Moto struct {
	endpoint string
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the process has exited
	out      *tail
	lifeline io.Closer // the watchdog's stdin; closing it kills the server
	stopOnce sync.Once
}

// watchdog is the shell script that runs moto_server ("$0" "$@"). It kills
// its process group, the server included, when its stdin reaches end of
// file: when Stop closes it, and when the test process dies without
// cleaning up (a panic, a -timeout, Ctrl-C, which the server, in a process
// group of its own, would not see). It exits when the server does. The
// lifeline is passed on as fd 3 (a background command's stdin is
// /dev/null in a non-interactive shell); read and kill are shell builtins,
// so the script works whatever PATH holds.
const watchdog = `exec 3<&0
"$0" "$@" </dev/null 3<&- &
server=$!
{ read -r _ <&3; kill -KILL 0; } >/dev/null 2>&1 &
exec 3<&-
wait "$server"`

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
	for attempt := 1; ; attempt++ {
		m, err := startMotoOnce(bin)
		if err == nil || attempt == 3 {
			return m, err
		}
	}
}

func startMotoOnce(bin string) (*Moto, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	m := &Moto{
		endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		exited:   make(chan struct{}),
		out:      &tail{max: 8 << 10},
	}
	m.cmd = exec.Command("/bin/sh", "-c", watchdog, bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	m.cmd.Stdout = m.out
	m.cmd.Stderr = m.out
	// A process group of its own, so that Stop (and the watchdog) kill
	// whatever the moto_server launcher (a pyenv shim, say) started.
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := m.cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	m.lifeline = stdin
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	go func() {
		_ = m.cmd.Wait()
		close(m.exited)
	}()
	if err := m.waitReady(); err != nil {
		m.Stop()
		return nil, fmt.Errorf("%w; moto_server output:\n%s", err, m.out.String())
	}
	return m, nil
}

// waitReady polls the moto API until it answers 200, the process exits, or
// motoStartTimeout passes.
func (m *Moto) waitReady() error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(motoStartTimeout)
	for {
		resp, err := client.Get(m.endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-m.exited:
			return fmt.Errorf("moto_server at %s exited before it answered", m.endpoint)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("moto_server at %s did not answer within %v", m.endpoint, motoStartTimeout)
		}
	}
}

// Endpoint returns the server's base URL, e.g. "http://127.0.0.1:40123",
// for secretsmanager.Options.BaseEndpoint or AWS_ENDPOINT_URL.
func (m *Moto) Endpoint() string { return m.endpoint }

// Reset drops every resource the server holds (POST /moto-api/reset).
func (m *Moto) Reset(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
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
func (m *Moto) Stop() {
	m.stopOnce.Do(func() {
		if m.cmd.Process != nil {
			_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
		}
		_ = m.lifeline.Close()
		select {
		case <-m.exited:
		case <-time.After(10 * time.Second):
		}
	})
}

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

// freePort is FreePort for callers without a testing.TB.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (w *tail) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if extra := w.buf.Len() - w.max; extra > 0 {
		w.buf.Next(extra)
	}
	return len(p), nil
}

func (w *tail) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
