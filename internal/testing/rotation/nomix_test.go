package rotation_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	goruntime "runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/runtime"
)

// pairSource is the one backend secret both entries of pairRefs read: on
// AWS a JSON SecretString {"a": ..., "b": ...}, on Vault a KV secret with
// the fields a and b. One write changes both.
const pairSource = "nomix/pair"

// pairRefs are two manifest entries that read two members of one backend
// secret (source: {path: nomix/pair, key: a} and key: b).
var pairRefs = []runtime.Ref{
	{Path: "nomix/a", Source: pairSource, Key: "a", Type: "string"},
	{Path: "nomix/b", Source: pairSource, Key: "b", Type: "string"},
}

// pairSettings are the settings of pairRefs. Every write stores the same
// number in A and B, so settings with A != B mix two versions.
type pairSettings struct {
	A, B string
}

// loadPair is the load function of pairSettings, shaped like a generated
// Load: one batch read of every entry.
func loadPair(ctx context.Context, p runtime.Provider) (*pairSettings, error) {
	var res []runtime.Result
	if bp, ok := p.(runtime.BatchProvider); ok {
		res = bp.GetMany(ctx, pairRefs)
	} else {
		for _, ref := range pairRefs {
			v, err := p.Get(ctx, ref)
			res = append(res, runtime.Result{Value: v, Err: err})
		}
	}
	var errs []error
	for _, r := range res {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &pairSettings{A: res[0].Value.Text, B: res[1].Value.Text}, nil
}

// pairBackend writes the pair secret through a real server's API and builds
// the provider the Live under test reads through.
type pairBackend struct {
	// write stores a=n, b=n in one write and returns the backend version
	// it created (AWS VersionId, Vault KV version).
	write func(t *testing.T, n int) string
	cache func(t *testing.T) *runtime.Cache
}

func motoPair(m *motoServer, env string) pairBackend {
	id := "/" + app + "/" + env + "/" + pairSource
	return pairBackend{
		write: func(t *testing.T, n int) string {
			t.Helper()
			text, err := json.Marshal(map[string]string{"a": strconv.Itoa(n), "b": strconv.Itoa(n)})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if n == 0 {
				out, err := m.client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(id), SecretString: aws.String(string(text))})
				if err != nil {
					t.Fatalf("aws: CreateSecret %s: %v", id, err)
				}
				return aws.ToString(out.VersionId)
			}
			out, err := m.client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(id), SecretString: aws.String(string(text))})
			if err != nil {
				t.Fatalf("aws: PutSecretValue %s: %v", id, err)
			}
			return aws.ToString(out.VersionId)
		},
		cache: func(t *testing.T) *runtime.Cache {
			c, hc := smClient(m.Endpoint())
			t.Cleanup(hc.CloseIdleConnections)
			return runtime.NewCache(awssm.New(c, app, env, nil), nil)
		},
	}
}

func vaultPair(v *vaultServer, env string) pairBackend {
	path := app + "/" + env + "/" + pairSource
	return pairBackend{
		write: func(t *testing.T, n int) string {
			t.Helper()
			s, err := v.root.KVv2("secret").Put(context.Background(), path, map[string]any{"a": strconv.Itoa(n), "b": strconv.Itoa(n)})
			if err != nil {
				t.Fatalf("vault: put %s: %v", path, err)
			}
			return strconv.Itoa(s.VersionMetadata.Version)
		},
		cache: func(t *testing.T) *runtime.Cache {
			c, hc, err := vaultClient(v.Addr(), v.RootToken())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(hc.CloseIdleConnections)
			p, err := vault.New(c, app, env, &vault.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			return runtime.NewCache(p, nil)
		},
	}
}

// TestLiveNoMixRealServers: two manifest entries read two members of one
// backend secret (AWS: two keys of one JSON SecretString; Vault: two fields
// of one KV secret), and every rotation writes both in one write
// (PutSecretValue; one KV v2 write through the Vault API). 16 goroutines
// read Settings() without pause while 100 rotations are written and taken
// by polls (every 25 ms) and by RefreshNow calls (all paths, and both paths
// named); no reader ever sees a and b of different versions or a version
// older than one it saw before, every OnChange names both paths, and the
// Live ends on the last version.
//
// What it guards: the Live reloads from one batch fetch in which each
// adapter reads a backend secret once for all the entries that read it; a
// change that fetched the two members separately (a per-ref read, a
// refresh of only some of the entries of a secret) would swap in a mix.
func TestLiveNoMixRealServers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto and Vault")
	}
	vs := startVault(t)
	ms := startMoto(t)
	for _, tc := range []struct {
		name string
		b    pairBackend
	}{
		{"aws", motoPair(ms, "nomix")},
		{"vault", vaultPair(vs, "nomix")},
	} {
		t.Run(tc.name, func(t *testing.T) { testNoMix(t, tc.b) })
	}
}

