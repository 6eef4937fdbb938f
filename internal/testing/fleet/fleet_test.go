package fleet

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/adapters/awssm"
)

var (
	full      = flag.Bool("fleet.full", false, "run the full fleet table (make fleet)")
	scaleFlag = flag.Float64("fleet.scale", 0, "time scale of every run of the full table (0: chosen per run)")
	spread    = flag.Duration("fleet.spread", 0, "start the replicas of the full table over this real-world window")
	only      = flag.String("fleet.only", "", "run only the table rows whose \"replicas strategy\" contains this text, e.g. \"1000 adaptive\"")
	// The 10,000-replica rows of the full table need one shared pool:
	// 10,000 pools of 8 connections would hold 160,000 descriptors.
	sharedConns = flag.Int("fleet.shared", 4000, "connections of the shared pool of the full table's rows that share one (see -fleet.shared.from)")
	sharedFrom  = flag.Int("fleet.shared.from", 10000, "rows of the full table with at least this many replicas share one pool of -fleet.shared connections (1: every row)")
	// timing turns on the wall-clock checks of the short simulations
	// (load times against the quota bound, time-scale shape, steady-state
	// calls per second). A busy machine stretches every measured time, so
	// go test checks only counts and outcomes; make fleet and make
	// fleet-steady pass -fleet.timing.
	timing = flag.Bool("fleet.timing", false, "also check the wall-clock results of the short simulations (make fleet, make fleet-steady)")
)

// requireTiming skips a test whose every check is a wall-clock result.
func requireTiming(t *testing.T) {
	t.Helper()
	if !*timing || testing.Short() || raceSlowdown > 1 {
		t.Skip("wall-clock test: runs with -fleet.timing and without -race (make fleet, make fleet-steady)")
	}
}

var strategies = []awssm.Strategy{awssm.BatchOnly, awssm.PerSecret, awssm.Adaptive}

// smallQuotas are the default quotas divided by 40 (the same 100:1 ratio
// between the APIs), with a bucket of 100ms: the short simulations of go
// test (5 replicas x 100 secrets, bound 1.67s) throttle like a large
// fleet and take seconds.
var smallQuotas = Quotas{GetPerSecond: 250, BatchPerSecond: 2.5, Burst: 100 * time.Millisecond}

const shortReplicas = 5

