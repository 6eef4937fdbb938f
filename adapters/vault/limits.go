package vault

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/dashtam/secretsgen/adapters/internal/capped"
)

// Size limits. Vault's own storage keeps entries far smaller (integrated
// storage's default max_entry_size is 1 MiB), so these only stop a broken
// or hostile endpoint from making the process read without end.
const (
	// MaxResponseSize is the most a client built by FromEnv reads of one
	// response body: 4 MiB. A client passed to New is the caller's; wrap
	// its transport with LimitTransport for the same cap.
	MaxResponseSize = 4 << 20
	// MaxValueSize is the largest value the provider returns: 1 MiB.
	MaxValueSize = 1 << 20
)

// errResponseTooLarge is the read error of a response body over the cap.
var errResponseTooLarge = capped.ErrTooLarge

// errValueTooLarge is the cause for a value over MaxValueSize.
var errValueTooLarge = errors.New("the value is larger than the limit of 1 MiB")

// LimitTransport returns next (http.DefaultTransport when nil) with every
// response body cut at MaxResponseSize: a read past it fails, and the
// provider reports the secret as an invalid value. FromEnv installs it.
// Install it on the client's http.Client after api.NewClient, which may
// configure the *http.Transport itself.
func LimitTransport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &limitTransport{next: next, limit: MaxResponseSize}
}

type limitTransport struct {
	next  http.RoundTripper
	limit int64
}

func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err == nil && resp.Body != nil {
		resp.Body = capped.Body(resp.Body, t.limit)
	}
	return resp, err
}

// CloseIdleConnections closes the wrapped transport's idle connections.
func (t *limitTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// tooLarge reports whether text is over MaxValueSize.
func tooLarge(text string) bool { return len(text) > MaxValueSize }

// Format prints the Provider as its backend name with every verb: it holds
// the Vault client (and so its token) and the auth method's credentials,
// none of which is ever printed.
func (p *Provider) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "vault.Provider(vault)") }

// LogValue implements slog.LogValuer: the backend name only.
func (p *Provider) LogValue() slog.Value {
	return slog.GroupValue(slog.String("backend", backend))
}
