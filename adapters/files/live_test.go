package files_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/adapters/files"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// pairSettings stands in for a generated Settings with two secrets that
// must always match.
type pairSettings struct {
	User, Pass runtime.Secret[string]
}

// loadPair stands in for a generated Load function.
func loadPair(ctx context.Context, p runtime.Provider) (*pairSettings, error) {
	l := genimpl.Fetch(ctx, p, []runtime.Ref{
		{Path: "db/username", Env: "USERNAME", Type: "string"},
		{Path: "db/password", Env: "PASSWORD", Type: "string"},
	})
	s := &pairSettings{
		User: runtime.NewSecret(genimpl.Field(l, 0, genimpl.ParseString)),
		Pass: runtime.NewSecret(genimpl.Field(l, 1, genimpl.ParseString)),
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// pairVersion returns the update number of s, or fails on a mix.
func pairVersion(t *testing.T, s *pairSettings) int {
	t.Helper()
	var n1, n2 int
	if _, err := fmt.Sscanf(s.User.Reveal(), "user-v%d", &n1); err != nil {
		t.Errorf("username %q", s.User.Reveal())
		return -1
	}
	if _, err := fmt.Sscanf(s.Pass.Reveal(), "pass-v%d", &n2); err != nil {
		t.Errorf("password %q", s.Pass.Reveal())
		return -1
	}
	if n1 != n2 {
		t.Errorf("Live settings mix two updates: username v%d, password v%d", n1, n2)
		return -1
	}
	return n1
}

// TestLive is the acceptance check: runtime.Live over the files
// backend, polling only once an hour, sees each kubelet ..data swap
// through Changed (it logs after how long: within a second on a quiet
// machine), and its settings never mix two updates while readers look at
// them all the time. Run with -race.
func TestLive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vol := newKubeVolume(t, dir, pair(0))
	p, err := files.New(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	live, err := runtime.NewLive(t.Context(), runtime.NewCache(p, nil), loadPair,
		&runtime.LiveOptions{PollInterval: time.Hour, CloseProvider: true})
	if err != nil {
		p.Close()
		t.Fatal(err)
	}
	defer func() {
		if err := live.Close(); err != nil {
			t.Error(err)
		}
	}()
	if n := pairVersion(t, live.Settings()); n != 0 {
		t.Fatalf("first load: version %d", n)
	}

	var (
		wg   sync.WaitGroup
		stop atomic.Bool
	)
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				pairVersion(t, live.Settings())
			}
		})
	}
	const updates = 5
	for n := 1; n <= updates; n++ {
		start := time.Now()
		vol.update(pair(n))
		for pairVersion(t, live.Settings()) != n {
			if time.Since(start) > eventWait {
				stop.Store(true)
				wg.Wait()
				t.Fatalf("update %d not seen by Live within %v", n, eventWait)
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Logf("update %d seen by Live after %v", n, time.Since(start))
	}
	stop.Store(true)
	wg.Wait()
}
