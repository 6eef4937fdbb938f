package testenv

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// smCall sends one Secrets Manager JSON request to moto (which does not
// check signatures) and returns the status and the decoded body.
func smCall(t *testing.T, endpoint, op, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "secretsmanager."+op)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%s: decode response: %v", op, err)
	}
	return resp.StatusCode, out
}

func TestStartMotoResetStop(t *testing.T) {
	m := StartMoto(t)
	if !strings.HasPrefix(m.Endpoint(), "http://127.0.0.1:") {
		t.Fatalf("Endpoint() = %q, want http://127.0.0.1:PORT", m.Endpoint())
	}

	if status, _ := smCall(t, m.Endpoint(), "CreateSecret", `{"Name":"/app/test/a","SecretString":"x"}`); status != http.StatusOK {
		t.Fatalf("CreateSecret: status %d", status)
	}
	if status, _ := smCall(t, m.Endpoint(), "DescribeSecret", `{"SecretId":"/app/test/a"}`); status != http.StatusOK {
		t.Fatalf("DescribeSecret before Reset: status %d, want 200", status)
	}

	m.Reset(t)
	status, body := smCall(t, m.Endpoint(), "DescribeSecret", `{"SecretId":"/app/test/a"}`)
	if status == http.StatusOK || body["__type"] != "ResourceNotFoundException" {
		t.Fatalf("DescribeSecret after Reset: status %d, type %v; want ResourceNotFoundException", status, body["__type"])
	}

	m.Stop()
	m.Stop() // a second Stop (and the cleanup's) does nothing
	select {
	case <-m.exited:
	default:
		t.Fatal("moto_server still running after Stop")
	}
	client := &http.Client{Timeout: 2 * time.Second}
	if resp, err := client.Get(m.Endpoint() + "/moto-api/"); err == nil {
		resp.Body.Close()
		t.Fatalf("moto_server still answers after Stop: %s", resp.Status)
	}
}

// TestMotoDiesWithItsLifeline: when the test process goes away without
// calling Stop, its end of the watchdog's stdin closes and the server is
// killed (simulated here by closing that end).
func TestMotoDiesWithItsLifeline(t *testing.T) {
	m := StartMoto(t)
	if err := m.lifeline.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-m.exited:
	case <-time.After(time.Minute): // a watchdog that never kills, not a slow one
		t.Fatal("moto_server still running a minute after its lifeline closed")
	}
	client := &http.Client{Timeout: 2 * time.Second}
	if resp, err := client.Get(m.Endpoint() + "/moto-api/"); err == nil {
		resp.Body.Close()
		t.Fatalf("moto_server still answers after its lifeline closed: %s", resp.Status)
	}
}

func TestStartMotoMissingBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := startMoto()
	if err == nil {
		t.Fatal("startMoto with no moto_server on PATH: no error")
	}
	for _, want := range []string{"moto_server is not on PATH", "pip install", "-short"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestStartMotoExitsEarly(t *testing.T) {
	// A moto_server that exits at once is reported with its output, as an
	// exit (the message says so), well before the start timeout.
	dir := t.TempDir()
	script := "#!/bin/sh\necho 'boom: cannot start' >&2\nexit 3\n"
	if err := os.WriteFile(dir+"/moto_server", []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	start := time.Now()
	_, err := startMoto()
	if err == nil {
		t.Fatal("startMoto with a failing moto_server: no error")
	}
	if !strings.Contains(err.Error(), "exited before it answered") || !strings.Contains(err.Error(), "boom: cannot start") {
		t.Errorf("error %q does not say the server exited and show its output", err)
	}
	if elapsed := time.Since(start); elapsed >= motoStartTimeout {
		t.Errorf("startMoto took %v to notice the exit: it waited for the start timeout", elapsed)
	}
}

func TestTailKeepsLastBytes(t *testing.T) {
	w := &tail{max: 5}
	for _, s := range []string{"abc", "defg", "h"} {
		if _, err := w.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if got := w.String(); got != "defgh" {
		t.Errorf("tail = %q, want %q", got, "defgh")
	}
}
