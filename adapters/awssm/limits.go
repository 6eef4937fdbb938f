package awssm

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
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

// errResponseTooLarge is the read error of a response body over
// MaxResponseSize.
var errResponseTooLarge = errors.New("response body larger than the limit")

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
		resp.Body = &boundedBody{rc: resp.Body, left: c.limit}
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

// boundedBody fails a read past its limit with errResponseTooLarge.
type boundedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One more byte tells a body of exactly the limit from a longer one.
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, errResponseTooLarge
		}
		return b.rc.Read(p[:0])
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *boundedBody) Close() error { return b.rc.Close() }

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
