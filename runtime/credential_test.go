package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/runtime"
)

const credCanary = "cred-canary-7f3a9"

func TestCredentialNeverPrinted(t *testing.T) {
	lease := runtime.NewLease(runtime.LeaseStatus{Expires: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Renewable: true, Err: errors.New("renew failed")})
	c := runtime.NewCredential("app", credCanary, map[string]string{"host": "db", "masterarn": credCanary}, lease)
	type holder struct {
		C runtime.Credential
		c runtime.Credential
	}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		out = append(out, fmt.Sprintf(verb, c), fmt.Sprintf(verb, &c), fmt.Sprintf(verb, holder{c, c}), fmt.Sprintf(verb, lease))
	}
	j, err := json.Marshal(holder{C: c})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, string(j))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "cred", c, "lease", lease)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "cred", c)
	out = append(out, buf.String())
	for _, s := range out {
		if strings.Contains(s, credCanary) {
			t.Errorf("printed the password or a member: %s", s)
		}
	}
	if got := fmt.Sprint(c); got != "{Username:app Password:[REDACTED]}" {
		t.Errorf("Sprint = %q", got)
	}
	if !strings.Contains(string(j), `"username":"app"`) || !strings.Contains(string(j), `"password":"[REDACTED]"`) {
		t.Errorf("json = %s", j)
	}
}

func TestCredentialParts(t *testing.T) {
	members := map[string]string{"host": "db.internal", "port": "5432"}
	c := runtime.NewCredential("app", "pw", members, nil)
	members["host"] = "changed" // NewCredential copied them
	if c.Username != "app" || c.Password.Reveal() != "pw" {
		t.Fatalf("parts = %q, %q", c.Username, c.Password.Reveal())
	}
	if h, ok := c.Member("host"); !ok || h != "db.internal" {
		t.Errorf("Member(host) = %q, %t", h, ok)
	}
	if _, ok := c.Member("dbname"); ok {
		t.Error("Member(dbname) found a member that is not there")
	}
	if c.Lease() != nil {
		t.Error("Lease() of an unleased credential is not nil")
	}
	c.Hold()() // without a lease: nothing to hold, and no panic
	if !(runtime.Credential{}).IsZero() || c.IsZero() {
		t.Error("IsZero wrong")
	}
	if !c.Equal(runtime.NewCredential("app", "pw", map[string]string{"host": "db.internal", "port": "5432"}, nil)) {
		t.Error("equal credentials differ")
	}
	for _, o := range []runtime.Credential{
		runtime.NewCredential("app2", "pw", members, nil),
		runtime.NewCredential("app", "pw2", map[string]string{"host": "db.internal", "port": "5432"}, nil),
		runtime.NewCredential("app", "pw", nil, nil),
		runtime.NewCredential("app", "pw", map[string]string{"host": "db.internal", "port": "5432"}, runtime.NewLease(runtime.LeaseStatus{})),
	} {
		if c.Equal(o) {
			t.Errorf("%v equals %v", c, o)
		}
	}
}

func TestLeaseHolds(t *testing.T) {
	l := runtime.NewLease(runtime.LeaseStatus{Renewable: true, Holds: 99})
	c := runtime.NewCredential("app", "pw", nil, l)
	if l.Holds() != 0 || l.Status().Holds != 0 {
		t.Fatalf("a new lease has %d holds (status %d)", l.Holds(), l.Status().Holds)
	}
	var wg sync.WaitGroup
	releases := make(chan func(), 100)
	for range 100 {
		wg.Go(func() { releases <- c.Hold() })
	}
	wg.Wait()
	close(releases)
	if l.Holds() != 100 {
		t.Fatalf("Holds = %d after 100 holds", l.Holds())
	}
	for r := range releases {
		r()
		r() // a second call releases nothing more
	}
	if l.Holds() != 0 {
		t.Fatalf("Holds = %d after every release", l.Holds())
	}
}

func TestLeaseStatus(t *testing.T) {
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	l := runtime.NewLease(runtime.LeaseStatus{Expires: at, Renewable: true})
	release := runtime.NewCredential("u", "p", nil, l).Hold()
	defer release()
	l.Update(func(st *runtime.LeaseStatus) {
		st.LastRenewal = at.Add(-time.Minute)
		st.NextAction, st.NextAt = "renew", at.Add(-30*time.Second)
		st.Holds = 7 // ignored: holds are counted, not set
	})
	st := l.Status()
	if !st.Expires.Equal(at) || !st.Renewable || st.NextAction != "renew" || !st.LastRenewal.Equal(at.Add(-time.Minute)) || st.Holds != 1 {
		t.Errorf("Status = %+v", st)
	}
	if !l.Expires().Equal(at) {
		t.Errorf("Expires = %v", l.Expires())
	}
	l.Set(runtime.LeaseStatus{Revoked: true})
	if st := l.Status(); !st.Revoked || !st.Expires.IsZero() || st.Holds != 1 {
		t.Errorf("after Set: %+v", st)
	}
}

