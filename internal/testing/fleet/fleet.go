package fleet

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/runtime"
)

// Config is one simulated deploy. Durations are real-world times.
type Config struct {
	Replicas int
	Secrets  int // per replica; default 100
	Strategy awssm.Strategy
	// Spread starts the replicas at evenly spaced times over this window;
	// 0 starts them all at once.
	Spread time.Duration
	// TimeScale k runs the simulation k times slower than the world it
	// models; default 1.
	TimeScale   float64
	Quotas      Quotas
	ServiceTime time.Duration // default 20ms
	// LoadTimeout is each replica's deadline for its load; default 2m.
	LoadTimeout time.Duration
	// Concurrency is each provider's MaxConcurrency; default the
	// adapter's (8).
	Concurrency int
	// SharedConns, when positive, gives every replica's SDK client one
	// shared http.Transport holding at most SharedConns HTTP/1.1
	// keep-alive connections, instead of a pool of Concurrency
	// connections each. Each replica keeps its own SDK client (retryer
	// and its retry token bucket, credentials, signer) and its own
	// provider; only the connections are shared. One process cannot hold
	// 10,000 pools: 80,000 connections, two descriptors each. The wait
	// for a connection is measured (Result.ConnWait).
	SharedConns int
}

func (c Config) withDefaults() Config {
	if c.Secrets <= 0 {
		c.Secrets = 100
	}
	if c.TimeScale <= 0 {
		c.TimeScale = 1
	}
	c.Quotas = c.Quotas.withDefaults()
	if c.ServiceTime <= 0 {
		c.ServiceTime = 20 * time.Millisecond
	}
	if c.LoadTimeout <= 0 {
		// Two minutes, or twice the quota bound when that is longer
		// (what docs/fleet.md advises operators: 2m47s for 10,000 x 100).
		q := c.Quotas
		bound := time.Duration(float64(c.Replicas*c.Secrets) / (q.GetPerSecond + q.BatchPerSecond*BatchSize) * float64(time.Second))
		c.LoadTimeout = max(2*time.Minute, 2*bound)
	}
	return c
}

// Result is what one simulated deploy measured. Durations are real-world
// times (measured time divided by TimeScale).
type Result struct {
	Config Config
	// P50, P99 and Max are percentiles of the replicas' load times, each
	// from that replica's start to its loaded values.
	P50, P99, Max time.Duration
	// AllLoaded is the time from the first replica's start until every
	// replica had loaded (or failed).
	AllLoaded time.Duration
	// Bound is the quota lower bound: all secrets divided by the combined
	// throughput of both APIs (GetPerSecond + BatchPerSecond*20 secrets a
	// second). BurstBound subtracts what the full buckets admit at once.
	Bound, BurstBound time.Duration
	Get, Batch        APICounts // as the server counted them
	Connections       int64     // connections the server accepted
	Failed            int       // replicas whose load had an error or a wrong value
	FirstError        string    // the first failure's text (no values: checked by tests)
	Stats             awssm.Stats
	Elapsed           time.Duration // wall-clock time of the run itself
	// Resources is what the run cost this process and what the clients
	// waited for connections.
	Resources Resources
}

// SecretValue is the value of secret i (what the server holds and each
// replica checks).
func SecretValue(i int) string { return fmt.Sprintf("fleet-value-%04d", i) }

const (
	app = "fleet"
	env = "prod"
)

