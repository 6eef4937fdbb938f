// Package leaktest is a test helper (import it from _test.go files only):
// goleak's check, patient with goroutines that end just after a Close.
package leaktest

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

// leakWait is how long VerifyNone looks again: a goroutine that never
// ends, not one that a busy machine has not scheduled yet.
const leakWait = time.Minute

// VerifyNone is goleak.VerifyNone for goroutines that end on their own
// soon after a Close rather than before it returns: an HTTP client's
// connection goroutines, the server side of a closed connection. goleak
// alone gives them about half a second, which a busy machine can outlast;
// VerifyNone looks again for up to a minute before it fails t.
func VerifyNone(t testing.TB, opts ...goleak.Option) {
	t.Helper()
	deadline := time.Now().Add(leakWait)
	for {
		err := goleak.Find(opts...)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Error(err)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
