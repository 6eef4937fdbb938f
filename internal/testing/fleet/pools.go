package fleet

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// pools hands each replica's SDK client the HTTP client it sends with:
// either its own pool of perReplica connections (as many as its provider
// has calls in flight), or one transport shared by every replica with at
// most shared connections. Both are the SDK's default transport
// (awshttp.NewBuildableClient) with the connection caps set, and every
// request's wait for a connection is measured.
//
// Why a cap at all: every connection costs this one process two file
// descriptors (client and server side), and a pool that dials a spare
// connection while another is being returned would run out of them. Why
// sharing at 10,000 replicas: 10,000 pools of 8 would need 160,000
// descriptors; the machine allows 20,000.
type pools struct {
	conns      *connCount
	perReplica int
	shared     *http.Transport // nil: a pool per replica
	own        []*http.Transport
	waits      *connWaits
}

func newPools(perReplica, shared int, slow time.Duration) *pools {
	p := &pools{perReplica: perReplica, waits: &connWaits{slow: slow}, conns: &connCount{}}
	if shared > 0 {
		p.shared = p.transport(shared)
	}
	return p
}

// transport is the SDK's default transport with at most conns connections
// to the simulator, keeping all of them open between calls, counting the
// connections it holds.
func (p *pools) transport(conns int) *http.Transport {
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxConnsPerHost = conns
		tr.MaxIdleConnsPerHost = conns
		tr.MaxIdleConns = max(tr.MaxIdleConns, conns)
		dial := tr.DialContext
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			p.conns.opened()
			return &countedConn{Conn: c, count: p.conns}, nil
		}
	}).GetTransport()
}

// connCount counts the connections the clients hold open.
type connCount struct{ open, peak atomic.Int64 }

func (c *connCount) opened() {
	n := c.open.Add(1)
	for p := c.peak.Load(); n > p && !c.peak.CompareAndSwap(p, n); p = c.peak.Load() {
	}
}

type countedConn struct {
	net.Conn
	count *connCount
	once  sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.count.open.Add(-1) })
	return c.Conn.Close()
}

// client returns the HTTP client of one more replica.
func (p *pools) client() aws.HTTPClient {
	tr := p.shared
	if tr == nil {
		tr = p.transport(p.perReplica)
		p.own = append(p.own, tr)
	}
	return &http.Client{Transport: &traced{base: tr, waits: p.waits}}
}

func (p *pools) close() {
	if p.shared != nil {
		p.shared.CloseIdleConnections()
	}
	for _, tr := range p.own {
		tr.CloseIdleConnections()
	}
}

// traced measures how long each request waited for a connection (from
// asking the pool to getting one: an idle connection, a new one dialled
// on loopback, or one another request returned).
type traced struct {
	base  http.RoundTripper
	waits *connWaits
}

func (t *traced) RoundTrip(req *http.Request) (*http.Response, error) {
	var asked time.Time
	trace := &httptrace.ClientTrace{
		GetConn: func(string) { asked = time.Now() },
		GotConn: func(c httptrace.GotConnInfo) { t.waits.add(time.Since(asked), c.Reused && !c.WasIdle) },
	}
	return t.base.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
}

// connWaits counts the requests' waits for a connection.
type connWaits struct {
	slow                  time.Duration // a wait longer than this is counted in over
	n, over, total, worst atomic.Int64
	handed, handedTotal   atomic.Int64
}

// add counts one wait; handed says the request got a connection another
// request had just finished with, not an idle or a new one: it asked
// when the pool was at its cap and queued.
func (c *connWaits) add(d time.Duration, handed bool) {
	c.n.Add(1)
	c.total.Add(int64(d))
	if handed {
		c.handed.Add(1)
		c.handedTotal.Add(int64(d))
	}
	if d > c.slow {
		c.over.Add(1)
	}
	for {
		w := c.worst.Load()
		if int64(d) <= w || c.worst.CompareAndSwap(w, int64(d)) {
			return
		}
	}
}

