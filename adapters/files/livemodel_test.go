//go:build unix

package files

// In package files (not files_test) for one seam: Hang blocks the file
// reads through Provider.readInfo, which no exported option reaches.

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/adapters/internal/fileread"
	"github.com/dashtam/secretsgen/internal/testing/livemodel"
	"github.com/dashtam/secretsgen/runtime"
)

// TestLiveModel checks runtime.Live over runtime.Cache over a kubelet
// volume read by this provider against livemodel's reference model: the
// files of one ..data generation are one update group, so Settings never
// mix two generations. Each sequence costs real file I/O (a generation
// directory per write), so it runs fewer sequences than the in-memory
// model (LIVEMODEL_SEQUENCES overrides).
func TestLiveModel(t *testing.T) {
	livemodel.Run(t, livemodel.Config{New: newKubeBackends(t), Sequences: liveModelSequences})
}

// TestLiveModelLayers is TestLiveModel through runtime.Layers, with an
// empty layer in front of the volume. (It found that Layers.Group named the
// group of the layer that served a ref's last read, so a file no layer
// served, deleted or read in an outage, fell out of its generation:
// "delete a/one; rotate b/four; poll" mixed two generations.)
func TestLiveModelLayers(t *testing.T) {
	livemodel.Run(t, livemodel.Config{New: newKubeBackends(t), Sequences: liveModelSequences, Layers: true})
}

// newKubeBackends returns a livemodel Config.New that makes each sequence
// a fresh volume under one temporary directory, removing the previous
// sequence's.
func newKubeBackends(t *testing.T) func(testing.TB) livemodel.Backend {
	base := t.TempDir()
	var prev string
	return func(t testing.TB) livemodel.Backend {
		if prev != "" {
			if err := os.RemoveAll(prev); err != nil {
				t.Fatal(err)
			}
		}
		dir, err := os.MkdirTemp(base, "vol")
		if err != nil {
			t.Fatal(err)
		}
		prev = dir
		return &kubeBackend{dir: dir, files: map[string]string{}}
	}
}

// liveModelSequences keeps TestLiveModel under about 20 s on a shared
// two-core machine: a sequence costs 15-35 ms under -race (7 to 19 s for
// 500, by load; 1,000 took 29 s) and 9-17 ms without (1,000 in 9 s),
// mostly creating files.
var liveModelSequences = func() int {
	if raceOn {
		return 500
	}
	return 1000
}()

// kubeBackend is a livemodel.Backend over a directory laid out and updated
// as the kubelet's AtomicWriter does for a Secret volume: every write is a
// new timestamped directory holding every current file, a ..data_tmp link
// to it renamed over ..data, links KEY -> ..data/KEY added for new keys and
// removed for dropped ones, and the older directories removed. Each
// secret's file is named by its Ref.Env. The whole volume is one update
// group. Its provider does not watch (NoWatch): the harness polls with
// RefreshNow, so every read happens at a step of the sequence.
type kubeBackend struct {
	dir    string
	files  map[string]string // file name -> text: the volume's current payload
	gen    string            // the newest generation directory (base name)
	outage bool              // ..data points at a directory that does not exist

	mu   sync.Mutex
	hang chan struct{} // non-nil: file reads block until it is closed or their ctx is done
}

var _ livemodel.Backend = (*kubeBackend)(nil)

// unmounted is where ..data points during an outage: nothing, which the
// provider reports as unavailable (TestDataLinkBroken).
const unmounted = "..unmounted"

func (b *kubeBackend) Provider(t testing.TB) runtime.Provider {
	p, err := New(b.dir, &Options{NoWatch: true})
	if err != nil {
		t.Fatal(err)
	}
	p.readInfo = func(ctx context.Context, name string, limit int64) ([]byte, fs.FileInfo, fs.FileInfo, error) {
		b.mu.Lock()
		hang := b.hang
		b.mu.Unlock()
		if hang != nil {
			select {
			case <-hang:
			case <-ctx.Done():
				return nil, nil, nil, ctx.Err()
			}
		}
		return fileread.ReadInfo(ctx, name, limit)
	}
	return p // the Live closes it (CloseProvider)
}

// fileOf returns the file that holds the model's secret path.
func fileOf(t testing.TB, path string) string {
	for _, s := range livemodel.Secrets {
		if s.Ref.Path == path {
			return fileName(s.Ref)
		}
	}
	t.Fatalf("no model secret %q", path)
	return ""
}

// Write is one kubelet update of the whole payload.
func (b *kubeBackend) Write(t testing.TB, texts map[string]string, del []string) {
	t.Helper()
	for p, text := range texts {
		b.files[fileOf(t, p)] = text
	}
	var dropped []string
	for _, p := range del {
		name := fileOf(t, p)
		if _, ok := b.files[name]; ok {
			delete(b.files, name)
			dropped = append(dropped, name)
		}
	}
	// 1. A new timestamped directory holding every current file.
	ts, err := os.MkdirTemp(b.dir, time.Now().UTC().Format("..2006_01_02_15_04_05."))
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range b.files {
		if err := os.WriteFile(filepath.Join(ts, name), []byte(text+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := b.gen
	b.gen = filepath.Base(ts)
	// 2. ..data_tmp -> the new directory, renamed over ..data; during an
	// outage ..data keeps pointing nowhere until Outage(false).
	if !b.outage {
		b.swapData(t, b.gen)
	}
	// 3. Links for new keys; the links of dropped keys go.
	for name := range b.files {
		link := filepath.Join(b.dir, name)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join(dataLink, name), link); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range dropped {
		if err := os.Remove(filepath.Join(b.dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	// 4. The old directory goes.
	if old != "" {
		if err := os.RemoveAll(filepath.Join(b.dir, old)); err != nil {
			t.Fatal(err)
		}
	}
}

// swapData points ..data at target as the kubelet does: a ..data_tmp link
// renamed over it.
func (b *kubeBackend) swapData(t testing.TB, target string) {
	t.Helper()
	tmp := filepath.Join(b.dir, "..data_tmp")
	if err := os.Symlink(target, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(b.dir, dataLink)); err != nil {
		t.Fatal(err)
	}
}

// Outage points ..data at a directory that does not exist (a volume whose
// generation vanished), and back at the newest generation.
func (b *kubeBackend) Outage(t testing.TB, on bool) {
	t.Helper()
	b.outage = on
	if on {
		b.swapData(t, unmounted)
	} else {
		b.swapData(t, b.gen)
	}
}

// CanDeny is false: the tests may run as root, whom file modes do not
// deny, so Deny is never called.
func (b *kubeBackend) CanDeny() bool { return false }

func (b *kubeBackend) Deny(t testing.TB, path string, on bool) {
	t.Fatalf("Deny(%s, %v) called on a backend that cannot deny", path, on)
}

// Hang blocks every file read (through the provider's read seam) until
// its context is done, or releases them. Resolving ..data and the Stat
// before a read do not block.
func (b *kubeBackend) Hang(_ testing.TB, on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case on && b.hang == nil:
		b.hang = make(chan struct{})
	case !on && b.hang != nil:
		close(b.hang)
		b.hang = nil
	}
}

// Groups is one group: every file of the volume is read from the one
// generation ..data names, and Group puts them all in "..data".
func (b *kubeBackend) Groups() [][]string {
	var g []string
	for _, s := range livemodel.Secrets {
		g = append(g, s.Ref.Path)
	}
	return [][]string{g}
}

// Poke is false: the provider does not watch, so the harness polls with
// RefreshNow.
func (b *kubeBackend) Poke() bool { return false }
