package env_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/dashtam/secretsgen/adapters/env"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// TestCanary feeds a known value through every failure path of the package
// and fails if it shows up in an error.
func TestCanary(t *testing.T) {
	t.Parallel()
	const canary = "zq9canary-env-7d3b"
	var errs []error
	record := func(what string, err error) {
		if err == nil {
			t.Errorf("%s: no error", what)
		}
		errs = append(errs, fmt.Errorf("%s: %w", what, err))
	}

	// .env files that do not parse, with the canary before, in and after
	// the bad statement (godotenv's own messages quote all three).
	for i, text := range []string{
		"A=" + canary + "\nB=\"" + canary + "\n",
		"A='" + canary,
		"A=" + canary + "\nBAD-NAME=1\nC=" + canary + "\n",
		canary + "\n",
		"A=\"" + canary + `\"` + "\n",
		"export " + canary + " " + canary + "\n",
	} {
		file := tempFile(t, ".env", text)
		_, err := env.New(&env.Options{Files: []string{file}})
		record(fmt.Sprintf("New of malformed file %d", i), err)
		good := tempFile(t, ".env", "A=1\n")
		p := mustNew(t, &env.Options{Files: []string{good}})
		if err := os.WriteFile(good, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		record(fmt.Sprintf("Refresh to malformed file %d", i), p.Refresh(t.Context()))
	}

	// _FILE variables that cannot be read, next to variables that hold the
	// canary, and _FILE variables whose value is the canary: a secret pasted
	// into NAME_FILE instead of NAME must not be printed as a path.
	canaryDir := filepath.Join(t.TempDir(), canary)
	if err := os.Mkdir(canaryDir, 0o700); err != nil {
		t.Fatal(err)
	}
	process := map[string]string{
		"OTHER":             canary,
		"MISSING_FILE":      filepath.Join(t.TempDir(), "missing"),
		"DIR_FILE":          t.TempDir(),
		"EMPTY_FILE":        "",
		"DATABASE_URL_FILE": tempFile(t, "db", canary+"\n"),
		"PORT":              canary,
		"PASTED_FILE":       canary, // a relative path that does not exist
		"PASTED_DIR_FILE":   canaryDir,
		"PASTED_UNDER_FILE": filepath.Join(tempFile(t, "regular", "x"), canary),
	}
	// Files over the size limit hold the canary; a FIFO and a device sit
	// at paths that hold it.
	process["BIG_FILE"] = tempFile(t, "big", strings.Repeat(canary, env.MaxValueSize/len(canary)+1))
	fifo := filepath.Join(canaryDir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	process["FIFO_FILE"] = fifo
	process["DEVZERO_FILE"] = "/dev/zero"
	// .env file names are configuration and are named in errors: this
	// FIFO's path holds no canary.
	envFifo := filepath.Join(t.TempDir(), "fifo.env")
	if err := syscall.Mkfifo(envFifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, file := range []string{tempFile(t, "big.env", strings.Repeat("A="+canary+"\n", env.MaxEnvFileSize/len(canary))), envFifo} {
		_, err := env.New(&env.Options{Files: []string{file}})
		record(fmt.Sprintf("New of unreadable .env file %d", i), err)
	}
	dotenv := tempFile(t, ".env", "DOTENV_PASTED_FILE="+canary+"\n")
	names := []string{"MISSING", "DIR", "EMPTY", "ABSENT", "PASTED", "PASTED_DIR", "PASTED_UNDER", "DOTENV_PASTED", "BIG", "FIFO", "DEVZERO"}
	if file, ok := unreadableFile(t); ok {
		process["UNREADABLE_FILE"] = file
		names = append(names, "UNREADABLE")
	}
	p := mustNew(t, &env.Options{Files: []string{dotenv}, LookupEnv: mapEnv(process)})
	var named []runtime.Ref
	for _, name := range names {
		ref := runtime.Ref{Path: strings.ToLower(name), Env: name}
		named = append(named, ref)
		_, err := p.Get(t.Context(), ref)
		record("Get "+name, err)
	}
	for i, r := range p.GetMany(t.Context(), named) {
		record("GetMany "+names[i], r.Err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := p.Get(ctx, runtime.Ref{Path: "other", Env: "OTHER"})
	record("Get with a cancelled context", err)
	for _, r := range p.GetMany(ctx, []runtime.Ref{{Path: "other", Env: "OTHER"}}) {
		record("GetMany with a cancelled context", r.Err)
	}

	// Values that do not parse as their type, through the loader that
	// generated code uses.
	refs := []runtime.Ref{
		{Path: "database/url", Env: "DATABASE_URL", Type: "url"},
		{Path: "port", Env: "PORT", Type: "int"},
		{Path: "missing", Env: "MISSING", Type: "string"},
		{Path: "pasted", Env: "PASTED", Type: "string"},
	}
	l := genimpl.Fetch(t.Context(), p, refs)
	genimpl.Field(l, 0, genimpl.ParseURL)
	genimpl.Field(l, 1, genimpl.ParseInt)
	genimpl.Field(l, 2, genimpl.ParseString)
	genimpl.Field(l, 3, genimpl.ParseString)
	record("Load", l.Err())

	for _, err := range errs {
		for _, verb := range []string{"%v", "%+v", "%s", "%q"} {
			if msg := fmt.Sprintf(verb, err); strings.Contains(msg, canary) {
				t.Errorf("error printed with %s contains the secret value: %s", verb, msg)
			}
		}
	}
}

// TestRefreshConcurrent reads while the files are re-read (run with -race).
func TestRefreshConcurrent(t *testing.T) {
	t.Parallel()
	file := tempFile(t, ".env", "DATABASE_URL=v\n")
	p := mustNew(t, &env.Options{Files: []string{file}, LookupEnv: mapEnv(nil)})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				if v, err := p.Get(t.Context(), dbURL); err != nil || v.Text != "v" {
					t.Errorf("Get = %q, %v", v.Text, err)
					return
				}
			}
		})
		wg.Go(func() {
			for range 20 {
				if err := p.Refresh(t.Context()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
