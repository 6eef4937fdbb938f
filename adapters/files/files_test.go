//go:build unix

package files_test

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/adapters/files"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

func TestGet(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"PLAIN":        "postgres://app:pw@db:5432/app",
		"NEWLINE":      "value\n",
		"CRLF":         "value\r\n",
		"TWO_NEWLINES": "value\n\n",
		"ONLY_CR":      "value\r",
		"JUST_NEWLINE": "\n",
		"MULTILINE":    "-----BEGIN KEY-----\nabc\n-----END KEY-----\n",
		"BINARY":       "AP9yYXc=\n",
		"AT_LIMIT":     strings.Repeat("x", 64),
		"OVER_LIMIT":   strings.Repeat("x", 65),
		"DOT.NAME":     "dotted",
		"DATABASE_URL": "derived",
	})
	mkdir(t, filepath.Join(dir, "A_DIR"))
	symlink(t, "PLAIN", filepath.Join(dir, "LINK"))
	symlink(t, "NOWHERE", filepath.Join(dir, "DANGLING"))
	symlink(t, "LOOP", filepath.Join(dir, "LOOP"))
	symlink(t, "/dev/null", filepath.Join(dir, "DEVICE"))
	if err := syscall.Mkfifo(filepath.Join(dir, "FIFO"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, "SOCKET"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p := mustNew(t, dir, &files.Options{MaxSize: 64, NoWatch: true})

	tests := []struct {
		name string
		ref  runtime.Ref
		want string
		kind error  // nil: success
		msg  string // part of the error message
	}{
		{name: "plain", ref: ref("PLAIN"), want: "postgres://app:pw@db:5432/app"},
		{name: "one newline dropped", ref: ref("NEWLINE"), want: "value"},
		{name: "crlf dropped", ref: ref("CRLF"), want: "value"},
		{name: "only one newline dropped", ref: ref("TWO_NEWLINES"), want: "value\n"},
		{name: "lone cr kept", ref: ref("ONLY_CR"), want: "value\r"},
		// An empty file reads as "" once it is a second old: whether this
		// one is depends on when the test runs (TestReadRacesWrite, "empty
		// for an hour", holds it on a fake clock; TestReadEmptyInVolume an
		// empty file of a kubelet generation).
		{name: "just a newline", ref: ref("JUST_NEWLINE"), want: ""},
		{name: "multi-line", ref: ref("MULTILINE"), want: "-----BEGIN KEY-----\nabc\n-----END KEY-----"},
		{name: "bytes as base64 text", ref: runtime.Ref{Path: "binary", Env: "BINARY", Type: "bytes"}, want: "AP9yYXc="},
		{name: "at the size limit", ref: ref("AT_LIMIT"), want: strings.Repeat("x", 64)},
		{name: "link to a file", ref: ref("LINK"), want: "postgres://app:pw@db:5432/app"},
		{name: "dotted name", ref: runtime.Ref{Path: "dot", Env: "DOT.NAME"}, want: "dotted"},
		{name: "name derived from the path", ref: runtime.Ref{Path: "database/url"}, want: "derived"},

		{name: "missing", ref: ref("MISSING"), kind: runtime.ErrNotFound, msg: "missing: not found [files MISSING]: no such file; create the file MISSING"},
		{name: "dangling link", ref: ref("DANGLING"), kind: runtime.ErrNotFound, msg: "no such file"},
		{name: "over the size limit", ref: ref("OVER_LIMIT"), kind: runtime.ErrInvalidValue, msg: "is larger than the limit of 64 bytes"},
		{name: "directory", ref: ref("A_DIR"), kind: runtime.ErrInvalidValue, msg: "[files A_DIR]: is a directory; make A_DIR a regular file"},
		{name: "fifo", ref: ref("FIFO"), kind: runtime.ErrInvalidValue, msg: "is a FIFO"},
		{name: "socket", ref: ref("SOCKET"), kind: runtime.ErrInvalidValue, msg: "is a socket"},
		{name: "device", ref: ref("DEVICE"), kind: runtime.ErrInvalidValue, msg: "is a device"},
		{name: "link loop", ref: ref("LOOP"), kind: runtime.ErrInvalidValue, msg: "loop"},
		{name: "name with a slash", ref: runtime.Ref{Path: "a", Env: "../PLAIN"}, kind: runtime.ErrInvalidValue, msg: "is not a file name"},
		{name: "kubelet's own entry", ref: runtime.Ref{Path: "a", Env: "..data"}, kind: runtime.ErrInvalidValue, msg: "is not a file name"},
		{name: "dot", ref: runtime.Ref{Path: "a", Env: "."}, kind: runtime.ErrInvalidValue, msg: "is not a file name"},
		{name: "NUL", ref: runtime.Ref{Path: "a", Env: "A\x00B"}, kind: runtime.ErrInvalidValue, msg: "is not a file name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			done := make(chan struct{})
			var (
				v   runtime.Value
				err error
			)
			go func() { defer close(done); v, err = read(t.Context(), p, tc.ref) }()
			select {
			case <-done:
			case <-time.After(time.Minute): // a hang, not a slow machine
				t.Fatal("Get blocked")
			}
			if tc.kind == nil {
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				if v.Text != tc.want {
					t.Errorf("Get = %q, want %q", v.Text, tc.want)
				}
				if v.Version == "" {
					t.Error("Get returned no version")
				}
				return
			}
			if err == nil {
				t.Fatalf("Get = %q, want an error", v.Text)
			}
			if v != (runtime.Value{}) {
				t.Errorf("Get returned %+v with its error", v)
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("error %q is not %v", err, tc.kind)
			}
			var e *runtime.SecretError
			if !errors.As(err, &e) || e.Path != tc.ref.Path || e.Backend != "files" || e.Where != p.Where(tc.ref) {
				t.Errorf("error %#v does not name path %q, backend files, file %q", err, tc.ref.Path, p.Where(tc.ref))
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
			if strings.Contains(err.Error(), dir) {
				t.Errorf("error %q names the directory", err)
			}
		})
	}
}

// TestOSErrorsKept checks that errors wrap the operating system's reason
// (without the path), so errors.Is works with fs and syscall errors.
func TestOSErrorsKept(t *testing.T) {
	t.Parallel()
	p := mustNew(t, t.TempDir(), &files.Options{NoWatch: true})
	_, err := p.Get(t.Context(), ref("MISSING"))
	if !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("error %q does not wrap fs.ErrNotExist and ENOENT", err)
	}
}

