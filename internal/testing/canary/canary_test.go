package canary_test

import (
	"bytes"
	"context"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dashtam/secretsgen/adapters/env"
	"github.com/dashtam/secretsgen/internal/testing/canary/kitchen"
	"github.com/dashtam/secretsgen/runtime"
)

// verbs are the fmt verbs every printable value and error is formatted with.
var verbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"}

// TestFindCanary is the self-check: findCanary must find the canary in
// every form a leak could take (if it did not, every other test here could
// pass while a value leaks), and must not find it in clean text.
func TestFindCanary(t *testing.T) {
	t.Parallel()
	leaks := map[string]string{
		"raw string":           canaryString,
		"upper case":           strings.ToUpper(canaryString),
		"%q":                   fmt.Sprintf("%q", canaryString),
		"%+q":                  fmt.Sprintf("%+q", canaryString),
		"%x of a string":       fmt.Sprintf("%x", canaryString),
		"%X of a string":       fmt.Sprintf("%X", canaryString),
		"% x of a string":      fmt.Sprintf("% x", "ab"+token),
		"JSON":                 jsonText(canaryString),
		"JSON of []byte":       jsonText(canaryBytes),
		"query escape":         url.QueryEscape(canaryString),
		"path escape":          url.PathEscape(canaryString),
		"%v of a URL":          fmt.Sprintf("%v", mustURL(canaryURL)),
		"%s of []byte":         fmt.Sprintf("%s", canaryBytes), //lint:ignore S1025 what fmt prints is what is checked
		"%x of []byte":         fmt.Sprintf("%x", canaryBytes),
		"%v of []byte":         fmt.Sprintf("%v", []byte(token)),
		"%d of int":            fmt.Sprintf("%d", canaryNumber),
		"%x of int":            fmt.Sprintf("%x", canaryNumber),
		"%X of int":            fmt.Sprintf("%X", canaryNumber),
		"%v of float64":        fmt.Sprintf("%v", float64(canaryNumber)),
		"%e of float64":        fmt.Sprintf("%e", float64(canaryNumber)),
		"%f of float64":        fmt.Sprintf("%f", float64(canaryNumber)),
		"%x of float64":        fmt.Sprintf("%x", float64(canaryNumber)),
		"JSON of float64":      jsonText(float64(canaryNumber)),
		"%v of duration":       fmt.Sprintf("%v", canaryDuration),
		"%d of duration":       fmt.Sprintf("%d", canaryDuration),
		"%x of duration":       fmt.Sprintf("%x", canaryDuration),
		"%v of time":           fmt.Sprintf("%v", canaryTime),
		"%#v of time":          fmt.Sprintf("%#v", canaryTime),
		"%d of time":           format("%d", canaryTime), // vet rejects the literal
		"%x of time":           fmt.Sprintf("%x", canaryTime),
		"RFC 3339 time":        canaryTime.Format(time.RFC3339),
		"JSON of time":         jsonText(canaryTime),
		"time in zone":         canaryTime.In(time.FixedZone("X", 0)).Format(time.RFC1123Z),
		"unix time":            strconv.FormatInt(canaryTime.Unix(), 10),
		"inside a longer text": "error: value " + canaryEnv()["MAP_URL"] + " is bad",
	}
	for k := range 3 { // base64 of the token at each alignment, inside longer data
		data := []byte(strings.Repeat("x", k) + token + "-tail")
		leaks[fmt.Sprintf("base64 at offset %d", k)] = base64.StdEncoding.EncodeToString(data)
		leaks[fmt.Sprintf("URL base64 at offset %d", k)] = base64.RawURLEncoding.EncodeToString(data)
		leaks[fmt.Sprintf("base64 of a number at offset %d", k)] = base64.StdEncoding.EncodeToString([]byte(strings.Repeat("1", k) + strconv.Itoa(canaryNumber)))
	}
	for name, v := range canaryEnv() { // the env texts themselves, except the undetectable booleans and enum and a credential's (public) username
		if v != "true" && v != "true,false" && v != "green" && !strings.HasSuffix(name, "_BOOL") && !strings.HasSuffix(name, "_USERNAME") {
			leaks["env "+name] = v
		}
	}
	for name, text := range leaks {
		if _, at := findCanary(text); at < 0 {
			t.Errorf("findCanary does not find the canary in %s: %s", name, text)
		}
	}

	clean := []string{
		"", runtime.Redacted, `{"v":"[REDACTED]"}`,
		"scalar/int: invalid value (expected int) [env SCALAR_INT]: expected an integer, such as 5432",
		fmt.Sprintf("%v %x", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), 1234567),
		fmt.Sprintf("%v", kitchen.SampleSettings().Scalar.URL.Reveal()),
	}
	for _, text := range clean {
		if name, at := findCanary(text); at >= 0 {
			t.Errorf("findCanary finds the canary (%s) in clean text %q", name, text)
		}
	}
}

