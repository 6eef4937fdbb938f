package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
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
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // a hang, not a busy machine
	defer cancel()

	var health struct {
		Initialized bool `json:"initialized"`
		Sealed      bool `json:"sealed"`
	}
	if err := vaultCall(ctx, v, http.MethodGet, "sys/health", "", nil, &health); err != nil {
		t.Fatalf("health: %v", err)
	}
	if !health.Initialized || health.Sealed {
		t.Errorf("health = %+v, want initialized and unsealed", health)
	}

	// The root token authenticates and is a root token.
	var self struct {
		Data struct {
			Policies []string `json:"policies"`
		} `json:"data"`
	}
	if err := vaultCall(ctx, v, http.MethodGet, "auth/token/lookup-self", v.RootToken(), nil, &self); err != nil {
		t.Fatalf("lookup-self with the root token: %v", err)
	}
	if !slices.Contains(self.Data.Policies, "root") {
		t.Errorf("lookup-self policies = %q, want root", self.Data.Policies)
	}
	if err := vaultCall(ctx, v, http.MethodGet, "auth/token/lookup-self", "", nil, nil); err == nil || !strings.Contains(err.Error(), "HTTP 403") {
		t.Errorf("lookup-self without a token: %v, want HTTP 403", err)
	}

	// The dev server mounts KV v2 at secret/.
	put := map[string]any{"data": map[string]any{"value": "x"}}
	if err := vaultCall(ctx, v, http.MethodPost, "secret/data/testenv/check", v.RootToken(), put, nil); err != nil {
		t.Fatalf("KV v2 put: %v", err)
	}
	var got struct {
		Data struct {
			Data map[string]any `json:"data"`
		} `json:"data"`
	}
	err := vaultCall(ctx, v, http.MethodGet, "secret/data/testenv/check", v.RootToken(), nil, &got)
	if err != nil || got.Data.Data["value"] != "x" {
		t.Fatalf("KV v2 get = %v, %v; want value x", got.Data.Data, err)
	}
	// Vault does not print the root token it is given; were a line to hold
	// it, output (which error messages show) redacts it.
	if _, err := v.out.Write([]byte("Root Token: " + v.RootToken() + "\n")); err != nil {
		t.Fatal(err)
	}
	if out := v.output(); strings.Contains(out, v.RootToken()) || !strings.Contains(out, "Root Token: [REDACTED]") {
		t.Errorf("output() = %q, want the root token shown as [REDACTED]", out)
	}
	if !slices.Contains(v.CLIEnv(), "VAULT_TOKEN="+v.RootToken()) || !slices.Contains(v.CLIEnv(), "VAULT_ADDR="+v.Addr()) {
		t.Error("CLIEnv() does not hold VAULT_ADDR and VAULT_TOKEN for the server")
	}

	v.Stop()
	v.Stop() // idempotent
	if err := vaultCall(ctx, v, http.MethodGet, "sys/health", "", nil, nil); err == nil {
		t.Error("health succeeded after Stop")
	}
}

// TestVaultDiesWithItsLifeline: when the test process goes away without
// calling Stop, its end of the watchdog's stdin closes and the server is
// killed (simulated here by closing that end).
func TestVaultDiesWithItsLifeline(t *testing.T) {
	v := StartVault(t)
	if err := v.lifeline.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-v.exited:
	case <-time.After(time.Minute): // a watchdog that never kills, not a slow one
		t.Fatal("vault still running a minute after its lifeline closed")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := vaultCall(ctx, v, http.MethodGet, "sys/health", "", nil, nil); err == nil {
		t.Error("vault still answers after its lifeline closed")
	}
}

// TestCLIEnv: the environment for the vault CLI drops the developer's
// VAULT_* variables and HOME, and points at the server.
func TestCLIEnv(t *testing.T) {
	t.Setenv("VAULT_NAMESPACE", "elsewhere")
	t.Setenv("VAULT_TOKEN", "not-the-root-token")
	t.Setenv("HOME", "/home/developer")
	v := &Vault{addr: "http://127.0.0.1:1", token: "root-x"}
	var vaultVars []string
	for _, kv := range v.CLIEnv() {
		if strings.HasPrefix(kv, "VAULT_") || strings.HasPrefix(kv, "HOME=") {
			vaultVars = append(vaultVars, kv)
		}
	}
	slices.Sort(vaultVars)
	if want := []string{"VAULT_ADDR=http://127.0.0.1:1", "VAULT_TOKEN=root-x"}; !slices.Equal(vaultVars, want) {
		t.Errorf("CLIEnv() has %q, want %q", vaultVars, want)
	}
}

// vaultCall sends body (JSON, when not nil) to /v1/{path} on v with token
// (none when empty), and decodes a 2xx answer's JSON into out (when not nil).
// Other statuses are errors naming the status; the token never appears in
// an error.
func vaultCall(ctx context.Context, v *Vault, method, path, token string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, v.Addr()+"/v1/"+path, r)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("X-Vault-Token", token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s /v1/%s: read the answer: %v", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s /v1/%s: HTTP %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s /v1/%s: decode the answer: %v", method, path, err)
		}
	}
	return nil
}
