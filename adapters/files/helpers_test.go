package files_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/adapters/files"
	"github.com/dashtam/secretsgen/runtime"
)

// kubeVolume lays out a directory exactly as the kubelet's AtomicWriter
// (pkg/volume/util/atomic_writer.go) does for a Secret volume:
//
//	..2026_11_30_18_58_50.123456789/KEY   the files of one update
//	..data -> ..2026_11_30_18_58_50.123456789
//	KEY -> ..data/KEY                      one link per key
//
// and updates it with the kubelet's steps: write a new timestamped
// directory, link ..data_tmp to it, rename ..data_tmp over ..data, add
// links for new keys, remove links of dropped keys, remove the old
// directory.
type kubeVolume struct {
	t    testing.TB
	dir  string
	keys map[string]bool
}

func newKubeVolume(t testing.TB, dir string, payload map[string]string) *kubeVolume {
	t.Helper()
	v := &kubeVolume{t: t, dir: dir, keys: map[string]bool{}}
	v.update(payload)
	return v
}

// update writes payload (file name to contents) as one atomic update.
func (v *kubeVolume) update(payload map[string]string) {
	t := v.t
	t.Helper()
	old, err := os.Readlink(filepath.Join(v.dir, "..data"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	// 1. A new timestamped directory holding every file of the payload.
	ts, err := os.MkdirTemp(v.dir, time.Now().UTC().Format("..2006_01_02_15_04_05."))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(ts, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range sortedKeys(payload) {
		if err := os.WriteFile(filepath.Join(ts, name), []byte(payload[name]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// 2. ..data_tmp -> the new directory, renamed over ..data.
	tmp := filepath.Join(v.dir, "..data_tmp")
	if err := os.Symlink(filepath.Base(ts), tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(v.dir, "..data")); err != nil {
		t.Fatal(err)
	}
	// 3. Links for new keys, then removal of the links of dropped keys.
	for _, name := range sortedKeys(payload) {
		if v.keys[name] {
			continue
		}
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(v.dir, name)); err != nil {
			t.Fatal(err)
		}
		v.keys[name] = true
	}
	for name := range v.keys {
		if _, ok := payload[name]; !ok {
			if err := os.Remove(filepath.Join(v.dir, name)); err != nil {
				t.Fatal(err)
			}
			delete(v.keys, name)
		}
	}
	// 4. The old directory goes.
	if old != "" {
		if err := os.RemoveAll(filepath.Join(v.dir, old)); err != nil {
			t.Fatal(err)
		}
	}
}

// dataTarget returns the target of ..data.
func (v *kubeVolume) dataTarget() string {
	v.t.Helper()
	target, err := os.Readlink(filepath.Join(v.dir, "..data"))
	if err != nil {
		v.t.Fatal(err)
	}
	return target
}

// replaceFile replaces dir/name as Docker tools and Vault Agent do: write a
// temporary file in the same directory, then rename it over the old one.
func replaceFile(t testing.TB, dir, name, text string) {
	t.Helper()
	tmp := filepath.Join(dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// editFile rewrites dir/name in place (same inode), as an editor that
// truncates and writes does.
func editFile(t testing.TB, dir, name, text string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// writeFiles writes a plain directory of files.
func writeFiles(t testing.TB, dir string, payload map[string]string) {
	t.Helper()
	for name, text := range payload {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// mustNew builds a provider over dir and closes it when the test ends.
func mustNew(t testing.TB, dir string, opts *files.Options) *files.Provider {
	t.Helper()
	p, err := files.New(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

// ref reads the file name; its path is the name in lower case, "_" as "/".
// read reads ref from p as runtime reads through an adapter (Load, the
// Cache): its error is the one users see, stamped with the path and the
// backend.
func read(ctx context.Context, p runtime.Provider, ref runtime.Ref) (runtime.Value, error) {
	r := runtime.GetMany(ctx, p, []runtime.Ref{ref})[0]
	return r.Value, r.Err
}

func ref(name string) runtime.Ref {
	return runtime.Ref{Path: strings.ToLower(strings.ReplaceAll(name, "_", "/")), Env: name}
}

func mkdir(t testing.TB, dir string) {
	t.Helper()
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
}

func symlink(t testing.TB, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
