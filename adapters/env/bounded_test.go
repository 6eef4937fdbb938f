package env_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/adapters/env"
	"github.com/dashtam/secretsgen/runtime"
)

// malformedEnv is a .env file whose first line is bad, followed by lines
// valid lines.
func malformedEnv(lines int) []byte {
	var b strings.Builder
	b.WriteString("BAD-NAME=1\n")
	for i := range lines {
		b.WriteString("NAME_")
		b.WriteString(strings.Repeat("X", i%7))
		b.WriteString("=value\n")
	}
	return []byte(b.String())
}

// TestMalformedEnvLinear: a bad first line followed by 100,000 valid lines
// is reported, with its line. How fast is BenchmarkMalformedEnv's to say
// (well under a second; the old prefix search takes hours at this size):
// here a minute is the bound, which only a search as slow as the old one
// fails, however busy the machine.
func TestMalformedEnvLinear(t *testing.T) {
	file := filepath.Join(t.TempDir(), "big.env")
	if err := os.WriteFile(file, malformedEnv(100_000), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := env.New(&env.Options{Files: []string{file}})
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), ": line 1: want NAME=value") {
		t.Fatalf("New: %v; want a parse error at line 1", err)
	}
	t.Logf("reporting a malformed 100,000-line .env file took %v", took)
	if took > time.Minute {
		t.Errorf("reporting a malformed 100,000-line .env file took %v: the search is not linear", took)
	}
}

// TestErrorLine covers the line the parse error names: the bad character
// of a name, or the opening quote of a value that never closes.
func TestErrorLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		line       string
	}{
		{"second statement on the closing line", "A=\"x\ny\" B-=1\n", "line 2:"},
		{"export prefix", "export A=1\nexport B-C=2\n", "line 2:"},
		{"comment lines before", "# one\n# two\n  # three\n\n=\n\"\n", "line 6:"},
		{"CRLF lines", "A=1\r\nB=2\r\n-C=3\r\n", "line 3:"},
		{"unterminated after escaped quote", "A=1\nB=\"x\\\"\nC=2\n", "line 2:"},
		{"unicode space", "A=1\n\u00a0B-=1\n", "line 2:"},
		{"yaml style then bad", "A: 1\nB; 2\n", "line 2:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := tempFile(t, "bad.env", tt.text)
			_, err := env.New(&env.Options{Files: []string{file}})
			if err == nil || !strings.Contains(err.Error(), "does not parse: "+tt.line) {
				t.Errorf("New: %v; want the error at %s", err, tt.line)
			}
		})
	}
}

// FuzzDotenvErrorLine: whatever godotenv refuses, the error names a line
// of the file and none of its text.
func FuzzDotenvErrorLine(f *testing.F) {
	for _, s := range []string{"A=1\nB-\n", "A='x\n", "A=\"x\ny\"\r\nB='c\r\n", "#c\nexport  X Y\n", "A=\"\\\"\n", "\u00a0\u0085A=1\n-\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		file := filepath.Join(t.TempDir(), "f.env")
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := env.New(&env.Options{Files: []string{file}})
		if err == nil {
			return
		}
		msg := strings.TrimPrefix(err.Error(), "invalid value [env]: the .env file does not parse: ")
		lines := strings.Count(strings.ReplaceAll(text, "\r\n", "\n"), "\n") + 1
		var n int
		if _, scanErr := fmt.Sscanf(msg, "line %d:", &n); scanErr != nil || n < 1 || n > lines {
			t.Fatalf("error %q: want line 1..%d", err, lines)
		}
	})
}

// TestSecretFileBounded: a NAME_FILE naming /dev/zero, a FIFO without a
// writer, or a file over 1 MiB is an invalid value naming the variable,
// returned at once, never the path or contents.
func TestSecretFileBounded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, env.MaxValueSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	exact := filepath.Join(dir, "exact")
	if err := os.WriteFile(exact, []byte(strings.Repeat("x", env.MaxValueSize)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, want string
	}{
		{"dev zero", "/dev/zero", "DATABASE_URL_FILE names a device, FIFO or socket, not a regular file"},
		{"fifo", fifo, "DATABASE_URL_FILE names a device, FIFO or socket, not a regular file"},
		{"over 1 MiB", big, "DATABASE_URL_FILE names a file larger than the limit of 1 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := mustNew(t, &env.Options{LookupEnv: mapEnv(map[string]string{"DATABASE_URL_FILE": tt.file})})
			// The deadline only bounds a read that would block: the
			// error must come from the file's check, not from it.
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			done := make(chan error, 1)
			go func() { _, err := p.Get(ctx, dbURL); done <- err }()
			var err error
			select {
			case err = <-done:
			case <-time.After(2 * time.Minute):
				t.Fatal("Get is still blocked past the caller's deadline")
			}
			var e *runtime.SecretError
			if !errors.Is(err, runtime.ErrInvalidValue) || !errors.As(err, &e) || e.Where != "DATABASE_URL_FILE" {
				t.Fatalf("Get: %v; want ErrInvalidValue at DATABASE_URL_FILE", err)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), tt.file) {
				t.Errorf("Get: %v; want %q and no path", err, tt.want)
			}
		})
	}
	t.Run("exactly 1 MiB", func(t *testing.T) {
		t.Parallel()
		p := mustNew(t, &env.Options{LookupEnv: mapEnv(map[string]string{"DATABASE_URL_FILE": exact})})
		v, err := p.Get(t.Context(), dbURL)
		if err != nil || len(v.Text) != env.MaxValueSize {
			t.Errorf("Get: %d bytes, %v; want %d bytes", len(v.Text), err, env.MaxValueSize)
		}
	})
}

// TestEnvFileBounded: SECRETS_ENV_FILE naming /dev/zero, a FIFO or a file
// over 10 MiB fails at once with an error naming the file, not its text.
func TestEnvFileBounded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.env")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	big := filepath.Join(dir, "big.env")
	if err := os.WriteFile(big, []byte(strings.Repeat("A=1\n", env.MaxEnvFileSize/4+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ file, want string }{
		{"/dev/zero", "not a regular file"},
		{fifo, "not a regular file"},
		{big, "larger than the limit of 10 MiB"},
	} {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := env.FromLookup(ctx, mapEnv(map[string]string{"SECRETS_ENV_FILE": tt.file}))
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.file) {
					t.Errorf("FromLookup: %v; want %q naming the file", err, tt.want)
				}
			case <-time.After(2 * time.Minute):
				t.Fatal("FromLookup is still blocked past the caller's deadline")
			}
		})
	}
}
