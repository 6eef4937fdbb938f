//go:build unix

package files_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dashtam/secretsgen/adapters/files"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// TestCanary feeds a known value through every failure path of the package
// and fails if it shows up in an error or in the printed provider. A second
// canary sits in the directory's path, in link targets and in the kubelet's
// timestamped directory: errors name the file only, never where it is.
func TestCanary(t *testing.T) {
	t.Parallel()
	const (
		canary     = "zq9canary-files-5e1a"
		pathCanary = "zq9pathcanary-files-77c2"
	)
	var errs []error
	record := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", what)
		}
		errs = append(errs, fmt.Errorf("%s: %w", what, err))
	}

	base := filepath.Join(t.TempDir(), pathCanary)
	plain, kube := filepath.Join(base, "plain"), filepath.Join(base, "kube")
	for _, d := range []string{base, plain, kube} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	payload := map[string]string{
		"VALUE":     canary + "\n",
		"PORT":      canary,
		"URL":       "postgres://app:" + canary + "@db/%zz",
		"TOO_LARGE": canary + strings.Repeat("x", 64),
	}
	writeFiles(t, plain, payload)
	mkdir(t, filepath.Join(plain, "DIR_"+pathCanary))
	symlink(t, "DIR_"+pathCanary, filepath.Join(plain, "DIR"))
	symlink(t, filepath.Join(base, "nowhere", pathCanary), filepath.Join(plain, "DANGLING"))
	symlink(t, pathCanary, filepath.Join(plain, pathCanary))
	symlink(t, pathCanary, filepath.Join(plain, "LOOP"))
	if err := syscall.Mkfifo(filepath.Join(plain, "FIFO"), 0o600); err != nil {
		t.Fatal(err)
	}
	vol := newKubeVolume(t, kube, payload)
	// A kubelet directory whose name carries the path canary.
	if err := os.Rename(filepath.Join(kube, vol.dataTarget()), filepath.Join(kube, "..2026_"+pathCanary)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(kube, "..data")); err != nil {
		t.Fatal(err)
	}
	symlink(t, "..2026_"+pathCanary, filepath.Join(kube, "..data"))

	names := []string{"VALUE", "MISSING", "TOO_LARGE", "DIR", "DANGLING", "LOOP", "FIFO", "../VALUE", "..data"}
	var refs []runtime.Ref
	for i, name := range names {
		refs = append(refs, runtime.Ref{Path: fmt.Sprintf("canary/p%d", i), Env: name})
	}
	var providers []*files.Provider
	for _, dir := range []string{plain, kube} {
		label := map[string]string{plain: "plain", kube: "kube"}[dir]
		p := mustNew(t, dir, &files.Options{MaxSize: 64})
		providers = append(providers, p)
		for _, r := range refs[1:] {
			if _, err := p.Get(t.Context(), r); dir == plain || r.Env != "DIR" && r.Env != "DANGLING" && r.Env != "LOOP" && r.Env != "FIFO" {
				record(label+" Get "+r.Env, err)
			}
		}
		for i, r := range p.GetMany(t.Context(), refs) {
			if i > 0 && (dir == plain || i <= 2 || i >= 7) {
				record(label+" GetMany "+names[i], r.Err)
			}
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := p.Get(ctx, refs[0])
		record("Get with a cancelled context", err)

		// Values that do not parse as their type, through the loader that
		// generated code uses.
		l := genimpl.Fetch(t.Context(), p, []runtime.Ref{
			{Path: "port", Env: "PORT", Type: "int"},
			{Path: "url", Env: "URL", Type: "url"},
			{Path: "value", Env: "VALUE", Type: "bytes"},
			{Path: "missing", Env: "MISSING", Type: "string"},
		})
		genimpl.Field(l, 0, genimpl.ParseInt)
		genimpl.Field(l, 1, genimpl.ParseURL)
		genimpl.Field(l, 2, genimpl.ParseBytes)
		genimpl.Field(l, 3, genimpl.ParseString)
		record("Load", l.Err())
	}

	// The directory goes away under a provider.
	gone := filepath.Join(base, "gone-"+pathCanary)
	mkdir(t, gone)
	p := mustNew(t, gone, &files.Options{NoWatch: true})
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	_, err := p.Get(t.Context(), refs[0])
	record("Get from a removed directory", err)

	// Constructors over directories that cannot serve.
	for _, dir := range []string{filepath.Join(base, "missing-"+pathCanary), filepath.Join(plain, "VALUE"), filepath.Join(plain, "VALUE", pathCanary), pathCanary} {
		_, err := files.New(dir, nil)
		record("New", err)
		_, err = files.FromLookup(t.Context(), func(string) (string, bool) { return dir, true })
		record("FromLookup", err)
	}

	for _, err := range errs {
		for _, verb := range []string{"%v", "%+v", "%s", "%q", "%#v"} {
			msg := fmt.Sprintf(verb, err)
			if strings.Contains(msg, canary) {
				t.Errorf("error printed with %s contains the secret value: %s", verb, msg)
			}
			if verb != "%#v" && strings.Contains(msg, pathCanary) {
				t.Errorf("error printed with %s contains a path: %s", verb, msg)
			}
		}
	}
	for _, p := range providers {
		for _, verb := range []string{"%v", "%+v", "%#v"} {
			if msg := fmt.Sprintf(verb, p); strings.Contains(msg, canary) {
				t.Errorf("provider printed with %s contains a secret value: %s", verb, msg)
			}
		}
		var buf bytes.Buffer
		slog.New(slog.NewTextHandler(&buf, nil)).Info("provider", "p", p)
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("provider", "p", p)
		if strings.Contains(buf.String(), canary) {
			t.Errorf("provider logged with slog contains a secret value: %s", buf.String())
		}
	}
}