// A Live reports the lease of a credential in use in Status, never a value.
func TestLiveStatusLease(t *testing.T) {
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	lease := runtime.NewLease(runtime.LeaseStatus{Expires: exp, Renewable: true, NextAction: "renew"})
	p := leased{runtime.NewMemory("vault"), lease}
	p.Memory.Set("database/app", `{"username":"app","password":"`+credCanary+`"}`)
	ref := runtime.Ref{Path: "database/app", Type: "credential"}
	c := runtime.NewCache(p, nil)
	live, err := runtime.NewLive(t.Context(), c, func(ctx context.Context, p runtime.Provider) (*string, error) {
		v, err := p.Get(ctx, ref)
		if err != nil {
			return nil, err
		}
		return &v.Text, nil
	}, &runtime.LiveOptions{PollInterval: time.Hour, CloseProvider: true})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	st := live.Status()
	if len(st.Secrets) != 1 || st.Secrets[0].Lease == nil {
		t.Fatalf("Status = %+v", st)
	}
	if got := st.Secrets[0].Lease; !got.Expires.Equal(exp) || !got.Renewable || got.NextAction != "renew" {
		t.Errorf("lease status = %+v", got)
	}
	if s := fmt.Sprintf("%+v %#v", st, st); strings.Contains(s, credCanary) {
		t.Errorf("Status printed the password: %s", s)
	}
}

// leased is a Memory whose values carry a lease, as Vault's database
// engine's do.
type leased struct {
	*runtime.Memory
	lease *runtime.Lease
}

func (l leased) Get(ctx context.Context, ref runtime.Ref) (runtime.Value, error) {
	v, err := l.Memory.Get(ctx, ref)
	v.Lease = l.lease
	return v, err
}

// A Cache never serves a leased value whose lease was revoked or ended: it
// fetches the current one, however long its TTL.
func TestCacheDropsOverLease(t *testing.T) {
	m := runtime.NewMemory("vault")
	m.Set("database/app", `{"username":"v-1","password":"p1"}`)
	first := runtime.NewLease(runtime.LeaseStatus{Expires: time.Now().Add(time.Hour)})
	cur := first
	p := &leasedFunc{Memory: m, lease: func() *runtime.Lease { return cur }}
	c := runtime.NewCache(p, &runtime.CacheOptions{TTL: time.Hour})
	defer c.Close()
	ref := runtime.Ref{Path: "database/app", Type: "credential"}
	get := func() runtime.Value {
		t.Helper()
		v, err := c.Get(t.Context(), ref)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := get(); v.Lease != first || m.Calls("database/app") != 1 {
		t.Fatalf("first read: lease %p, calls %d", v.Lease, m.Calls("database/app"))
	}
	get()
	if n := m.Calls("database/app"); n != 1 {
		t.Fatalf("a fresh leased value was fetched again: %d calls", n)
	}
	// The adapter replaced the credential and revoked the old lease.
	m.Set("database/app", `{"username":"v-2","password":"p2"}`)
	second := runtime.NewLease(runtime.LeaseStatus{Expires: time.Now().Add(time.Hour)})
	cur = second
	first.Update(func(st *runtime.LeaseStatus) { st.Revoked = true })
	if v := get(); v.Lease != second || !strings.Contains(v.Text, "v-2") {
		t.Fatalf("after revocation: lease %p, want the second", v.Lease)
	}
	// A lease that ended is not served either.
	second.Update(func(st *runtime.LeaseStatus) { st.Expires = time.Now().Add(-time.Second) })
	before := m.Calls("database/app")
	get()
	if n := m.Calls("database/app"); n != before+1 {
		t.Fatalf("an expired lease was served from the cache: %d calls, want %d", n, before+1)
	}
}

type leasedFunc struct {
	*runtime.Memory
	lease func() *runtime.Lease
}

func (l *leasedFunc) Get(ctx context.Context, ref runtime.Ref) (runtime.Value, error) {
	v, err := l.Memory.Get(ctx, ref)
	v.Lease = l.lease()
	return v, err
}

func TestLeaseEndsBy(t *testing.T) {
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		l    *runtime.Lease
		t    time.Time
		want bool
	}{
		{"nil lease", nil, at, false},
		{"no expiry", runtime.NewLease(runtime.LeaseStatus{}), at, false},
		{"before expiry", runtime.NewLease(runtime.LeaseStatus{Expires: at}), at.Add(-time.Nanosecond), false},
		{"at expiry", runtime.NewLease(runtime.LeaseStatus{Expires: at}), at, true},
		{"after expiry", runtime.NewLease(runtime.LeaseStatus{Expires: at}), at.Add(time.Second), true},
		{"revoked", runtime.NewLease(runtime.LeaseStatus{Expires: at, Revoked: true}), at.Add(-time.Hour), true},
	} {
		if got := tt.l.EndsBy(tt.t); got != tt.want {
			t.Errorf("%s: EndsBy = %t, want %t", tt.name, got, tt.want)
		}
	}
}
