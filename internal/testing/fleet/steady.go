package fleet

import (
	"context"
	"fmt"
	"io"
	"math"
	"sync"
	"text/tabwriter"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/runtime"
)

// SteadyConfig is a fleet in steady state: every replica keeps its
// secrets current with a runtime.Live polling the simulator. Durations are
// real-world times.
type SteadyConfig struct {
	Replicas int
	Secrets  int // per replica; default 100
	Strategy awssm.Strategy
	// PollInterval is each Live's LiveOptions.PollInterval.
	PollInterval time.Duration
	// Spread starts the replicas (their first load) evenly over this
	// window; 0 starts them all at once.
	Spread time.Duration
	// Intervals is how many poll intervals are measured, after every
	// replica has loaded and then one more interval (in which each Live
	// makes its first poll) has passed. Default 2.
	Intervals int
	// TimeScale k runs the simulation k times slower than the world it
	// models; default 1.
	TimeScale   float64
	Quotas      Quotas
	ServiceTime time.Duration // default 20ms
}

func (c SteadyConfig) withDefaults() SteadyConfig {
	if c.Secrets <= 0 {
		c.Secrets = 100
	}
	if c.Intervals <= 0 {
		c.Intervals = 2
	}
	if c.TimeScale <= 0 {
		c.TimeScale = 1
	}
	c.Quotas = c.Quotas.withDefaults()
	if c.ServiceTime <= 0 {
		c.ServiceTime = 20 * time.Millisecond
	}
	return c
}

// APISteady is one API's calls in the measured window, per real-world
// second.
type APISteady struct {
	Calls, Throttles int64
	Quota            float64 // the API's quota, calls a second
	// Mean is the calls a second over the window; Peak the most calls in
	// one real-world second of it.
	Mean float64
	Peak int64
	// PerSecond is the calls in each real-world second of the window.
	PerSecond []int64
}

// MeanShare is the mean calls a second as a share of the quota.
func (a APISteady) MeanShare() float64 { return a.Mean / a.Quota }

// PeakShare is the busiest second's calls as a share of the quota.
func (a APISteady) PeakShare() float64 { return float64(a.Peak) / a.Quota }

// PeakToMean is the busiest second's calls divided by the mean (0 when
// the API was not called).
func (a APISteady) PeakToMean() float64 {
	if a.Mean == 0 {
		return 0
	}
	return float64(a.Peak) / a.Mean
}

// SteadyResult is what a steady-state run measured, in real-world time.
type SteadyResult struct {
	Config     SteadyConfig
	Window     time.Duration // the measured window
	Get, Batch APISteady
	// Polls is the number of polls the Lives made in the window
	// (Status.LastPoll moved), PollErrors how many Lives reported a
	// failed fetch at the end.
	Polls      int
	PollErrors int
	LoadFailed int // replicas whose first load failed
	FirstError string
	Elapsed    time.Duration // wall-clock time of the run
}