// ConnWait is how long the replicas' requests waited for a connection, in
// real-world time.
type ConnWait struct {
	Requests  int64         // requests that got a connection
	Mean, Max time.Duration // of their waits
	Over1ms   int64         // requests that waited more than 1 ms
	// Queued are the requests that found the pool at its cap and waited
	// for a connection another request handed over; QueuedMean is their
	// mean wait.
	Queued     int64
	QueuedMean time.Duration
}

func (c *connWaits) result(scale float64) ConnWait {
	w := ConnWait{Requests: c.n.Load(), Over1ms: c.over.Load()}
	world := func(ns int64) time.Duration { return time.Duration(float64(ns) / scale) }
	if w.Requests > 0 {
		w.Mean = world(c.total.Load() / w.Requests)
	}
	w.Max = world(c.worst.Load())
	if w.Queued = c.handed.Load(); w.Queued > 0 {
		w.QueuedMean = world(c.handedTotal.Load() / w.Queued)
	}
	return w
}

// Resources is what a run cost this process, beside the machine's load.
type Resources struct {
	// MaxFDs is the most file descriptors this process held at once
	// (sampled every 100ms from /proc/self/fd; 0 where there is none).
	MaxFDs int
	// CPU is the process's user and system time during the run (the
	// server and the clients: they share the process).
	CPU time.Duration
	// LoadBefore and LoadAfter are the machine's 1-minute load average
	// before and after the run ("" where /proc/loadavg is missing).
	LoadBefore, LoadAfter string
	ConnWait              ConnWait
	// PeakConns is the most connections the clients held open at once
	// (the server may briefly count one more: a connection the client
	// closed before the server saw it close).
	PeakConns int64
}

type meter struct {
	cpu    time.Duration
	load   string
	stopCh chan struct{}
	done   chan int
}

func startMeter() *meter {
	m := &meter{cpu: cpuTime(), load: loadAverage(), stopCh: make(chan struct{}), done: make(chan int)}
	go func() {
		peak := openFDs()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				peak = max(peak, openFDs())
			case <-m.stopCh:
				m.done <- max(peak, openFDs())
				return
			}
		}
	}()
	return m
}

func (m *meter) stop() Resources {
	close(m.stopCh)
	return Resources{MaxFDs: <-m.done, CPU: cpuTime() - m.cpu, LoadBefore: m.load, LoadAfter: loadAverage()}
}

func openFDs() int {
	f, err := os.Open("/proc/self/fd")
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	for {
		names, err := f.Readdirnames(4096)
		n += len(names)
		if err != nil || len(names) == 0 {
			break
		}
	}
	return n - 1 // not the directory being read
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// WriteResources prints, for each result, the connections it used, the
// most file descriptors the process held, its CPU time, the machine's
// load, and how long requests waited for a connection.
func WriteResources(w io.Writer, results []Result) error {
	for _, r := range results {
		c, x := r.Config, r.Resources
		conns := c.Concurrency
		if conns <= 0 {
			conns = 8
		}
		pool := fmt.Sprintf("a pool of %d connections per replica", conns)
		if c.SharedConns > 0 {
			pool = fmt.Sprintf("one shared pool of at most %d connections", c.SharedConns)
		}
		cores := 0.0
		if r.Elapsed > 0 {
			cores = x.CPU.Seconds() / r.Elapsed.Seconds()
		}
		cw := x.ConnWait
		if _, err := fmt.Fprintf(w, "%d %s: %s; %d connections open at most, %d accepted; %d fds at most; CPU %s in %s wall (%.2f cores); load average %s before, %s after; "+
			"waits for a connection (real-world): %d requests, mean %s, max %s, %d over 1ms; %d queued at the cap, mean %s\n",
			c.Replicas, c.Strategy, pool, x.PeakConns, r.Connections, x.MaxFDs, x.CPU.Round(time.Second), r.Elapsed.Round(time.Second), cores,
			x.LoadBefore, x.LoadAfter, cw.Requests, cw.Mean.Round(time.Microsecond), cw.Max.Round(time.Microsecond), cw.Over1ms, cw.Queued, cw.QueuedMean.Round(time.Microsecond)); err != nil {
			return err
		}
	}
	return nil
}
