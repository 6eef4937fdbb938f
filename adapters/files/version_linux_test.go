package files_test

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/dashtam/secretsgen/adapters/files"
)

// TestVersionHidesLength: the version of a file in a plain directory is
// its modification time, change time and inode; it never carries the
// size, which would tell a secret's length.
func TestVersionHidesLength(t *testing.T) {
	t.Parallel()
	format := regexp.MustCompile(`^m[0-9]+-c[0-9]+-i[0-9]+$`)
	tests := []struct{ name, text string }{
		{"one byte", "x"},
		{"a password", "correct horse battery staple"},
		{"4 KiB", strings.Repeat("y", 4096)},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		writeFiles(t, dir, map[string]string{strings.ToUpper(strings.ReplaceAll(tc.name, " ", "_")): tc.text})
	}
	p := mustNew(t, dir, &files.Options{NoWatch: true})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := strings.ToUpper(strings.ReplaceAll(tc.name, " ", "_"))
			v, err := p.Get(t.Context(), ref(name))
			if err != nil || v.Text != tc.text {
				t.Fatalf("Get = %.40q, %v", v.Text, err)
			}
			var st syscall.Stat_t
			if err := syscall.Stat(filepath.Join(dir, name), &st); err != nil {
				t.Fatal(err)
			}
			want := "m" + strconv.FormatInt(st.Mtim.Nano(), 10) + "-c" + strconv.FormatInt(st.Ctim.Nano(), 10) + "-i" + strconv.FormatUint(uint64(st.Ino), 10)
			if !format.MatchString(v.Version) || v.Version != want {
				t.Errorf("version %q, want %q", v.Version, want)
			}
			if strings.Contains(v.Version, "-s") || strings.Contains(v.Version, "-"+strconv.Itoa(len(tc.text))+"-") {
				t.Errorf("version %q shows the size %d", v.Version, len(tc.text))
			}
		})
	}
}
