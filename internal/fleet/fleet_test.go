package fleet

import (
	"flag"
	"os"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/adapters/awssm"
)

var (
	full     = flag.Bool("fleet.full", false, "run the full fleet table (make fleet)")
	scale    = flag.Float64("fleet.scale", 1, "time scale for -fleet.one")
	one      = flag.Int("fleet.one", 0, "run one deploy of this many replicas (with -fleet.strategy)")
	strategy = flag.String("fleet.strategy", "adaptive", "strategy for -fleet.one")
)

func parseStrategy(t *testing.T, s string) awssm.Strategy {
	for _, st := range []awssm.Strategy{awssm.Adaptive, awssm.BatchOnly, awssm.PerSecret} {
		if st.String() == s {
			return st
		}
	}
	t.Fatalf("unknown strategy %q", s)
	return 0
}

func TestOne(t *testing.T) {
	if *one == 0 {
		t.Skip("run with -fleet.one N")
	}
	r, err := Run(t.Context(), Config{Replicas: *one, Strategy: parseStrategy(t, *strategy), TimeScale: *scale})
	if err != nil {
		t.Fatal(err)
	}
	WriteTable(os.Stdout, []Result{r})
	_ = time.Second
}
