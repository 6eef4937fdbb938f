package files_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/dashtam/secretsgen/adapters/files"
	"github.com/dashtam/secretsgen/runtime"
)

// FuzzRead checks, for any file contents, that a text entry is the
// contents less at most one trailing "\n" or "\r\n", whatever the entry's
// type, and that a file over the limit is refused.
func FuzzRead(f *testing.F) {
	for _, seed := range []string{"", "\n", "\r\n", "v\n\n", "v\r\r\n", "\x00\xff", "line\r", "0123456789abcdef\n"} {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	p, err := files.New(dir, &files.Options{MaxSize: 16, NoWatch: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { p.Close() })
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, "V"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		res := p.GetMany(t.Context(), []runtime.Ref{{Path: "v", Env: "V"}, {Path: "bytes", Env: "V", Type: "bytes"}})
		if len(data) > 16 {
			for _, r := range res {
				if r.Err == nil {
					t.Fatalf("a %d-byte file over the 16-byte limit was read", len(data))
				}
			}
			return
		}
		if len(data) == 0 {
			// An empty file of a plain directory that changed within the
			// last second may be an in-place edit under way (truncated,
			// not yet written): unavailable rather than "", until it is
			// older (TestReadRacesWrite covers both sides).
			for i, r := range res {
				if r.Err != nil && !errors.Is(r.Err, runtime.ErrUnavailable) || r.Err == nil && r.Value.Text != "" {
					t.Errorf("entry %d of an empty file: %q, %v; want \"\" or unavailable", i, r.Value.Text, r.Err)
				}
			}
			return
		}
		if res[0].Err != nil || res[1].Err != nil {
			t.Fatalf("GetMany: %v, %v", res[0].Err, res[1].Err)
		}
		want := data
		switch {
		case bytes.HasSuffix(want, []byte("\r\n")):
			want = want[:len(want)-2]
		case bytes.HasSuffix(want, []byte("\n")):
			want = want[:len(want)-1]
		}
		for i, r := range res {
			if r.Value.Text != string(want) {
				t.Errorf("entry %d: text of %q = %q, want %q", i, data, r.Value.Text, want)
			}
		}
	})
}
