package awssm

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/dashtam/secretsgen/adapters/internal/capped"
)

// Size limits. Secrets Manager stores at most 64 KiB per secret value; a
// larger value did not come from it and is refused, never returned.
const (
	// MaxValueSize is the largest SecretString or SecretBinary accepted:
	// 64 KiB.
	MaxValueSize = 64 << 10
	// MaxResponseSize is the most a client built by FromEnv reads of one
	// response body: 16 MiB, room for a batch of 20 secrets of 64 KiB in
	// JSON with every byte escaped. A client passed to New is the
	// caller's, and its reads are not capped here.
	MaxResponseSize = 16 << 20
)

// errResponseTooLarge is the read error of a response body over the cap.
var errResponseTooLarge = capped.ErrTooLarge

// errValueTooLarge is the cause for a secret value over MaxValueSize.
var errValueTooLarge = fmt.Errorf("the secret value is larger than the limit of 64 KiB (the most Secrets Manager stores)")

// boundedClient is the HTTP client FromEnv gives the SDK: the transport of
// the client the SDK's configuration built (so AWS_CA_BUNDLE, proxies and
// timeouts still apply), no redirects followed (as the SDK's own client),
// and response bodies cut at MaxResponseSize. It owns its connections, so
// Close can drop them.
type boundedClient struct {
	client interface {
		Do(*http.Request) (*http.Response, error)
	}
	idle  func()
	limit int64
}

// newBoundedClient wraps base, the configuration's HTTP client. The SDK's
// own *awshttp.BuildableClient cannot close its connections, so its
// transport (a copy with the same settings) is used in an http.Client
// this package owns; any other client is wrapped as it is.
func newBoundedClient(base aws.HTTPClient) *boundedClient {
	b, ok := base.(*awshttp.BuildableClient)
	if base == nil || ok {
		if b == nil {
			b = awshttp.NewBuildableClient()
		}
		hc := &http.Client{
			Transport: b.GetTransport(),
			Timeout:   b.GetTimeout(),
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
		return &boundedClient{client: hc, idle: hc.CloseIdleConnections, limit: MaxResponseSize}
	}
	c := &boundedClient{client: base, limit: MaxResponseSize}
	if closer, ok := base.(interface{ CloseIdleConnections() }); ok {
		c.idle = closer.CloseIdleConnections
	}
	return c
}

// Do implements aws.HTTPClient.
func (c *boundedClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.client.Do(req)
	if err == nil && resp.Body != nil {
		resp.Body = capped.Body(resp.Body, c.limit)
	}
	return resp, err
}

// closeIdle closes the client's idle connections (and so their
// goroutines).
func (c *boundedClient) closeIdle() {
	if c.idle != nil {
		c.idle()
	}
}

// checkSize refuses a secret larger than MaxValueSize.
func (s *secret) checkSize() error {
	if (s.text != nil && len(*s.text) > MaxValueSize) || len(s.binary) > MaxValueSize {
		return errValueTooLarge
	}
	return nil
}

// Format prints the Provider as its backend name with every verb: it
// holds an AWS client (and through it credentials), none of which is ever
// printed.
func (p *Provider) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "awssm.Provider(aws)") }

// LogValue implements slog.LogValuer: the backend name only.
func (p *Provider) LogValue() slog.Value {
	return slog.GroupValue(slog.String("backend", backend))
}

// Close closes the idle connections of the HTTP client FromEnv built, so
// that no connection goroutine outlives the Provider. A Provider from New
// uses the caller's client, which the caller closes. Reads after Close
// still work (they dial anew). Close is safe to call more than once.
func (p *Provider) Close() error {
	if p.closeIdle != nil {
		p.closeIdle()
	}
	return nil
}
