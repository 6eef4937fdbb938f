package env_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/dashtam/secretsgen/adapters/env"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// mapEnv is a fixed process environment, so tests need no t.Setenv.
func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func mustNew(t testing.TB, opts *env.Options) *env.Provider {
	t.Helper()
	p, err := env.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

var dbURL = runtime.Ref{Path: "database/url", Env: "DATABASE_URL", Type: "url"}

// read reads ref from p as runtime reads through an adapter (Load, the
// Cache): its error is the one users see, stamped with the path and the
// backend.
func read(ctx context.Context, p runtime.Provider, ref runtime.Ref) (runtime.Value, error) {
	r := runtime.GetMany(ctx, p, []runtime.Ref{ref})[0]
	return r.Value, r.Err
}

func TestGetPrecedence(t *testing.T) {
	t.Parallel()
	secretFile := tempFile(t, "db", "from-secret-file\n")
	tests := []struct {
		name         string
		first, later string // .env file contents
		process      map[string]string
		want         string
	}{
		{name: "earlier file", first: "DATABASE_URL=first\n", want: "first"},
		{name: "later file wins", first: "DATABASE_URL=first\n", later: "DATABASE_URL=later\n", want: "later"},
		{name: "process env wins", first: "DATABASE_URL=first\n", later: "DATABASE_URL=later\n",
			process: map[string]string{"DATABASE_URL": "process"}, want: "process"},
		{name: "empty process value is set", later: "DATABASE_URL=later\n",
			process: map[string]string{"DATABASE_URL": ""}, want: ""},
		{name: "empty file value is set", first: "DATABASE_URL=\n", want: ""},
		{name: "later file without the variable", first: "DATABASE_URL=first\n", later: "OTHER=x\n", want: "first"},
		{name: "variable wins over _FILE", process: map[string]string{"DATABASE_URL": "process", "DATABASE_URL_FILE": secretFile},
			want: "process"},
		{name: "process _FILE wins over file variable", first: "DATABASE_URL=first\n",
			process: map[string]string{"DATABASE_URL_FILE": secretFile}, want: "from-secret-file"},
		{name: "_FILE in a .env file", first: "DATABASE_URL_FILE=" + secretFile + "\n", want: "from-secret-file"},
		{name: "file variable wins over file _FILE", first: "DATABASE_URL_FILE=" + secretFile + "\nDATABASE_URL=first\n", want: "first"},
		{name: "export and comments", first: "# db\nexport DATABASE_URL=postgres://db/x # comment\n", want: "postgres://db/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			first, later := filepath.Join(dir, "first.env"), filepath.Join(dir, "later.env")
			for file, text := range map[string]string{first: tt.first, later: tt.later} {
				if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			p := mustNew(t, &env.Options{Files: []string{first, later}, LookupEnv: mapEnv(tt.process)})
			got, err := p.Get(t.Context(), dbURL)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if got != (runtime.Value{Text: tt.want}) {
				t.Errorf("Get = %+v, want Text %q and no Version", got, tt.want)
			}
		})
	}
}

func TestGetNameFile(t *testing.T) {
	t.Parallel()
	tests := []struct{ contents, want string }{
		{"s3cret", "s3cret"},
		{"s3cret\n", "s3cret"},
		{"s3cret\r\n", "s3cret"},
		{"s3cret\n\n", "s3cret\n"},
		{"s3cret\r", "s3cret\r"},
		{"line1\nline2\n", "line1\nline2"},
		{" spaced \n", " spaced "},
		{"\n", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			file := tempFile(t, "secret", tt.contents)
			p := mustNew(t, &env.Options{LookupEnv: mapEnv(map[string]string{"DATABASE_URL_FILE": file})})
			got, err := p.Get(t.Context(), dbURL)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if got.Text != tt.want {
				t.Errorf("file %q: Get = %q, want %q", tt.contents, got.Text, tt.want)
			}
		})
	}
}

