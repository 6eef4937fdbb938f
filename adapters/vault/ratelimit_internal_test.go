package vault

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/dashtam/secretsgen/runtime"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		header string
		want   time.Duration
		has    bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"1", time.Second, true},
		{"120", 2 * time.Minute, true},
		{"99999999999", time.Hour, true}, // capped
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{now.Add(3 * time.Second).Format(http.TimeFormat), 3 * time.Second, true},
		{now.Add(-3 * time.Second).Format(http.TimeFormat), 0, true},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), time.Hour, true},
	} {
		got, has := parseRetryAfter(tc.header, now)
		if got != tc.want || has != tc.has {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.header, got, has, tc.want, tc.has)
		}
	}
}

// TestRateLimitWait: full jitter over a window that doubles from
// RateLimitBaseWait up to RateLimitMaxWait, added to Retry-After.
func TestRateLimitWait(t *testing.T) {
	for _, tc := range []struct {
		attempt    int
		retryAfter time.Duration
		has        bool
		window     time.Duration
	}{
		{0, 0, false, RateLimitBaseWait},
		{1, 0, false, 2 * RateLimitBaseWait},
		{3, 0, false, 8 * RateLimitBaseWait},
		{10, 0, false, RateLimitMaxWait},
		{100, 0, false, RateLimitMaxWait},
		{0, 0, true, RateLimitBaseWait},
		{0, 2 * time.Second, true, RateLimitBaseWait},
		{5, time.Second, true, RateLimitMaxWait},
	} {
		t.Run(fmt.Sprint(tc.attempt, tc.retryAfter, tc.has), func(t *testing.T) {
			lo, hi := time.Duration(1<<62), time.Duration(0)
			for range 2000 {
				d := rateLimitWait(tc.attempt, tc.retryAfter, tc.has)
				lo, hi = min(lo, d), max(hi, d)
			}
			if lo < tc.retryAfter || hi > tc.retryAfter+tc.window {
				t.Errorf("waits in [%v, %v], want within [%v, %v]", lo, hi, tc.retryAfter, tc.retryAfter+tc.window)
			}
			// Spread over the window, not one fixed delay.
			if hi-lo < tc.window*8/10 {
				t.Errorf("waits in [%v, %v] do not cover the %v window", lo, hi, tc.window)
			}
		})
	}
}

// TestWaitRateLimit runs on synctest's fake clock: the waits it checks are
// exact, however busy the machine.
func TestWaitRateLimit(t *testing.T) {
	t.Run("no deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			if !waitRateLimit(context.Background(), 30*time.Millisecond, 0) {
				t.Fatal("gave up")
			}
			if took := time.Since(start); took != 30*time.Millisecond {
				t.Errorf("waited %v, want 30ms", took)
			}
		})
	})
	t.Run("deadline first: half the time left", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			if !waitRateLimit(ctx, 10*time.Second, 0) {
				t.Fatal("gave up while the context had time")
			}
			if took := time.Since(start); took != 100*time.Millisecond {
				t.Errorf("waited %v, want 100ms", took)
			}
		})
	})
	t.Run("Retry-After past the deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			start := time.Now()
			if waitRateLimit(ctx, 2*time.Second, 2*time.Second) {
				t.Fatal("waited for a Retry-After past the deadline")
			}
			if took := time.Since(start); took != 0 {
				t.Errorf("gave up after %v, want at once", took)
			}
		})
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if waitRateLimit(ctx, time.Second, 0) {
			t.Fatal("waited with a cancelled context")
		}
	})
}

// TestRateLimitPolicy: a 429 goes back to the read at once with its
// Retry-After; everything else is the policy it wraps.
func TestRateLimitPolicy(t *testing.T) {
	var nextCalls int
	next := func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		nextCalls++
		return api.DefaultRetryPolicy(ctx, resp, err)
	}
	policy := RateLimitPolicy(next)
	slot := new(retryAfterSlot)
	ctx := context.WithValue(context.Background(), retryAfterKey{}, slot)

	resp := &http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"2"}}}
	if retry, err := policy(ctx, resp, nil); retry || err != nil {
		t.Errorf("429: retry %v, %v; want false, nil", retry, err)
	}
	if d, has := slot.take(); d != 2*time.Second || !has {
		t.Errorf("slot holds %v, %v; want 2s, true", d, has)
	}
	if _, has := slot.take(); has {
		t.Error("take did not empty the slot")
	}
	// Without a slot (a request that is not a read: a login) a 429 still
	// comes back at once.
	if retry, err := policy(context.Background(), resp, nil); retry || err != nil {
		t.Errorf("429 without a slot: retry %v, %v", retry, err)
	}
	if nextCalls != 0 {
		t.Errorf("the wrapped policy saw a 429")
	}
	if retry, _ := policy(ctx, &http.Response{StatusCode: http.StatusBadGateway}, nil); !retry || nextCalls != 1 {
		t.Errorf("502: retry %v after %d calls of the wrapped policy, want true after 1", retry, nextCalls)
	}
	if retry, _ := RateLimitPolicy(nil)(ctx, &http.Response{StatusCode: http.StatusPreconditionFailed}, nil); !retry {
		t.Error("nil next: 412 is not retried as api.DefaultRetryPolicy does")
	}
}

// TestRateLimitedClassified: a 429 is unavailable and stays recognisable
// as a 429 through a login error, so a login Vault rate-limits is retried
// too.
func TestRateLimitedClassified(t *testing.T) {
	re := &api.ResponseError{StatusCode: http.StatusTooManyRequests, Errors: []string{"zq9canary rate limit quota exceeded"}}
	kind, cause, ok := classify(fmt.Errorf("reading: %w", re))
	if kind != runtime.ErrUnavailable || !ok || cause.Error() != "HTTP 429: rate limited" {
		t.Errorf("classify(429) = %v, %v, %v", kind, cause, ok)
	}
	login := newLoginError("approle", re)
	if !isRateLimited(login) || login.kind != runtime.ErrUnavailable {
		t.Errorf("a login rate-limited: isRateLimited %v, kind %v", isRateLimited(login), login.kind)
	}
	for _, err := range []error{
		errors.New("HTTP 429"),
		&api.ResponseError{StatusCode: http.StatusServiceUnavailable},
		context.DeadlineExceeded,
	} {
		if isRateLimited(err) {
			t.Errorf("isRateLimited(%v) = true", err)
		}
	}
	if got := (&rateLimited{retryAfter: time.Second, has: true}).Error(); got != "HTTP 429: rate limited (Retry-After 1s)" {
		t.Errorf("Error() = %q", got)
	}
}
