package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/dashtam/secretsgen/runtime"
)

// fakeDB is Vault's database engine as the lease manager sees it: leases
// with a default and a max TTL, renewals capped by max_ttl (answered as
// granted, as Vault does), revocation, operator revocation and outages.
// It also checks, at each revocation, the manager's safety rules.
type fakeDB struct {
	t        *testing.T
	ttl, max time.Duration
	d        *dynamic // checked at revocations

	mu      sync.Mutex
	down    bool
	n       int
	leases  map[string]*fakeLease
	byText  map[string]string // credential text -> lease id
	newest  string
	reads   int
	renews  int
	revokes int
	// violations of the rules, found at revocation time
	bad []string
}

type fakeLease struct {
	expires, maxEnd time.Time
	revoked         bool // by anyone
	byUs            bool
	operator        bool
}

func newFakeDB(t *testing.T, ttl, maxTTL time.Duration) *fakeDB {
	return &fakeDB{t: t, ttl: ttl, max: maxTTL, leases: map[string]*fakeLease{}, byText: map[string]string{}}
}

var (
	errDown = &api.ResponseError{StatusCode: http.StatusServiceUnavailable}
	errGone = &api.ResponseError{StatusCode: http.StatusBadRequest}
)

func (f *fakeDB) readCreds(ctx context.Context, path string) (dbSecret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return dbSecret{}, errDown
	}
	f.n++
	f.reads++
	id := fmt.Sprintf("database/creds/app/lease-%d", f.n)
	now := time.Now()
	d := min(f.ttl, f.max)
	f.leases[id] = &fakeLease{expires: now.Add(d), maxEnd: now.Add(f.max)}
	text := fmt.Sprintf(`{"username":"v-app-%d","password":"pw-%d"}`, f.n, f.n)
	f.byText[text] = id
	f.newest = id
	return dbSecret{text: text, leaseID: id, duration: d, renewable: true}, nil
}

func (f *fakeDB) renew(ctx context.Context, id string, inc time.Duration) (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return 0, errDown
	}
	f.renews++
	l := f.leases[id]
	now := time.Now()
	if l == nil || l.revoked || !now.Before(l.expires) {
		return 0, errGone
	}
	g := min(inc, l.maxEnd.Sub(now))
	g = g.Truncate(time.Second)
	l.expires = now.Add(g)
	return g, nil
}

func (f *fakeDB) revoke(ctx context.Context, id string) error {
	// The rules, checked against the manager's state at the moment of
	// the call (the manager holds no lock during Vault calls).
	f.d.mu.Lock()
	now := time.Now()
	if !f.d.closed && f.d.cur != nil && f.d.cur.id == id {
		f.bad = append(f.bad, fmt.Sprintf("%s: revoked the current lease %s", now.Format(time.TimeOnly), id))
	}
	for _, h := range f.d.old {
		if h.id == id && h.lease.Holds() > 0 && !h.rejected && !f.d.closed &&
			now.Before(h.replacedAt.Add(f.d.drainFor(h))) && now.Before(h.expires.Add(-f.d.marginFor(h))) {
			f.bad = append(f.bad, fmt.Sprintf("%s: revoked held lease %s before its drain ended", now.Format(time.TimeOnly), id))
		}
	}
	f.d.mu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errDown
	}
	f.revokes++
	if l := f.leases[id]; l != nil && !l.revoked {
		l.revoked, l.byUs = true, true
	}
	return nil
}

// stats returns a copy of the counters.
func (f *fakeDB) stats() (s struct{ reads, renews, revokes int }) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s.reads, s.renews, s.revokes = f.reads, f.renews, f.revokes
	return s
}

// alive counts leases neither revoked nor ended.
func (f *fakeDB) alive() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	now := time.Now()
	for _, l := range f.leases {
		if !l.revoked && now.Before(l.expires) {
			n++
		}
	}
	return n
}

func (f *fakeDB) setDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