// TestLoad loads the canary from the env backend (process environment and
// .env file), checks that every value arrived, and prints the result.
func TestLoad(t *testing.T) {
	t.Parallel()
	want := canarySettings()
	for _, opts := range []struct {
		name string
		opts *env.Options
	}{
		{"environment", &env.Options{LookupEnv: lookup(canaryEnv())}},
		{"env file", &env.Options{Files: []string{envFile(t, canaryEnv())}, LookupEnv: lookup(nil)}},
	} {
		t.Run(opts.name, func(t *testing.T) {
			t.Parallel()
			p, err := env.New(opts.opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := kitchen.Load(t.Context(), p)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Load did not read the canary (-want +got):\n%s", diff)
			}
			assertSettingsClean(t, got)
		})
	}
}

// TestPrintSettings prints Settings, each group and each field in every way
// a program might: fmt, encoding/json, encoding/xml,
// encoding.TextMarshaler, log/slog.
func TestPrintSettings(t *testing.T) {
	t.Parallel()
	assertSettingsClean(t, canarySettings())
}

// TestCmpDiff compares Settings that differ only in their secret values.
func TestCmpDiff(t *testing.T) {
	t.Parallel()
	a := canarySettings()
	for name, b := range map[string]*kitchen.Settings{
		"sample settings": kitchen.SampleSettings(),
		"one value changed": func() *kitchen.Settings {
			b := canarySettings()
			b.Scalar.String = runtime.NewSecret(token + "-changed")
			return b
		}(),
	} {
		for _, opts := range [][]cmp.Option{nil, {cmp.Exporter(func(reflect.Type) bool { return true })}} {
			diff := cmp.Diff(a, b, opts...)
			if diff == "" {
				t.Errorf("cmp.Diff with %s, %d options: no difference", name, len(opts))
			}
			assertNoCanary(t, fmt.Sprintf("cmp.Diff with %s, %d options", name, len(opts)), diff)
		}
	}
}

// TestInvalidValues loads each invalid value (and all of them at once) and
// prints the error.
func TestInvalidValues(t *testing.T) {
	t.Parallel()
	for i, c := range invalidCases {
		t.Run(fmt.Sprintf("%s/%d", c.name, i), func(t *testing.T) {
			t.Parallel()
			vars := canaryEnv()
			vars[c.name] = c.text
			err := loadErr(t, vars)
			assertFails(t, err, runtime.ErrInvalidValue, c.path)
			assertErrorClean(t, "Load error", err)

			// The same raw text through the generated Fake.
			f := kitchen.NewFake(canarySettings())
			f.SetRaw(c.path, c.text)
			_, err = kitchen.Load(t.Context(), f)
			assertFails(t, err, runtime.ErrInvalidValue, c.path)
			assertErrorClean(t, "Load error from the Fake", err)
		})
	}
	t.Run("all at once", func(t *testing.T) {
		t.Parallel()
		vars, paths := allInvalidEnv()
		err := loadErr(t, vars)
		assertFails(t, err, runtime.ErrInvalidValue, paths...)
		assertErrorClean(t, "Load error", err)
	})
}

