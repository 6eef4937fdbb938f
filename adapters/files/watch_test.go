package files_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/dashtam/secretsgen/adapters/files"
	"github.com/dashtam/secretsgen/runtime"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// eventWait bounds the wait for a change event that must come. It is no
// latency goal (a rotation seen within a second): a busy machine can take
// longer, and the tests log what it took. The debounce rules are checked
// on a fake clock in watch_internal_test.go.
const eventWait = time.Minute

// waitChanged waits for one signal on p.Changed and fails after
// eventWait.
func waitChanged(t *testing.T, p *files.Provider) {
	t.Helper()
	select {
	case _, ok := <-p.Changed():
		if !ok {
			t.Fatal("Changed was closed")
		}
	case <-time.After(eventWait):
		t.Fatalf("no change event within %v", eventWait)
	}
}

// TestChangeEvents reproduces each way a platform updates the directory and
// checks that an event arrives after the update and that a read after it
// sees every new value (in a kubelet volume, never a mix). A machine under
// load can pause the updating goroutine between two steps, or the one
// reading the kernel's events, for longer than the debounce period, and
// the watcher then rightly signals twice: so the test takes the first
// signal after which the read sees the new values and only logs how many
// came (one update, one signal is checked on a fake clock in
// watch_internal_test.go).
func TestChangeEvents(t *testing.T) {
	t.Parallel()
	const debounce = 200 * time.Millisecond
	tests := []struct {
		name   string
		atomic bool                                       // one batch never mixes updates
		setup  func(t *testing.T, dir string) func(n int) // returns the update to version n
	}{
		{
			name:   "kubelet atomic update",
			atomic: true,
			setup: func(t *testing.T, dir string) func(int) {
				vol := newKubeVolume(t, dir, pair(0))
				return func(n int) { vol.update(pair(n)) }
			},
		},
		{
			name: "docker-style replacement",
			setup: func(t *testing.T, dir string) func(int) {
				writeFiles(t, dir, pair(0))
				return func(n int) {
					for _, name := range sortedKeys(pair(n)) {
						replaceFile(t, dir, name, pair(n)[name])
					}
				}
			},
		},
		{
			name: "edited in place",
			setup: func(t *testing.T, dir string) func(int) {
				writeFiles(t, dir, pair(0))
				return func(n int) {
					for _, name := range sortedKeys(pair(n)) {
						editFile(t, dir, name, pair(n)[name])
					}
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			update := tc.setup(t, dir)
			p := mustNew(t, dir, &files.Options{Debounce: debounce})
			if extra := drainChanged(p, 3*debounce); extra > 0 {
				t.Errorf("%d change events before any update", extra)
			}
			for n := 1; n <= 3; n++ {
				start := time.Now()
				update(n)
				took := time.Since(start)
				signals := awaitPair(t, p, n, start, tc.atomic)
				t.Logf("update %d took %v: new values read after event %d, %v after the update began", n, took, signals, time.Since(start))
				signals += drainChanged(p, 2*debounce)
				t.Logf("update %d: %d change events in all", n, signals)
			}
		})
	}
}

// awaitPair waits for signals of p.Changed until a read after one sees
// version n of pair, and fails the test if that takes more than eventWait
// from start. It returns the number of signals taken.
func awaitPair(t *testing.T, p *files.Provider, n int, start time.Time, atomic bool) int {
	t.Helper()
	signals := 0
	for {
		select {
		case _, ok := <-p.Changed():
			if !ok {
				t.Fatal("Changed was closed")
			}
		case <-time.After(time.Until(start.Add(eventWait))):
			t.Fatalf("update %d: no event after which the new values are read, within %v (%d events)", n, eventWait, signals)
		}
		signals++
		if readPair(t, p, atomic) == n {
			return signals
		}
	}
}

// drainChanged takes every signal of p.Changed until it has been quiet for
// quiet, and returns how many it took.
func drainChanged(p *files.Provider, quiet time.Duration) int {
	n := 0
	for {
		select {
		case <-p.Changed():
			n++
		case <-time.After(quiet):
			return n
		}
	}
}

// readPair reads both files of pair in one batch and returns their version
// number, or -1 when they are from different versions; with atomic, a mix
// fails the test.
func readPair(t *testing.T, p *files.Provider, atomic bool) int {
	t.Helper()
	res := p.GetMany(t.Context(), []runtime.Ref{ref("USERNAME"), ref("PASSWORD")})
	if res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("GetMany: %v, %v", res[0].Err, res[1].Err)
	}
	var n1, n2 int
	if _, err := fmt.Sscanf(res[0].Value.Text, "user-v%d", &n1); err != nil {
		t.Fatalf("USERNAME = %q", res[0].Value.Text)
	}
	if _, err := fmt.Sscanf(res[1].Value.Text, "pass-v%d", &n2); err != nil {
		t.Fatalf("PASSWORD = %q", res[1].Value.Text)
	}
	if n1 != n2 {
		if atomic {
			t.Errorf("one batch mixed two updates: %q and %q", res[0].Value.Text, res[1].Value.Text)
		}
		return -1
	}
	return n1
}

// pair is version n of two files that must always match.
func pair(n int) map[string]string {
	v := "v" + strconv.Itoa(n)
	return map[string]string{"USERNAME": "user-" + v + "\n", "PASSWORD": "pass-" + v + "\n"}
}