// unreadableFile returns a file this process cannot read: a mode 000 file,
// or for root (who reads any regular file) a write-only sysfs attribute.
// It returns false when there is none (root without such a file), so that
// callers leave out only the checks that need one.
func unreadableFile(t *testing.T) (string, bool) {
	if os.Geteuid() != 0 {
		file := tempFile(t, "secret", "canary-unreadable")
		if err := os.Chmod(file, 0); err != nil {
			t.Fatal(err)
		}
		return file, true
	}
	for _, file := range []string{"/sys/bus/cpu/uevent", "/sys/bus/pci/rescan"} {
		if _, err := os.ReadFile(file); errors.Is(err, fs.ErrPermission) {
			return file, true
		}
	}
	return "", false
}

func TestGetErrors(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "missing")
	notDir := filepath.Join(tempFile(t, "regular", "x"), "secret")
	dir := t.TempDir()
	tests := []struct {
		name    string
		process map[string]string
		dotenv  string // contents of a .env file, none when empty
		ref     runtime.Ref
		kind    error
		is      error  // the cause errors.Is must also find, if any
		want    string // the whole message
	}{
		{name: "not found", ref: dbURL, kind: runtime.ErrNotFound,
			want: "database/url: not found (expected url) [env DATABASE_URL]; set DATABASE_URL or DATABASE_URL_FILE"},
		{name: "name derived from path", ref: runtime.Ref{Path: "app/secret-key"}, kind: runtime.ErrNotFound,
			want: "app/secret-key: not found [env APP_SECRET_KEY]; set APP_SECRET_KEY or APP_SECRET_KEY_FILE"},
		{name: "manifest env name", ref: runtime.Ref{Path: "app/secret-key", Env: "SECRET_KEY"}, kind: runtime.ErrNotFound,
			want: "app/secret-key: not found [env SECRET_KEY]; set SECRET_KEY or SECRET_KEY_FILE"},
		{name: "source is ignored", process: map[string]string{"MAIL_SMTP": "x"},
			ref: runtime.Ref{Path: "mail/password", Env: "MAIL_PASSWORD", Source: "mail/smtp", Key: "password"}, kind: runtime.ErrNotFound,
			want: "mail/password: not found [env MAIL_PASSWORD]; set MAIL_PASSWORD or MAIL_PASSWORD_FILE"},
		{name: "_FILE names a missing file", process: map[string]string{"DATABASE_URL_FILE": missing}, ref: dbURL, kind: runtime.ErrInvalidValue, is: fs.ErrNotExist,
			want: `database/url: invalid value (expected url) [env DATABASE_URL_FILE]: DATABASE_URL_FILE names a file that does not exist; fix the path or unset DATABASE_URL_FILE`},
		{name: "_FILE names a file under a regular file", process: map[string]string{"DATABASE_URL_FILE": notDir}, ref: dbURL, kind: runtime.ErrInvalidValue, is: syscall.ENOTDIR,
			want: `database/url: invalid value (expected url) [env DATABASE_URL_FILE]: DATABASE_URL_FILE names a file that does not exist; fix the path or unset DATABASE_URL_FILE`},
		{name: "_FILE is empty", process: map[string]string{"DATABASE_URL_FILE": ""}, ref: dbURL, kind: runtime.ErrInvalidValue,
			want: "database/url: invalid value (expected url) [env DATABASE_URL_FILE]: DATABASE_URL_FILE is set but empty; set DATABASE_URL_FILE to a file name, or unset it and set DATABASE_URL"},
		{name: "_FILE names a directory", process: map[string]string{"DATABASE_URL_FILE": dir}, ref: dbURL, kind: runtime.ErrInvalidValue, is: syscall.EISDIR,
			want: `database/url: invalid value (expected url) [env DATABASE_URL_FILE]: DATABASE_URL_FILE names a directory; fix the path or unset DATABASE_URL_FILE`},
		{name: "_FILE in a .env file names a missing file", dotenv: "DATABASE_URL_FILE=" + missing + "\n", ref: dbURL, kind: runtime.ErrInvalidValue, is: fs.ErrNotExist,
			want: `database/url: invalid value (expected url) [env DATABASE_URL_FILE]: DATABASE_URL_FILE names a file that does not exist; fix the path or unset DATABASE_URL_FILE`},
		{name: "process _FILE names a missing file, .env file sets the variable", process: map[string]string{"DATABASE_URL_FILE": missing},
			dotenv: "DATABASE_URL=from-dotenv\n", ref: dbURL, kind: runtime.ErrInvalidValue, is: fs.ErrNotExist,
			want: `database/url: invalid value (expected url) [env DATABASE_URL_FILE]: DATABASE_URL_FILE names a file that does not exist; fix the path or unset DATABASE_URL_FILE`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := &env.Options{LookupEnv: mapEnv(tt.process)}
			if tt.dotenv != "" {
				opts.Files = []string{tempFile(t, ".env", tt.dotenv)}
			}
			p := mustNew(t, opts)
			_, err := read(t.Context(), p, tt.ref)
			checkError(t, err, tt.ref.Path, tt.kind, tt.want)
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v: errors.Is(err, %v) = false", err, tt.is)
			}
			// The adapter's own Get and GetMany say the kind, and the
			// same thing as each other.
			_, raw := p.Get(t.Context(), tt.ref)
			res := p.GetMany(t.Context(), []runtime.Ref{tt.ref})
			if !errors.Is(raw, tt.kind) || len(res) != 1 || res[0].Err == nil || res[0].Err.Error() != raw.Error() {
				t.Errorf("Get = %v, GetMany = %+v; want the same error of kind %v", raw, res, tt.kind)
			}
		})
	}
	t.Run("_FILE not readable", func(t *testing.T) {
		t.Parallel()
		file, ok := unreadableFile(t)
		if !ok {
			t.Skip("running as root and no write-only sysfs file: cannot make a file unreadable")
		}
		p := mustNew(t, &env.Options{LookupEnv: mapEnv(map[string]string{"DATABASE_URL_FILE": file})})
		_, err := read(t.Context(), p, dbURL)
		checkError(t, err, "database/url", runtime.ErrAccessDenied,
			`database/url: access denied (expected url) [env DATABASE_URL_FILE]: DATABASE_URL_FILE names a file that is not readable; let this process read the file`)
		if !errors.Is(err, fs.ErrPermission) {
			t.Errorf("error %v: errors.Is(err, fs.ErrPermission) = false", err)
		}
	})
}

