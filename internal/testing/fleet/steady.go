package fleet

import (
	"context"
	"fmt"
	"io"
	"math"
	"sync"
	"text/tabwriter"
	"time"

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
	// DisableDescribe is each provider's awssm.Options.DisableDescribe:
	// every poll reads every value (the adapter's polling before
	// DescribeSecret change detection).
	DisableDescribe bool
	// Rotate is how many secrets (the first ones) get a new version half
	// an interval into the measured window, as a finished rotation; each
	// replica must see them within one poll interval.
	Rotate int
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
	Config               SteadyConfig
	Window               time.Duration // the measured window
	Get, Batch, Describe APISteady
	// Polls is the number of polls the Lives made in the window
	// (Status.LastPoll moved), PollErrors how many Lives reported a
	// failed fetch at the end.
	Polls      int
	PollErrors int
	LoadFailed int // replicas whose first load failed
	FirstError string
	Elapsed    time.Duration // wall-clock time of the run
	// RotationSeen is the replicas whose settings took every rotated
	// value (Config.Rotate), RotationLatency the longest time from the
	// rotation to a replica's swap, in real-world time.
	RotationSeen    int
	RotationLatency time.Duration
	// Stats is the providers' counters summed over the replicas, from
	// their start to the end of the window.
	Stats awssm.Stats
}

