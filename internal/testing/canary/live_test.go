package canary_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/internal/testing/canary/kitchen"
	"github.com/dashtam/secretsgen/runtime"
)

// TestLive keeps the canary settings (every type) in a runtime.Live over the
// generated Fake and feeds the canary through every path of it that shows
// something: the Live itself, OnChange's old and new settings and paths,
// Status and each SecretStatus with its error after a rotation, a garbage
// value holding the canary, a denied and an unavailable secret, RefreshNow's
// errors, and a callback that panics with a value. None may show the
// canary in any form (every fmt verb, JSON, XML, slog, base64, ...).
func TestLive(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := kitchen.NewFake(canarySettings())
	live, err := kitchen.Watch(ctx, runtime.NewCache(f, nil), &runtime.LiveOptions{PollInterval: time.Hour, CoolDown: -1, CloseProvider: true})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	type change struct {
		old, new *kitchen.Settings
		changed  []string
	}
	changes := make(chan change, 8)
	live.OnChange(func(old, new *kitchen.Settings, changed []string) {
		changes <- change{old, new, changed}
	})
	live.OnChange(func(_, new *kitchen.Settings, _ []string) {
		panic("callback: " + new.Scalar.String.Reveal())
	})
	assertPrintsClean(t, "*runtime.Live", live)
	assertStatusClean(t, "Status after the first load", live.Status())

	// A rotation to another value holding the canary.
	f.SetScalarString(token + "-rotated <&>")
	f.SetScalarURL(mustURL("https://" + token + "-rotated@example.com/" + token))
	if err := live.RefreshNow(ctx); err != nil {
		assertErrorClean(t, "RefreshNow error of a rotation", err)
		t.Fatal("RefreshNow of a rotation failed")
	}
	var c change
	select {
	case c = <-changes:
	case <-time.After(time.Minute):
		t.Fatal("no OnChange after the rotation")
	}
	if want := []string{kitchen.PathScalarString, kitchen.PathScalarURL}; !slices.Equal(c.changed, want) {
		t.Errorf("OnChange paths = %v, want %v", c.changed, want)
	}
	assertSettingsClean(t, c.old)
	assertSettingsClean(t, c.new)
	assertPrintsClean(t, "OnChange paths", c.changed)
	if !waitUntil(func() bool { return live.Status().CallbackPanics == 1 }) {
		t.Errorf("CallbackPanics = %d, want 1", live.Status().CallbackPanics)
	}
	assertStatusClean(t, "Status after a rotation and a panicking callback", live.Status())

	// Garbage holding the canary, a denied secret, an unavailable one.
	f.Rotate(kitchen.PathScalarInt, token+"-not-a-number")
	f.Rotate(kitchen.PathObjectJSON, `{"text":"`+token+`-garbage","count":"`+token+`"`)
	f.SetError(kitchen.PathScalarBytes, runtime.ErrAccessDenied)
	f.SetError(kitchen.PathListString, fmt.Errorf("backend down: %w", runtime.ErrUnavailable))
	err = live.RefreshNow(ctx)
	if err == nil {
		t.Fatal("RefreshNow with garbage, a denied and an unavailable secret succeeded")
	}
	assertErrorClean(t, "RefreshNow error with garbage, denied and unavailable", err)
	if live.Settings() != c.new {
		t.Error("the garbage replaced the settings")
	}
	st := live.Status()
	want := map[string]error{
		kitchen.PathScalarInt:   runtime.ErrInvalidValue,
		kitchen.PathObjectJSON:  runtime.ErrInvalidValue,
		kitchen.PathScalarBytes: runtime.ErrAccessDenied,
		kitchen.PathListString:  runtime.ErrUnavailable,
	}
	for _, s := range st.Secrets {
		if kind, ok := want[s.Path]; ok != (s.Err != nil) || (ok && (!errors.Is(s.ErrKind, kind) || !s.Stale)) {
			t.Errorf("Status of %s: kind %v, stale %v; want kind %v", s.Path, s.ErrKind, s.Stale, kind)
		}
	}
	assertStatusClean(t, "Status with garbage, a denied and an unavailable secret", st)
	assertErrorClean(t, "RefreshNow of an unknown path", live.RefreshNow(ctx, "no/such/path"))

	if err := live.Close(); err != nil {
		t.Fatal(err)
	}
	err = live.RefreshNow(context.Background())
	if !errors.Is(err, runtime.ErrUnavailable) {
		t.Errorf("RefreshNow after Close = %v, want ErrUnavailable", err)
	}
	assertErrorClean(t, "RefreshNow after Close", err)
	assertMethodsPrintClean(t, "*runtime.Live after Close", live)
}