// checkError checks that err is a *runtime.SecretError of kind for path whose
// message is want (see checkMessage).
func checkError(t *testing.T, err error, path string, kind error, want string) {
	t.Helper()
	var e *runtime.SecretError
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *runtime.SecretError", err, err)
	}
	if !errors.Is(err, kind) || e.Path != path || e.Backend != "env" {
		t.Errorf("error kind %v, path %q, backend %q; want %v, %q, env", e.Kind, e.Path, e.Backend, kind, path)
	}
	checkMessage(t, err, want)
}

// checkMessage checks that err's message is want or, when want ends in a
// space, starts with want (for messages that end in the operating system's
// words).
func checkMessage(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", want)
	}
	got := err.Error()
	if strings.HasSuffix(want, " ") && strings.HasPrefix(got, want) {
		return
	}
	if got != want {
		t.Errorf("error\n got %s\nwant %s", got, want)
	}
}

func TestGetCancelled(t *testing.T) {
	t.Parallel()
	p := mustNew(t, &env.Options{LookupEnv: mapEnv(map[string]string{"DATABASE_URL": "x"})})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := p.Get(ctx, dbURL)
	if !errors.Is(err, runtime.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("Get with a cancelled context: %v; want ErrUnavailable wrapping context.Canceled", err)
	}
	refs := []runtime.Ref{dbURL, {Path: "other"}}
	for i, r := range runtime.GetMany(ctx, p, refs) {
		var e *runtime.SecretError
		if !errors.Is(r.Err, runtime.ErrUnavailable) || !errors.Is(r.Err, context.Canceled) || !errors.As(r.Err, &e) || e.Path != refs[i].Path {
			t.Errorf("GetMany with a cancelled context, %s: %v; want ErrUnavailable wrapping context.Canceled", refs[i].Path, r.Err)
		}
	}
}