// RotatedValue is secret i's value after Config.Rotate rotated it.
func RotatedValue(i int) string { return fmt.Sprintf("fleet-rotated-%04d", i) }

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
			if r.Value.Text != SecretValue(i) && (i >= cfg.Rotate || r.Value.Text != RotatedValue(i)) {
				return nil, fmt.Errorf("secret %d: wrong value", i)
			}
			vals[i] = r.Value.Text
		}
		return &vals, nil
	}

	conns := 8 // the awssm adapter's default MaxConcurrency
	type replica struct {
		p    *awssm.Provider
		live *runtime.Live[[]string]
		err  string

		mu      sync.Mutex
		rotated time.Time // when the settings took every rotated value
	}
	reps := make([]*replica, cfg.Replicas)
	pools := newPools(conns, 0, scaled(time.Millisecond))
	for i := range reps {
		p := newReplica(srv.URL(), pools.client(), &awssm.Options{
			Strategy:        cfg.Strategy,
			BackoffBase:     scaled(awssm.DefaultBackoffBase),
			MaxBackoff:      scaled(awssm.DefaultMaxBackoff),
			DisableDescribe: cfg.DisableDescribe,
		})
		reps[i] = &replica{p: p}
	}
	defer pools.close()
	defer func() {
		for _, r := range reps {
			if r.live != nil {
				_ = r.live.Close()
			}
			_ = r.p.Close()
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
			l.OnChange(func(_, s *[]string, _ []string) {
				for i := range cfg.Rotate {
					if (*s)[i] != RotatedValue(i) {
						return
					}
				}
				r.mu.Lock()
				if r.rotated.IsZero() {
					r.rotated = time.Now()
				}
				r.mu.Unlock()
			})
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
	var rotatedAt time.Time
	if cfg.Rotate > 0 {
		rotatedAt = from.Add(scaled(cfg.PollInterval) / 2)
		select {
		case <-time.After(time.Until(rotatedAt)):
		case <-ctx.Done():
			return res, ctx.Err()
		}
		for i := range min(cfg.Rotate, cfg.Secrets) {
			srv.Rotate("/"+app+"/"+env+"/"+refs[i].Path, RotatedValue(i))
		}
	}
	select {
	case <-time.After(time.Until(to)):
	case <-ctx.Done():
		return res, ctx.Err()
	}
	if cfg.Rotate > 0 {
		// A replica that has not taken the rotation yet (a machine too
		// busy to poll on time) gets a minute more, so that the counts
		// below are whole; its latency says how late it was.
		deadline := time.Now().Add(time.Minute)
		for time.Now().Before(deadline) && ctx.Err() == nil {
			all := true
			for _, r := range reps {
				r.mu.Lock()
				all = all && (r.live == nil || !r.rotated.IsZero())
				r.mu.Unlock()
			}
			if all {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, r := range reps {
		if r.live == nil {
			continue
		}
		st := r.live.Status()
		if !st.OK() {
			res.PollErrors++
		}
		if cfg.Rotate > 0 {
			r.mu.Lock()
			if !r.rotated.IsZero() {
				res.RotationSeen++
				res.RotationLatency = max(res.RotationLatency, time.Duration(float64(r.rotated.Sub(rotatedAt))/k))
			}
			r.mu.Unlock()
		}
		res.Stats = addStats(res.Stats, r.p.Stats())
	}
	res.Elapsed = time.Since(begin)
	res.Window = time.Duration(float64(to.Sub(from)) / k)

	// Calls per real-world second of the window, per API.
	bins := int(math.Ceil(res.Window.Seconds()))
	perSecond := map[string][]int64{opGet: make([]int64, bins), opBatch: make([]int64, bins), opDescribe: make([]int64, bins)}
	apis := map[string]*APISteady{
		opGet:      {Quota: cfg.Quotas.GetPerSecond},
		opBatch:    {Quota: cfg.Quotas.BatchPerSecond},
		opDescribe: {Quota: cfg.Quotas.DescribePerSecond},
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
	res.Get, res.Batch, res.Describe = *apis[opGet], *apis[opBatch], *apis[opDescribe]
	// A poll asks about every secret once: by reading it, or by describing
	// it (a changed secret is described and read).
	asked := res.Describe.Calls - res.Describe.Throttles
	if asked == 0 {
		asked = res.Get.Calls - res.Get.Throttles + (res.Batch.Calls-res.Batch.Throttles)*BatchSize
	}
	res.Polls = int(asked) / cfg.Secrets
	return res, nil
}

// addStats adds the counters of b to a.
func addStats(a, b awssm.Stats) awssm.Stats {
	a.Strategy = b.Strategy
	a.BatchCalls += b.BatchCalls
	a.GetCalls += b.GetCalls
	a.BatchThrottles += b.BatchThrottles
	a.GetThrottles += b.GetThrottles
	a.Fallbacks += b.Fallbacks
	a.Retries += b.Retries
	a.DescribeCalls += b.DescribeCalls
	a.DescribeThrottles += b.DescribeThrottles
	a.Unchanged += b.Unchanged
	a.Describing = a.Describing || b.Describing
	return a
}

// Mode names how the replicas poll: "describe" (DescribeSecret first,
// the default) or "read all".
func (c SteadyConfig) Mode() string {
	if c.DisableDescribe {
		return "read all"
	}
	return "describe"
}

// PollAPIs returns the APIs that carry the polls: DescribeSecret when the
// replicas describe first (the few reads of a rotation are not spread
// evenly and need not be), else the read APIs called in the window.
func (r SteadyResult) PollAPIs() map[string]APISteady {
	if !r.Config.DisableDescribe {
		return map[string]APISteady{opDescribe: r.Describe}
	}
	out := map[string]APISteady{}
	for name, a := range map[string]APISteady{opGet: r.Get, opBatch: r.Batch} {
		if a.Calls > 0 {
			out[name] = a
		}
	}
	return out
}

// PollPeakToMean is the largest PeakToMean of the APIs carrying the polls.
func (r SteadyResult) PollPeakToMean() float64 {
	var m float64
	for _, a := range r.PollAPIs() {
		m = max(m, a.PeakToMean())
	}
	return m
}

// WriteSteadyTable prints steady-state results as one table.
func WriteSteadyTable(w io.Writer, results []SteadyResult) error {
	if len(results) == 0 {
		return nil
	}
	c := results[0].Config
	fmt.Fprintf(w, "Secrets Manager fleet in steady state: %d secrets per replica, each replica a runtime.Live polling every interval\n", c.Secrets)
	fmt.Fprintf(w, "quotas: GetSecretValue %.0f/s, BatchGetSecretValue %.0f/s, DescribeSecret %.0f/s; service time %s; calls per real-world second over the measured window\n",
		c.Quotas.GetPerSecond, c.Quotas.BatchPerSecond, c.Quotas.DescribePerSecond, c.ServiceTime)
	fmt.Fprintf(w, "poll: describe = DescribeSecret for every secret, values read only for what changed (the default); read all = every value read every poll\n")
	fmt.Fprintf(w, "peak/mean: of the API(s) carrying the polls; rotation: replicas that took the rotated value / replicas, and the longest time from the rotation to a replica's swap\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "replicas\tstrategy\tpoll\tinterval\tstart spread\tscale\twindow\tdescribe mean/s\tdescribe % quota (mean, peak)\tget mean/s\tget % quota (mean, peak)\tbatch mean/s\tbatch % quota (mean, peak)\tpeak/mean\tthrottled\tfailed\trotation seen\trun (wall)\t")
	for _, r := range results {
		c := r.Config
		rot := "-"
		if c.Rotate > 0 {
			rot = fmt.Sprintf("%d/%d in %s", r.RotationSeen, c.Replicas, secs(r.RotationLatency))
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%gx\t%s\t%.0f\t%.1f%%, %.1f%%\t%.0f\t%.1f%%, %.1f%%\t%.1f\t%.1f%%, %.1f%%\t%.2f\t%d\t%d\t%s\t%s\t\n",
			c.Replicas, c.Strategy, c.Mode(), c.PollInterval, c.Spread, c.TimeScale, secs(r.Window),
			r.Describe.Mean, 100*r.Describe.MeanShare(), 100*r.Describe.PeakShare(),
			r.Get.Mean, 100*r.Get.MeanShare(), 100*r.Get.PeakShare(),
			r.Batch.Mean, 100*r.Batch.MeanShare(), 100*r.Batch.PeakShare(),
			r.PollPeakToMean(), r.Get.Throttles+r.Batch.Throttles+r.Describe.Throttles,
			r.LoadFailed+r.PollErrors, rot, secs(r.Elapsed))
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