func TestAccessDenied(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		writeFiles(t, dir, map[string]string{"SECRET": "x"})
		if err := os.Chmod(filepath.Join(dir, "SECRET"), 0); err != nil {
			t.Fatal(err)
		}
	} else {
		// Root reads every file but a write-only sysfs attribute: SECRET
		// links to one (links are followed, as Kubernetes volumes need).
		target := ""
		for _, f := range []string{"/sys/bus/cpu/uevent", "/sys/bus/pci/rescan"} {
			if _, err := os.ReadFile(f); errors.Is(err, fs.ErrPermission) {
				target = f
				break
			}
		}
		if target == "" {
			t.Skip("running as root and no write-only sysfs file: cannot make a file unreadable")
		}
		if err := os.Symlink(target, filepath.Join(dir, "SECRET")); err != nil {
			t.Fatal(err)
		}
	}
	p := mustNew(t, dir, &files.Options{NoWatch: true})
	_, err := p.Get(t.Context(), ref("SECRET"))
	if !errors.Is(err, runtime.ErrAccessDenied) || !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Get of an unreadable file: %v, want access denied", err)
	}
	if err != nil && !strings.Contains(err.Error(), "let this process read SECRET") {
		t.Errorf("error %q has no hint", err)
	}
}

func TestDefaultMaxSize(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"AT":   strings.Repeat("a", files.DefaultMaxSize),
		"OVER": strings.Repeat("a", files.DefaultMaxSize+1),
	})
	p := mustNew(t, dir, &files.Options{NoWatch: true})
	res := p.GetMany(t.Context(), []runtime.Ref{ref("AT"), ref("OVER")})
	if res[0].Err != nil || len(res[0].Value.Text) != files.DefaultMaxSize {
		t.Errorf("a file of exactly 1 MiB: %d bytes, %v", len(res[0].Value.Text), res[0].Err)
	}
	if !errors.Is(res[1].Err, runtime.ErrInvalidValue) || !strings.Contains(res[1].Err.Error(), "is larger than the limit of 1 MiB") {
		t.Errorf("a file over 1 MiB: %v, want invalid value", res[1].Err)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	file := filepath.Join(base, "file")
	writeFiles(t, base, map[string]string{"file": "x"})
	tests := []struct {
		name, dir, msg string
	}{
		{"empty", "", "the secrets directory is empty"},
		{"missing", filepath.Join(base, "missing"), "unavailable [files]: the secrets directory does not exist: no such file or directory (tried the directory passed to files.New); mount the volume"},
		{"a file", file, "the secrets directory is not a directory"},
		{"under a file", filepath.Join(file, "sub"), "the secrets directory does not exist"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := files.New(tc.dir, nil)
			if err == nil {
				p.Close()
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
			if strings.Contains(err.Error(), base) {
				t.Errorf("error %q names the directory", err)
			}
		})
	}
}

