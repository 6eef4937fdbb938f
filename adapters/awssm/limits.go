package awssm

import (
	"fmt"
	"io"
	"log/slog"

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
