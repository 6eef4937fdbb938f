package awssm

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/dashtam/secretsgen/adapters/internal/awscore"
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
		f := fetch{Done: true, Value: tc.s}
		v, err := awscore.Value(&p.Core, tc.ref, &f, (*secret).read)
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
	hc := awscore.NewBoundedClient(nil, MaxResponseSize)
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
