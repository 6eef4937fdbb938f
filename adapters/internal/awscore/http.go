package awscore

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/dashtam/secretsgen/adapters/internal/capped"
)

// BoundedClient is the HTTP client an adapter's FromEnv gives the SDK: the
// transport of the client the SDK's configuration built (so AWS_CA_BUNDLE,
// proxies and timeouts still apply), no redirects followed (as the SDK's
// own client), and response bodies cut at a limit (capped.ErrTooLarge
// past it). It owns its connections, so CloseIdle can drop them.
type BoundedClient struct {
	client interface {
		Do(*http.Request) (*http.Response, error)
	}
	idle  func()
	limit int64
}

// NewBoundedClient wraps base, the configuration's HTTP client, capping
// response bodies at limit bytes. The SDK's own *awshttp.BuildableClient
// cannot close its connections, so its transport (a copy with the same
// settings) is used in an http.Client this package owns; any other client
// is wrapped as it is.
func NewBoundedClient(base aws.HTTPClient, limit int64) *BoundedClient {
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
		return &BoundedClient{client: hc, idle: hc.CloseIdleConnections, limit: limit}
	}
	c := &BoundedClient{client: base, limit: limit}
	if closer, ok := base.(interface{ CloseIdleConnections() }); ok {
		c.idle = closer.CloseIdleConnections
	}
	return c
}

// Do implements aws.HTTPClient.
func (c *BoundedClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.client.Do(req)
	if err == nil && resp.Body != nil {
		resp.Body = capped.Body(resp.Body, c.limit)
	}
	return resp, err
}

// CloseIdle closes the client's idle connections (and so their
// goroutines).
func (c *BoundedClient) CloseIdle() {
	if c.idle != nil {
		c.idle()
	}
}
