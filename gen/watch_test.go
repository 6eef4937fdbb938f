package gen_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/dashtam/secretsgen/gen"
	"github.com/dashtam/secretsgen/runtime"
)

// TestWatchFake runs Watch over the generated Fake, as a user's unit test
// of their rotation handling would: a Rotate (or a typed setter) is seen by
// the next poll and fires OnChange once with exactly that path; unchanged
// polls fire nothing; garbage and an injected error keep the settings and
// show in Status; Close leaves no goroutine.
func TestWatchFake(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	synctest.Test(t, func(t *testing.T) {
		const poll = 100 * time.Millisecond
		f := gen.NewFake(gen.SampleSettings())
		live, err := gen.Watch(t.Context(), runtime.NewCache(f, nil), &runtime.LiveOptions{PollInterval: poll, CloseProvider: true})
		if err != nil {
			t.Fatal(err)
		}
		defer live.Close()
		type change struct {
			old, new *gen.Settings
			paths    []string
			calls    int // the Fake's Gets of the rotated path when OnChange ran
		}
		var rotated string
		changes := make(chan change, 8)
		live.OnChange(func(old, new *gen.Settings, paths []string) {
			changes <- change{old, new, paths, f.Calls(rotated)}
		})
		next := func(what string) change {
			t.Helper()
			select {
			case c := <-changes:
				return c
			case <-time.After(10 * time.Second): // synctest's clock: at once when nothing else can run
				t.Fatalf("%s: no OnChange within 10s", what)
				return change{}
			}
		}
		none := func(what string) {
			t.Helper()
			select {
			case c := <-changes:
				t.Errorf("%s: an extra OnChange with %v", what, c.paths)
			case <-time.After(5 * poll):
			}
		}

		for _, r := range []struct {
			path   string
			rotate func()
			check  func(*gen.Settings) bool
		}{
			{gen.PathSchwabAPIKey, func() { f.Rotate(gen.PathSchwabAPIKey, "rotated-key") },
				func(s *gen.Settings) bool { return s.Schwab.APIKey.Reveal() == "rotated-key" }},
			{gen.PathHTTPTimeout, func() { f.SetHTTPTimeout(90 * time.Second) },
				func(s *gen.Settings) bool { return s.HTTP.Timeout == 90*time.Second }},
		} {
			synctest.Wait() // no poll in flight: every goroutine of the Live waits
			before := live.Settings()
			rotated = r.path
			calls := f.Calls(r.path)
			r.rotate()
			c := next("rotate " + r.path)
			// On the fake clock the next poll reads the new value, and the
			// callback runs before the poll after it.
			if c.calls != calls+1 {
				t.Errorf("rotate %s: seen after %d polls, want the next one", r.path, c.calls-calls)
			}
			if !slices.Equal(c.paths, []string{r.path}) {
				t.Errorf("rotate %s: OnChange paths %v", r.path, c.paths)
			}
			if c.old != before || c.new != live.Settings() || !r.check(live.Settings()) || r.check(before) {
				t.Errorf("rotate %s: OnChange did not get the previous and the rotated settings", r.path)
			}
			none("after rotating " + r.path)
		}

		// Garbage keeps the settings; Status reports it, without the value.
		good := live.Settings()
		f.SetRaw(gen.PathHTTPPort, "zq9canary-port")
		if !waitStatus(live, gen.PathHTTPPort, runtime.ErrInvalidValue) {
			t.Fatalf("Status does not report the garbage: %+v", live.Status())
		}
		none("garbage")
		if live.Settings() != good {
			t.Error("the garbage replaced the settings")
		}
		if s := fmt.Sprintf("%+v", live.Status()); strings.Contains(s, "zq9canary") {
			t.Errorf("Status holds the garbage value: %s", s)
		}
		// An injected error: the last good value stays, Status reports it.
		f.SetRaw(gen.PathHTTPPort, "8081")
		if c := next("a good port after the garbage"); live.Settings().HTTP.Port != 8081 || !slices.Equal(c.paths, []string{gen.PathHTTPPort}) {
			t.Errorf("after a good port: port %d, paths %v", live.Settings().HTTP.Port, c.paths)
		}
		f.SetError(gen.PathSchwabAPISecret, runtime.ErrAccessDenied)
		if !waitStatus(live, gen.PathSchwabAPISecret, runtime.ErrAccessDenied) {
			t.Fatalf("Status does not report the denied secret: %+v", live.Status())
		}
		if live.Settings().Schwab.APISecret.Reveal() != gen.SampleSettings().Schwab.APISecret.Reveal() {
			t.Error("the denied secret's last good value is not in use")
		}
		f.SetError(gen.PathSchwabAPISecret, nil)
		for deadline := time.Now().Add(10 * time.Second); !live.Status().OK() && time.Now().Before(deadline); {
			time.Sleep(poll)
		}
		if !live.Status().OK() {
			t.Errorf("Status after the error was cleared: %+v", live.Status())
		}
		if err := live.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// waitStatus waits until Status reports kind for path, stale.
func waitStatus(live *gen.Live, path string, kind error) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		for _, s := range live.Status().Secrets {
			if s.Path == path && errors.Is(s.ErrKind, kind) && s.Stale {
				return true
			}
		}
	}
	return false
}

// Watch over a Fake in a unit test: a rotated value reaches the callbacks
// and Settings on the next poll.
func ExampleWatch() {
	ctx := context.Background()
	fake := gen.NewFake(gen.SampleSettings())
	live, err := gen.Watch(ctx, runtime.NewCache(fake, nil), &runtime.LiveOptions{PollInterval: 10 * time.Millisecond, CloseProvider: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer live.Close()
	changed := make(chan []string, 1)
	live.OnChange(func(old, new *gen.Settings, paths []string) { changed <- paths })

	fake.SetHTTPTimeout(90 * time.Second)
	fmt.Println(<-changed, live.Settings().HTTP.Timeout)
	// Output: [http/timeout] 1m30s
}

// A health endpoint reports Status: which secrets have a problem, of which
// kind, and whether the value in use is stale; never a value.
func ExampleLive_Status() {
	ctx := context.Background()
	fake := gen.NewFake(gen.SampleSettings())
	live, err := gen.Watch(ctx, runtime.NewCache(fake, nil), &runtime.LiveOptions{CoolDown: -1, CloseProvider: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer live.Close()

	fake.SetError(gen.PathSchwabAPISecret, runtime.ErrAccessDenied) // the policy lost a grant
	fake.SetRaw(gen.PathHTTPPort, "eighty")                         // garbage rotated in
	_ = live.RefreshNow(ctx)

	st := live.Status()
	fmt.Println("ok:", st.OK(), "backend:", st.Backend)
	for _, s := range st.Secrets {
		if s.Err != nil {
			fmt.Printf("%s: %v, stale %v\n", s.Path, s.ErrKind, s.Stale)
		}
	}
	fmt.Println("port in use:", live.Settings().HTTP.Port)
	// Output:
	// ok: false backend: fake
	// http/port: invalid value, stale true
	// schwab/api_secret: access denied, stale true
	// port in use: 8080
}