// assertStatusClean prints st, each SecretStatus and each error in it.
func assertStatusClean(t *testing.T, where string, st runtime.Status) {
	t.Helper()
	assertPrintsClean(t, where, st)
	for _, s := range st.Secrets {
		assertPrintsClean(t, where+": SecretStatus of "+s.Path, s)
		if s.Err != nil {
			assertErrorClean(t, where+": error of "+s.Path, s.Err)
		}
	}
}

// waitUntil waits for something that must happen: a minute bounds a hang,
// not how fast a busy machine is.
func waitUntil(cond func() bool) bool {
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestLiveCredentialLease serves the canary credential with a lease from
// the generated Fake, rotates it (a new password holding the canary, a
// new lease) and records a failed renewal: Status reports the lease of the
// credential in use and never the password, nor the renewal error's
// neighbours.
func TestLiveCredentialLease(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := canarySettings()
	lease := runtime.NewLease(runtime.LeaseStatus{Renewable: true, Expires: time.Now().Add(time.Hour)})
	s.Scalar.Credential = runtime.NewCredential("canary-user", token+"-leased-password", map[string]string{"host": token + "-host"}, lease)
	f := kitchen.NewFake(s)
	live, err := kitchen.Watch(ctx, runtime.NewCache(f, nil), &runtime.LiveOptions{PollInterval: time.Hour, CoolDown: -1, CloseProvider: true})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	c := live.Settings().Scalar.Credential
	if c.Lease() != lease || c.Password.Reveal() != token+"-leased-password" {
		t.Fatalf("credential in use: %v, lease %v", c, c.Lease())
	}
	assertPrintsClean(t, "leased Credential", c)
	assertPrintsClean(t, "*runtime.Lease", c.Lease())
	release := c.Hold()
	st := live.Status()
	assertStatusClean(t, "Status with a leased credential", st)
	var got *runtime.LeaseStatus
	for _, sec := range st.Secrets {
		if sec.Path == kitchen.PathScalarCredential {
			got = sec.Lease
		}
	}
	if got == nil || !got.Renewable || got.Holds != 1 {
		t.Fatalf("Status of the credential's lease: %+v", got)
	}
	release()

	// A renewal that failed: the status says so, without a value.
	lease.Update(func(st *runtime.LeaseStatus) { st.Err = errors.New("renewal denied: permission denied") })
	assertStatusClean(t, "Status after a failed renewal", live.Status())

	// A rotation: the new password also holds the canary.
	f.SetScalarCredential(runtime.NewCredential("canary-user-2", token+"-rotated-password", nil, runtime.NewLease(runtime.LeaseStatus{Renewable: true})))
	if err := live.RefreshNow(ctx, kitchen.PathScalarCredential); err != nil {
		assertErrorClean(t, "RefreshNow error of a credential rotation", err)
		t.Fatal(err)
	}
	if c := live.Settings().Scalar.Credential; c.Username != "canary-user-2" || c.Lease() == lease {
		t.Fatalf("after the rotation: %v, lease %v", c, c.Lease())
	}
	assertSettingsClean(t, live.Settings())
	assertStatusClean(t, "Status after a credential rotation", live.Status())
	assertPrintsClean(t, "*kitchen.Fake with a credential", f)
}