// TestLeaseModel drives the lease manager with seeded random operation
// sequences on synctest's fake clock against fakeDB, and checks the
// invariants after every step. A failure names the seed; rerun one with
// -run 'TestLeaseModel/seed=N'.
func TestLeaseModel(t *testing.T) {
	for seed := uint64(1); seed <= 60; seed++ {
		outages := seed%3 != 0 // every third run has no outage: stricter checks
		keep := seed%7 == 0
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { runLeaseModel(t, seed, outages, keep) })
		})
	}
}

func runLeaseModel(t *testing.T, seed uint64, outages, keep bool) {
	rng := rand.New(rand.NewPCG(seed, 17))
	f := newFakeDB(t, 60*time.Second, 180*time.Second)
	var notified int
	var nmu sync.Mutex
	d := newDynamic(f, "database/creds/app", leaseConfig{
		drain:    10 * time.Second,
		keep:     keep,
		rand:     rand.New(rand.NewPCG(seed, 99)).Float64, // the manager's own: called under its lock
		notify:   func() { nmu.Lock(); notified++; nmu.Unlock() },
		logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		coolDown: 5 * time.Second,
	})
	f.d = d
	t.Cleanup(func() { _ = d.close() })
	ctx := context.Background()
	type hold struct {
		release func()
	}
	var holds []hold
	var log []string
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d after %v: %s", seed, log[max(0, len(log)-12):], fmt.Sprintf(format, args...))
	}
	if _, err := d.get(ctx); err != nil {
		fail("first get: %v", err)
	}
	check := func() {
		t.Helper()
		synctest.Wait()
		if len(f.bad) > 0 {
			fail("%v", f.bad)
		}
		if n := f.alive(); n > 3 {
			fail("%d leases alive at once; the bound is 3", n)
		}
		f.mu.Lock()
		for id, l := range f.leases {
			if !outages && !l.revoked && !time.Now().Before(l.expires) && !l.operator {
				d.mu.Lock()
				isCur := d.cur != nil && d.cur.id == id
				d.mu.Unlock()
				if !isCur {
					f.mu.Unlock()
					fail("replaced lease %s reached its end unrevoked with Vault up", id)
				}
			}
		}
		f.mu.Unlock()
	}
	for step := 0; step < 120; step++ {
		switch op := rng.IntN(10); {
		case op < 3: // time passes
			dt := time.Duration(rng.IntN(20000)) * time.Millisecond
			log = append(log, fmt.Sprintf("sleep %v", dt))
			time.Sleep(dt)
		case op == 3 && outages: // Vault goes down or comes back
			f.mu.Lock()
			down := !f.down
			f.mu.Unlock()
			log = append(log, fmt.Sprintf("down=%t", down))
			f.setDown(down)
		case op == 4: // an operator revokes the current lease; the database rejects it; forced refresh
			d.mu.Lock()
			id := d.cur.id
			d.mu.Unlock()
			f.mu.Lock()
			if l := f.leases[id]; l != nil && !l.revoked {
				l.revoked, l.operator = true, true
			}
			f.mu.Unlock()
			log = append(log, "operator revoke + force")
			_ = d.force(ctx)
		case op == 5: // forced refresh alone (a spurious rejection)
			log = append(log, "force")
			_ = d.force(ctx)
		case op == 6 || op == 7: // a connection opens with the current credential
			v, err := d.get(ctx)
			if err == nil {
				holds = append(holds, hold{runtime.NewCredential("u", "p", nil, v.Lease).Hold()})
				log = append(log, "hold")
			}
		case op == 8 && len(holds) > 0: // a connection closes
			i := rng.IntN(len(holds))
			holds[i].release()
			holds = append(holds[:i], holds[i+1:]...)
			log = append(log, "release")
		default: // Get
			log = append(log, "get")
			v, err := d.get(ctx)
			synctest.Wait()
			f.mu.Lock()
			down := f.down
			if err != nil {
				f.mu.Unlock()
				if !down {
					fail("get failed with Vault up: %v", err)
				}
				if !errors.Is(err, errDown) {
					fail("get failed with %v, want the outage", err)
				}
				break
			}
			id := f.byText[v.Text]
			l := f.leases[id]
			if !time.Now().Before(l.expires) {
				f.mu.Unlock()
				fail("get returned an ended credential (%s)", id)
			}
			if id != f.newest {
				f.mu.Unlock()
				fail("get returned %s while %s is newer", id, f.newest)
			}
			st := v.Lease.Status()
			if !down && !st.Expires.Equal(l.expires) {
				f.mu.Unlock()
				fail("Lease.Expires %v, Vault says %v", st.Expires, l.expires)
			}
			f.mu.Unlock()
			if st.Revoked || st.NextAction == "" || st.NextAt.IsZero() {
				fail("current lease status %+v", st)
			}
		}
		check()
	}
	// Vault comes back, every connection closes: every replaced lease is
	// revoked within a holdPoll and a backoff.
	f.setDown(false)
	for _, h := range holds {
		h.release()
	}
	time.Sleep(maxBackoff + 2*holdPoll)
	check()
	d.mu.Lock()
	if n := len(d.old); n > 0 {
		d.mu.Unlock()
		fail("%d replaced leases not revoked with Vault up and no holds", n)
	}
	cur := d.cur
	d.mu.Unlock()
	if st := cur.lease.Status(); st.Err != nil {
		fail("current lease still says %v with Vault up", st.Err)
	}
	before := f.stats().revokes
	if err := d.close(); err != nil {
		fail("close: %v", err)
	}
	synctest.Wait()
	if keep && f.stats().revokes != before {
		fail("Close revoked with KeepLeases")
	}
	if n := f.alive(); !keep && n != 0 {
		fail("after Close: %d leases alive", n)
	}
	if !keep && !cur.lease.Status().Revoked {
		fail("the current lease does not say revoked after Close")
	}
	st := f.stats()
	t.Logf("reads %d renews %d revokes %d", st.reads, st.renews, st.revokes)
	nmu.Lock()
	defer nmu.Unlock()
	if notified < st.reads-1 {
		fail("%d reads but %d change signals", st.reads, notified)
	}
}

