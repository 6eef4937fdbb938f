package ssm_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"go.uber.org/goleak"

	"github.com/dashtam/secretsgen/adapters/ssm"
	"github.com/dashtam/secretsgen/internal/testing/awstest"
	"github.com/dashtam/secretsgen/internal/testing/leaktest"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
)

// TestNoGoroutineOutlivesClose: FromEnv on moto, a batched read, a pinned
// read and a single Get, then Close: no goroutine is left, the HTTP
// client's connections included. moto closes its connections after each
// answer, so a Go reverse proxy (which keeps them alive) stands in front of
// it: without Close the client's idle connection goroutines would remain.
func TestNoGoroutineOutlivesClose(t *testing.T) {
	moto := testenv.SharedMoto(t)
	ctx := t.Context()
	setup := newClient(moto.Endpoint(), awstest.ClientOptions{})
	putParam(ctx, t, setup, paramName("leak/one"), "v1", types.ParameterTypeSecureString)
	putParam(ctx, t, setup, paramName("leak/two"), "v2", types.ParameterTypeString)
	awstest.ProxiedEnv(t, moto.Endpoint())

	defer leaktest.VerifyNone(t, goleak.IgnoreCurrent()) // connection goroutines end just after Close
	p, err := ssm.FromEnv(ctx, testApp, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	refs := []runtime.Ref{{Path: "leak/one"}, {Path: "leak/two"}, {Path: "leak/one", Version: "1"}}
	res := p.GetMany(ctx, refs)
	if res[0].Err != nil || res[1].Err != nil || res[2].Err != nil || res[0].Value.Text != "v1" || res[1].Value.Text != "v2" {
		t.Fatalf("GetMany: %+v", res)
	}
	if _, err := p.Get(ctx, refs[1]); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestResponseSizeLimit: a client built by FromEnv stops reading a
// response over MaxResponseSize, and the read fails as an invalid value
// naming the limit, without the body's text.
func TestResponseSizeLimit(t *testing.T) {
	const canary = "canary-body-91c2"
	chunk := strings.Repeat(canary, 1024)
	head := `{"Parameters":[{"Name":"` + paramName("big") + `","Type":"String","Version":1,"Value":"`
	n := ssm.MaxResponseSize/len(chunk) + 1
	body := head + strings.Repeat(chunk, n) + `"}]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // the whole request, so the server keeps the connection open
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	awstest.SharedFilesEnv(t, "", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	// The SDK's default attempts: a read cut short by the connection
	// (which happens now and then when the client stops reading a large
	// body) is retried, as in production, and meets the cap again.
	t.Setenv("AWS_MAX_ATTEMPTS", "3")
	p, err := ssm.FromEnv(t.Context(), testApp, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = p.Get(t.Context(), runtime.Ref{Path: "big", Type: "string"})
	if !errors.Is(err, runtime.ErrInvalidValue) || !strings.Contains(err.Error(), "larger than the limit of 4 MiB") {
		t.Fatalf("Get: %v; want an invalid value naming the 4 MiB limit", err)
	}
	if strings.Contains(err.Error(), canary) {
		t.Fatalf("the error quotes the body: %v", err)
	}
}
