package fleet

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteTable prints results as one table, in real-world seconds, under a
// header naming the quotas, the service time and the time scale of the
// first result.
func WriteTable(w io.Writer, results []Result) error {
	if len(results) == 0 {
		return nil
	}
	c := results[0].Config
	start := "all replicas starting at once"
	if c.Spread > 0 {
		start = "replicas starting evenly over " + c.Spread.String()
	}
	fmt.Fprintf(w, "Secrets Manager fleet simulation: %d secrets per replica, %s\n", c.Secrets, start)
	fmt.Fprintf(w, "quotas: GetSecretValue %.0f/s, BatchGetSecretValue %.0f/s (%d ids a call), buckets hold %s of quota; service time %s\n",
		c.Quotas.GetPerSecond, c.Quotas.BatchPerSecond, BatchSize, c.Quotas.Burst, c.ServiceTime)
	fmt.Fprintf(w, "times in real-world seconds; p50/p99/max of each replica's load time, all = first start to last load\n")
	fmt.Fprintf(w, "(bound = secrets / combined throughput of both APIs; burst bound also spends the full buckets)\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "replicas\tstrategy\tscale\tbound\tburst bound\tp50\tp99\tmax\tall\tmax/bound\tbatch calls\tbatch throttled\tget calls\tget throttled\tfallbacks\tthrottled\tconns\tfailed\trun (wall)\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%d\t%s\t%gx\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%d\t%d\t%d\t%d\t%d\t%.1f%%\t%d\t%d\t%s\t\n",
			r.Config.Replicas, r.Config.Strategy, r.Config.TimeScale, secs(r.Bound), secs(r.BurstBound),
			secs(r.P50), secs(r.P99), secs(r.Max), secs(r.AllLoaded), r.Max.Seconds()/r.Bound.Seconds(),
			r.Batch.Calls, r.Batch.Throttles, r.Get.Calls, r.Get.Throttles, r.Stats.Fallbacks, 100*r.ThrottledShare(), r.Connections,
			r.Failed, secs(r.Elapsed))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if r.Failed > 0 {
			fmt.Fprintf(w, "%d %s: %d failed loads, the first: %s\n", r.Config.Replicas, r.Config.Strategy, r.Failed, strings.TrimSpace(r.FirstError))
		}
	}
	return nil
}

// ThrottledShare is the share of all calls (both APIs, as the server
// counted them) that were throttled.
func (r Result) ThrottledShare() float64 {
	calls := r.Batch.Calls + r.Get.Calls
	if calls == 0 {
		return 0
	}
	return float64(r.Batch.Throttles+r.Get.Throttles) / float64(calls)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }
