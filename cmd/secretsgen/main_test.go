package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/internal/generator/codegen"
)

const goodManifest = `version: 1
app: demo
backends: [env]
secrets:
  database/url:
    type: url
  http/timeout:
    type: duration
    default: 30s
    sensitive: false
`

// badManifest has three problems on lines 3, 6 and 9.
const badManifest = `version: 1
app: demo
backends: [env, gcp]
secrets:
  database/url:
    type: uri
  http/timeout:
    type: duration
    default: soon
`

type result struct {
	code           int
	stdout, stderr string
}

func runArgs(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), args, &stdout, &stderr)
	return result{exitCode(err), stdout.String(), stderr.String()}
}

func writeTestFile(t *testing.T, file, text string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// setup returns a directory holding secrets.yaml and an output directory
// gen with a hand-written doc.go and helper.go.
func setup(t *testing.T, manifest string) (mf, out string) {
	t.Helper()
	dir := t.TempDir()
	mf, out = filepath.Join(dir, "secrets.yaml"), filepath.Join(dir, "gen")
	writeTestFile(t, mf, manifest)
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(out, "doc.go"), "// Package gen is generated.\npackage gen\n")
	writeTestFile(t, filepath.Join(out, "helper.go"), "package gen\n\nfunc helper() {}\n")
	return mf, out
}

var generatedFiles = []string{"fake.go", "load.go", "provider.go", "settings.go", "watch.go"}

func TestGenerateWritesAndIsIdempotent(t *testing.T) {
	mf, out := setup(t, goodManifest)
	if r := runArgs(t, "generate", "-manifest", mf, "-out", out); r.code != 0 || r.stderr != "" || r.stdout != "" {
		t.Fatalf("generate: %+v", r)
	}
	for _, name := range generatedFiles {
		if text := readFile(t, filepath.Join(out, name)); !strings.HasPrefix(text, codegen.Header+"\n") {
			t.Errorf("%s does not start with the header", name)
		}
	}
	if got := readFile(t, filepath.Join(out, "doc.go")); got != "// Package gen is generated.\npackage gen\n" {
		t.Errorf("doc.go was changed: %q", got)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != len(generatedFiles)+2 {
		t.Errorf("out has %d entries, want %d (no temporary files left)", len(entries), len(generatedFiles)+2)
	}

	// A second run rewrites nothing: the modification times stay.
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	for _, name := range generatedFiles {
		if err := os.Chtimes(filepath.Join(out, name), old, old); err != nil {
			t.Fatal(err)
		}
	}
	if r := runArgs(t, "generate", "-manifest", mf, "-out", out); r.code != 0 {
		t.Fatalf("second generate: %+v", r)
	}
	for _, name := range generatedFiles {
		fi, err := os.Stat(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if !fi.ModTime().Equal(old) {
			t.Errorf("%s was rewritten although unchanged", name)
		}
	}
	if r := runArgs(t, "generate", "-manifest", mf, "-out", out, "-check"); r.code != 0 || r.stderr != "" {
		t.Errorf("-check after generate: %+v", r)
	}
}

func TestGenerateCreatesOutDir(t *testing.T) {
	dir := t.TempDir()
	mf := filepath.Join(dir, "secrets.yaml")
	writeTestFile(t, mf, goodManifest)
	out := filepath.Join(dir, "new", "gen")
	if r := runArgs(t, "generate", "-manifest", mf, "-out", out); r.code != 0 {
		t.Fatalf("generate: %+v", r)
	}
	for _, name := range generatedFiles {
		readFile(t, filepath.Join(out, name))
	}
}

func TestCheckReportsStaleFiles(t *testing.T) {
	mf, out := setup(t, goodManifest)
	if r := runArgs(t, "generate", "-manifest", mf, "-out", out); r.code != 0 {
		t.Fatalf("generate: %+v", r)
	}
	settings := filepath.Join(out, "settings.go")
	writeTestFile(t, settings, readFile(t, settings)+"// edited\n")
	if err := os.Remove(filepath.Join(out, "fake.go")); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(out, "old.go")
	writeTestFile(t, leftover, codegen.Header+"\n\npackage gen\n")
	before := snapshot(t, out)

	r := runArgs(t, "generate", "-manifest", mf, "-out", out, "-check")
	want := strings.Join([]string{
		"secretsgen: " + filepath.Join(out, "fake.go") + " is missing",
		"secretsgen: " + settings + " is stale",
		"secretsgen: " + leftover + " is no longer generated",
		"secretsgen: regenerate with: go generate ./... (the //go:generate line; or run: go tool secretsgen generate -manifest " + mf + " -out " + out + ")",
	}, "\n") + "\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("-check: exit %d, stderr:\n%s\nwant exit 1, stderr:\n%s", r.code, r.stderr, want)
	}
	if after := snapshot(t, out); after != before {
		t.Error("-check changed the output directory")
	}

	// generate repairs all three and keeps the hand-written files.
	if r := runArgs(t, "generate", "-manifest", mf, "-out", out); r.code != 0 {
		t.Fatalf("generate: %+v", r)
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("the stale generated file old.go was not removed: %v", err)
	}
	for _, name := range []string{"doc.go", "helper.go", "fake.go"} {
		readFile(t, filepath.Join(out, name))
	}
	if r := runArgs(t, "generate", "-manifest", mf, "-out", out, "-check"); r.code != 0 {
		t.Errorf("-check after repair: %+v", r)
	}
}

// snapshot returns the names and contents of the files in dir.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		b.WriteString(e.Name() + "\n" + readFile(t, filepath.Join(dir, e.Name())) + "\n")
	}
	return b.String()
}