// Run simulates one deploy: it starts a server, builds Replicas providers
// (each with its own SDK client and connection pool), starts their loads
// as Config says and waits for all of them.
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg = cfg.withDefaults()
	if cfg.Replicas <= 0 {
		return Result{}, fmt.Errorf("fleet: Replicas must be positive")
	}
	k := cfg.TimeScale
	scaled := func(d time.Duration) time.Duration { return time.Duration(float64(d) * k) }
	secrets := make(map[string]string, cfg.Secrets)
	refs := make([]runtime.Ref, cfg.Secrets)
	for i := range refs {
		refs[i] = runtime.Ref{Path: fmt.Sprintf("svc/secret%04d", i), Type: "string"}
		secrets["/"+app+"/"+env+"/"+refs[i].Path] = SecretValue(i)
	}
	srv, err := StartServer(ServerConfig{Quotas: cfg.Quotas, ServiceTime: cfg.ServiceTime, TimeScale: k, Secrets: secrets})
	if err != nil {
		return Result{}, err
	}
	defer srv.Close()
	if u, err := url.Parse(srv.URL()); err != nil || u.Hostname() != "127.0.0.1" {
		return Result{}, fmt.Errorf("fleet: the simulator must listen on loopback, not %s", srv.URL())
	}

	type replica struct {
		p     *awssm.Provider
		start time.Time
		took  time.Duration
		err   string
	}
	reps := make([]*replica, cfg.Replicas)
	conns := cfg.Concurrency
	if conns <= 0 {
		conns = 8 // the adapter's default MaxConcurrency
	}
	pools := newPools(conns, cfg.SharedConns, scaled(time.Millisecond))
	defer pools.close()
	for i := range reps {
		p := newReplica(srv.URL(), pools.client(), &awssm.Options{
			Strategy:       cfg.Strategy,
			MaxConcurrency: cfg.Concurrency,
			BackoffBase:    scaled(awssm.DefaultBackoffBase),
			MaxBackoff:     scaled(awssm.DefaultMaxBackoff),
		})
		reps[i] = &replica{p: p}
	}

	meter := startMeter()
	begin := time.Now()
	var wg sync.WaitGroup
	for i, r := range reps {
		offset := startOffset(i, cfg.Replicas, scaled(cfg.Spread))
		wg.Go(func() {
			if offset > 0 {
				select {
				case <-time.After(offset):
				case <-ctx.Done():
				}
			}
			lctx, cancel := context.WithTimeout(ctx, scaled(cfg.LoadTimeout))
			defer cancel()
			r.start = time.Now()
			res := r.p.GetMany(lctx, refs)
			r.took = time.Since(r.start)
			for j, x := range res {
				if x.Err != nil {
					r.err = x.Err.Error()
					break
				}
				if x.Value.Text != SecretValue(j) {
					r.err = fmt.Sprintf("secret %d: wrong value", j)
					break
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)

	res := Result{Config: cfg, Elapsed: elapsed, Connections: srv.Connections()}
	res.Resources = meter.stop()
	res.Resources.ConnWait = pools.waits.result(k)
	res.Resources.PeakConns = pools.conns.peak.Load()
	counts := srv.Counts()
	res.Get, res.Batch = counts[opGet], counts[opBatch]
	took := make([]time.Duration, len(reps))
	var last time.Time
	for i, r := range reps {
		took[i] = r.took
		if end := r.start.Add(r.took); end.After(last) {
			last = end
		}
		if r.err != "" {
			if res.Failed == 0 {
				res.FirstError = r.err
			}
			res.Failed++
		}
		s := r.p.Stats()
		res.Stats.Strategy = s.Strategy
		res.Stats.BatchCalls += s.BatchCalls
		res.Stats.GetCalls += s.GetCalls
		res.Stats.BatchThrottles += s.BatchThrottles
		res.Stats.GetThrottles += s.GetThrottles
		res.Stats.Fallbacks += s.Fallbacks
		res.Stats.Retries += s.Retries
		res.Stats.Paced += s.Paced
	}
	slices.Sort(took)
	world := func(d time.Duration) time.Duration { return time.Duration(float64(d) / k) }
	res.P50 = world(percentile(took, 0.50))
	res.P99 = world(percentile(took, 0.99))
	res.Max = world(took[len(took)-1])
	res.AllLoaded = world(last.Sub(begin))
	res.Bound, res.BurstBound = Bound(cfg)
	return res, nil
}

// Bound returns the quota lower bound of a deploy, in real-world time: all
// the secrets it reads divided by the combined throughput of both APIs,
// and the same after subtracting what full buckets admit at once.
func Bound(cfg Config) (bound, burst time.Duration) {
	cfg = cfg.withDefaults()
	q := cfg.Quotas
	total := float64(cfg.Replicas * cfg.Secrets)
	rate := q.GetPerSecond + q.BatchPerSecond*BatchSize
	b := q.Burst.Seconds()
	inBurst := q.GetPerSecond*b + q.BatchPerSecond*b*BatchSize
	sec := func(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }
	return sec(total / rate), sec(math.Max(0, total-inBurst) / rate)
}

// percentile returns the p-quantile of sorted (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// newReplica builds one replica's provider: its own SDK client (its own
// standard retryer, credentials and signer) against the simulator at url,
// sending its requests through hc (see pools).
func newReplica(url string, hc aws.HTTPClient, opts *awssm.Options) *awssm.Provider {
	client := secretsmanager.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("fleet", "fleet", ""),
		BaseEndpoint: aws.String(url),
		HTTPClient:   hc,
		Retryer:      func() aws.Retryer { return retry.NewStandard() },
	})
	return awssm.New(client, app, env, opts)
}

// startOffset is when replica i of n starts: the n starts spread evenly
// over spread, the first at once and the last at spread.
func startOffset(i, n int, spread time.Duration) time.Duration {
	if n < 2 {
		return 0
	}
	return spread * time.Duration(i) / time.Duration(n-1)
}
