package awssm

import "errors"

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

// errValueTooLarge is the cause for a secret value over MaxValueSize.
var errValueTooLarge = errors.New("the secret value is larger than the limit of 64 KiB (the most Secrets Manager stores)")

// checkSize refuses a secret larger than MaxValueSize.
func (s *secret) checkSize() error {
	if (s.text != nil && len(*s.text) > MaxValueSize) || len(s.binary) > MaxValueSize {
		return errValueTooLarge
	}
	return nil
}
