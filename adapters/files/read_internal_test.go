package files

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/adapters/internal/fileread"
	"github.com/dashtam/secretsgen/runtime"
)

// TestReadRacesWrite: an in-place edit (truncate, then write) must not let
// a read return the empty or partial file in between. A read whose file
// changed under it (the open file's size, times or inode differ before
// and after the read) is read again, and so is an empty file of a plain
// directory changed within the last second; after bounded retries the
// secret is unavailable, never "". The clock, the wait between attempts
// and the writer's steps are the test's, so no interleaving depends on
// the machine's speed.
func TestReadRacesWrite(t *testing.T) {
	const recent, old = 10 * time.Millisecond, time.Hour // the file's age as the provider's clock tells it
	type step func(t *testing.T, path string)
	write := func(text string) step {
		return func(t *testing.T, path string) {
			t.Helper()
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil { // O_TRUNC: in place, same inode
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name    string
		initial string
		age     time.Duration
		onWait  []step // the writer's next step at each wait between attempts
		onRead  []step // the writer's step during each read (between the two fstats); nil: none
		want    string
		wantErr error // kind
		waits   int   // waits between attempts
	}{
		{name: "truncated, written before the retry", initial: "", age: recent, onWait: []step{write("new")}, want: "new", waits: 1},
		{name: "truncated, written after three retries", initial: "", age: recent, onWait: []step{nil, nil, write("new")}, want: "new", waits: 3},
		{name: "truncated, never written", initial: "", age: recent, wantErr: runtime.ErrUnavailable, waits: len(retryWaits)},
		{name: "empty for an hour", initial: "", age: old, want: "", waits: 0},
		{name: "written during the read", initial: "ne", age: recent, onRead: []step{write("new2")}, want: "new2", waits: 1},
		{name: "truncated during the read", initial: "old", age: recent, onRead: []step{write("")}, onWait: []step{nil, write("new")}, want: "new", waits: 2},
		{name: "written during every read", initial: "a", age: recent,
			onRead: []step{write("b"), write("cc"), write("d"), write("ee"), write("f"), write("gg")}, wantErr: runtime.ErrUnavailable, waits: len(retryWaits)},
		{name: "settled", initial: "value", age: recent, want: "value", waits: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "A")
			if err := os.WriteFile(path, []byte(tc.initial), 0o600); err != nil {
				t.Fatal(err)
			}
			p, err := New(dir, &Options{NoWatch: true})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			p.now = changedAgo(t, path, tc.age)
			waits := 0
			p.wait = func(ctx context.Context, d time.Duration) error {
				if d <= 0 || d > time.Second {
					t.Errorf("wait %v", d)
				}
				if waits < len(tc.onWait) && tc.onWait[waits] != nil {
					tc.onWait[waits](t, path)
				}
				waits++
				return nil
			}
			reads := 0
			p.readInfo = func(ctx context.Context, name string, limit int64) ([]byte, fs.FileInfo, fs.FileInfo, error) {
				data, before, after, err := fileread.ReadInfo(ctx, name, limit)
				if err == nil && reads < len(tc.onRead) && tc.onRead[reads] != nil {
					// The writer's step lands after the data was read, before the second fstat.
					tc.onRead[reads](t, path)
					after, err = os.Stat(name)
				}
				reads++
				return data, before, after, err
			}
			v, err := p.Get(t.Context(), runtime.Ref{Path: "a", Env: "A"})
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("Get = %q, %v; want %v", v.Text, err, tc.wantErr)
				} else if msg := err.Error(); !strings.Contains(msg, "changed while it was read") {
					t.Errorf("error %q does not say the file was being written", msg)
				}
			} else if err != nil || v.Text != tc.want {
				t.Errorf("Get = %q, %v; want %q", v.Text, err, tc.want)
			}
			if waits != tc.waits {
				t.Errorf("%d waits between attempts, want %d", waits, tc.waits)
			}
		})
	}
}

// TestReadEmptyInVolume: files of a kubelet generation are never edited
// in place, so an empty one is read at once however new.
func TestReadEmptyInVolume(t *testing.T) {
	dir := t.TempDir()
	gen := filepath.Join(dir, "..2026_01_01_00_00_00.1")
	if err := os.Mkdir(gen, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(gen, "A"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Base(gen), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	p, err := New(dir, &Options{NoWatch: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.now = changedAgo(t, filepath.Join(gen, "A"), 0) // the file looks just written
	p.wait = func(context.Context, time.Duration) error {
		t.Error("waited to read an empty file of a kubelet generation")
		return nil
	}
	if v, err := p.Get(t.Context(), runtime.Ref{Path: "a", Env: "A"}); err != nil || v.Text != "" {
		t.Errorf("Get = %q, %v; want \"\"", v.Text, err)
	}
}

// TestWaitCancelled: a context that ends while the read waits to try
// again makes the secret unavailable at once.
func TestWaitCancelled(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "A"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := New(dir, &Options{NoWatch: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.now = changedAgo(t, filepath.Join(dir, "A"), 0) // the file looks just written
	ctx, cancel := context.WithCancel(t.Context())
	p.wait = func(ctx context.Context, d time.Duration) error {
		cancel()
		return sleep(ctx, d)
	}
	if _, err := p.Get(ctx, runtime.Ref{Path: "a", Env: "A"}); !errors.Is(err, runtime.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("Get: %v, want unavailable and cancelled", err)
	}
}

// changedAgo returns a clock that tells the time age after the last change
// of the file at path.
func changedAgo(t *testing.T, path string, age time.Duration) func() time.Time {
	return func() time.Time {
		fi, err := os.Stat(path)
		if err != nil {
			t.Error(err)
			return time.Time{}
		}
		return idOf(fi).changed().Add(age)
	}
}