const (
	noMixPoll      = 25 * time.Millisecond
	noMixRotations = 100
	noMixReaders   = 16
)

func testNoMix(t *testing.T, b pairBackend) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	versions := []string{b.write(t, 0)}

	live, err := runtime.NewLive(ctx, b.cache(t), loadPair, &runtime.LiveOptions{PollInterval: noMixPoll, CoolDown: -1, CloseProvider: true})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if s := live.Settings(); s.A != "0" || s.B != "0" {
		t.Fatalf("first load: a=%q b=%q, want 0 and 0", s.A, s.B)
	}

	// OnChange: every call names both paths, and old and new are whole
	// versions, new after old.
	var (
		cbMu      sync.Mutex
		cbCalls   int
		cbLast    = 0
		cbProblem []string
	)
	live.OnChange(func(old, new *pairSettings, changed []string) {
		cbMu.Lock()
		defer cbMu.Unlock()
		cbCalls++
		if !slices.Equal(changed, []string{"nomix/a", "nomix/b"}) {
			cbProblem = append(cbProblem, fmt.Sprintf("call %d: changed %v, want [nomix/a nomix/b]", cbCalls, changed))
		}
		if old.A != old.B || new.A != new.B {
			cbProblem = append(cbProblem, fmt.Sprintf("call %d: a mix: old a=%s b=%s, new a=%s b=%s", cbCalls, old.A, old.B, new.A, new.B))
		}
		o, _ := strconv.Atoi(old.A)
		n, _ := strconv.Atoi(new.A)
		if o != cbLast || n <= o {
			cbProblem = append(cbProblem, fmt.Sprintf("call %d: from %d to %d after the previous call ended on %d", cbCalls, o, n, cbLast))
		}
		cbLast = n
	})

	// Readers: A == B always, and never a version older than one seen.
	stop := make(chan struct{})
	var (
		wg       sync.WaitGroup
		reads    atomic.Int64
		mixes    atomic.Int64
		backward atomic.Int64
		seen     [noMixRotations + 1]atomic.Bool
		firstMix atomic.Pointer[string]
	)
	for range noMixReaders {
		wg.Go(func() {
			last := 0
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := live.Settings()
				reads.Add(1)
				if s.A != s.B {
					if mixes.Add(1) == 1 {
						m := fmt.Sprintf("a=%s b=%s", s.A, s.B)
						firstMix.Store(&m)
					}
					goruntime.Gosched()
					continue
				}
				n, err := strconv.Atoi(s.A)
				if err != nil || n < 0 || n > noMixRotations {
					if mixes.Add(1) == 1 {
						m := "a value that is no version number"
						firstMix.Store(&m)
					}
					continue
				}
				seen[n].Store(true)
				if n < last {
					backward.Add(1)
				}
				last = n
				goruntime.Gosched()
			}
		})
	}

	// 100 rotations, each a=n, b=n in one write. Every third is followed
	// by RefreshNow() (every secret), every third by RefreshNow of one of
	// the two paths by name (which must bring the other along: they are one
	// backend secret); after those the Live must be on version n at once.
	// The rest, the last one among them, are left to the polls.
	var writeTime, refreshTime time.Duration
	refreshes := 0
	var lastWrite time.Time
	for n := 1; n <= noMixRotations; n++ {
		w := time.Now()
		lastWrite = w
		versions = append(versions, b.write(t, n))
		writeTime += time.Since(w)
		var paths []string
		switch n % 3 {
		case 0:
		case 2:
			paths = []string{[]string{"nomix/a", "nomix/b"}[n%2]}
		default:
			time.Sleep(time.Duration(n%5) * noMixPoll / 4) // polls take it (or a later refresh)
			continue
		}
		r := time.Now()
		if err := live.RefreshNow(ctx, paths...); err != nil {
			t.Fatalf("RefreshNow(%v) after rotation %d: %v", paths, n, err)
		}
		refreshTime += time.Since(r)
		refreshes++
		if s := live.Settings(); s.A != strconv.Itoa(n) || s.B != strconv.Itoa(n) {
			t.Fatalf("after RefreshNow(%v) of rotation %d: a=%s b=%s", paths, n, s.A, s.B)
		}
		// A reader takes this version before the next write (how many
		// versions readers see between writes is up to the scheduler).
		if !waitFor(eventually, func() bool { return seen[n].Load() }) {
			t.Fatalf("no reader saw version %d, held since RefreshNow returned", n)
		}
	}
	// The last rotation (100, left to the polls) is taken by a poll.
	want := strconv.Itoa(noMixRotations)
	for live.Settings().A != want {
		if time.Since(lastWrite) > eventually {
			t.Fatalf("%v after the last rotation the Live holds a=%s, want %s", eventually, live.Settings().A, want)
		}
		time.Sleep(time.Millisecond)
	}
	takeLast := time.Since(lastWrite)
	time.Sleep(3 * noMixPoll) // the readers go on over a few more polls
	close(stop)
	wg.Wait()
	// Before Close: Close cancels a poll in flight, which Status reports.
	status := live.Status()
	if err := live.Close(); err != nil {
		t.Fatal(err)
	}

	if s := live.Settings(); s.A != want || s.B != want {
		t.Errorf("after the last rotation: a=%s b=%s, want %s and %s", s.A, s.B, want, want)
	}
	last := versions[len(versions)-1]
	for _, st := range status.Secrets {
		if st.Version != last || st.Err != nil {
			t.Errorf("status of %s: version %q err %v, want the last written version %q and no error", st.Path, st.Version, st.Err, last)
		}
	}
	if m := mixes.Load(); m != 0 {
		t.Errorf("%d of %d reads saw a and b of different versions (first: %s)", m, reads.Load(), *firstMix.Load())
	}
	if n := backward.Load(); n != 0 {
		t.Errorf("%d reads saw an older version than the same reader saw before", n)
	}
	distinct := 0
	for i := range seen {
		if seen[i].Load() {
			distinct++
		}
	}
	cbMu.Lock()
	defer cbMu.Unlock()
	for _, p := range cbProblem {
		t.Error("OnChange " + p)
	}
	if cbLast != noMixRotations {
		t.Errorf("the last OnChange ended on version %d, want %d", cbLast, noMixRotations)
	}
	// After each RefreshNow the Live held that rotation's version, a newer
	// one than after the previous RefreshNow, and it ended on the last: at
	// least one swap (one OnChange) in each of those refreshes+1 intervals.
	if cbCalls < refreshes+1 {
		t.Errorf("OnChange fired %d times for %d forced refreshes and the last poll", cbCalls, refreshes)
	}
	if distinct < noMixRotations/2 {
		t.Errorf("readers saw only %d distinct versions during %d rotations", distinct, noMixRotations)
	}
	t.Logf("%d readers, %d reads, %d distinct versions seen, %d OnChange calls (%d after RefreshNow); %d writes took %v (%.1f ms each), %d RefreshNow %v (%.1f ms each); last rotation taken by a poll %v after its write started; whole run %v",
		noMixReaders, reads.Load(), distinct, cbCalls, refreshes, noMixRotations, writeTime.Round(time.Millisecond), float64(writeTime.Microseconds())/1000/noMixRotations,
		refreshes, refreshTime.Round(time.Millisecond), float64(refreshTime.Microseconds())/1000/float64(max(refreshes, 1)), takeLast.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}