func TestGenerateRefusesToOverwriteHandWrittenFile(t *testing.T) {
	mf, out := setup(t, goodManifest)
	hand := filepath.Join(out, "settings.go")
	writeTestFile(t, hand, "package gen\n\n// Hand-written.\n")
	r := runArgs(t, "generate", "-manifest", mf, "-out", out)
	if r.code != 1 || !strings.Contains(r.stderr, hand+" exists and was not written by secretsgen") {
		t.Errorf("got %+v, want exit 1 and a message naming %s", r, hand)
	}
	if got := readFile(t, hand); got != "package gen\n\n// Hand-written.\n" {
		t.Error("the hand-written file was changed")
	}
	if _, err := os.Stat(filepath.Join(out, "load.go")); !os.IsNotExist(err) {
		t.Error("generate wrote files although it failed")
	}
}

func TestGenerateBadManifest(t *testing.T) {
	mf, out := setup(t, badManifest)
	before := snapshot(t, out)
	r := runArgs(t, "generate", "-manifest", mf, "-out", out)
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	wantLines := []string{mf + ":3:", mf + ":6:", mf + ":9:"}
	if len(lines) != len(wantLines) {
		t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(wantLines), r.stderr)
	}
	for i, line := range lines {
		if !strings.HasPrefix(line, "secretsgen: "+wantLines[i]) {
			t.Errorf("line %d = %q, want prefix %q", i, line, "secretsgen: "+wantLines[i])
		}
	}
	if snapshot(t, out) != before {
		t.Error("generate wrote files for a bad manifest")
	}
}

func TestUsage(t *testing.T) {
	mf, out := setup(t, goodManifest)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // substring
		stderr string // substring
	}{
		{"no command", nil, 2, "", "secretsgen: no command given"},
		{"unknown command", []string{"frobnicate"}, 2, "", `secretsgen: unknown command "frobnicate"; run 'secretsgen -h' for usage`},
		{"help", []string{"-h"}, 0, "generate", ""},
		{"generate help", []string{"generate", "-h"}, 0, "-manifest file", ""},
		{"bad flag", []string{"generate", "-bogus"}, 2, "", "secretsgen: generate: flag provided but not defined: -bogus; run 'secretsgen generate -h' for usage"},
		{"positional argument", []string{"generate", "-manifest", mf, "-out", out, "extra"}, 2, "", `secretsgen: generate: unexpected argument "extra"`},
		{"missing manifest", []string{"generate", "-manifest", filepath.Join(out, "nope.yaml"), "-out", out}, 1, "", "no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runArgs(t, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.stdout) || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("got exit %d\nstdout: %s\nstderr: %s\nwant exit %d, stdout containing %q, stderr containing %q",
					r.code, r.stdout, r.stderr, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}
