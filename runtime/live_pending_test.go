package runtime

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestLivePendingRefused: a rotation staged AWSPENDING and failed before
// the database took it. A forced refresh for another reason puts the
// pending value in use (the Live cannot tell); the next forced refresh,
// the database having refused the pending value too, puts the current
// value back at once, within the cool-down. Polls keep the current value;
// a forced refresh after the cool-down tries the pending version again; a
// new pending version (the rotation tried again) is taken; a current
// version that moved rules.
func TestLivePendingRefused(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	b := &staged{current: map[string]Value{
		"db/user": {Text: "u", Version: "v1"}, "db/pass": {Text: "p1", Version: "v1"}, "http/port": {Text: "8080", Version: "v1"},
	}, pending: map[string]Value{}}
	var pendingReads atomic.Int64
	b.pendingOf = func(r Ref) (Ref, bool) {
		if r.Path != "db/pass" {
			return Ref{}, false
		}
		pendingReads.Add(1)
		r.Version = "AWSPENDING"
		return r, true
	}
	var mu sync.Mutex
	now := time.Unix(1_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	var loads atomic.Int64
	l, err := NewLive(t.Context(), NewCache(b, nil), loadDB(&loads), &LiveOptions{PollInterval: time.Hour, CoolDown: 5 * time.Second, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	pass := func() string { return l.Settings().Pass.Reveal() }
	refresh := func(want string) {
		t.Helper()
		if err := l.RefreshNow(t.Context(), "db/pass"); err != nil || pass() != want {
			t.Fatalf("RefreshNow = %v, pass %q; want %q", err, pass(), want)
		}
	}

	// createSecret staged p2; setSecret failed: the database has p1.
	b.set(func() { b.pending["db/pass"] = Value{Text: "p2", Version: "v2"} })
	refresh("p2") // a forced refresh for another reason
	advance(time.Second)
	refresh("p1") // p2 refused: back to the current value, within the cool-down
	if st := statusOf(l, "db/pass"); st.Version != "v1" || st.Stale {
		t.Errorf("status after going back = %+v", st)
	}
	reads := pendingReads.Load()
	refresh("p1") // within the cool-down, on the current value: nothing read
	if err := l.poll(t.Context()); err != nil || pass() != "p1" {
		t.Fatalf("poll = %v, pass %q; want p1", err, pass())
	}
	if pendingReads.Load() != reads {
		t.Errorf("the pending version was read %d more times within the cool-down or by a poll", pendingReads.Load()-reads)
	}
	// After the cool-down a forced refresh may try it again, and the next
	// one goes back again: each refusal costs one login.
	advance(10 * time.Second)
	refresh("p2")
	refresh("p1")
	// The rotation is tried again with a new pending version that the
	// database takes: after the cool-down a forced refresh puts it in use,
	// and a poll keeps it.
	advance(10 * time.Second)
	b.set(func() { b.pending["db/pass"] = Value{Text: "p3", Version: "v3"} })
	refresh("p3")
	if err := l.poll(t.Context()); err != nil || pass() != "p3" {
		t.Fatalf("poll during the window = %v, pass %q; want p3", err, pass())
	}
	// finishSecret: AWSCURRENT moves to it. A forced refresh now keeps it
	// (the current version moved: it rules), whatever the cool-down.
	b.set(func() { b.current["db/pass"] = Value{Text: "p3", Version: "v3"}; delete(b.pending, "db/pass") })
	refresh("p3")
	if err := l.poll(t.Context()); err != nil || pass() != "p3" {
		t.Fatalf("poll after finishSecret = %v, pass %q; want p3", err, pass())
	}
	if st := statusOf(l, "db/pass"); st.Version != "v3" {
		t.Errorf("status after finishSecret = %+v", st)
	}
}