func TestNewFileErrors(t *testing.T) {
	t.Parallel()
	const canary = "canary-8e1f0c"
	tests := []struct {
		name, text string
		want       string // the cause, after "the .env file does not parse: "
	}{
		{"unterminated double quote", "A=1\nB=\"" + canary + "\nC=2\n", "line 2: unterminated quoted value"},
		{"unterminated single quote", "A='" + canary, "line 1: unterminated quoted value"},
		{"bad name", "A=1\n# c\n\nMY-" + canary + "=1\n", "line 4: want NAME=value; a name has only letters, digits, '_' and '.'"},
		{"no equals sign", "A=1\n" + canary + "\nB=2", "line 2: want NAME=value; a name has only letters, digits, '_' and '.'"},
		{"after a multi-line value", "A=\"x\ny\"\r\nB='" + canary + "\r\n", "line 3: unterminated quoted value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := tempFile(t, "bad.env", tt.text)
			_, err := env.New(&env.Options{Files: []string{file}})
			if err == nil {
				t.Fatal("New: no error")
			}
			line := strings.Fields(tt.want)[1] // "line N:"
			want := "invalid value [env]: the .env file does not parse: " + tt.want + " (tried " + file + "); fix line " + line[:len(line)-1] + " of the file"
			if err.Error() != want {
				t.Errorf("error\n got %s\nwant %s", err, want)
			}
			checkFileFailure(t, err, runtime.ErrInvalidValue, file)
		})
	}
	t.Run("missing file", func(t *testing.T) {
		t.Parallel()
		ok := tempFile(t, "ok.env", "A=1\n")
		missing := filepath.Join(t.TempDir(), "missing.env")
		_, err := env.New(&env.Options{Files: []string{ok, missing}})
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(fmt.Sprint(err), missing) {
			t.Errorf("error %v: want fs.ErrNotExist naming %s", err, missing)
		}
		checkFileFailure(t, err, runtime.ErrUnavailable, missing)
	})
}

