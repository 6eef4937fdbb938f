// Package awstest holds the test helpers the AWS adapters' tests
// (adapters/awssm and adapters/ssm) share: a call counter, a fault-injecting
// transport, SDK client options for moto, and the configuration-error and
// canary checks both adapters must pass. Only _test.go files import it.
package awstest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go/middleware"
)

// Counter counts SDK operations by name with a middleware, so tests and
// benchmarks can say how many API calls a read made (retries of one
// operation count once). It also records the largest batch sent: the
// SecretIdList of BatchGetSecretValue, the Names of GetParameters.
type Counter struct {
	mu       sync.Mutex
	calls    map[string]int
	maxBatch int
}

// Add installs the counting middleware on an SDK client's stack (for
// APIOptions).
func (c *Counter) Add(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("secretsgenCountCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			if c.calls == nil {
				c.calls = make(map[string]int)
			}
			c.calls[awsmiddleware.GetOperationName(ctx)]++
			switch b := in.Parameters.(type) {
			case *secretsmanager.BatchGetSecretValueInput:
				c.maxBatch = max(c.maxBatch, len(b.SecretIdList))
			case *ssm.GetParametersInput:
				c.maxBatch = max(c.maxBatch, len(b.Names))
			}
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// Get returns the number of calls of operation op.
func (c *Counter) Get(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[op]
}

// readOps are the operations that read secrets or parameters.
var readOps = []string{"GetSecretValue", "BatchGetSecretValue", "DescribeSecret", "GetParameters", "GetParametersByPath", "GetParameter"}

// Total returns the number of calls of the read operations.
func (c *Counter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, op := range readOps {
		n += c.calls[op]
	}
	return n
}

// MaxBatch returns the largest batch sent.
func (c *Counter) MaxBatch() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.maxBatch
}

// Reset forgets every count.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = nil
	c.maxBatch = 0
}

// ClientOptions configures Config.
type ClientOptions struct {
	Counter   *Counter
	Transport http.RoundTripper // wraps the real transport, e.g. a Fault
	Retryer   func() aws.Retryer
}

// Config returns the SDK configuration of a client of the moto server at
// endpoint, in us-east-1 with static test credentials (for a service's
// NewFromConfig).
func Config(endpoint string, o ClientOptions) aws.Config {
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
	}
	if o.Counter != nil {
		cfg.APIOptions = append(cfg.APIOptions, o.Counter.Add)
	}
	if o.Transport != nil {
		cfg.HTTPClient = &http.Client{Transport: o.Transport}
	}
	if o.Retryer != nil {
		cfg.Retryer = o.Retryer
	}
	return cfg
}

// FastRetries is the SDK's standard retryer with short backoffs, so tests
// of retried failures finish quickly.
func FastRetries(attempts int) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.MaxBackoff = 5 * time.Millisecond
		})
	}
}

// ServerText is in every error message Fault injects by default: a
// message must never quote it.
const ServerText = "server-text-zq8"

// Fault is an http.RoundTripper that answers requests for the operations
// in Errors with an error response instead of passing them to moto, to
// inject what a real server cannot produce on demand (an IAM denial of one
// operation, throttling). With Limit > 0 only the first Limit matching
// requests get the error; later ones reach moto. It counts the attempts it
// saw per operation and the requests in flight at once.
type Fault struct {
	Next   http.RoundTripper // nil: http.DefaultTransport
	Status int               // HTTP status of injected errors; 0: 400
	Errors map[string]string // operation -> error code to inject
	Body   string            // when set, the body of every injected response
	Limit  int

	mu          sync.Mutex
	attempts    map[string]int
	matched     int
	inFlight    int
	maxInFlight int
}

// RoundTrip implements http.RoundTripper. The operation is the part of
// the X-Amz-Target header after its first dot ("AmazonSSM.GetParameters",
// "secretsmanager.GetSecretValue").
func (f *Fault) RoundTrip(req *http.Request) (*http.Response, error) {
	target := req.Header.Get("X-Amz-Target")
	_, op, ok := strings.Cut(target, ".")
	if !ok {
		op = target
	}
	f.mu.Lock()
	if f.attempts == nil {
		f.attempts = make(map[string]int)
	}
	f.attempts[op]++
	code, inject := f.Errors[op]
	if inject {
		f.matched++
		inject = f.Limit == 0 || f.matched <= f.Limit
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
		next := f.Next
		if next == nil {
			next = http.DefaultTransport
		}
		return next.RoundTrip(req)
	}
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	body := f.Body
	if body == "" {
		body = `{"__type":"` + code + `","message":"injected ` + code + ` for ` + op + ` ` + ServerText + `"}`
	}
	status := f.Status
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

// Attempts returns the number of requests for operation op.
func (f *Fault) Attempts(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts[op]
}

// MaxInFlight returns the most requests that were in flight at once.
func (f *Fault) MaxInFlight() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxInFlight
}
