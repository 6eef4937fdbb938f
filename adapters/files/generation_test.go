//go:build unix

package files_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/adapters/files"
	"github.com/dashtam/secretsgen/runtime"
)

// grouper is runtime.Grouper: providers whose secrets change together in
// groups wider than one backend secret.
type grouper interface{ Group(ref runtime.Ref) string }

// TestGroup: in a kubelet volume the unit of atomicity is the ..data
// generation, so every ref is in one group and runtime.Live fetches and
// swaps them together (RefreshNow of one brings all); in a plain directory
// each file is its own.
func TestGroup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		layout func(t *testing.T, dir string)
		same   bool // every ref in one non-empty group
	}{
		{"kubelet volume", func(t *testing.T, dir string) { newKubeVolume(t, dir, map[string]string{"A": "a", "B": "b"}) }, true},
		{"dangling ..data", func(t *testing.T, dir string) { symlink(t, "..gone", filepath.Join(dir, "..data")) }, true},
		{"plain directory", func(t *testing.T, dir string) { writeFiles(t, dir, map[string]string{"A": "a", "B": "b"}) }, false},
		{"..data a plain file", func(t *testing.T, dir string) { writeFiles(t, dir, map[string]string{"..data": "x", "A": "a"}) }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			tc.layout(t, dir)
			var p any = mustNew(t, dir, &files.Options{NoWatch: true})
			g, ok := p.(grouper)
			if !ok {
				t.Fatal("*files.Provider has no Group method (runtime.Grouper)")
			}
			a, b, c := g.Group(ref("A")), g.Group(ref("B")), g.Group(ref("C_MISSING"))
			if tc.same {
				if a == "" || a != b || a != c {
					t.Errorf("groups %q, %q, %q; want one non-empty group", a, b, c)
				}
			} else if a != "" || b != "" || c != "" {
				t.Errorf("groups %q, %q, %q; want each file on its own (\"\")", a, b, c)
			}
		})
	}
}

// TestGetOneGeneration: Get, like GetMany, reads through the generation
// ..data names, never through a key's own link: its value and version
// are that generation's even when the key's link still points at an
// older one.
func TestGetOneGeneration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vol := newKubeVolume(t, dir, map[string]string{"A": "a1", "B": "b1"})
	old := vol.dataTarget()
	if err := os.Rename(filepath.Join(dir, old), filepath.Join(dir, "..old")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(old, filepath.Join(dir, "..data")+".tmp"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "..data")+".tmp", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	// The new generation, then A's own link points at the old one.
	mkdir(t, filepath.Join(dir, old))
	writeFiles(t, filepath.Join(dir, old), map[string]string{"A": "a2", "B": "b2"})
	if err := os.Remove(filepath.Join(dir, "A")); err != nil {
		t.Fatal(err)
	}
	symlink(t, filepath.Join("..old", "A"), filepath.Join(dir, "A"))
	p := mustNew(t, dir, &files.Options{NoWatch: true})
	for _, name := range []string{"A", "B"} {
		v, err := p.Get(t.Context(), ref(name))
		if want := strings.ToLower(name) + "2"; err != nil || v.Text != want || v.Version != old {
			t.Errorf("Get(%s) = %q version %q, %v; want %q of generation %q", name, v.Text, v.Version, err, want, old)
		}
	}
}

// TestDataLinkBroken: a ..data link that points nowhere, at a file or at a
// loop makes every secret unavailable, like a vanished directory: "not
// found" would let optional entries take their defaults and layers fall
// through to a lower backend.
func TestDataLinkBroken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		layout func(t *testing.T, dir string)
	}{
		{"dangling", func(t *testing.T, dir string) {
			vol := newKubeVolume(t, dir, map[string]string{"A": "a"})
			if err := os.RemoveAll(filepath.Join(dir, vol.dataTarget())); err != nil {
				t.Fatal(err)
			}
		}},
		{"points at a file", func(t *testing.T, dir string) {
			writeFiles(t, dir, map[string]string{"..file": "x"})
			symlink(t, "..file", filepath.Join(dir, "..data"))
			symlink(t, "..data/A", filepath.Join(dir, "A"))
		}},
		{"loop", func(t *testing.T, dir string) {
			symlink(t, "..loop", filepath.Join(dir, "..data"))
			symlink(t, "..data", filepath.Join(dir, "..loop"))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			tc.layout(t, dir)
			p := mustNew(t, dir, &files.Options{NoWatch: true})
			refs := []runtime.Ref{ref("A"), ref("B")}
			if _, err := p.Get(t.Context(), refs[0]); !errors.Is(err, runtime.ErrUnavailable) {
				t.Errorf("Get: %v, want unavailable", err)
			}
			for i, r := range p.GetMany(t.Context(), refs) {
				if !errors.Is(r.Err, runtime.ErrUnavailable) || errors.Is(r.Err, runtime.ErrNotFound) {
					t.Errorf("GetMany result %d: %v, want unavailable", i, r.Err)
				} else if msg := r.Err.Error(); !strings.Contains(msg, "..data") || strings.Contains(msg, dir) {
					t.Errorf("GetMany result %d: %q, want it to name ..data and not the directory", i, msg)
				}
			}
		})
	}
}
