package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestK8sExternalSecret runs the command on the repository's manifest: its
// output is internal/generator/k8s's golden file for the same arguments (which
// internal/generator/k8s validates against ESO's CRD).
func TestK8sExternalSecret(t *testing.T) {
	tests := []struct {
		args   []string
		golden string
	}{
		{[]string{"-env", "production", "-store", "dashtam-aws"}, "dashtam-aws.yaml"},
		{[]string{"-env", "production", "-store", "vault", "-store-kind", "ClusterSecretStore", "-backend", "vault", "-refresh", "15m"}, "dashtam-vault.yaml"},
		{[]string{"-env", "staging", "-store", "dashtam-aws", "-skip-optional", "-name", "dashtam-staging"}, "dashtam-skip-optional.yaml"},
		{[]string{"-env", "production", "-store", "dashtam-aws", "-api-version", "v1beta1"}, "dashtam-v1beta1.yaml"},
		{[]string{"-env", "production", "-store", "dashtam-aws", "-allow-missing"}, "dashtam-allow-missing.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			args := append([]string{"k8s", "external-secret", "-manifest", "../../secrets.yaml"}, tt.args...)
			r := runArgs(t, args...)
			if r.code != 0 {
				t.Fatalf("exit %d\nstderr: %s", r.code, r.stderr)
			}
			want := readFile(t, filepath.Join("..", "..", "internal", "generator", "k8s", "testdata", tt.golden))
			if diff := cmp.Diff(want, r.stdout); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			if r.stderr != "" {
				t.Errorf("stderr: %s", r.stderr)
			}
		})
	}
}

func TestK8sErrors(t *testing.T) {
	dir := t.TempDir()
	mf := filepath.Join(dir, "secrets.yaml")
	writeTestFile(t, mf, `version: 1
app: demo
backends: [aws]
secrets:
  database/url:
    type: url
    source: {version: AWSPREVIOUS}
`)
	base := []string{"k8s", "external-secret", "-manifest", mf}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // substring of stdout
		stderr []string
	}{
		{"no subcommand", []string{"k8s"}, 2, "", []string{"want 'k8s external-secret -env ENV -store NAME"}},
		{"help", []string{"k8s", "-h"}, 0, "usage: secretsgen k8s external-secret", nil},
		{"flag help", []string{"k8s", "external-secret", "-h"}, 0, "-store-kind", nil},
		{"no env", append(base, "-store", "s"), 2, "", []string{"-env is required"}},
		{"no store", append(base, "-env", "production"), 2, "", []string{"-store is required"}},
		{"bad env", append(base, "-env", "Prod", "-store", "s"), 2, "", []string{`environment "Prod" is not valid`}},
		{"bad kind", append(base, "-env", "production", "-store", "s", "-store-kind", "Cluster"), 2, "", []string{`store kind "Cluster"`}},
		{"bad api version", append(base, "-env", "production", "-store", "s", "-api-version", "v2"), 2, "", []string{"external-secrets.io/v2"}},
		{"entry error", append(base, "-env", "production", "-store", "s", "-backend", "vault"), 2, "", []string{
			"secretsgen: " + mf + `:5:3: secret database/url: source.version "AWSPREVIOUS" is not a Vault KV version number`,
		}},
		// Neither files nor env in backends: printed, with a note.
		{"note", append(base, "-env", "production", "-store", "s"), 0, "key: /demo/production/database/url", []string{"lists neither files nor env"}},
		{"missing manifest", []string{"k8s", "external-secret", "-manifest", filepath.Join(dir, "nope.yaml"), "-env", "production", "-store", "s"}, 2, "", []string{"nope.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runArgs(t, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, r.stdout)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
}

// TestK8sNoValues: the ExternalSecret names where secrets live, never a
// value: not even a sensitive default of the manifest.
func TestK8sNoValues(t *testing.T) {
	mf := filepath.Join(t.TempDir(), "secrets.yaml")
	writeTestFile(t, mf, `version: 1
app: demo
backends: [env, aws]
secrets:
  api/key:
    type: string
    default: zq9canary
  api/token:
    type: string
    optional: true
`)
	for _, args := range [][]string{{}, {"-backend", "vault"}, {"-skip-optional"}, {"-backend", "bogus"}} {
		r := runArgs(t, append([]string{"k8s", "external-secret", "-manifest", mf, "-env", "production", "-store", "s"}, args...)...)
		if strings.Contains(r.stdout+r.stderr, "zq9canary") {
			t.Errorf("%v: output holds a default value:\n%s%s", args, r.stdout, r.stderr)
		}
	}
}
