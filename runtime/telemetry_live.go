package runtime

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// liveTelemetry is what a Live records through: its instruments (nil
// without a MeterProvider), its logger (nil without one) and the state the
// events are derived from. A Live without Telemetry has none (nil), and
// does no telemetry work at all.
type liveTelemetry struct {
	in  *instruments
	log *slog.Logger
	reg metric.Registration // the gauges' callback; nil without instruments

	outage map[string]bool // backends in an outage, as of the last update; under the Live's mu

	qmu    sync.Mutex
	events []liveEvent // events found under the Live's mu, logged after it is released
}

type liveEvent struct{ kind, backend, path string }

// eventKinds are the error kinds of the events that report a problem: the
// kind attribute of their log record, named as the outcome attribute of
// the metrics names it. Other events have none.
var eventKinds = map[string]Outcome{
	EventRotationRejected: OutcomeInvalidValue,
	EventOutageBegun:      OutcomeUnavailable,
}

// leaseWatch is what a Live last saw of the lease of a secret's value in
// use, to derive lease events and the lease gauges from.
type leaseWatch struct {
	lease *Lease
	last  LeaseStatus
	seen  time.Time // when the Live first saw this lease
	// retired are leases replaced while not revoked: their revocation (the
	// adapter revokes a replaced lease once its holders are done) is still
	// an event.
	retired []retiredLease
}

type retiredLease struct {
	lease *Lease
	last  LeaseStatus
}

// maxRetired bounds the replaced leases a secret watches for revocation.
const maxRetired = 4

// newLiveTelemetry returns the telemetry of a Live, nil when t records
// nothing.
func newLiveTelemetry(t Telemetry) *liveTelemetry {
	if t.IsZero() {
		return nil
	}
	return &liveTelemetry{in: newInstruments(t.MeterProvider), log: t.Logger, outage: map[string]bool{}}
}

// emit queues an event; with the Live's mu held.
func (t *liveTelemetry) emit(kind, backend, path string) {
	if t.log == nil {
		return
	}
	t.qmu.Lock()
	t.events = append(t.events, liveEvent{kind, backend, path})
	t.qmu.Unlock()
}

// flush logs the queued events; without the Live's mu.
func (t *liveTelemetry) flush() {
	if t == nil || t.log == nil {
		return
	}
	t.qmu.Lock()
	evs := t.events
	t.events = nil
	t.qmu.Unlock()
	for _, e := range evs {
		log := t.log
		if k, ok := eventKinds[e.kind]; ok {
			log = log.With(slog.String("kind", string(k)))
		}
		event(log, e.kind, e.backend, e.path)
	}
}

// startTelemetry sets up the Live's telemetry after its first load: the
// lease watches and the gauges' callback.
func (l *Live[S]) startTelemetry(t Telemetry) {
	l.tel = newLiveTelemetry(t)
	if l.tel == nil {
		return
	}
	l.mu.Lock()
	l.observeLeases(l.opts.Now())
	l.mu.Unlock()
	if in := l.tel.in; in != nil {
		l.tel.reg, _ = in.meter.RegisterCallback(l.observe, in.pollInterval, in.staleness, in.leaseRemaining, in.leaseDuration)
	}
}

// stopTelemetry unregisters the gauges' callback: a closed Live reports
// nothing.
func (l *Live[S]) stopTelemetry() {
	if l.tel != nil && l.tel.reg != nil {
		_ = l.tel.reg.Unregister()
	}
	l.tel.flush()
}

// servedBy is the backend attribute of s: the layer that served its value
// (Layers), else the Live's backend. With l.mu held.
func (l *Live[S]) servedBy(ref Ref) string {
	if b := l.p.Served(ref); b != "" {
		return b
	}
	return l.p.Name()
}

// observe is the callback of the gauges: the poll interval, and each
// secret's staleness and lease.
func (l *Live[S]) observe(_ context.Context, o metric.Observer) error {
	in := l.tel.in
	now := l.opts.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	o.ObserveFloat64(in.pollInterval, l.opts.PollInterval.Seconds(), metric.WithAttributes(attribute.String("backend", l.p.Name())))
	for i := range l.secrets {
		s := &l.secrets[i]
		o.ObserveFloat64(in.staleness, max(0, now.Sub(s.confirmed).Seconds()),
			metric.WithAttributes(attribute.String("path", s.ref.Path), attribute.String("backend", l.servedBy(s.ref))))
		if s.lease.lease == nil {
			continue
		}
		st := s.lease.lease.Status()
		if st.Expires.IsZero() {
			continue
		}
		path := metric.WithAttributes(attribute.String("path", s.ref.Path))
		o.ObserveFloat64(in.leaseRemaining, max(0, st.Expires.Sub(now).Seconds()), path)
		start := s.lease.seen
		if st.LastRenewal.After(start) {
			start = st.LastRenewal
		}
		o.ObserveFloat64(in.leaseDuration, max(0, st.Expires.Sub(start).Seconds()), path)
	}
	return nil
}

