package runtime

import (
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestThrottlingEventsModel: random sequences of request outcomes and
// clock steps (seeded, reproducible) against the rule the events follow:
// throttling.begun exactly at a throttled request outside a run;
// throttling.ended exactly at the first request answered otherwise (not
// unavailable, not cancelled) 10s or more after the run's last throttle.
func TestThrottlingEventsModel(t *testing.T) {
	outcomes := []Outcome{OutcomeOK, OutcomeThrottled, OutcomeThrottled, OutcomeNotFound, OutcomeUnavailable, OutcomeCanceled, OutcomeAccessDenied}
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 18))
		ev := &events{}
		b := Telemetry{Logger: slog.New(ev)}.Backend("aws")
		clk := newClock()
		b.now = clk.Now
		inRun, last := false, time.Time{}
		for step := range 60 {
			clk.Add(time.Duration(rng.IntN(8)) * time.Second)
			o := outcomes[rng.IntN(len(outcomes))]
			var want []string
			switch {
			case o == OutcomeThrottled:
				if !inRun {
					want = []string{"throttling.begun aws"}
				}
				inRun, last = true, clk.Now()
			case o == OutcomeUnavailable || o == OutcomeCanceled:
			case inRun && clk.Now().Sub(last) >= 10*time.Second:
				want, inRun = []string{"throttling.ended aws"}, false
			}
			b.Request(t.Context(), "GetSecretValue", o, 0)
			if got := ev.take(); !slices.Equal(got, want) {
				t.Fatalf("seed %d step %d (%s): events %q, want %q", seed, step, o, got, want)
			}
		}
	}
}

// TestOutageEventsModel: random sequences of failures (unavailable,
// denied) and recoveries of three secrets with polls between them
// (seeded, reproducible): outage.begun exactly when a poll leaves some
// secret unavailable after none was, outage.ended exactly when a poll
// leaves none after some was; a denied secret is no outage.
func TestOutageEventsModel(t *testing.T) {
	paths := []string{"db/user", "db/pass", "http/port"}
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 19))
		b, l, clk, _, ev := telemetryDB(t)
		down := map[string]bool{}
		was := false
		for step := range 20 {
			p := paths[rng.IntN(len(paths))]
			switch rng.IntN(3) {
			case 0:
				b.SetError(p, ErrUnavailable)
				down[p] = true
			case 1:
				b.SetError(p, ErrAccessDenied)
				delete(down, p)
			default:
				b.SetError(p, nil)
				delete(down, p)
			}
			clk.Add(time.Second)
			_ = l.poll(t.Context())
			now := len(down) > 0
			var want []string
			switch {
			case now && !was:
				want = []string{"outage.begun mem"}
			case !now && was:
				want = []string{"outage.ended mem"}
			}
			was = now
			got := slices.DeleteFunc(ev.take(), func(e string) bool { return e[:7] != "outage." })
			if !slices.Equal(got, want) {
				t.Fatalf("seed %d step %d: events %q, want %q", seed, step, got, want)
			}
		}
		_ = l.Close()
	}
}
