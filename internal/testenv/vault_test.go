package testenv

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestVaultBinary(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("not a program"), 0o644); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "vault")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     string
		want    string // path, when no error
		wantErr string // substring of the error
	}{
		{"override", exe, exe, ""},
		{"override missing", filepath.Join(dir, "missing"), "", "run make vault"},
		{"override not executable", plain, "", "not an executable"},
		{"override directory", dir, "", "not an executable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(VaultBinEnv, tc.env)
			got, err := VaultBinary()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("VaultBinary() error: %v", err)
			case tc.wantErr == "" && got != tc.want:
				t.Errorf("VaultBinary() = %q, want %q", got, tc.want)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("VaultBinary() = %q, %v; want an error containing %q", got, err, tc.wantErr)
			}
		})
	}
}

func TestVaultBinaryDefault(t *testing.T) {
	t.Setenv(VaultBinEnv, "")
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("moduleRoot() = %q, which has no go.mod", root)
	}
	want := filepath.Join(root, "bin", "vault")
	got, err := VaultBinary()
	if err != nil {
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "make vault") {
			t.Errorf("VaultBinary() error %q does not name %s and make vault", err, want)
		}
		return
	}
	if got != want {
		t.Errorf("VaultBinary() = %q, want %q", got, want)
	}
}

func TestStartVault(t *testing.T) {
	v := StartVault(t)
	if !strings.HasPrefix(v.Addr(), "http://127.0.0.1:") {
		t.Errorf("Addr() = %q, want a loopback address", v.Addr())
	}
	if len(v.RootToken()) < 20 {
		t.Errorf("RootToken() = %q is too short to be random", v.RootToken())
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c := v.Client(t)
	if c.Address() != v.Addr() || c.Token() != v.RootToken() {
		t.Errorf("Client() talks to %s, want %s with the root token", c.Address(), v.Addr())
	}
	health, err := c.Sys().HealthWithContext(ctx)
	if err != nil {
		t.Fatalf("health: %v", err)
	}
	if !health.Initialized || health.Sealed {
		t.Errorf("health = %+v, want initialized and unsealed", health)
	}
	// The dev server mounts KV v2 at secret/.
	if _, err := c.KVv2("secret").Put(ctx, "testenv/check", map[string]any{"value": "x"}); err != nil {
		t.Fatalf("KV v2 put: %v", err)
	}
	s, err := c.KVv2("secret").Get(ctx, "testenv/check")
	if err != nil || s.Data["value"] != "x" {
		t.Fatalf("KV v2 get = %v, %v; want value x", s, err)
	}
	if strings.Contains(v.output(), v.RootToken()) {
		t.Error("the captured server output contains the root token")
	}

	v.Stop()
	v.Stop() // idempotent
	if _, err := c.Sys().HealthWithContext(ctx); err == nil {
		t.Error("health succeeded after Stop")
	}
}
