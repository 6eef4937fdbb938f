package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// outputLimit is how much of a server's output (its last bytes) is kept
// for error messages.
const outputLimit = 8 << 10

// startAttempts is how many free ports a server is started on before
// giving up: a port found free may be taken before the server binds it.
const startAttempts = 3

// proc is a server process started by startServer, with the watchdog that
// kills it when the test process goes away.
type proc struct {
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the process has exited
	out      *tail         // the server's output, its last outputLimit bytes
	lifeline io.Closer     // the watchdog's stdin; closing it kills the server
	stopOnce sync.Once
}

// watchdog is the shell script that runs the server ("$0" "$@"). It kills
// its process group, the server included, when its stdin reaches end of
// file: when stop closes it, and when the test process dies without
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

// errExited is the error of startServer when the server exits before it is
// ready (a port taken in the meantime, a bad flag): see onFreePort.
var errExited = errors.New("exited before it answered")

// startServer runs argv under the watchdog, in a process group of its own,
// with environment env (nil: the test process's) in directory dir ("": the
// current one), writing its output to out. It calls ready every 50ms until
// it returns nil; when the server exits first (errExited) or timeout passes
// it stops the server and returns an error phrased to follow the server's
// name ("... exited before it answered"). The error does not hold out: the
// caller adds it (redacted as needed).
func startServer(argv, env []string, dir string, out *tail, ready func() error, timeout time.Duration) (*proc, error) {
	p := &proc{exited: make(chan struct{}), out: out}
	p.cmd = exec.Command("/bin/sh", append([]string{"-c", watchdog}, argv...)...)
	p.cmd.Env = env
	p.cmd.Dir = dir
	p.cmd.Stdout = out
	p.cmd.Stderr = out
	// A process group of its own, so that stop (and the watchdog) kill
	// whatever the server's launcher (a pyenv shim, say) started.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := p.cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("could not be started: %w", err)
	}
	p.lifeline = stdin
	if err := p.cmd.Start(); err != nil {
		_ = stdin.Close()
		return nil, fmt.Errorf("could not be started: %w", err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	deadline := time.Now().Add(timeout)
	for {
		if ready() == nil {
			return p, nil
		}
		select {
		case <-p.exited:
			p.stop()
			return nil, errExited
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("did not answer within %v", timeout)
		}
	}
}

// httpReady returns a ready function for startServer: a GET of url that
// answers 200.
func httpReady(url string) func() error {
	client := &http.Client{Timeout: 2 * time.Second}
	return func() error {
		resp, err := client.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return nil
	}
}

// onFreePort calls start with a free port, and with another one when the
// server exited before it was ready (the port may have been taken in the
// meantime), startAttempts times at most.
func onFreePort[T any](start func(port int) (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			var zero T
			return zero, err
		}
		s, err := start(port)
		if err == nil || attempt == startAttempts || !errors.Is(err, errExited) {
			return s, err
		}
	}
}

// stop kills the server's process group and waits for it to exit. It may
// be called more than once; later calls do nothing.
func (p *proc) stop() {
	p.stopOnce.Do(func() {
		if p.cmd.Process != nil {
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		}
		_ = p.lifeline.Close()
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
		}
	})
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

func newTail() *tail { return &tail{max: outputLimit} }

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