func TestNameWhere(t *testing.T) {
	t.Parallel()
	p := mustNew(t, t.TempDir(), &files.Options{NoWatch: true})
	if p.Name() != "files" {
		t.Errorf("Name = %q", p.Name())
	}
	for _, tc := range []struct {
		ref  runtime.Ref
		want string
	}{
		{runtime.Ref{Path: "database/url", Env: "DATABASE_URL"}, "DATABASE_URL"},
		{runtime.Ref{Path: "database/url", Env: "PG_DSN"}, "PG_DSN"},
		{runtime.Ref{Path: "schwab/api-key"}, "SCHWAB_API_KEY"},
		{runtime.Ref{Path: "mail/password", Env: "MAIL_PASSWORD", Source: "mail/smtp", Key: "password"}, "MAIL_PASSWORD"},
	} {
		if got := p.Where(tc.ref); got != tc.want {
			t.Errorf("Where(%+v) = %q, want %q", tc.ref, got, tc.want)
		}
	}
}

func TestCancelled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"A": "a"})
	p := mustNew(t, dir, &files.Options{NoWatch: true})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, r := range p.GetMany(ctx, []runtime.Ref{ref("A"), ref("B")}) {
		if !errors.Is(r.Err, runtime.ErrUnavailable) || !errors.Is(r.Err, context.Canceled) || r.Value.Text != "" {
			t.Errorf("GetMany with a cancelled context: %q, %v", r.Value.Text, r.Err)
		}
	}
}

func TestGetManyDuplicates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"A": "a\n"})
	p := mustNew(t, dir, &files.Options{NoWatch: true})
	refs := []runtime.Ref{
		{Path: "a/one", Env: "A"}, {Path: "a/two", Env: "A"},
		{Path: "a/bytes", Env: "A", Type: "bytes"},
		{Path: "b/one", Env: "B"}, {Path: "b/two", Env: "B"},
	}
	res := runtime.GetMany(t.Context(), p, refs)
	if res[0].Value.Text != "a" || res[1].Value.Text != "a" || res[2].Value.Text != "a" {
		t.Errorf("GetMany = %+v", res[:3])
	}
	for i := 3; i < 5; i++ {
		var e *runtime.SecretError
		if !errors.As(res[i].Err, &e) || e.Path != refs[i].Path || !errors.Is(e, runtime.ErrNotFound) {
			t.Errorf("result %d: %v, want not found for %s", i, res[i].Err, refs[i].Path)
		}
	}
}

// TestDirectoryGone checks that a directory removed after New, or a
// Kubernetes volume whose ..data link points to no directory, makes every
// read unavailable, not "not found", and that a Load says so in one line
// naming where the directory came from, never the directory.
func TestDirectoryGone(t *testing.T) {
	t.Parallel()
	refs := []runtime.Ref{ref("A"), ref("B"), {Path: "c", Env: "C", Type: "int"}}
	for _, tc := range []struct {
		name    string
		breakIt func(t *testing.T, dir string)
		want    string
	}{
		{"removed", func(t *testing.T, dir string) {
			if err := os.Remove(dir); err != nil {
				t.Fatal(err)
			}
		}, `secrets: all 3 secrets failed to load from backend "files": unavailable: the secrets directory cannot be read (tried the directory SECRETS_FILES_DIR names); check that the volume is still mounted`},
		{"dangling ..data", func(t *testing.T, dir string) {
			if err := os.Symlink("..gone", filepath.Join(dir, "..data")); err != nil {
				t.Fatal(err)
			}
		}, `secrets: all 3 secrets failed to load from backend "files": unavailable: the directory's ..data link points to no directory (tried the directory SECRETS_FILES_DIR names); check that the volume is still mounted`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "secrets")
			mkdir(t, dir)
			p, err := files.FromLookup(t.Context(), func(string) (string, bool) { return dir, true })
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			tc.breakIt(t, dir)
			_, err = read(t.Context(), p, ref("A"))
			var be *runtime.BackendError
			if !errors.Is(err, runtime.ErrUnavailable) || !errors.As(err, &be) || !strings.Contains(err.Error(), "a: unavailable [files A]: ") {
				t.Errorf("read after the directory broke: %v, want unavailable for the whole backend", err)
			}
			// What a generated Load does.
			l := genimpl.Fetch(t.Context(), p, refs)
			genimpl.Field(l, 0, genimpl.ParseString)
			genimpl.Field(l, 1, genimpl.ParseString)
			genimpl.Optional(l, 2, genimpl.ParseInt)
			err = l.Err()
			if err == nil || err.Error() != tc.want {
				t.Errorf("Load:\n got %v\nwant %s", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), dir) {
				t.Errorf("Load: %q names the directory", err)
			}
		})
	}
}