// TestLeaseRenewThenReplace follows one lease through its life: renewed
// at about two thirds, truncated by max_ttl, replaced early, the old one
// drained until released and revoked before its end.
func TestLeaseRenewThenReplace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeDB(t, 10*time.Second, 30*time.Second)
		d := newDynamic(f, "database/creds/app", leaseConfig{drain: 30 * time.Second, logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		f.d = d
		t.Cleanup(func() { _ = d.close() })
		start := time.Now()
		v1, err := d.get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		release := runtime.NewCredential("u", "p", nil, v1.Lease).Hold()
		if st := v1.Lease.Status(); st.NextAction != actRenew || st.NextAt.Sub(start) != 10*time.Second*2/3 {
			t.Fatalf("after the read: %+v, want renew at 2/3 of 10s", st)
		}
		// Renewals at 6.67s, 13.3s, 20s (granted 10s each, then 10s capped at 30s).
		time.Sleep(21 * time.Second)
		synctest.Wait()
		st := v1.Lease.Status()
		if f.stats().renews < 2 || st.LastRenewal.IsZero() {
			t.Fatalf("renewals %d, status %+v", f.renews, st)
		}
		// Replaced at 30s - drain (10s/3) - margin (1s), about 25.7s.
		time.Sleep(6 * time.Second)
		synctest.Wait()
		v2, err := d.get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if v2.Version == v1.Version || v2.Text == v1.Text {
			t.Fatalf("not replaced by %v", time.Since(start))
		}
		if st := v1.Lease.Status(); st.Revoked || st.NextAction != actRevoke {
			t.Fatalf("old lease while held: %+v", st)
		}
		release()
		time.Sleep(holdPoll)
		synctest.Wait()
		if st := v1.Lease.Status(); !st.Revoked {
			t.Fatalf("old lease after release: %+v", st)
		}
		f.mu.Lock()
		byUs := f.leases[f.byText[v1.Text]].byUs
		f.mu.Unlock()
		if !byUs {
			t.Fatal("Vault did not see the revocation")
		}
		if err := d.close(); err != nil {
			t.Fatal(err)
		}
		if f.alive() != 0 {
			t.Fatal("leases alive after close")
		}
	})
}

