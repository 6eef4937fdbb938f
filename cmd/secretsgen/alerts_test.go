package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dashtam/secretsgen/internal/generator/alerts"
	"github.com/dashtam/secretsgen/internal/generator/manifest"
)

// TestAlerts runs the command on the repository's manifest: its output is
// what internal/generator/alerts writes for the same arguments (whose tests
// parse it with Prometheus's rule parser and evaluate it on a scrape).
func TestAlerts(t *testing.T) {
	m, err := manifest.Load("../../secrets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, sel := range []string{"", `namespace="payments", service="api"`} {
		args := []string{"alerts", "-manifest", "../../secrets.yaml", "-env", "production"}
		if sel != "" {
			args = append(args, "-selector", sel)
		}
		r := runArgs(t, args...)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("%v: exit %d\nstderr: %s", args, r.code, r.stderr)
		}
		want, err := alerts.Rules(m, "production", &alerts.Options{Selector: sel})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), r.stdout); diff != "" {
			t.Errorf("%v: output (-want +got):\n%s", args, diff)
		}
	}
}

func TestAlertsErrors(t *testing.T) {
	dir := t.TempDir()
	mf := filepath.Join(dir, "secrets.yaml")
	writeTestFile(t, mf, "version: 1\napp: demo\nbackends: [aws]\nsecrets:\n  database/url:\n    type: url\n")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"ok", []string{"-env", "staging", "-manifest", mf}, 0, `job="demo"`, ""},
		{"help", []string{"-h"}, 0, "-selector", ""},
		{"no env", []string{"-manifest", mf}, 2, "", "secretsgen: alerts: -env is required, e.g. -env production"},
		{"bad env", []string{"-env", "Prod", "-manifest", mf}, 2, "", `environment "Prod" is not valid`},
		{"bad selector", []string{"-env", "prod", "-selector", "job=api", "-manifest", mf}, 2, "", `secretsgen: alerts: bad option: selector "job=api": want label matchers`},
		{"no manifest", []string{"-env", "prod", "-manifest", filepath.Join(dir, "none.yaml")}, 2, "", "none.yaml"},
		{"argument", []string{"-env", "prod", "-manifest", mf, "extra"}, 2, "", `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runArgs(t, append([]string{"alerts"}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.stdout) || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
		})
	}
	if r := runArgs(t, "-h"); !strings.Contains(r.stdout, "alerts ") {
		t.Errorf("usage does not list alerts:\n%s", r.stdout)
	}
}
