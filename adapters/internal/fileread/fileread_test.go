package fileread

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, make([]byte, n), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		file string
		n    int   // bytes read on success
		want error // nil: success
	}{
		{"regular", context.Background(), write("ok", 16), 16, nil},
		{"empty", context.Background(), write("empty", 0), 0, nil},
		{"over the limit", context.Background(), write("big", 17), 0, ErrTooLarge},
		{"directory", context.Background(), dir, 0, ErrIsDir},
		{"device", context.Background(), "/dev/zero", 0, ErrNotRegular},
		{"fifo without a writer", context.Background(), fifo, 0, ErrNotRegular},
		{"missing", context.Background(), filepath.Join(dir, "missing"), 0, fs.ErrNotExist},
		{"cancelled", cancelled, write("ok2", 1), 0, context.Canceled},
	}
	for _, tc := range tests {
		b, err := Read(tc.ctx, tc.file, 16)
		if tc.want == nil {
			if err != nil || len(b) != tc.n {
				t.Errorf("%s: %d bytes, %v", tc.name, len(b), err)
			}
			continue
		}
		if !errors.Is(err, tc.want) || b != nil {
			t.Errorf("%s: %d bytes, %v; want %v", tc.name, len(b), err, tc.want)
		}
	}
}

// TestReadInfo: the information before and after the read is the open
// file's; a write between the two shows in the second.
func TestReadInfo(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	if err := os.WriteFile(name, []byte("abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	data, before, after, err := ReadInfo(context.Background(), name, 16)
	if err != nil || string(data) != "abc" || before.Size() != 3 || after.Size() != 3 || !before.ModTime().Equal(after.ModTime()) {
		t.Fatalf("ReadInfo = %q, %v, %v, %v", data, before, after, err)
	}
	if _, _, _, err := ReadInfo(context.Background(), dir, 16); !errors.Is(err, ErrIsDir) {
		t.Errorf("ReadInfo of a directory: %v", err)
	}
}

func TestWithoutPath(t *testing.T) {
	const secret = "/tmp/s3cr3t-pasted-into-a-variable"
	_, openErr := os.Open(filepath.Join(t.TempDir(), "s3cr3t"))
	tests := []struct {
		name string
		err  error
		want error  // errors.Is(WithoutPath(err), want)
		text string // its message
	}{
		{"path error", openErr, fs.ErrNotExist, "no such file or directory"},
		{"errno in a path error", &fs.PathError{Op: "open", Path: secret, Err: syscall.EACCES}, fs.ErrPermission, "permission denied"},
		{"Read's reason", ErrTooLarge, ErrTooLarge, "file too large"},
		{"wrapped sentinel", fmt.Errorf("%s: %w", secret, fs.ErrClosed), fs.ErrClosed, "file already closed"},
		{"unknown shape", errors.New(secret), nil, "I/O error (*errors.errorString)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := WithoutPath(tt.err)
			if tt.want != nil && !errors.Is(got, tt.want) {
				t.Errorf("WithoutPath(%v) = %v, not %v", tt.err, got, tt.want)
			}
			if got.Error() != tt.text || strings.Contains(got.Error(), "s3cr3t") {
				t.Errorf("WithoutPath(%v) says %q, want %q", tt.err, got, tt.text)
			}
		})
	}
}