// checkFileFailure checks that err, from New, FromEnv or Refresh, is the
// failure of the env backend as a whole, of kind, for the .env file named
// address (where the name came from included), in one line.
func checkFileFailure(t *testing.T, err error, kind runtime.Kind, address string) {
	t.Helper()
	var (
		e  *runtime.SecretError
		be *runtime.BackendError
	)
	switch {
	case !errors.As(err, &e) || !errors.As(err, &be):
		t.Errorf("error %v (%T) is not a *runtime.SecretError caused by a *runtime.BackendError", err, err)
	case e.Kind != kind || e.Backend != "env" || e.Path != "":
		t.Errorf("error %v: kind %v, backend %q, path %q; want %v, env, none", err, e.Kind, e.Backend, e.Path, kind)
	case be.Address != address:
		t.Errorf("error %v: address %q, want %q", err, be.Address, address)
	case strings.Contains(err.Error(), "\n"):
		t.Errorf("error %q is more than one line", err)
	}
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	file := tempFile(t, ".env", "DATABASE_URL=v1\n")
	p := mustNew(t, &env.Options{Files: []string{file}, LookupEnv: mapEnv(nil)})
	get := func() string {
		t.Helper()
		v, err := p.Get(t.Context(), dbURL)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		return v.Text
	}
	writeDotenv(t, file, map[string]string{"DATABASE_URL": "v2"})
	if got := get(); got != "v1" {
		t.Errorf("before Refresh: %q, want v1 (files are read once)", got)
	}
	if err := p.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := get(); got != "v2" {
		t.Errorf("after Refresh: %q, want v2", got)
	}
	if err := os.WriteFile(file, []byte("DATABASE_URL='v3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.Refresh(t.Context()); err == nil {
		t.Error("Refresh of a malformed file: no error")
	}
	if got := get(); got != "v2" {
		t.Errorf("after a failed Refresh: %q, want the last good v2", got)
	}
}

func TestNameAndWhere(t *testing.T) {
	t.Parallel()
	p := mustNew(t, nil)
	if got := p.Name(); got != "env" {
		t.Errorf("Name = %q", got)
	}
	for ref, want := range map[runtime.Ref]string{
		dbURL:                             "DATABASE_URL",
		{Path: "schwab/api-key"}:          "SCHWAB_API_KEY",
		{Path: "a/b", Env: "CUSTOM_NAME"}: "CUSTOM_NAME",
	} {
		if got := p.Where(ref); got != want {
			t.Errorf("Where(%+v) = %q, want %q", ref, got, want)
		}
	}
}

func TestNilOptionsReadsProcessEnv(t *testing.T) {
	t.Setenv("SECRETSGEN_ENV_TEST_VALUE", "from-process")
	p := mustNew(t, nil)
	v, err := p.Get(t.Context(), runtime.Ref{Path: "secretsgen/env-test/value"})
	if err != nil || v.Text != "from-process" {
		t.Errorf("Get = %q, %v; want from-process", v.Text, err)
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		envFile *string           // SECRETS_ENV_FILE, nil for unset
		files   map[string]string // created in the working directory
		want    string            // DATABASE_URL, "" for not found
		wantErr string
		note    bool // a not-found error says that no .env file was read
	}{
		{name: "default .env", files: map[string]string{".env": "DATABASE_URL=dotenv\n"}, want: "dotenv"},
		{name: "no .env", files: map[string]string{"other.env": "DATABASE_URL=other\n"}, note: true},
		{name: "listed .env without the variable", envFile: ptr("a.env"), files: map[string]string{"a.env": "OTHER=a\n"}},
		{name: "list", envFile: ptr(" a.env , ,b.env,"), want: "b",
			files: map[string]string{".env": "DATABASE_URL=dotenv\n", "a.env": "DATABASE_URL=a\n", "b.env": "DATABASE_URL=b\n"}},
		{name: "list replaces .env", envFile: ptr("a.env"), want: "a",
			files: map[string]string{".env": "DATABASE_URL=dotenv\n", "a.env": "DATABASE_URL=a\n"}},
		{name: "empty means default", envFile: ptr(" , "), want: "dotenv", files: map[string]string{".env": "DATABASE_URL=dotenv\n"}},
		{name: "missing listed file", envFile: ptr("a.env,missing.env"), files: map[string]string{"a.env": "DATABASE_URL=a\n"},
			wantErr: "unavailable [env]: the .env file does not exist (tried missing.env (SECRETS_ENV_FILE)); create it or point SECRETS_ENV_FILE at the .env file"},
		{name: "malformed .env", files: map[string]string{".env": "DATABASE_URL='x\n"},
			wantErr: "invalid value [env]: the .env file does not parse: line 1: unterminated quoted value (tried .env (the default: SECRETS_ENV_FILE is unset)); fix line 1 of the file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			for name, text := range tt.files {
				if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv("SECRETS_ENV_FILE", "")
			if tt.envFile != nil {
				t.Setenv("SECRETS_ENV_FILE", *tt.envFile)
			} else {
				os.Unsetenv("SECRETS_ENV_FILE") // restored by t.Setenv's cleanup
			}
			t.Setenv("DATABASE_URL", "")
			os.Unsetenv("DATABASE_URL")
			p, err := env.FromEnv(t.Context())
			if tt.wantErr != "" {
				checkMessage(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("FromEnv: %v", err)
			}
			v, err := p.Get(t.Context(), dbURL)
			if tt.want == "" {
				if !errors.Is(err, runtime.ErrNotFound) {
					t.Errorf("Get = %q, %v; want not found", v.Text, err)
				}
				const note = "set DATABASE_URL or DATABASE_URL_FILE (no .env file was read: SECRETS_ENV_FILE is unset and the working directory has no .env)"
				if got := strings.Contains(err.Error(), note); got != tt.note {
					t.Errorf("Get: %q; want the no-.env note: %v", err, tt.note)
				}
				return
			}
			if err != nil || v.Text != tt.want {
				t.Errorf("Get = %q, %v; want %q", v.Text, err, tt.want)
			}
		})
	}
	t.Run("process env wins", func(t *testing.T) {
		t.Chdir(t.TempDir())
		if err := os.WriteFile(".env", []byte("DATABASE_URL=dotenv\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("SECRETS_ENV_FILE", "")
		t.Setenv("DATABASE_URL", "process")
		p, err := env.FromEnv(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if v, err := p.Get(t.Context(), dbURL); err != nil || v.Text != "process" {
			t.Errorf("Get = %q, %v; want process", v.Text, err)
		}
	})
}

func ptr(s string) *string { return &s }

// TestDotenvRoundTrip checks the test harness's quoting against godotenv:
// awkward values written by quoteDotenv read back unchanged.
func TestDotenvRoundTrip(t *testing.T) {
	t.Parallel()
	values := []string{
		"", "plain", "postgres://user:p%40ss@db:5432/app?sslmode=disable", "a=b", "with space", " leading", "trailing ",
		"#hash", "a #not-a-comment", "a#b", `"quoted"`, `'single'`, `it's`, `it's "x" too`, "line1\nline2", "\nleading newline",
		"trailing newline\n", "crlf\r\nline", "cr\r", `back\slash`, `\n literal`, `\\`, `a\`, `$HOME`, `${HOME}`, `\$HOME`,
		`it's $HOME`, `it's \$HOME`, `it's \`, `{"user":"u","password":"p#w'd"}`, `["a","b"]`, "tab\there", "ünïcödé ✓",
		"export", "=", "a: b", `"`, `'`, `it's "`, `\"`, "\x00nul",
	}
	var unencodable []string
	for i, v := range values {
		q, ok := quoteDotenv(v)
		if !ok {
			unencodable = append(unencodable, v)
			continue
		}
		file := tempFile(t, ".env", "BEFORE=1\nV="+q+"\nAFTER=2\n")
		p := mustNew(t, &env.Options{Files: []string{file}, LookupEnv: mapEnv(nil)})
		for name, want := range map[string]string{"V": v, "BEFORE": "1", "AFTER": "2"} {
			got, err := p.Get(t.Context(), runtime.Ref{Path: "v", Env: name})
			if err != nil || got.Text != want {
				t.Errorf("value %d %q written as %s: %s = %q, %v; want %q", i, v, q, name, got.Text, err, want)
			}
		}
	}
	// godotenv v1.5.1 has no way to write these; the list must not grow.
	if want := []string{`it's \`, `it's "`}; !slices.Equal(unencodable, want) {
		t.Errorf("values quoteDotenv cannot write: %q, want %q", unencodable, want)
	}
}

// TestOptionalBadFileVar checks that an optional secret whose _FILE
// variable names a file that cannot be read fails to load instead of
// taking its manifest default, even with the variable set in a .env file.
func TestOptionalBadFileVar(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "missing")
	for _, dotenv := range []string{"", "DATABASE_URL=from-dotenv\n"} {
		opts := &env.Options{LookupEnv: mapEnv(map[string]string{"DATABASE_URL_FILE": missing})}
		if dotenv != "" {
			opts.Files = []string{tempFile(t, ".env", dotenv)}
		}
		p := mustNew(t, opts)
		ref := runtime.Ref{Path: "database/url", Env: "DATABASE_URL", Type: "string"}
		l := genimpl.Fetch(t.Context(), p, []runtime.Ref{ref})
		got := genimpl.Default(l, 0, genimpl.ParseString, "the-default")
		err := l.Err()
		if !errors.Is(err, runtime.ErrInvalidValue) || !strings.Contains(err.Error(), "DATABASE_URL_FILE names a file that does not exist") {
			t.Errorf(".env %q: Load = %q, %v; want ErrInvalidValue naming DATABASE_URL_FILE", dotenv, got, err)
		}
		if err != nil && strings.Contains(err.Error(), missing) {
			t.Errorf(".env %q: Load error %v quotes the path %s", dotenv, err, missing)
		}
	}
}

// TestEmptyIsUnset: with Options.EmptyIsUnset (env as one layer of several)
// an empty variable, NAME or NAME_FILE, in the process environment or a
// .env file, counts as unset: the lookup goes on, and a secret with only
// empty variables is not found (so a later layer serves it), with a hint
// naming the empty variables. Without it an empty value is the value.
func TestEmptyIsUnset(t *testing.T) {
	t.Parallel()
	secretFile := tempFile(t, "db", "from-secret-file\n")
	tests := []struct {
		name     string
		dotenv   string
		process  map[string]string
		want     string // "" for not found
		wantHint string // the not-found message
	}{
		{name: "empty process value goes on to .env", dotenv: "DATABASE_URL=dotenv\n",
			process: map[string]string{"DATABASE_URL": ""}, want: "dotenv"},
		{name: "empty process value goes on to _FILE", process: map[string]string{"DATABASE_URL": "", "DATABASE_URL_FILE": secretFile},
			want: "from-secret-file"},
		{name: "empty _FILE goes on to .env", dotenv: "DATABASE_URL=dotenv\n",
			process: map[string]string{"DATABASE_URL_FILE": ""}, want: "dotenv"},
		{name: "empty everywhere is not found", dotenv: "DATABASE_URL=\nDATABASE_URL_FILE=\n",
			process:  map[string]string{"DATABASE_URL": ""},
			wantHint: "database/url: not found (expected url) [env DATABASE_URL]; set DATABASE_URL or DATABASE_URL_FILE (DATABASE_URL and DATABASE_URL_FILE are set but empty, which counts as unset when env is one of several layers)"},
		{name: "empty process value alone", process: map[string]string{"DATABASE_URL": ""},
			wantHint: "database/url: not found (expected url) [env DATABASE_URL]; set DATABASE_URL or DATABASE_URL_FILE (DATABASE_URL is set but empty, which counts as unset when env is one of several layers)"},
		{name: "a non-empty value is served", process: map[string]string{"DATABASE_URL": "process"}, dotenv: "DATABASE_URL=dotenv\n", want: "process"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := tempFile(t, ".env", tt.dotenv)
			p := mustNew(t, &env.Options{Files: []string{file}, LookupEnv: mapEnv(tt.process), EmptyIsUnset: true})
			got, err := read(t.Context(), p, dbURL)
			if tt.want == "" {
				checkError(t, err, "database/url", runtime.ErrNotFound, tt.wantHint)
			} else if err != nil || got.Text != tt.want {
				t.Errorf("Get = %q, %v; want %q", got.Text, err, tt.want)
			}
			// Alone (the default), the first empty variable is the answer.
			alone := mustNew(t, &env.Options{Files: []string{file}, LookupEnv: mapEnv(tt.process)})
			if _, err := alone.Get(t.Context(), dbURL); errors.Is(err, runtime.ErrNotFound) {
				t.Errorf("without EmptyIsUnset: not found, want the empty value served")
			}
		})
	}
}

// TestFromEnvWith: FromEnvWith reads SECRETS_ENV_FILE through LookupEnv
// unless Files is set, and passes EmptyIsUnset on.
func TestFromEnvWith(t *testing.T) {
	t.Parallel()
	listed := tempFile(t, "listed.env", "DATABASE_URL=listed\n")
	given := tempFile(t, "given.env", "DATABASE_URL=given\n")
	vars := map[string]string{"SECRETS_ENV_FILE": listed, "DATABASE_URL": ""}
	for _, tt := range []struct {
		opts *env.Options
		want string
	}{
		{&env.Options{LookupEnv: mapEnv(vars)}, ""},
		{&env.Options{LookupEnv: mapEnv(vars), EmptyIsUnset: true}, "listed"},
		{&env.Options{LookupEnv: mapEnv(vars), EmptyIsUnset: true, Files: []string{given}}, "given"},
	} {
		p, err := env.FromEnvWith(t.Context(), tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := p.Get(t.Context(), dbURL); err != nil || v.Text != tt.want {
			t.Errorf("FromEnvWith(EmptyIsUnset %v, Files %v): Get = %q, %v; want %q", tt.opts.EmptyIsUnset, tt.opts.Files, v.Text, err, tt.want)
		}
	}
}

// TestEnvFileFailureIsOneLine: a .env file named by SECRETS_ENV_FILE that
// cannot be used fails the backend as a whole, in one line that names the
// file and SECRETS_ENV_FILE, with the kind that says what to do: from the
// generated composition root (genimpl.Open, alone and as one layer of
// several) and from Refresh (which keeps the last good contents). env has
// no such failure inside a Load: the provider is not built until its files
// read, and an edit that breaks them later keeps the last good contents.
func TestEnvFileFailureIsOneLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	malformed := tempFile(t, "bad.env", "A=1\nB='canary-9f2e\n")
	missing := filepath.Join(dir, "missing.env")
	tests := []struct {
		name, file string
		kind       runtime.Kind
		want       string
	}{
		{"malformed", malformed, runtime.ErrInvalidValue,
			"invalid value [env]: the .env file does not parse: line 2: unterminated quoted value (tried " + malformed + " (SECRETS_ENV_FILE)); fix line 2 of the file"},
		{"missing", missing, runtime.ErrUnavailable,
			"unavailable [env]: the .env file does not exist (tried " + missing + " (SECRETS_ENV_FILE)); create it or point SECRETS_ENV_FILE at the .env file"},
		{"a directory", dir, runtime.ErrInvalidValue,
			"invalid value [env]: the .env file is a directory (tried " + dir + " (SECRETS_ENV_FILE)); point SECRETS_ENV_FILE at the .env file"},
	}
	if file, ok := unreadableFile(t); ok {
		tests = append(tests, struct {
			name, file string
			kind       runtime.Kind
			want       string
		}{"unreadable", file, runtime.ErrAccessDenied,
			"access denied [env]: the .env file is not readable (tried " + file + " (SECRETS_ENV_FILE)); let this process read it"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lookup := mapEnv(map[string]string{"SECRETS_ENV_FILE": tt.file})
			for _, backend := range []string{"env", "env,files"} {
				cfg, err := genimpl.ReadConfig(func(k string) string { return map[string]string{"SECRETS_BACKEND": backend}[k] }, nil)
				if err != nil {
					t.Fatal(err)
				}
				_, err = genimpl.Open(t.Context(), cfg, func(ctx context.Context, name string) (runtime.Provider, error) {
					if name != "env" {
						t.Fatalf("opened %s after env failed", name)
					}
					return env.FromEnvWith(ctx, &env.Options{LookupEnv: lookup, EmptyIsUnset: cfg.Layered()})
				})
				checkFileFailure(t, err, tt.kind, tt.file+" (SECRETS_ENV_FILE)")
				want := tt.want
				if backend != "env" {
					want = "layer env of SECRETS_BACKEND=env,files: " + want
				}
				checkMessage(t, err, want)
			}
			// Refresh says the same, and the last good contents stay.
			good := filepath.Join(t.TempDir(), "good.env")
			writeDotenv(t, good, map[string]string{"DATABASE_URL": "v1"})
			p, err := env.FromLookup(t.Context(), mapEnv(map[string]string{"SECRETS_ENV_FILE": good}))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(good); err != nil {
				t.Fatal(err)
			}
			if tt.file != missing {
				if err := os.Symlink(tt.file, good); err != nil {
					t.Fatal(err)
				}
			}
			err = p.Refresh(t.Context())
			checkFileFailure(t, err, tt.kind, good+" (SECRETS_ENV_FILE)")
			checkMessage(t, err, strings.ReplaceAll(tt.want, tt.file, good))
			if v, err := read(t.Context(), p, dbURL); err != nil || v.Text != "v1" {
				t.Errorf("after a failed Refresh: %q, %v; want the last good v1", v.Text, err)
			}
		})
	}
}