func TestVersionPlain(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"A": "same", "B": "same"})
	p := mustNew(t, dir, &files.Options{NoWatch: true})
	get := func(name string) runtime.Value {
		t.Helper()
		v, err := p.Get(t.Context(), ref(name))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	a1, a2, b := get("A"), get("A"), get("B")
	if a1.Version != a2.Version {
		t.Errorf("two reads of an unchanged file: versions %q and %q", a1.Version, a2.Version)
	}
	if a1.Version == b.Version {
		t.Errorf("two files with the same contents share version %q: it must not come from the value", a1.Version)
	}
	fi, err := os.Stat(filepath.Join(dir, "A"))
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	// The exact form, with the change time, is TestVersionHidesLength's.
	if m, i := "m"+strconv.FormatInt(fi.ModTime().UnixNano(), 10)+"-", "-i"+strconv.FormatUint(uint64(st.Ino), 10); !strings.HasPrefix(a1.Version, m) || !strings.HasSuffix(a1.Version, i) {
		t.Errorf("version %q, want %q...%q", a1.Version, m, i)
	}

	// Rewritten with the same contents: a new modification time.
	later := time.Now().Add(time.Second)
	editFile(t, dir, "A", "same")
	if err := os.Chtimes(filepath.Join(dir, "A"), later, later); err != nil {
		t.Fatal(err)
	}
	if a3 := get("A"); a3.Text != "same" || a3.Version == a1.Version {
		t.Errorf("after a rewrite with the same contents: %q version %q, want a version other than %q", a3.Text, a3.Version, a1.Version)
	}
	// Replaced by rename, same contents, same time: a new inode.
	before := get("A")
	replaceFile(t, dir, "A", "same")
	if err := os.Chtimes(filepath.Join(dir, "A"), later, later); err != nil {
		t.Fatal(err)
	}
	if a4 := get("A"); a4.Version == before.Version {
		t.Errorf("after a replacement: version %q unchanged", a4.Version)
	}
}

func TestVersionKubernetes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vol := newKubeVolume(t, dir, map[string]string{"A": "same"})
	p := mustNew(t, dir, &files.Options{NoWatch: true})
	v1, err := p.Get(t.Context(), ref("A"))
	if err != nil {
		t.Fatal(err)
	}
	if want := vol.dataTarget(); v1.Version != want || !strings.HasPrefix(want, "..20") {
		t.Errorf("version %q, want the ..data target %q", v1.Version, want)
	}
	vol.update(map[string]string{"A": "same"})
	v2, err := p.Get(t.Context(), ref("A"))
	if err != nil {
		t.Fatal(err)
	}
	if v2.Text != "same" || v2.Version == v1.Version || v2.Version != vol.dataTarget() {
		t.Errorf("after an update with the same value: version %q (before %q), want %q", v2.Version, v1.Version, vol.dataTarget())
	}
}

// TestKubernetesKeys checks keys added and dropped by an update.
func TestKubernetesKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vol := newKubeVolume(t, dir, map[string]string{"A": "a1", "B": "b1"})
	p := mustNew(t, dir, &files.Options{NoWatch: true})
	vol.update(map[string]string{"A": "a2", "C": "c2"})
	res := p.GetMany(t.Context(), []runtime.Ref{ref("A"), ref("B"), ref("C")})
	if res[0].Value.Text != "a2" || res[2].Value.Text != "c2" || !errors.Is(res[1].Err, runtime.ErrNotFound) {
		t.Errorf("after the update: %+v", res)
	}
}

// TestDataNotALink checks that a ..data that is a plain file or directory
// does not make the directory a Kubernetes volume.
func TestDataNotALink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"..data": "x", "A": "a"})
	p := mustNew(t, dir, &files.Options{NoWatch: true})
	v, err := p.Get(t.Context(), ref("A"))
	if err != nil || v.Text != "a" || !strings.HasPrefix(v.Version, "m") {
		t.Errorf("Get = %+v, %v", v, err)
	}
}
