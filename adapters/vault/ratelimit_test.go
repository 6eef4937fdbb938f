package vault_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/gen"
	"github.com/dashtam/secretsgen/runtime"
)

// fleetValues are valid values of the repository manifest's ten secrets
// (secrets.yaml, the generated package gen).
var fleetValues = map[string]string{
	gen.PathDatabaseURL:          "postgres://app:zq9canary-db@db:5432/dashtam",
	gen.PathDatabaseMaxConns:     "25",
	gen.PathSchwabAPIKey:         "zq9canary-key",
	gen.PathSchwabAPISecret:      "zq9canary-secret",
	gen.PathSchwabRedirectURI:    "https://dashtam.example/callback",
	gen.PathAppSecretKey:         "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	gen.PathAppLogLevel:          "warn",
	gen.PathHTTPPort:             "9090",
	gen.PathHTTPTimeout:          "15s",
	gen.PathFeaturesAllowedHosts: "a.example,b.example",
}

// TestFleetRateLimit starts 50 replicas at once against a real Vault with
// a rate-limit quota on the KV mount. Each replica has its own provider
// and client from FromEnv and loads the manifest's ten secrets with the
// generated gen.Load. All must load (the test logs when the last did
// against the quota's bound, the reads it lets through ÷ its rate;
// BenchmarkFleetRateLimit checks that it is within 1.3 times the bound:
// Vault's quota is a fixed window of rate×interval requests, so the ideal
// is a little under it). Two runs: without and with Retry-After (Vault sends it only
// with sys/quotas/config enable_rate_limit_response_headers=true; it is
// whole seconds until the window resets, so the second run uses a 2 s
// window to make it 1 at times), where no read may come back sooner than
// the Retry-After of its 429.
//
// Each replica talks to Vault through its own recording reverse proxy, so
// that every try of every read is seen: Vault sees all of them from
// 127.0.0.1, one quota bucket, as it would see a fleet behind one NAT.
//
//	go test -run TestFleetRateLimit -v ./adapters/vault
func TestFleetRateLimit(t *testing.T) {
	srv := startServer(t)
	for _, sc := range fleetScenarios {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, srv) })
	}
}

// BenchmarkFleetRateLimit runs TestFleetRateLimit's fleets and reports
// when the last replica had loaded as a multiple of the quota's bound
// (x-bound); the goal is at most 1.3. Run it on a quiet machine:
//
//	go test -run '^$' -bench FleetRateLimit ./adapters/vault
func BenchmarkFleetRateLimit(b *testing.B) {
	srv := startServer(b)
	for _, sc := range fleetScenarios {
		b.Run(sc.name, func(b *testing.B) {
			var ratio float64
			for b.Loop() {
				elapsed, bound := sc.run(b, srv)
				ratio = max(ratio, elapsed.Seconds()/bound.Seconds())
			}
			b.ReportMetric(ratio, "x-bound")
			if ratio > 1.3 {
				b.Errorf("the fleet took %.2f times the quota bound to load, want at most 1.3", ratio)
			}
		})
	}
}

// fleetScenario is one run of TestFleetRateLimit.
type fleetScenario struct {
	name     string
	headers  bool
	rate     int // requests per interval
	interval time.Duration
}

var fleetScenarios = []fleetScenario{
	{"no headers", false, 100, time.Second},
	{"Retry-After", true, 200, 2 * time.Second},
}

// run sets the quota and loads the fleet; it returns when the last replica
// had loaded and the quota's bound.
func (sc fleetScenario) run(t testing.TB, srv *server) (elapsed, bound time.Duration) {
	const env = "fleet"
	for path, v := range fleetValues {
		srv.put(t, env, path, map[string]any{"value": v})
	}
	srv.write(t, "sys/quotas/config", map[string]any{"enable_rate_limit_response_headers": sc.headers})
	quota := "sys/quotas/rate-limit/fleet"
	srv.write(t, quota, map[string]any{"path": "secret/", "rate": sc.rate, "interval": sc.interval.String()})
	defer func() { _, _ = srv.root.Logical().Delete(quota) }()
	return runFleet(t, srv, env, 50, float64(sc.rate)/sc.interval.Seconds(), sc.headers)
}