// observeLeases derives the lease events from what the adapters set on
// the leases in use since the last look: LastRenewal moved (renewed),
// Revoked set (revoked), another lease swapped in with a new value
// (replaced). With l.mu held and l.tel set.
func (l *Live[S]) observeLeases(now time.Time) {
	for i := range l.secrets {
		s := &l.secrets[i]
		var cur *Lease
		if s.used.Err == nil {
			cur = s.used.Value.Lease
		}
		w := &s.lease
		w.retired = l.watchRetired(s.ref, w.retired, now)
		if cur != w.lease {
			if w.lease != nil {
				if cur != nil {
					l.tel.emit(EventLeaseReplaced, l.servedBy(s.ref), s.ref.Path)
				}
				if !w.last.Revoked && len(w.retired) < maxRetired {
					w.retired = append(w.retired, retiredLease{w.lease, w.last})
				}
			}
			w.lease, w.seen = cur, now
			if cur != nil {
				w.last = cur.Status()
			}
			continue
		}
		if cur == nil {
			continue
		}
		st := cur.Status()
		if st.LastRenewal.After(w.last.LastRenewal) {
			l.tel.emit(EventLeaseRenewed, l.servedBy(s.ref), s.ref.Path)
		}
		if st.Revoked && !w.last.Revoked {
			l.tel.emit(EventLeaseRevoked, l.servedBy(s.ref), s.ref.Path)
		}
		w.last = st
	}
}

// watchRetired reports the revocation of replaced leases and returns
// those still to watch: not revoked and not expired.
func (l *Live[S]) watchRetired(ref Ref, rs []retiredLease, now time.Time) []retiredLease {
	keep := rs[:0]
	for _, r := range rs {
		st := r.lease.Status()
		if st.Revoked {
			if !r.last.Revoked {
				l.tel.emit(EventLeaseRevoked, l.servedBy(ref), ref.Path)
			}
			continue
		}
		if !st.Expires.IsZero() && !now.Before(st.Expires) {
			continue // expired: the backend let it go
		}
		keep = append(keep, retiredLease{r.lease, st})
	}
	return keep
}

// afterUpdate records what an update of the secrets idx found, with l.mu
// held: the secrets whose value in use was confirmed current, the backends
// whose outage began or ended, and the lease events.
func (l *Live[S]) afterUpdate(idx []int, cand map[int]Result, now time.Time) {
	if l.tel == nil {
		return
	}
	for _, i := range idx {
		s := &l.secrets[i]
		if c, ok := cand[i]; ok && sameResult(s.used, c) {
			s.confirmed = now
		}
	}
	down := map[string]bool{}
	for _, s := range l.secrets {
		if s.err != nil && s.err.Kind == ErrUnavailable {
			down[s.err.Backend] = true
		}
	}
	for b := range down {
		if !l.tel.outage[b] {
			l.tel.outage[b] = true
			l.tel.emit(EventOutageBegun, b, "")
		}
	}
	for b := range l.tel.outage {
		if !down[b] {
			delete(l.tel.outage, b)
			l.tel.emit(EventOutageEnded, b, "")
		}
	}
	l.observeLeases(now)
}

// rotated records a rotated value of s applied or rejected; with l.mu held.
func (l *Live[S]) rotated(ref Ref, applied bool) {
	if l.tel == nil {
		return
	}
	kind, outcome := EventRotationApplied, "applied"
	if !applied {
		kind, outcome = EventRotationRejected, "rejected"
	}
	if in := l.tel.in; in != nil {
		in.rotations.Add(context.Background(), 1, metric.WithAttributes(attribute.String("path", ref.Path), attribute.String("outcome", outcome)))
	}
	l.tel.emit(kind, l.servedBy(ref), ref.Path)
}

// polled records a poll that began at start and ended with err.
func (l *Live[S]) polled(start time.Time, err error) {
	if l.tel == nil || l.tel.in == nil {
		return
	}
	l.tel.in.pollDuration.Record(context.Background(), l.opts.Now().Sub(start).Seconds(), metric.WithAttributes(
		attribute.String("backend", l.p.Name()), attribute.String("outcome", string(outcomeOfErr(err)))))
}

// panicked counts a callback that panicked.
func (l *Live[S]) panicked() {
	if l.tel != nil && l.tel.in != nil {
		l.tel.in.panics.Add(context.Background(), 1)
	}
}
