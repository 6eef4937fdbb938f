package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratePackageMismatch: a hand-written file in the output directory
// whose package differs from the manifest's package: is reported before
// anything is written (it used to generate fine and then fail to build).
func TestGeneratePackageMismatch(t *testing.T) {
	mf, out := setup(t, "package: config\n"+goodManifest)
	before := snapshot(t, out)
	r := runArgs(t, "generate", "-manifest", mf, "-out", out)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1; stderr: %s", r.code, r.stderr)
	}
	for _, w := range []string{
		filepath.Join(out, "doc.go") + " is in package gen and " + filepath.Join(out, "helper.go") + " is in package gen",
		"the manifest " + mf + " says package: config",
		"would not build",
	} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q lacks %q", r.stderr, w)
		}
	}
	if snapshot(t, out) != before {
		t.Error("generate wrote files although the packages disagree")
	}

	// Agreeing packages generate; an external test package is fine.
	for _, f := range []string{"doc.go", "helper.go"} {
		if err := os.Remove(filepath.Join(out, f)); err != nil {
			t.Fatal(err)
		}
	}
	writeTestFile(t, filepath.Join(out, "doc.go"), "package config\n")
	writeTestFile(t, filepath.Join(out, "x_test.go"), "package config_test\n")
	if r := runArgs(t, "generate", "-manifest", mf, "-out", out); r.code != 0 {
		t.Errorf("agreeing packages: exit %d: %s", r.code, r.stderr)
	}
	// A non-test file may not be in the _test package.
	writeTestFile(t, filepath.Join(out, "y.go"), "package config_test\n")
	if r := runArgs(t, "generate", "-manifest", mf, "-out", out); r.code != 1 || !strings.Contains(r.stderr, "y.go is in package config_test") {
		t.Errorf("y.go in config_test: got %+v", r)
	}
}

// TestPolicyWarnsWhenBackendNotListed: policy for a backend the manifest's
// backends do not list still prints the policy, with a warning on stderr.
func TestPolicyWarnsWhenBackendNotListed(t *testing.T) {
	dir := t.TempDir()
	mf := filepath.Join(dir, "secrets.yaml")
	writeTestFile(t, mf, checkManifest) // backends: [env]
	for _, backend := range []string{"aws", "vault"} {
		r := runArgs(t, "policy", backend, "-env", "production", "-manifest", mf)
		if r.code != 0 || r.stdout == "" {
			t.Fatalf("policy %s: exit %d, stdout %q", backend, r.code, r.stdout)
		}
		want := "secretsgen: warning: the manifest " + mf + " does not list " + backend + " in backends: [env]"
		if !strings.HasPrefix(r.stderr, want) {
			t.Errorf("policy %s: stderr %q, want prefix %q", backend, r.stderr, want)
		}
	}
	writeTestFile(t, mf, strings.Replace(checkManifest, "backends: [env]", "backends: [env, vault]", 1))
	if r := runArgs(t, "policy", "vault", "-env", "production", "-manifest", mf); r.code != 0 || r.stderr != "" {
		t.Errorf("policy vault with vault listed: exit %d, stderr %q; want no warning", r.code, r.stderr)
	}
}