// TestMissingNeighbour loads with required secrets missing next to
// secrets that hold the canary, valid and invalid, and with values in
// _FILE files.
func TestMissingNeighbour(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []struct {
		name  string
		edit  func(map[string]string)
		kind  error
		paths []string
	}{
		{"missing next to valid", func(v map[string]string) { delete(v, "SCALAR_STRING"); delete(v, "MAP_URL") },
			runtime.ErrNotFound, []string{kitchen.PathScalarString, kitchen.PathMapURL}},
		{"missing next to invalid", func(v map[string]string) {
			delete(v, "MAIL_PASSWORD")
			v["SCALAR_URL"] = "/" + token
		}, nil, []string{kitchen.PathScalarURL, kitchen.PathMailPassword}},
		{"invalid value in a _FILE file", func(v map[string]string) {
			delete(v, "SCALAR_INT")
			v["SCALAR_INT_FILE"] = writeFileIn(t, dir, "int", token+"\n")
		}, runtime.ErrInvalidValue, []string{kitchen.PathScalarInt}},
		{"missing _FILE file", func(v map[string]string) {
			delete(v, "SCALAR_BYTES")
			v["SCALAR_BYTES_FILE"] = filepath.Join(dir, "absent")
		}, runtime.ErrInvalidValue, []string{kitchen.PathScalarBytes}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			vars := canaryEnv()
			c.edit(vars)
			err := loadErr(t, vars)
			assertFails(t, err, c.kind, c.paths...)
			assertErrorClean(t, "Load error", err)
		})
	}
	t.Run("default and _FILE values", func(t *testing.T) {
		t.Parallel()
		vars := canaryEnv()
		delete(vars, "SCALAR_WITH_DEFAULT")
		delete(vars, "SCALAR_STRING")
		vars["SCALAR_STRING_FILE"] = writeFileIn(t, dir, "string", canaryString+"\n")
		p, err := env.New(&env.Options{LookupEnv: lookup(vars)})
		if err != nil {
			t.Fatal(err)
		}
		s, err := kitchen.Load(t.Context(), p)
		if err != nil {
			t.Fatal(err)
		}
		want := canarySettings()
		want.Scalar.WithDefault = runtime.NewSecret("public-default-value")
		if diff := cmp.Diff(want, s); diff != "" {
			t.Errorf("Load (-want +got):\n%s", diff)
		}
		assertSettingsClean(t, s)
	})
}