// TestLeaseExpiresWhileVaultDown: the credential is served until its end;
// after it Get fails as unavailable and the Lease says why; when Vault
// answers again a new credential is read.
func TestLeaseExpiresWhileVaultDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeDB(t, 10*time.Second, 30*time.Second)
		d := newDynamic(f, "database/creds/app", leaseConfig{logger: slog.New(slog.NewTextHandler(io.Discard, nil)), describe: describe})
		f.d = d
		t.Cleanup(func() { _ = d.close() })
		v1, err := d.get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		f.setDown(true)
		time.Sleep(9 * time.Second)
		if _, err := d.get(context.Background()); err != nil {
			t.Fatalf("before its end: %v", err)
		}
		if st := v1.Lease.Status(); st.Err == nil {
			t.Fatalf("failed renewals not on the lease: %+v", st)
		}
		time.Sleep(2 * time.Second)
		_, err = d.get(context.Background())
		if err == nil {
			t.Fatal("an ended credential was served")
		}
		if k, _, _ := classify(err); k != runtime.ErrUnavailable {
			t.Fatalf("kind %v", k)
		}
		if st := v1.Lease.Status(); !errors.Is(st.Err, errExpired) || !errors.Is(st.Err, runtime.ErrUnavailable) {
			t.Fatalf("lease err %v", st.Err)
		}
		f.setDown(false)
		for i := 0; i < 60 && f.stats().reads < 2; i++ {
			time.Sleep(time.Second) // the manager's next try, within maxBackoff
			synctest.Wait()
		}
		v2, err := d.get(context.Background())
		if err != nil || v2.Version == v1.Version {
			t.Fatalf("after Vault came back: %v, %q", err, v2.Version)
		}
		if n := f.stats().reads; n != 2 {
			t.Fatalf("reads %d, want 2", n)
		}
		_ = d.close()
	})
}

// TestLeaseForcedCoolDown: forced replacements of one path happen at most
// once per cool-down.
func TestLeaseForcedCoolDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeDB(t, time.Minute, time.Hour)
		d := newDynamic(f, "database/creds/app", leaseConfig{logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		f.d = d
		t.Cleanup(func() { _ = d.close() })
		if _, err := d.get(context.Background()); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			_ = d.force(context.Background())
		}
		if n := f.stats().reads; n != 2 {
			t.Fatalf("reads %d after 5 forced refreshes at once, want 2", n)
		}
		time.Sleep(databaseCoolDown)
		_ = d.force(context.Background())
		if n := f.stats().reads; n != 3 {
			t.Fatalf("reads %d after the cool-down, want 3", n)
		}
		synctest.Wait()
		if f.alive() != 1 {
			t.Fatalf("%d alive: rejected leases are revoked at once", f.alive())
		}
		_ = d.close()
	})
}

// TestLeaseValueFree: nothing the manager reports holds a lease id or a
// password.
func TestLeaseValueFree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeDB(t, 10*time.Second, 30*time.Second)
		var buf syncBuffer
		d := newDynamic(f, "database/creds/app", leaseConfig{logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), describe: describe})
		f.d = d
		t.Cleanup(func() { _ = d.close() })
		v, err := d.get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		f.setDown(true)
		time.Sleep(40 * time.Second)
		synctest.Wait()
		st := v.Lease.Status()
		b, _ := json.Marshal(map[string]any{"status": fmt.Sprintf("%+v %v", st, st.Err), "version": v.Version})
		for _, s := range []string{string(b), buf.String()} {
			for _, secret := range []string{"lease-", "pw-"} {
				if strings.Contains(s, secret) {
					t.Errorf("%q appears in %s", secret, s)
				}
			}
		}
		_ = d.close()
	})
}

// syncBuffer is a bytes.Buffer for a logger written from goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