// checkPair reads both files of pair in one batch and checks they are
// version n.
func checkPair(t *testing.T, p *files.Provider, n int) {
	t.Helper()
	res := p.GetMany(t.Context(), []runtime.Ref{ref("USERNAME"), ref("PASSWORD")})
	want := "v" + strconv.Itoa(n)
	if res[0].Err != nil || res[1].Err != nil || res[0].Value.Text != "user-"+want || res[1].Value.Text != "pass-"+want {
		t.Errorf("after update %d: %q, %q (%v, %v)", n, res[0].Value.Text, res[1].Value.Text, res[0].Err, res[1].Err)
	}
}

// TestKubeletNoMix reads two files that must match, from several
// goroutines, while the kubelet updates the volume many times: no batch
// may see one file from one update and the other from another, or miss a
// file the old directory's removal took away (not found). A batch during
// which ..data moved on every one of the bounded attempts is unavailable
// ("the volume is being updated"), the documented outcome under churn,
// which a busy machine makes likelier: it is counted, not failed, and its
// files are still never not found. At least one batch must read both
// files while updates are under way, or the no-mix check proved nothing;
// the updates go on (up to a deadline) until one has. Run with -race.
func TestKubeletNoMix(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vol := newKubeVolume(t, dir, pair(0))
	p := mustNew(t, dir, nil)
	const updates, readers = 300, 4
	var (
		wg          sync.WaitGroup
		stop        atomic.Bool
		reads       atomic.Int64
		whole       atomic.Int64 // batches that read both files: checked for a mix
		unavailable atomic.Int64 // batches the adapter gave up on under churn
	)
	for range readers {
		wg.Go(func() {
			refs := []runtime.Ref{ref("USERNAME"), ref("PASSWORD")}
			for !stop.Load() {
				res := p.GetMany(t.Context(), refs)
				reads.Add(1)
				if res[0].Err != nil || res[1].Err != nil {
					for _, r := range res {
						if r.Err != nil && !errors.Is(r.Err, runtime.ErrUnavailable) {
							t.Errorf("GetMany during updates: %v, %v; want values, or unavailable under churn", res[0].Err, res[1].Err)
							return
						}
					}
					unavailable.Add(1)
					continue
				}
				u, pw := res[0].Value, res[1].Value
				var n1, n2 int
				if _, err := fmt.Sscanf(u.Text, "user-v%d", &n1); err != nil {
					t.Errorf("USERNAME = %q", u.Text)
					return
				}
				if _, err := fmt.Sscanf(pw.Text, "pass-v%d", &n2); err != nil {
					t.Errorf("PASSWORD = %q", pw.Text)
					return
				}
				if n1 != n2 || u.Version != pw.Version {
					t.Errorf("one batch mixed two updates: %q (%s) and %q (%s)", u.Text, u.Version, pw.Text, pw.Version)
					return
				}
				whole.Add(1)
			}
		})
	}
	// A machine busy enough can starve the readers, or move ..data under
	// every attempt of every batch: update until a batch read both files
	// (always by the 300th update in practice), for at most a minute.
	deadline := time.Now().Add(time.Minute)
	n := 1
	for ; n <= updates || whole.Load() == 0 && time.Now().Before(deadline); n++ {
		vol.update(pair(n))
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d batches read during %d updates: %d read both files, %d unavailable under churn", reads.Load(), n-1, whole.Load(), unavailable.Load())
	if whole.Load() == 0 && !t.Failed() {
		t.Errorf("no batch read both files during %d updates (%d batches, all unavailable): the no-mix check saw nothing", n-1, reads.Load())
	}
	checkPair(t, p, n-1)
}

// TestChangedCoalesces checks that signals nobody takes do not pile up or
// block the watcher.
func TestChangedCoalesces(t *testing.T) {
	t.Parallel()
	const debounce = 20 * time.Millisecond
	dir := t.TempDir()
	vol := newKubeVolume(t, dir, pair(0))
	p := mustNew(t, dir, &files.Options{Debounce: debounce})
	for n := 1; n <= 5; n++ {
		vol.update(pair(n))
		time.Sleep(3 * debounce) // each update settles on its own
	}
	waitChanged(t, p)
	drainChanged(p, 3*debounce)
	start := time.Now()
	vol.update(pair(6))
	awaitPair(t, p, 6, start, true) // the watcher still runs
}

// TestChangedUnderSteadyWrites checks that a directory that never stops
// changing still signals.
func TestChangedUnderSteadyWrites(t *testing.T) {
	t.Parallel()
	const debounce = 50 * time.Millisecond
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"A": "0"})
	p := mustNew(t, dir, &files.Options{Debounce: debounce})
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(debounce / 5):
				// Not editFile: t.Fatal must not be called off the test goroutine.
				if err := os.WriteFile(filepath.Join(dir, "A"), []byte(strconv.Itoa(i)), 0o600); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()
	defer func() { close(stop); <-done }()
	waitChanged(t, p)
}

func TestNoWatch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"A": "a"})
	p, err := files.New(dir, &files.Options{NoWatch: true, Debounce: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	editFile(t, dir, "A", "b")
	select {
	case <-p.Changed():
		t.Error("Changed fired with NoWatch")
	case <-time.After(50 * time.Millisecond):
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-p.Changed(); ok {
		t.Error("Changed is open after Close")
	}
}

// TestClose checks that Close stops the watcher goroutine (and fsnotify's),
// closes Changed, can be called twice, and leaves reads working.
// Not parallel: goleak looks at every goroutine.
func TestClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	vol := newKubeVolume(t, dir, pair(0))
	p, err := files.New(dir, &files.Options{Debounce: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	vol.update(pair(1))
	waitChanged(t, p)
	vol.update(pair(2)) // an event in flight while closing
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for range p.Changed() { // drains a signal sent before Close, then ends
	}
	checkPair(t, p, 2)
}