// TestFake loads through the generated Fake that serves the canary, with
// errors injected by SetError. (TestProviders prints the Fake.)
func TestFake(t *testing.T) {
	t.Parallel()
	f := kitchen.NewFake(canarySettings())
	s, err := kitchen.Load(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(canarySettings(), s); diff != "" {
		t.Errorf("Load(NewFake(s)) (-want +got):\n%s", diff)
	}
	injected := []struct {
		path string
		err  error
		kind error
	}{
		{kitchen.PathScalarString, errors.New("backend refused the request"), runtime.ErrUnavailable},
		{kitchen.PathScalarURL, runtime.ErrAccessDenied, runtime.ErrAccessDenied},
		{kitchen.PathObjectJSON, fmt.Errorf("throttled: %w", runtime.ErrUnavailable), runtime.ErrUnavailable},
		{kitchen.PathListTime, &runtime.SecretError{Kind: runtime.ErrAccessDenied, Hint: "grant read access"}, runtime.ErrAccessDenied},
		{kitchen.PathMapBytes, runtime.ErrNotFound, runtime.ErrNotFound},
		{kitchen.PathMailPassword, context.DeadlineExceeded, runtime.ErrUnavailable},
	}
	for _, in := range injected {
		f.SetError(in.path, in.err)
	}
	_, err = kitchen.Load(t.Context(), f)
	var le *runtime.LoadError
	if !errors.As(err, &le) || len(le.Errors) != len(injected) {
		t.Fatalf("Load with %d injected errors: %v", len(injected), err)
	}
	for i, in := range injected {
		if e := le.Errors[i]; e.Path != in.path || !errors.Is(e, in.kind) {
			t.Errorf("error %d = %v, want path %s and kind %v", i, e, in.path, in.kind)
		}
	}
	assertErrorClean(t, "Load error with injected errors", err)
}

// TestProviders prints the providers that hold the canary after a Load:
// the env adapter, the cache in front of it, what the generated NewProvider
// returns, and the generated Fake and a runtime.Memory. It is not parallel
// (t.Setenv), which also keeps a data race of a printed provider out of the
// other tests.
func TestProviders(t *testing.T) {
	unsetCanaryEnv(t)
	t.Setenv("SECRETS_BACKEND", "env")
	t.Setenv("ENVIRONMENT", "")
	t.Setenv("SECRETS_CACHE_TTL", "")
	t.Setenv("SECRETS_ENV_FILE", envFile(t, canaryEnv()))
	ctx := t.Context()

	p, err := env.New(&env.Options{Files: []string{envFile(t, canaryEnv())}, LookupEnv: lookup(canaryEnv())})
	if err != nil {
		t.Fatal(err)
	}
	c := runtime.NewCache(p, nil)
	root, err := kitchen.NewProvider(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fake := kitchen.NewFake(canarySettings())
	for _, q := range []runtime.Provider{p, c, root, fake} {
		if _, err := kitchen.Load(ctx, q); err != nil {
			t.Fatalf("Load from %s: %v", q.Name(), err)
		}
	}
	fake.SetError(kitchen.PathScalarInt, runtime.ErrAccessDenied)

	assertPrintsClean(t, "*env.Provider", p)
	assertPrintsClean(t, "*runtime.Cache", c)
	assertPrintsClean(t, "NewProvider's provider", root)
	assertPrintsClean(t, "*Fake", fake)
	assertPrintsClean(t, "Fake", *fake)
	// A runtime.Memory like the one a Fake holds, serving every canary text.
	m := runtime.NewMemory("fake")
	for name, text := range canaryEnv() {
		m.Set(name, text)
	}
	m.SetError(kitchen.PathScalarInt, runtime.ErrAccessDenied)
	assertPrintsClean(t, "*runtime.Memory", m)
	assertPrintsClean(t, "runtime.Memory", *m)
}

// unsetCanaryEnv removes the manifest's variables from the process
// environment for the rest of the test.
func unsetCanaryEnv(t *testing.T) {
	for name := range canaryEnv() {
		for _, v := range []string{name, name + "_FILE"} {
			if _, ok := os.LookupEnv(v); ok {
				t.Setenv(v, "")
				os.Unsetenv(v)
			}
		}
	}
}

// TestMustLoad runs the composition root (NewProvider, MustLoad) on .env
// files and process environments that hold the canary, and prints the
// panic values.
func TestMustLoad(t *testing.T) { // not parallel: t.Setenv
	unsetCanaryEnv(t)
	t.Setenv("SECRETS_BACKEND", "env")
	t.Setenv("ENVIRONMENT", "")
	t.Setenv("SECRETS_CACHE_TTL", "")
	ctx := t.Context()

	t.Run("valid", func(t *testing.T) {
		t.Setenv("SECRETS_ENV_FILE", envFile(t, canaryEnv()))
		s := kitchen.MustLoad(ctx)
		if diff := cmp.Diff(canarySettings(), s); diff != "" {
			t.Errorf("MustLoad (-want +got):\n%s", diff)
		}
		assertSettingsClean(t, s)

		live := kitchen.MustWatch(ctx)
		defer live.Close()
		if diff := cmp.Diff(canarySettings(), live.Settings()); diff != "" {
			t.Errorf("MustWatch (-want +got):\n%s", diff)
		}
		assertMethodsPrintClean(t, "MustWatch's Live", live)
		assertStatusClean(t, "MustWatch's Status", live.Status())
		if err := live.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})

	t.Run("poll interval holding the canary", func(t *testing.T) {
		t.Setenv("SECRETS_ENV_FILE", envFile(t, canaryEnv()))
		t.Setenv("SECRETS_POLL_INTERVAL", token)
		r := recoverPanic(func() { kitchen.MustWatch(ctx) })
		err, ok := r.(error)
		if !ok {
			t.Fatalf("MustWatch with a bad SECRETS_POLL_INTERVAL panicked with %T, want an error", r)
		}
		assertErrorClean(t, "MustWatch's panic value for a bad poll interval", err)
	})

	invalid, _ := allInvalidEnv()
	missing := canaryEnv()
	delete(missing, "SCALAR_STRING")
	for _, c := range []struct {
		name string
		file string // .env file text
		vars map[string]string
	}{
		{name: "invalid values in the file", file: envText(t, invalid)},
		{name: "missing neighbour in the file", file: envText(t, missing)},
		{name: "invalid values in the environment", vars: invalid},
		{name: "malformed file", file: "SCALAR_STRING='" + token + "'\nSCALAR_INT=\"" + token + "\nBAD LINE " + token + "\n"},
		{name: "malformed file, unterminated quote", file: "SCALAR_STRING='" + token + "\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("SECRETS_ENV_FILE", writeFile(t, "canary.env", c.file))
			for k, v := range c.vars {
				t.Setenv(k, v)
			}
			r := recoverMustLoad(ctx)
			if r == nil {
				t.Fatal("MustLoad did not panic")
			}
			assertPrintsClean(t, "MustLoad's panic value", r)
			err, ok := r.(error)
			if !ok {
				t.Fatalf("MustLoad panicked with a %T, not an error", r)
			}
			assertErrorClean(t, "MustLoad's panic value as error", err)

			r = recoverPanic(func() { kitchen.MustWatch(ctx) })
			if r == nil {
				t.Fatal("MustWatch did not panic")
			}
			if err, ok := r.(error); !ok {
				t.Errorf("MustWatch panicked with a %T, not an error", r)
			} else {
				assertErrorClean(t, "MustWatch's panic value", err)
			}
		})
	}
}

// format is fmt.Sprintf with one argument, for verbs that vet rejects on a
// literal format.
func format(verb string, v any) string { return fmt.Sprintf(verb, v) }

func recoverPanic(f func()) (r any) {
	defer func() { r = recover() }()
	f()
	return nil
}

func recoverMustLoad(ctx context.Context) (r any) {
	defer func() { r = recover() }()
	kitchen.MustLoad(ctx)
	return nil
}

// TestCommand runs secretsgen check (text and -json) on valid, invalid,
// missing and malformed values, and env-example, docs and policy, and looks
// for the canary in their output.
func TestCommand(t *testing.T) {
	t.Parallel()
	text, err := os.ReadFile("secrets.yaml") // docs and env-example print its defaults
	if err != nil {
		t.Fatal(err)
	}
	assertNoCanary(t, "secrets.yaml", string(text))
	if testing.Short() {
		t.Skip("-short: not building cmd/secretsgen")
	}
	bin := filepath.Join(t.TempDir(), "secretsgen")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/dashtam/secretsgen/cmd/secretsgen").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	manifest, err := filepath.Abs("secrets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, envFileName string, vars map[string]string, args ...string) (stdout string, code int) {
		t.Helper()
		cmd := exec.Command(bin, append(args, "-manifest", manifest)...)
		cmd.Dir = t.TempDir() // no stray .env
		cmd.Env = commandEnv(envFileName, vars)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var exitErr *exec.ExitError
		if err != nil && !errors.As(err, &exitErr) {
			t.Fatal(err)
		}
		where := fmt.Sprintf("secretsgen %s", strings.Join(args, " "))
		assertNoCanary(t, where+" stdout", out.String())
		assertNoCanary(t, where+" stderr", errOut.String())
		return out.String(), cmd.ProcessState.ExitCode()
	}

	invalid, invalidPaths := allInvalidEnv()
	missing := canaryEnv()
	delete(missing, "SCALAR_STRING")
	for _, c := range []struct {
		name     string
		file     string // .env text, or none
		vars     map[string]string
		wantCode int
		want     map[string]string // path -> status
	}{
		{name: "valid file", file: envText(t, canaryEnv()), wantCode: 0},
		{name: "valid environment", vars: canaryEnv(), wantCode: 0},
		{name: "invalid file", file: envText(t, invalid), wantCode: 1, want: statuses(invalidPaths, "invalid")},
		{name: "invalid environment", vars: invalid, wantCode: 1, want: statuses(invalidPaths, "invalid")},
		{name: "missing neighbour", file: envText(t, missing), wantCode: 1, want: statuses([]string{kitchen.PathScalarString}, "missing")},
		{name: "malformed file", file: "SCALAR_STRING='" + token + "'\nBAD LINE " + token + "\n", wantCode: 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			name := ""
			if c.file != "" {
				name = writeFile(t, "canary.env", c.file)
			}
			text, code := run(t, name, c.vars, "check")
			if code != c.wantCode {
				t.Errorf("check: exit code %d, want %d; output:\n%s", code, c.wantCode, text)
			}
			out, code := run(t, name, c.vars, "check", "-json")
			if code != c.wantCode {
				t.Errorf("check -json: exit code %d, want %d", code, c.wantCode)
			}
			if c.wantCode == 2 {
				return
			}
			var rep struct {
				OK      bool
				Secrets []struct{ Path, Status string }
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("check -json: %v\n%s", err, out)
			}
			if len(rep.Secrets) != 32 || rep.OK != (c.wantCode == 0) {
				t.Errorf("check -json: ok %v and %d secrets, want %v and 32", rep.OK, len(rep.Secrets), c.wantCode == 0)
			}
			for _, r := range rep.Secrets {
				want := c.want[r.Path]
				if want == "" {
					want = "ok"
				}
				if r.Status != want {
					t.Errorf("check -json: %s is %s, want %s", r.Path, r.Status, want)
				}
			}
		})
	}

	for _, args := range [][]string{{"env-example"}, {"docs"}, {"policy", "aws", "-env", "production"}, {"policy", "ssm", "-env", "production"}, {"policy", "vault", "-env", "production"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			out, code := run(t, "", canaryEnv(), args...)
			if code != 0 || !strings.Contains(out, "scalar") {
				t.Errorf("exit code %d, output:\n%s", code, out)
			}
		})
	}
}