// RunSteady starts the replicas, each a runtime.Live over its own
// awssm.Provider and SDK client, waits until all have loaded and one poll
// interval has passed, measures the server's calls for Intervals poll
// intervals and stops the Lives.
func RunSteady(ctx context.Context, cfg SteadyConfig) (SteadyResult, error) {
	cfg = cfg.withDefaults()
	if cfg.Replicas <= 0 || cfg.PollInterval <= 0 {
		return SteadyResult{}, fmt.Errorf("fleet: Replicas and PollInterval must be positive")
	}
	k := cfg.TimeScale
	scaled := func(d time.Duration) time.Duration { return time.Duration(float64(d) * k) }
	secrets := make(map[string]string, cfg.Secrets)
	refs := make([]runtime.Ref, cfg.Secrets)
	for i := range refs {
		refs[i] = runtime.Ref{Path: fmt.Sprintf("svc/secret%04d", i), Type: "string"}
		secrets["/"+app+"/"+env+"/"+refs[i].Path] = SecretValue(i)
	}
	srv, err := StartServer(ServerConfig{Quotas: cfg.Quotas, ServiceTime: cfg.ServiceTime, TimeScale: k, Secrets: secrets, RecordCalls: true})
	if err != nil {
		return SteadyResult{}, err
	}
	defer srv.Close()

	// load is a generated Load's shape: one batch read, every value checked.
	load := func(ctx context.Context, p runtime.Provider) (*[]string, error) {
		res := p.(runtime.BatchProvider).GetMany(ctx, refs)
		vals := make([]string, len(res))
		for i, r := range res {
			if r.Err != nil {
				return nil, r.Err
			}
			if r.Value.Text != SecretValue(i) {
				return nil, fmt.Errorf("secret %d: wrong value", i)
			}
			vals[i] = r.Value.Text
		}
		return &vals, nil
	}

	conns := 8 // the awssm adapter's default MaxConcurrency
	type replica struct {
		p    *awssm.Provider
		http *awshttp.BuildableClient
		live *runtime.Live[[]string]
		err  string
	}
	reps := make([]*replica, cfg.Replicas)
	for i := range reps {
		hc, p := newReplica(srv.URL(), conns, &awssm.Options{
			Strategy:    cfg.Strategy,
			BackoffBase: scaled(awssm.DefaultBackoffBase),
			MaxBackoff:  scaled(awssm.DefaultMaxBackoff),
		})
		reps[i] = &replica{http: hc, p: p}
	}
	defer func() {
		for _, r := range reps {
			if r.live != nil {
				_ = r.live.Close()
			}
			_ = r.p.Close()
			r.http.GetTransport().CloseIdleConnections()
		}
	}()

	begin := time.Now()
	var wg sync.WaitGroup
	for i, r := range reps {
		offset := startOffset(i, cfg.Replicas, scaled(cfg.Spread))
		wg.Go(func() {
			select {
			case <-time.After(offset):
			case <-ctx.Done():
				r.err = ctx.Err().Error()
				return
			}
			lctx, cancel := context.WithTimeout(ctx, scaled(2*time.Minute))
			defer cancel()
			// The Live's goroutines run until Close (deferred above),
			// not until the load's deadline.
			l, err := runtime.NewLive(context.WithoutCancel(lctx), runtime.NewCache(r.p, nil), load, &runtime.LiveOptions{PollInterval: scaled(cfg.PollInterval)})
			if err != nil {
				r.err = err.Error()
				return
			}
			r.live = l
		})
	}
	wg.Wait()
	res := SteadyResult{Config: cfg}
	for _, r := range reps {
		if r.err != "" {
			if res.LoadFailed == 0 {
				res.FirstError = r.err
			}
			res.LoadFailed++
		}
	}

	// Every Live polls for the first time within one interval of its
	// load; then each polls every interval. Measure whole intervals.
	from := time.Now().Add(scaled(cfg.PollInterval))
	to := from.Add(scaled(cfg.PollInterval) * time.Duration(cfg.Intervals))
	select {
	case <-time.After(time.Until(to)):
	case <-ctx.Done():
		return res, ctx.Err()
	}
	for _, r := range reps {
		if r.live == nil {
			continue
		}
		st := r.live.Status()
		if !st.OK() {
			res.PollErrors++
		}
	}
	res.Elapsed = time.Since(begin)
	res.Window = time.Duration(float64(to.Sub(from)) / k)

	// Calls per real-world second of the window, per API.
	bins := int(math.Ceil(res.Window.Seconds()))
	perSecond := map[string][]int64{opGet: make([]int64, bins), opBatch: make([]int64, bins)}
	apis := map[string]*APISteady{
		opGet:   {Quota: cfg.Quotas.GetPerSecond},
		opBatch: {Quota: cfg.Quotas.BatchPerSecond},
	}
	for _, c := range srv.Calls() {
		if c.At.Before(from) || !c.At.Before(to) {
			continue
		}
		a := apis[c.Op]
		a.Calls++
		if c.Throttled {
			a.Throttles++
		}
		b := min(int(c.At.Sub(from).Seconds()/k), bins-1)
		perSecond[c.Op][b]++
	}
	for op, a := range apis {
		a.PerSecond = perSecond[op]
		a.Mean = float64(a.Calls) / res.Window.Seconds()
		for _, n := range perSecond[op] {
			a.Peak = max(a.Peak, n)
		}
	}
	res.Get, res.Batch = *apis[opGet], *apis[opBatch]
	res.Polls = int(res.Get.Calls-res.Get.Throttles+(res.Batch.Calls-res.Batch.Throttles)*BatchSize) / cfg.Secrets
	return res, nil
}

// WriteSteadyTable prints steady-state results as one table.
func WriteSteadyTable(w io.Writer, results []SteadyResult) error {
	if len(results) == 0 {
		return nil
	}
	c := results[0].Config
	fmt.Fprintf(w, "Secrets Manager fleet in steady state: %d secrets per replica, each replica a runtime.Live polling every interval\n", c.Secrets)
	fmt.Fprintf(w, "quotas: GetSecretValue %.0f/s, BatchGetSecretValue %.0f/s; service time %s; calls per real-world second over the measured window\n\n",
		c.Quotas.GetPerSecond, c.Quotas.BatchPerSecond, c.ServiceTime)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "replicas\tstrategy\tinterval\tstart spread\tscale\twindow\tget mean/s\tget peak/s\tget % quota (mean, peak)\tbatch mean/s\tbatch peak/s\tbatch % quota (mean, peak)\tpeak/mean\tthrottled\tfailed\trun (wall)\t")
	for _, r := range results {
		c := r.Config
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%gx\t%s\t%.0f\t%d\t%.1f%%, %.1f%%\t%.1f\t%d\t%.1f%%, %.1f%%\t%.2f\t%d\t%d\t%s\t\n",
			c.Replicas, c.Strategy, c.PollInterval, c.Spread, c.TimeScale, secs(r.Window),
			r.Get.Mean, r.Get.Peak, 100*r.Get.MeanShare(), 100*r.Get.PeakShare(),
			r.Batch.Mean, r.Batch.Peak, 100*r.Batch.MeanShare(), 100*r.Batch.PeakShare(),
			max(r.Get.PeakToMean(), r.Batch.PeakToMean()), r.Get.Throttles+r.Batch.Throttles,
			r.LoadFailed+r.PollErrors, secs(r.Elapsed))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if r.LoadFailed > 0 {
			fmt.Fprintf(w, "%d %s every %s: %d failed loads, the first: %s\n", r.Config.Replicas, r.Config.Strategy, r.Config.PollInterval, r.LoadFailed, r.FirstError)
		}
	}
	return nil
}
