package leaktest

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestVerifyNoneWaits: a goroutine that ends a second after the check
// starts (later than goleak's own retries, about half a second, look) is
// no leak.
func TestVerifyNoneWaits(t *testing.T) {
	before := goleak.IgnoreCurrent()
	release := make(chan struct{})
	go func() { <-release }()
	if goleak.Find(before) == nil {
		t.Fatal("goleak does not see the waiting goroutine")
	}
	time.AfterFunc(time.Second, func() { close(release) })
	VerifyNone(t, before)
}