// try is one HTTP request a replica's proxy passed to Vault.
type try struct {
	path       string
	start, end time.Time
	status     int
	retryAfter string
}

// recorder is a replica's reverse proxy to Vault.
type recorder struct {
	mu    sync.Mutex
	tries []try
}

func newRecorder(t testing.TB, target *url.URL, transport http.RoundTripper) (*recorder, string) {
	r := &recorder{}
	proxy := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport: transport,
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		proxy.ServeHTTP(sw, req)
		r.mu.Lock()
		r.tries = append(r.tries, try{req.URL.Path, start, time.Now(), sw.status, w.Header().Get("Retry-After")})
		r.mu.Unlock()
	}))
	t.Cleanup(ts.Close)
	return r, ts.URL
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func runFleet(t testing.TB, srv *server, env string, replicas int, ratePerSecond float64, headers bool) (elapsed, bound time.Duration) {
	target, err := url.Parse(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	upstream := &http.Transport{MaxIdleConnsPerHost: 1000}
	t.Cleanup(upstream.CloseIdleConnections)
	t.Setenv("VAULT_TOKEN", srv.RootToken())
	t.Setenv("VAULT_NAMESPACE", "")
	t.Setenv("VAULT_MAX_RETRIES", "")
	t.Setenv("SECRETS_VAULT_AUTH", "token")
	t.Setenv("SECRETS_VAULT_MOUNT", "")
	recs := make([]*recorder, replicas)
	providers := make([]*vault.Provider, replicas)
	for i := range replicas {
		var addr string
		recs[i], addr = newRecorder(t, target, upstream)
		t.Setenv("VAULT_ADDR", addr)
		p, err := vault.FromEnv(context.Background(), app, env)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		providers[i] = p
	}

	// A bound on a hang, not on speed (the quota's bound is 5s).
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	took := make([]time.Duration, replicas)
	errs := make([]error, replicas)
	settings := make([]*gen.Settings, replicas)
	begin := make(chan struct{})
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			<-begin
			start := time.Now()
			settings[i], errs[i] = gen.Load(ctx, providers[i])
			took[i] = time.Since(start)
		})
	}
	start := time.Now()
	close(begin)
	wg.Wait()
	elapsed = time.Since(start)

	failed := 0
	for i, err := range errs {
		if err != nil {
			failed++
			if failed <= 3 {
				t.Errorf("replica %d: %v", i, err)
			}
			continue
		}
		s := settings[i]
		if s.Database.MaxConns != 25 || s.HTTP.Timeout != 15*time.Second || s.Schwab.APIKey.Reveal() != "zq9canary-key" || len(s.Features.AllowedHosts) != 2 {
			t.Errorf("replica %d loaded wrong settings", i)
		}
	}

	// Every try, in the order each replica's proxy saw it.
	var ok, limited, withHeader, maxRetryAfter int
	var gaps []time.Duration // from a 429 to the next try of the same read, without header
	for i, r := range recs {
		byPath := map[string][]try{}
		for _, tr := range r.tries {
			byPath[tr.path] = append(byPath[tr.path], tr)
			switch tr.status {
			case http.StatusOK:
				ok++
			case http.StatusTooManyRequests:
				limited++
			default:
				t.Errorf("replica %d: %s answered %d", i, tr.path, tr.status)
			}
		}
		for path, tries := range byPath {
			slices.SortFunc(tries, func(a, b try) int { return a.start.Compare(b.start) })
			for j, tr := range tries[:len(tries)-1] {
				if tr.status != http.StatusTooManyRequests {
					t.Errorf("replica %d read %s again after a %d", i, path, tr.status)
					continue
				}
				gap := tries[j+1].start.Sub(tr.end)
				if tr.retryAfter == "" {
					gaps = append(gaps, gap)
					continue
				}
				withHeader++
				secs, err := strconv.Atoi(tr.retryAfter)
				if err != nil {
					t.Fatalf("Retry-After %q", tr.retryAfter)
				}
				maxRetryAfter = max(maxRetryAfter, secs)
				if gap < time.Duration(secs)*time.Second {
					t.Errorf("replica %d read %s %v after a 429 with Retry-After: %s", i, path, gap, tr.retryAfter)
				}
			}
		}
	}

	reads := replicas * len(fleetValues)
	bound = time.Duration(float64(reads) / ratePerSecond * float64(time.Second))
	slices.Sort(took)
	t.Logf("%d replicas × %d secrets, quota %.0f reads/s: bound %v (reads ÷ rate), all loaded after %v = %.2f× the bound; per replica p50 %v, p99 %v; %d reads answered, %d answers 429 (%d with Retry-After, at most %ds), %d failed loads",
		replicas, len(fleetValues), ratePerSecond, bound, elapsed.Round(time.Millisecond), elapsed.Seconds()/bound.Seconds(),
		took[len(took)/2].Round(time.Millisecond), took[len(took)*99/100].Round(time.Millisecond), ok, limited, withHeader, maxRetryAfter, failed)

	if ok != reads {
		t.Errorf("%d reads answered 200, want %d (one per secret and replica)", ok, reads)
	}
	if limited == 0 {
		t.Error("Vault never answered 429: the quota did not bite and the test shows nothing")
	}
	switch {
	case headers && maxRetryAfter < 1:
		t.Error("Vault sent no Retry-After of a second or more: honouring it was not tested")
	case !headers && withHeader > 0:
		t.Errorf("%d answers had Retry-After without enable_rate_limit_response_headers", withHeader)
	}
	// Jitter: the first waits are spread over their window, not one fixed
	// delay (a uniform spread has a coefficient of variation of 0.58).
	if !headers {
		if cv := variation(gaps); len(gaps) < 50 || cv < 0.3 {
			t.Errorf("waits after a 429: %d, coefficient of variation %.2f; want at least 50, and 0.3 or more (jittered)", len(gaps), cv)
		} else {
			t.Logf("waits after a 429: %d, coefficient of variation %.2f", len(gaps), cv)
		}
	}
	return elapsed, bound
}