// commandEnv is the process environment without the variables secretsgen
// and the manifest read, plus SECRETS_BACKEND=env, SECRETS_ENV_FILE and vars.
func commandEnv(envFileName string, vars map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ours := canaryEnv()[strings.TrimSuffix(k, "_FILE")]; ours || strings.HasPrefix(k, "SECRETS_") || k == "ENVIRONMENT" {
			continue
		}
		out = append(out, kv)
	}
	out = append(out, "SECRETS_BACKEND=env", "SECRETS_ENV_FILE="+envFileName)
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

func statuses(paths []string, status string) map[string]string {
	m := map[string]string{}
	for _, p := range paths {
		m[p] = status
	}
	return m
}

// assertFails checks that err is a *runtime.LoadError from the env or fake
// backend that lists exactly paths, in order, each of kind (any kind when
// nil).
func assertFails(t *testing.T, err error, kind error, paths ...string) {
	t.Helper()
	var le *runtime.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("Load error %v is not a *runtime.LoadError", err)
	}
	var got []string
	for _, e := range le.Errors {
		got = append(got, e.Path)
		if kind != nil && !errors.Is(e, kind) {
			t.Errorf("error of %s is %v, want kind %v", e.Path, e, kind)
		}
	}
	if diff := cmp.Diff(paths, got); diff != "" {
		t.Errorf("failing paths (-want +got):\n%s", diff)
	}
}

