package ssm_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/dashtam/secretsgen/internal/testenv"
)

// The tests of this package share one moto_server (see testenv.SharedMoto);
// tests that stop their server start their own.
func TestMain(m *testing.M) { os.Exit(testenv.MotoMain(m)) }

const (
	testApp = "dashtam"
	testEnv = "test"
)

// paramName is the parameter the provider reads for path in testApp/testEnv.
func paramName(path string) string { return "/" + testApp + "/" + testEnv + "/" + path }

// counter counts SDK operations by name with a middleware, so tests and
// benchmarks can say how many API calls a read made (retries of one
// operation count once). It also records the largest Names list sent to
// GetParameters.
type counter struct {
	mu       sync.Mutex
	calls    map[string]int
	maxBatch int
}

func (c *counter) add(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("secretsgenCountCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			if c.calls == nil {
				c.calls = make(map[string]int)
			}
			c.calls[awsmiddleware.GetOperationName(ctx)]++
			if b, ok := in.Parameters.(*awsssm.GetParametersInput); ok {
				c.maxBatch = max(c.maxBatch, len(b.Names))
			}
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// get returns the number of calls of operation op.
func (c *counter) get(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[op]
}

// total returns the number of calls of the read operations.
func (c *counter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls["GetParameters"] + c.calls["GetParametersByPath"] + c.calls["GetParameter"]
}

func (c *counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = nil
	c.maxBatch = 0
}

// clientOptions configures newClient.
type clientOptions struct {
	counter   *counter
	transport http.RoundTripper // wraps the real transport, e.g. a fault injector
	retryer   func() aws.Retryer
}

// newClient returns an SSM client for the moto server at endpoint, with
// static test credentials.
func newClient(endpoint string, o clientOptions) *awsssm.Client {
	opts := awsssm.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
	}
	if o.counter != nil {
		opts.APIOptions = append(opts.APIOptions, o.counter.add)
	}
	if o.transport != nil {
		opts.HTTPClient = &http.Client{Transport: o.transport}
	}
	if o.retryer != nil {
		opts.Retryer = o.retryer()
	}
	return awsssm.New(opts)
}

// putParam creates or overwrites the parameter name and returns its new
// version number.
func putParam(ctx context.Context, t testing.TB, c *awsssm.Client, name, value string, typ types.ParameterType) int64 {
	t.Helper()
	out, err := c.PutParameter(ctx, &awsssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String(value), Type: typ, Overwrite: aws.Bool(true), Tier: types.ParameterTierAdvanced,
	})
	if err != nil {
		t.Fatalf("PutParameter(%s): %v", name, err)
	}
	return out.Version
}

// label attaches labels to version v of the parameter name.
func label(ctx context.Context, t testing.TB, c *awsssm.Client, name string, v int64, labels ...string) {
	t.Helper()
	if _, err := c.LabelParameterVersion(ctx, &awsssm.LabelParameterVersionInput{
		Name: aws.String(name), ParameterVersion: aws.Int64(v), Labels: labels,
	}); err != nil {
		t.Fatalf("LabelParameterVersion(%s, %d): %v", name, v, err)
	}
}

// fastRetries is the SDK's standard retryer with short backoffs, so tests
// of retried failures finish quickly.
func fastRetries(attempts int) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.MaxBackoff = 5 * time.Millisecond
		})
	}
}

// fault is an http.RoundTripper that answers requests for the operations
// in errors with an error response instead of passing them to moto, to
// inject what a real server cannot produce on demand (an IAM denial of one
// operation, throttling). With limit > 0 only the first limit matching
// requests get the error; later ones reach moto. It counts the attempts it
// saw per operation and the requests in flight at once.
type fault struct {
	next   http.RoundTripper
	status int               // HTTP status of injected errors
	errors map[string]string // operation -> error code to inject
	body   string            // when set, the body of every injected response
	limit  int

	mu          sync.Mutex
	attempts    map[string]int
	matched     int
	inFlight    int
	maxInFlight int
}

func (f *fault) RoundTrip(req *http.Request) (*http.Response, error) {
	op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "AmazonSSM.")
	f.mu.Lock()
	if f.attempts == nil {
		f.attempts = make(map[string]int)
	}
	f.attempts[op]++
	code, inject := f.errors[op]
	if inject {
		f.matched++
		inject = f.limit == 0 || f.matched <= f.limit
	}
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()

	if !inject {
		next := f.next
		if next == nil {
			next = http.DefaultTransport
		}
		return next.RoundTrip(req)
	}
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	body := f.body
	if body == "" {
		body = `{"__type":"` + code + `","message":"injected ` + code + ` for ` + op + ` server-text-zq8"}`
	}
	status := f.status
	if status == 0 {
		status = http.StatusBadRequest
	}
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amzn-Requestid": {"injected"}},
		Body:          io.NopCloser(bytes.NewReader([]byte(body))),
		ContentLength: int64(len(body)),
		Request:       req,
	}, nil
}

func (f *fault) attemptsOf(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts[op]
}
