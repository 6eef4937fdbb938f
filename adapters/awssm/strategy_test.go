package awssm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/internal/testing/fleet"
	"github.com/dashtam/secretsgen/runtime"
)

// The strategy tests run against the fleet simulator's server
// (internal/testing/fleet): moto does not throttle, and throttling is the fault
// these tests inject, by giving the server small quotas.

const quotaCanary = "quota-canary-value-3c1d"

// quotaServer starts a simulator holding n secrets of testApp/testEnv
// ("q/secretNNN", the value of secret i is quotaValue(i)).
func quotaServer(t *testing.T, n int, q fleet.Quotas) (*fleet.Server, []runtime.Ref) {
	t.Helper()
	secrets := make(map[string]string, n)
	refs := make([]runtime.Ref, n)
	for i := range refs {
		refs[i] = runtime.Ref{Path: fmt.Sprintf("q/secret%03d", i), Type: "string"}
		secrets[secretID(refs[i].Path)] = quotaValue(i)
	}
	srv, err := fleet.StartServer(fleet.ServerConfig{Quotas: q, ServiceTime: time.Millisecond, Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv, refs
}

func quotaValue(i int) string { return fmt.Sprintf("%s-%03d", quotaCanary, i) }

// quotaProvider returns a provider for srv with the SDK's default retryer
// and a fast backoff.
func quotaProvider(srv *fleet.Server, s awssm.Strategy) *awssm.Provider {
	client := secretsmanager.New(secretsmanager.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(srv.URL()),
	})
	// These tests are about how values are read: every GetMany reads them
	// (describing first is TestDescribe*).
	return awssm.New(client, testApp, testEnv, &awssm.Options{Strategy: s, BackoffBase: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, DisableDescribe: true})
}

func checkValues(t *testing.T, res []runtime.Result) {
	t.Helper()
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("result %d: %v", i, r.Err)
		}
		if r.Value.Text != quotaValue(i) {
			t.Fatalf("result %d: wrong value", i)
		}
	}
}