// loadErr loads from the env backend over vars and returns the error.
func loadErr(t *testing.T, vars map[string]string) error {
	t.Helper()
	p, err := env.New(&env.Options{LookupEnv: lookup(vars)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := kitchen.Load(t.Context(), p)
	if err == nil {
		t.Fatal("Load succeeded")
	}
	if s != nil {
		t.Errorf("Load returned settings along with its error")
	}
	return err
}

// assertSettingsClean prints s, *s, each group and each field (and pointers
// to them) in every way assertPrintsClean knows, and logs them all at once.
func assertSettingsClean(t *testing.T, s *kitchen.Settings) {
	t.Helper()
	assertPrintsClean(t, "*Settings", s)
	assertPrintsClean(t, "Settings", *s)
	sv := reflect.ValueOf(s).Elem()
	var attrs []slog.Attr
	for i := range sv.NumField() {
		g := sv.Field(i)
		gname := sv.Type().Field(i).Name
		assertPrintsClean(t, gname, g.Interface())
		assertPrintsClean(t, "&"+gname, g.Addr().Interface())
		for j := range g.NumField() {
			f := g.Field(j)
			fname := gname + "." + g.Type().Field(j).Name
			assertPrintsClean(t, fname, f.Interface())
			assertPrintsClean(t, "&"+fname, f.Addr().Interface())
			attrs = append(attrs, slog.Any(fname, f.Interface()))
		}
	}
	for name, out := range logOutputs(func(l *slog.Logger) {
		l.LogAttrs(context.Background(), slog.LevelInfo, "fields", attrs...)
		l.Info("settings", "settings", s, "value", *s, slog.Group("group", "scalar", s.Scalar, "map", &s.Map))
	}) {
		assertNoCanary(t, "slog "+name+" of every field", out)
	}
}

// assertPrintsClean formats v with every verb, fmt.Sprint and Sprintln,
// encoding/json, encoding/xml, encoding.TextMarshaler and slog's JSON and
// text handlers, and fails when the canary shows up in any of them.
func assertPrintsClean(t *testing.T, where string, v any) {
	t.Helper()
	assertMethodsPrintClean(t, where, v)
	// v in an unexported field: fmt cannot call its methods there and
	// prints it by reflection; with %s and %q it follows every pointer.
	holder := struct{ v any }{v}
	for _, verb := range verbs {
		assertNoCanary(t, where+" in an unexported field, printed with "+verb, fmt.Sprintf(verb, &holder))
	}
}

// assertMethodsPrintClean is assertPrintsClean without printing v from an
// unexported field: every way of printing that v's methods (Format,
// String, MarshalJSON, LogValue, ...) govern.
func assertMethodsPrintClean(t *testing.T, where string, v any) {
	t.Helper()
	for _, verb := range verbs {
		assertNoCanary(t, where+" printed with "+verb, fmt.Sprintf(verb, v))
	}
	assertNoCanary(t, where+" with fmt.Sprint", fmt.Sprint(v))
	assertNoCanary(t, where+" with fmt.Sprintln", fmt.Sprintln("x", v))
	if b, err := json.Marshal(v); err == nil {
		assertNoCanary(t, where+" with json.Marshal", string(b))
	} else {
		assertNoCanary(t, where+" json.Marshal error", err.Error())
	}
	if b, err := xml.Marshal(struct {
		XMLName xml.Name `xml:"v"`
		V       any
	}{V: v}); err == nil {
		assertNoCanary(t, where+" with xml.Marshal", string(b))
	} else {
		assertNoCanary(t, where+" xml.Marshal error", err.Error())
	}
	if m, ok := v.(encoding.TextMarshaler); ok {
		b, err := m.MarshalText()
		if err != nil {
			t.Errorf("%s: MarshalText: %v", where, err)
		}
		assertNoCanary(t, where+" with MarshalText", string(b))
	}
	// The printing methods called directly (fmt prefers Format to GoString,
	// so %#v alone does not reach GoString).
	if m, ok := v.(fmt.Stringer); ok {
		assertNoCanary(t, where+" String()", m.String())
	}
	if m, ok := v.(fmt.GoStringer); ok {
		assertNoCanary(t, where+" GoString()", m.GoString())
	}
	if m, ok := v.(slog.LogValuer); ok {
		assertNoCanary(t, where+" LogValue()", m.LogValue().Resolve().String())
	}
	for name, out := range logOutputs(func(l *slog.Logger) {
		l.Info("msg", slog.Any("v", v))
		l.Info("msg", "v", v)
	}) {
		assertNoCanary(t, where+" logged with slog "+name, out)
	}
}

// assertErrorClean prints err in every way assertPrintsClean knows, wrapped
// with %w and errors.Join, each error of its tree, and every field of the
// *runtime.SecretError values in it.
func assertErrorClean(t *testing.T, where string, err error) {
	t.Helper()
	assertPrintsClean(t, where, err)
	assertNoCanary(t, where+" Error()", err.Error())
	wrapped := fmt.Errorf("starting the service: %w", err)
	assertPrintsClean(t, where+" wrapped with %w", wrapped)
	assertPrintsClean(t, where+" joined", errors.Join(io.ErrUnexpectedEOF, err, wrapped))
	walk(err, func(e error) {
		w := fmt.Sprintf("%s: %T in the error tree", where, e)
		assertPrintsClean(t, w, e)
		if re, ok := e.(*runtime.SecretError); ok {
			for name, text := range map[string]string{"Path": re.Path, "Backend": re.Backend, "Where": re.Where, "Type": re.Type, "Hint": re.Hint} {
				assertNoCanary(t, w+" field "+name, text)
			}
			if re.Kind != 0 {
				assertPrintsClean(t, w+" field Kind", re.Kind)
			}
			if re.Err != nil {
				assertPrintsClean(t, w+" field Err", re.Err)
			}
		}
	})
}

// walk calls f for err and every error it wraps.
func walk(err error, f func(error)) {
	if err == nil {
		return
	}
	f(err)
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		walk(u.Unwrap(), f)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walk(e, f)
		}
	}
}

// logOutputs runs log with a slog JSON logger and a slog text logger and
// returns what each wrote.
func logOutputs(log func(*slog.Logger)) map[string]string {
	var j, txt bytes.Buffer
	log(slog.New(slog.NewJSONHandler(&j, nil)))
	log(slog.New(slog.NewTextHandler(&txt, nil)))
	return map[string]string{"JSON handler": j.String(), "text handler": txt.String()}
}

func lookup(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	return writeFileIn(t, t.TempDir(), name, text)
}

func writeFileIn(t *testing.T, dir, name, text string) string {
	t.Helper()
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}