func run(t *testing.T, cfg Config) Result {
	t.Helper()
	cfg.TimeScale *= raceSlowdown
	r, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func table(t *testing.T, results ...Result) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteTable(&b, results); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestShortFleet is the short simulation: 5 replicas x 100 secrets
// starting at once against a fortieth of the default quotas, every
// strategy, at twice real speed. go test checks what the providers did
// (counts and outcomes); with -fleet.timing (make fleet) also how long
// it took.
func TestShortFleet(t *testing.T) {
	byStrategy := map[awssm.Strategy]Result{}
	var results []Result
	for _, s := range strategies {
		r := run(t, Config{Replicas: shortReplicas, Strategy: s, Quotas: smallQuotas, TimeScale: 0.5})
		byStrategy[s] = r
		results = append(results, r)
		if r.Failed != 0 {
			t.Errorf("%s: %d failed loads: %s", s, r.Failed, r.FirstError)
		}
		// Every call the providers made reached the server, and no
		// throttle was retried inside the SDK.
		if r.Stats.BatchCalls != r.Batch.Calls || r.Stats.GetCalls != r.Get.Calls ||
			r.Stats.BatchThrottles != r.Batch.Throttles || r.Stats.GetThrottles != r.Get.Throttles {
			t.Errorf("%s: provider stats %+v differ from the server's counts batch %+v get %+v", s, r.Stats, r.Batch, r.Get)
		}
	}
	t.Log("\n" + table(t, results...))
	a, b, g := byStrategy[awssm.Adaptive], byStrategy[awssm.BatchOnly], byStrategy[awssm.PerSecret]
	if a.Batch.Throttles == 0 || a.Stats.Fallbacks == 0 {
		t.Errorf("adaptive was never throttled (%+v): the scenario does not test the fallback", a.Batch)
	}
	if g.Batch.Calls != 0 || b.Get.Calls != 0 {
		t.Errorf("per-secret made %d batch calls, batch-only %d GetSecretValue calls; want 0", g.Batch.Calls, b.Get.Calls)
	}
	if b.Batch.Throttles == 0 {
		t.Errorf("batch-only was never throttled (%+v): the scenario does not test waiting", b.Batch)
	}
	// Adaptive paces itself after its first throttle (docs/fleet.md,
	// "Start-up: throttled calls"): a few percent of its calls are
	// throttled, against most of them without pacing.
	if a.ThrottledShare() >= 0.10 || a.Stats.Paced != shortReplicas {
		t.Errorf("adaptive: %.1f%% of calls throttled, %d of %d loads paced; want under 10%%, all paced", 100*a.ThrottledShare(), a.Stats.Paced, shortReplicas)
	}
	// Wall-clock results: load times stretch on a busy machine.
	ratio := a.Max.Seconds() / a.Bound.Seconds()
	t.Logf("adaptive: all loaded after %.2f times the quota bound; batch-only took %.1f times as long as adaptive", ratio, b.Max.Seconds()/a.Max.Seconds())
	if !*timing || raceSlowdown > 1 {
		return
	}
	// 2.5, not 1.5 as before pacing: a paced load's batches pause for
	// up to 16 real-world seconds, ten times this whole load, so nearly
	// all its secrets come from GetSecretValue (bound 1.92s, 1.15 times
	// the bound of both APIs), and its slow start and cuts cost more of a
	// load this short (the model, pace_model_test.go, measures 1.5 to 2.1).
	if ratio > 2.5 {
		t.Errorf("adaptive: every replica loaded after %s, %.2f times the quota bound %s; want at most 2.5", a.Max, ratio, a.Bound)
	}
	if b.Max < 2*a.Max {
		t.Errorf("adaptive %s is not 2 times faster than batch-only %s", a.Max, b.Max)
	}
}

// TestQuietFleetCalls: 10 replicas at the default quotas are never
// throttled, and adaptive makes exactly the calls batch-only makes.
func TestQuietFleetCalls(t *testing.T) {
	a := run(t, Config{Replicas: 10, Strategy: awssm.Adaptive})
	b := run(t, Config{Replicas: 10, Strategy: awssm.BatchOnly})
	t.Log("\n" + table(t, b, a))
	if ac, bc := a.Batch.Calls+a.Get.Calls, b.Batch.Calls+b.Get.Calls; ac > bc || bc != 50 {
		t.Errorf("adaptive made %d calls, batch-only %d; want adaptive <= batch-only = 50", ac, bc)
	}
	if a.Failed+b.Failed != 0 {
		t.Errorf("failed loads: adaptive %d, batch-only %d", a.Failed, b.Failed)
	}
}

// shape is what must not change with the time scale: load times relative
// to the quota bound, and the share of secrets each API carried.
type shape struct {
	p50, max   float64 // divided by the bound
	batchShare float64 // secrets not read by GetSecretValue (so by batches) / all secrets
}

func shapeOf(r Result) shape {
	secrets := float64(r.Config.Replicas * r.Config.Secrets)
	return shape{
		p50:        r.P50.Seconds() / r.Bound.Seconds(),
		max:        r.Max.Seconds() / r.Bound.Seconds(),
		batchShare: 1 - float64(r.Get.Calls-r.Get.Throttles)/secrets,
	}
}

// TestTimeScaleShape runs the same adaptive deploy at two time scales (1
// and 3) and checks that the results, in real-world time, have the same
// shape. It compares wall-clock results, so it runs only with
// -fleet.timing (make fleet). The deploy is 20 replicas against a tenth
// of the quotas (each replica's share as at 200 replicas): paced loads
// vary from run to run, and the median of 20 varies less than that of
// the short simulation's 5.
func TestTimeScaleShape(t *testing.T) {
	requireTiming(t)
	for _, s := range []awssm.Strategy{awssm.Adaptive} {
		q := Quotas{GetPerSecond: 1000, BatchPerSecond: 10}
		fast := run(t, Config{Replicas: 20, Strategy: s, Quotas: q, TimeScale: 1})
		slow := run(t, Config{Replicas: 20, Strategy: s, Quotas: q, TimeScale: 3})
		t.Log("\n" + table(t, fast, slow))
		a, b := shapeOf(fast), shapeOf(slow)
		// Not the max: it is the slowest replica's, which varies from run
		// to run at one scale by more than 0.25 of the bound.
		if math.Abs(a.p50-b.p50) > 0.25 || math.Abs(a.batchShare-b.batchShare) > 0.1 {
			t.Errorf("%s: shape at scale 1 %+v differs from shape at 3 %+v", s, a, b)
		}
		if fast.Failed+slow.Failed != 0 {
			t.Errorf("%s: failed loads", s)
		}
	}
}

// TestFailuresNameNoValue: loads that run out of time are counted as
// failed and reported without a secret value.
func TestFailuresNameNoValue(t *testing.T) {
	r := run(t, Config{Replicas: shortReplicas, Strategy: awssm.BatchOnly, Quotas: smallQuotas, LoadTimeout: 300 * time.Millisecond})
	out := table(t, r)
	if r.Failed == 0 {
		t.Fatalf("no failed loads with a 300ms deadline:\n%s", out)
	}
	if strings.Contains(out, "fleet-value") || strings.Contains(r.FirstError, "fleet-value") {
		t.Errorf("the table quotes a secret value:\n%s", out)
	}
	if !strings.Contains(out, "failed loads, the first:") {
		t.Errorf("the table does not describe the failures:\n%s", out)
	}
}

func TestBound(t *testing.T) {
	b, burst := Bound(Config{Replicas: 1000})
	if math.Abs(b.Seconds()-100000.0/12000) > 0.001 || math.Abs(burst.Seconds()-88000.0/12000) > 0.001 {
		t.Errorf("Bound(1000 x 100) = %s, %s; want 8.33s and 7.33s", b, burst)
	}
}

// autoScale is the time scale of one run of the full table: slow enough
// that two shared cores keep up with the calls, which would otherwise
// stretch the load times (TestTimeScaleShape shows the scale itself does
// not change the results). At 100 replicas the GetSecretValue bucket
// admits all 10,000 calls at once, so that run needs the most slowing.
func autoScale(n int, s awssm.Strategy) float64 {
	switch {
	case *scaleFlag > 0:
		return *scaleFlag
	case s == awssm.BatchOnly && n >= 100:
		return 2 // few successful calls; the throttled ones are cheap
	case n <= 10:
		return 4
	case n <= 100:
		return 16
	case s == awssm.PerSecret:
		return 10 // 100,000 successful calls: at 6x the client side fell behind the quota
	case n >= 10000:
		return 10
	}
	return 6
}

// fullRows are the replica counts of the full table. At 10,000 replicas
// only the adaptive strategy runs unless -fleet.only names another:
// batch-only would need 500 s of the batch quota, and the row takes
// minutes.
var fullRows = []int{10, 100, 1000, 10000}

// TestFleetTable prints the full table (make fleet): N in {10, 100, 1000}
// x every strategy, 100 secrets a replica, default quotas.
func TestFleetTable(t *testing.T) {
	if !*full {
		t.Skip("the full table runs with -fleet.full (make fleet)")
	}
	var results []Result
	for _, n := range fullRows {
		for _, s := range strategies {
			if !strings.Contains(fmt.Sprintf("%d %s", n, s), *only) || (n >= 10000 && s != awssm.Adaptive && *only == "") {
				continue
			}
			cfg := Config{Replicas: n, Strategy: s, TimeScale: autoScale(n, s), Spread: *spread}
			if n >= *sharedFrom {
				cfg.SharedConns = *sharedConns
			}
			r, err := Run(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(os.Stderr, "done: %d %s in %s\n", n, s, r.Elapsed.Round(time.Second))
			results = append(results, r)
		}
	}
	if err := WriteTable(os.Stdout, results); err != nil {
		t.Fatal(err)
	}
	fmt.Println()
	if err := WriteResources(os.Stdout, results); err != nil {
		t.Fatal(err)
	}
	goals(os.Stdout, results)
}

// goals prints the goals against the table's numbers, only for
// the rows that ran.
func goals(w io.Writer, results []Result) {
	get := func(n int, s awssm.Strategy) Result {
		for _, r := range results {
			if r.Config.Replicas == n && r.Config.Strategy == s {
				return r
			}
		}
		return Result{}
	}
	a, b := get(1000, awssm.Adaptive), get(1000, awssm.BatchOnly)
	failed := 0
	for _, r := range get1000(results) {
		failed += r.Failed
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	// A goal whose rows were not run (-fleet.only) is left out.
	has := func(rs ...Result) bool {
		for _, r := range rs {
			if r.Config.Replicas == 0 {
				return false
			}
		}
		return true
	}
	fmt.Fprintf(w, "\ngoals:\n")
	if len(get1000(results)) > 0 {
		fmt.Fprintf(w, "  1000 replicas, every strategy, zero failed loads: %d failed: %s\n", failed, verdict(failed == 0))
	}
	if has(a) {
		fmt.Fprintf(w, "  adaptive: throttled under 10%% of calls: %d of %d = %.1f%%: %s\n", a.Batch.Throttles+a.Get.Throttles, a.Batch.Calls+a.Get.Calls, 100*a.ThrottledShare(), verdict(a.Batch.Calls+a.Get.Calls > 0 && a.ThrottledShare() < 0.10))
		fmt.Fprintf(w, "  adaptive: every replica loaded within 1.3x of the quota bound %s: all loaded after %s = %.2fx: %s\n", secs(a.Bound), secs(a.AllLoaded), a.AllLoaded.Seconds()/a.Bound.Seconds(), verdict(a.AllLoaded.Seconds() <= 1.3*a.Bound.Seconds()))
	}
	if has(a, b) {
		fmt.Fprintf(w, "  adaptive at least 4x faster than batch-only (all loaded): %s vs %s = %.1fx: %s\n", secs(a.AllLoaded), secs(b.AllLoaded), b.AllLoaded.Seconds()/a.AllLoaded.Seconds(), verdict(b.AllLoaded >= 4*a.AllLoaded))
	}
	if a := get(10000, awssm.Adaptive); has(a) {
		fmt.Fprintf(w, "  10000 replicas, adaptive, zero failed loads: %d failed: %s\n", a.Failed, verdict(a.Failed == 0))
		fmt.Fprintf(w, "  10000 replicas, adaptive: every replica loaded within 1.3x of the quota bound %s: all loaded after %s = %.2fx: %s\n", secs(a.Bound), secs(a.AllLoaded), a.AllLoaded.Seconds()/a.Bound.Seconds(), verdict(a.Bound > 0 && a.AllLoaded.Seconds() <= 1.3*a.Bound.Seconds()))
	}
	a10, b10 := get(10, awssm.Adaptive), get(10, awssm.BatchOnly)
	if has(a10, b10) {
		ac, bc := a10.Batch.Calls+a10.Get.Calls, b10.Batch.Calls+b10.Get.Calls
		fmt.Fprintf(w, "  10 replicas, adaptive makes no more calls than batch-only: %d vs %d: %s\n", ac, bc, verdict(ac <= bc))
	}
}

func get1000(results []Result) []Result {
	var out []Result
	for _, r := range results {
		if r.Config.Replicas == 1000 {
			out = append(out, r)
		}
	}
	return out
}

// TestSpread: replicas spread over a window start at evenly spaced times,
// so the last one loads after the window (the last start is at its end),
// at the default quotas without a throttle. How long each replica took
// alone is a wall-clock result: checked with -fleet.timing (make fleet).
func TestSpread(t *testing.T) {
	r := run(t, Config{Replicas: 5, Strategy: awssm.Adaptive, Spread: 400 * time.Millisecond})
	if r.Failed != 0 {
		t.Fatalf("%d failed loads: %s", r.Failed, r.FirstError)
	}
	if r.AllLoaded < 400*time.Millisecond {
		t.Errorf("all loaded after %s, before the 400ms window ended", r.AllLoaded)
	}
	if r.Batch.Calls != 5*5 || r.Batch.Throttles+r.Get.Calls != 0 {
		t.Errorf("batch %+v, get %+v; want 25 batch calls (5 a replica) and nothing else", r.Batch, r.Get)
	}
	if out := table(t, r); !strings.Contains(out, "replicas starting evenly over 400ms") {
		t.Errorf("the table does not say the replicas were spread:\n%s", out)
	}
	t.Logf("the slowest replica took %s to load", r.Max)
	if *timing && raceSlowdown == 1 && r.Max > 300*time.Millisecond {
		t.Errorf("a replica took %s to load alone, want well under the 400ms window", r.Max)
	}
}
