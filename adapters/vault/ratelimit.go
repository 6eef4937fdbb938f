package vault

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/vault/api"
)

// Waits between the reads of a secret that Vault rate-limited (HTTP 429, a
// rate-limit quota: vault write sys/quotas/rate-limit/...). A 429 never
// fails a read while its context has time: the provider waits and reads
// again, as long as it takes. The n-th wait (from 0) is a random time
// between 0 and min(RateLimitMaxWait, RateLimitBaseWait × 2^n) ("full
// jitter", so that a fleet of replicas throttled at once does not come back
// at once), added to the Retry-After Vault sent, if any (Vault sends it when
// sys/quotas/config has enable_rate_limit_response_headers=true): a read is
// never retried sooner than Vault asked.
const (
	RateLimitBaseWait = 50 * time.Millisecond
	RateLimitMaxWait  = time.Second
)

// rateLimited is the cause of a read that Vault answered with 429 (and the
// provider gave up on because its context ended). retryAfter is what the
// last 429's Retry-After said, when it said anything.
type rateLimited struct {
	retryAfter time.Duration
	has        bool
}

func (e *rateLimited) Error() string {
	if e.has {
		return "HTTP 429: rate limited (Retry-After " + e.retryAfter.String() + ")"
	}
	return "HTTP 429: rate limited"
}

// retryAfterKey is the context key of a read's *retryAfterSlot.
type retryAfterKey struct{}

// retryAfterSlot carries the Retry-After of a 429 from the client's retry
// policy (which sees the response) to the read that waits on it (which gets
// only an *api.ResponseError, without headers).
type retryAfterSlot struct {
	mu  sync.Mutex
	d   time.Duration
	has bool
}

func (s *retryAfterSlot) set(d time.Duration, has bool) {
	s.mu.Lock()
	s.d, s.has = d, has
	s.mu.Unlock()
}

func (s *retryAfterSlot) take() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, has := s.d, s.has
	s.d, s.has = 0, false
	return d, has
}

// RateLimitPolicy returns a client retry policy (api.Config.CheckRetry)
// that is next (api.DefaultRetryPolicy when nil) for every answer but a
// 429, which the client then returns at once instead of retrying it at
// most MaxRetries times (after which a load would fail): the Provider
// waits and reads again for as long as the read's context allows, and the
// policy hands it the 429's Retry-After. FromEnv installs it; for a client
// passed to New, set cfg.CheckRetry = vault.RateLimitPolicy(cfg.CheckRetry)
// before api.NewClient (without it the Provider still retries a 429 the
// client gave up on, but cannot see Retry-After).
func RateLimitPolicy(next func(context.Context, *http.Response, error) (bool, error)) func(context.Context, *http.Response, error) (bool, error) {
	if next == nil {
		next = api.DefaultRetryPolicy
	}
	return func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if err != nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
			return next(ctx, resp, err)
		}
		if slot, ok := ctx.Value(retryAfterKey{}).(*retryAfterSlot); ok {
			slot.set(parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()))
		}
		return false, nil
	}
}

// parseRetryAfter parses a Retry-After header: a number of seconds or an
// HTTP date. has is false when the header is missing or malformed.
func parseRetryAfter(h string, now time.Time) (d time.Duration, has bool) {
	if h == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(h, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(min(s, int64(time.Hour/time.Second))) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		return min(max(t.Sub(now), 0), time.Hour), true
	}
	return 0, false
}

// isRateLimited reports whether err is Vault's 429, from a read or a
// login.
func isRateLimited(err error) bool {
	var rl *rateLimited
	return errors.As(err, &rl) || isStatus(err, http.StatusTooManyRequests)
}

// rateLimitWait returns how long to wait before the read's attempt+1-th
// try after a 429: Retry-After (when Vault sent one) plus full jitter over
// min(RateLimitMaxWait, RateLimitBaseWait × 2^attempt).
func rateLimitWait(attempt int, retryAfter time.Duration, has bool) time.Duration {
	window := RateLimitMaxWait
	if attempt < 30 {
		window = min(RateLimitMaxWait, RateLimitBaseWait<<attempt)
	}
	d := rand.N(window + 1)
	if has {
		d += retryAfter
	}
	return d
}

// waitRateLimit waits d before another try of a rate-limited read, or less
// when ctx's deadline comes first: then it waits half the time left, so a
// read still gets a last try while the context has time. It returns false
// when ctx has ended (or has under a millisecond left, or Vault's
// Retry-After runs past the deadline): the read fails with the 429.
func waitRateLimit(ctx context.Context, d, retryAfter time.Duration) bool {
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		if left < time.Millisecond || retryAfter >= left {
			return false
		}
		if d >= left {
			d = left / 2
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