// variation is the coefficient of variation (standard deviation ÷ mean) of ds.
func variation(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	var sum, sq float64
	for _, d := range ds {
		sum += d.Seconds()
	}
	mean := sum / float64(len(ds))
	for _, d := range ds {
		sq += (d.Seconds() - mean) * (d.Seconds() - mean)
	}
	return math.Sqrt(sq/float64(len(ds))) / mean
}

// TestLoginRateLimited: AppRole logins that a quota on the auth mount
// answers 429 are tried again until they pass: three replicas logging in
// at once against one login a second all read their secret.
func TestLoginRateLimited(t *testing.T) {
	srv := startServer(t)
	const env = "production"
	srv.put(t, env, "database/url", map[string]any{"value": "postgres://db"})
	roleID, secretID := srv.appRole(t, env, "1m", "10m")
	srv.write(t, "sys/quotas/rate-limit/logins", map[string]any{"path": "auth/approle/", "rate": 1, "interval": "1s"})
	t.Setenv("VAULT_ADDR", srv.Addr())
	t.Setenv("VAULT_TOKEN", "")
	t.Setenv("VAULT_NAMESPACE", "")
	t.Setenv("VAULT_MAX_RETRIES", "")
	t.Setenv(vault.EnvAuth, "approle")
	t.Setenv(vault.EnvRoleID, roleID)
	t.Setenv(vault.EnvSecretID, secretID)
	t.Setenv(vault.EnvSecretIDFile, "")
	t.Setenv(vault.EnvMount, "")
	const replicas = 3
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	start := time.Now()
	for i := range replicas {
		p, err := vault.FromEnv(context.Background(), app, env)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		wg.Go(func() {
			// A bound on a hang: three logins at one a second take about
			// three seconds, more on a busy machine.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			_, errs[i] = p.Get(ctx, runtime.Ref{Path: gen.PathDatabaseURL})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	// Three logins at one a second: the last one passes in the third
	// window.
	if took := time.Since(start); took < time.Second {
		t.Errorf("three logins took %v: the quota did not bite", took)
	} else {
		t.Logf("three replicas logged in and read after %v", took.Round(time.Millisecond))
	}
}
