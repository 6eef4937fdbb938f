package awssm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/dashtam/secretsgen/adapters/internal/awssdk"
	"github.com/dashtam/secretsgen/runtime"
)

// TestValueSizeLimit: a SecretString or SecretBinary over 64 KiB (more
// than Secrets Manager stores) is an invalid value, never returned.
func TestValueSizeLimit(t *testing.T) {
	p := New(nil, "app", "test", nil)
	big := strings.Repeat("x", MaxValueSize+1)
	exact := strings.Repeat("x", MaxValueSize)
	tests := []struct {
		name string
		s    secret
		ref  runtime.Ref
		ok   bool
	}{
		{"string over", secret{text: &big}, runtime.Ref{Path: "a"}, false},
		{"binary over", secret{binary: []byte(big)}, runtime.Ref{Path: "a", Type: "bytes"}, false},
		{"string at the limit", secret{text: &exact}, runtime.Ref{Path: "a"}, true},
	}
	for _, tc := range tests {
		f := fetch{done: true, secret: tc.s}
		v, err := p.value(tc.ref, &f)
		if tc.ok {
			if err != nil || len(v.Text) != MaxValueSize {
				t.Errorf("%s: %d bytes, %v", tc.name, len(v.Text), err)
			}
			continue
		}
		if !errors.Is(err, runtime.ErrInvalidValue) || !strings.Contains(err.Error(), "larger than the limit of 64 KiB") || v.Text != "" {
			t.Errorf("%s: %q, %v; want an invalid value naming the limit", tc.name, v.Text, err)
		}
	}
}

// TestResponseSizeLimit: the client FromEnv builds stops reading a
// response body at MaxResponseSize; the read is an invalid value, not an
// outage, and the body is not read to its end.
func TestResponseSizeLimit(t *testing.T) {
	const size = MaxResponseSize + 1<<20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var sent int64 // per request: a retried request gets the whole oversized body again
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		chunk := bytes.Repeat([]byte("a"), 1<<16)
		_, _ = w.Write([]byte(`{"Name":"x","SecretString":"`))
		for sent < size {
			n, err := w.Write(chunk)
			sent += int64(n)
			if err != nil {
				return
			}
		}
		_, _ = w.Write([]byte(`"}`))
	}))
	defer srv.Close()
	hc := awssdk.NewBoundedClient(nil, MaxResponseSize)
	defer hc.CloseIdle()
	client := secretsmanager.New(secretsmanager.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: hc,
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
	})
	p := New(client, "app", "test", &Options{DisableBatch: true})
	_, err := p.Get(context.Background(), runtime.Ref{Path: "a"})
	if !errors.Is(err, runtime.ErrInvalidValue) || !strings.Contains(err.Error(), "larger than the limit of 16 MiB") {
		t.Fatalf("Get: %v; want an invalid value naming the 16 MiB limit", err)
	}
}

// TestProviderPrintsItsBackendOnly: every fmt verb and slog show the
// backend name, never the client (and so its credentials).
func TestProviderPrintsItsBackendOnly(t *testing.T) {
	const canary = "canary-aws-credential-77c1"
	client := secretsmanager.New(secretsmanager.Options{Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIA"+canary, canary, canary)})
	p := New(client, "app", "test", nil)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%T"} {
		got := fmt.Sprintf(verb, p)
		if verb == "%T" {
			continue
		}
		if got != "awssm.Provider(aws)" {
			t.Errorf("Sprintf(%s) = %q, want awssm.Provider(aws)", verb, got)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "provider", p)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rec["provider"]); got != "map[backend:aws]" || strings.Contains(buf.String(), canary) {
		t.Errorf("slog: %s", buf.String())
	}
}