func TestStrategies(t *testing.T) {
	tests := []struct {
		name     string
		strategy awssm.Strategy
		quotas   fleet.Quotas
		check    func(t *testing.T, s awssm.Stats)
	}{
		{
			name: "adaptive, quiet: batches only", strategy: awssm.Adaptive,
			check: func(t *testing.T, s awssm.Stats) {
				if s.BatchCalls != 5 || s.GetCalls != 0 || s.BatchThrottles != 0 || s.Fallbacks != 0 {
					t.Errorf("stats %+v, want 5 batch calls and nothing else", s)
				}
			},
		},
		{
			name: "batch, quiet", strategy: awssm.BatchOnly,
			check: func(t *testing.T, s awssm.Stats) {
				if s.BatchCalls != 5 || s.GetCalls != 0 {
					t.Errorf("stats %+v, want 5 batch calls", s)
				}
			},
		},
		{
			name: "per-secret", strategy: awssm.PerSecret,
			check: func(t *testing.T, s awssm.Stats) {
				if s.BatchCalls != 0 || s.GetCalls != 100 || !s.BatchDisabled {
					t.Errorf("stats %+v, want 100 GetSecretValue calls", s)
				}
			},
		},
		{
			// One batch token: the first batch passes, the others are
			// throttled and their secrets read with GetSecretValue.
			name: "adaptive, batch throttled: falls back", strategy: awssm.Adaptive,
			quotas: fleet.Quotas{BatchPerSecond: 0.01, Burst: 100 * time.Second},
			check: func(t *testing.T, s awssm.Stats) {
				if s.BatchThrottles == 0 || s.Fallbacks != s.BatchThrottles || s.GetCalls < 20 || s.GetThrottles != 0 {
					t.Errorf("stats %+v, want batch throttles, as many fallbacks and GetSecretValue reads", s)
				}
			},
		},
		{
			// Batches throttled, then admitted at 10 a second (one token
			// every 100ms: the five batches sent at once meet an empty
			// bucket however slowly a busy machine sends them): batch-only
			// waits them out and never calls GetSecretValue.
			name: "batch, throttled: waits", strategy: awssm.BatchOnly,
			quotas: fleet.Quotas{BatchPerSecond: 10, Burst: 100 * time.Millisecond},
			check: func(t *testing.T, s awssm.Stats) {
				if s.GetCalls != 0 || s.BatchThrottles == 0 || s.Retries != s.BatchThrottles || s.BatchCalls != 5+s.BatchThrottles {
					t.Errorf("stats %+v, want throttled batches retried, no GetSecretValue", s)
				}
			},
		},
		{
			// Both APIs throttled: adaptive waits for whichever opens.
			name: "adaptive, both throttled", strategy: awssm.Adaptive,
			quotas: fleet.Quotas{BatchPerSecond: 20, GetPerSecond: 200, Burst: 50 * time.Millisecond},
			check: func(t *testing.T, s awssm.Stats) {
				if s.BatchThrottles == 0 || s.GetThrottles == 0 {
					t.Errorf("stats %+v, want throttles of both APIs", s)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, refs := quotaServer(t, 100, tc.quotas)
			p := quotaProvider(srv, tc.strategy)
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			checkValues(t, p.GetMany(ctx, refs))
			s := p.Stats()
			if s.Strategy != tc.strategy {
				t.Errorf("Stats().Strategy = %v, want %v", s.Strategy, tc.strategy)
			}
			// The provider counts what the server saw (the SDK does not
			// retry throttles, and nothing else failed).
			c := srv.Counts()
			if c["BatchGetSecretValue"].Calls != s.BatchCalls || c["GetSecretValue"].Calls != s.GetCalls ||
				c["BatchGetSecretValue"].Throttles != s.BatchThrottles || c["GetSecretValue"].Throttles != s.GetThrottles {
				t.Errorf("provider stats %+v differ from the server's counts %+v", s, c)
			}
			tc.check(t, s)
			if text := fmt.Sprintf("%v %+v", s, s); strings.Contains(text, quotaCanary) || strings.Contains(text, "/"+testApp+"/") {
				t.Errorf("Stats prints a value or a secret id: %s", text)
			}
		})
	}
}

// TestAdaptiveReturnsToBatching: once the batch pause has passed and the
// quota has refilled, the provider batches again.
func TestAdaptiveReturnsToBatching(t *testing.T) {
	srv, refs := quotaServer(t, 100, fleet.Quotas{BatchPerSecond: 5, Burst: 200 * time.Millisecond})
	p := quotaProvider(srv, awssm.Adaptive)
	ctx := t.Context()
	checkValues(t, p.GetMany(ctx, refs))
	first := p.Stats()
	if first.Fallbacks == 0 {
		t.Fatalf("first load: stats %+v, want a fallback", first)
	}
	time.Sleep(300 * time.Millisecond) // beyond MaxBackoff; the bucket refills one token
	checkValues(t, p.GetMany(ctx, refs[:20]))
	second := p.Stats()
	if b, g := second.BatchCalls-first.BatchCalls, second.GetCalls-first.GetCalls; b != 1 || g != 0 {
		t.Errorf("second load: %d batch calls, %d GetSecretValue calls; want 1 and 0", b, g)
	}
}

// TestThrottledUntilDeadline: a read throttled on every call is retried
// until its context ends and then fails as unavailable, naming the
// throttling and never a value. The context ends once the server has
// throttled ten more calls (not at a deadline, which a busy machine could
// reach before the first answer).
func TestThrottledUntilDeadline(t *testing.T) {
	// One token per API, refilled once in 1000 seconds.
	srv, refs := quotaServer(t, 30, fleet.Quotas{GetPerSecond: 0.001, BatchPerSecond: 0.001, Burst: time.Second})
	for _, s := range []awssm.Strategy{awssm.Adaptive, awssm.BatchOnly, awssm.PerSecret} {
		t.Run(s.String(), func(t *testing.T) {
			p := quotaProvider(srv, s)
			ctx := cancelAfterThrottles(t, srv, 10)
			start := time.Now()
			res := p.GetMany(ctx, refs)
			if ctx.Err() == nil {
				t.Errorf("GetMany returned after %v, before its context ended", time.Since(start))
			}
			failed := 0
			for _, r := range res {
				if r.Err == nil {
					continue
				}
				failed++
				if !errors.Is(r.Err, runtime.ErrUnavailable) {
					t.Errorf("error %v, want unavailable", r.Err)
				}
				var apiErr smithy.APIError
				if errors.As(r.Err, &apiErr) && apiErr.ErrorCode() != "ThrottlingException" {
					t.Errorf("error code %s, want ThrottlingException", apiErr.ErrorCode())
				}
				if strings.Contains(r.Err.Error(), quotaCanary) {
					t.Errorf("error quotes a value: %v", r.Err)
				}
			}
			if failed == 0 {
				t.Error("every read succeeded, want throttled failures")
			}
			if st := p.Stats(); st.Retries == 0 {
				t.Errorf("stats %+v, want retries", st)
			}
		})
	}
	t.Run("Get", func(t *testing.T) {
		p := quotaProvider(srv, awssm.Adaptive)
		ctx := cancelAfterThrottles(t, srv, 3)
		_, err := p.Get(ctx, refs[0])
		if !errors.Is(err, runtime.ErrUnavailable) || !strings.Contains(err.Error(), "ThrottlingException") {
			t.Errorf("Get: %v, want unavailable naming ThrottlingException", err)
		}
	})
}

// cancelAfterThrottles returns a context that ends once srv has throttled
// n more calls (or after two minutes: a read that is not retried).
func cancelAfterThrottles(t *testing.T, srv *fleet.Server, n int64) context.Context {
	throttles := func() int64 {
		var sum int64
		for _, c := range srv.Counts() {
			sum += c.Throttles
		}
		return sum
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	target := throttles() + n
	go func() {
		defer cancel()
		for throttles() < target && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
	}()
	return ctx
}

func TestStrategyString(t *testing.T) {
	for s, want := range map[awssm.Strategy]string{awssm.Adaptive: "adaptive", awssm.BatchOnly: "batch", awssm.PerSecret: "per-secret", 7: "Strategy(7)"} {
		if got := s.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(s), got, want)
		}
	}
}
