package canary_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/internal/testing/canary/kitchen"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/health"
)

// TestHealth serves the canary settings' Live through health.Handler and
// reads the body after the first load, after a rotation and a callback
// that panics with the canary, and after garbage holding the canary, a
// denied and an unavailable secret: the body reports each of them and
// never shows the canary.
func TestHealth(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := kitchen.NewFake(canarySettings())
	live, err := kitchen.Watch(ctx, runtime.NewCache(f, nil), &runtime.LiveOptions{PollInterval: time.Hour, CoolDown: -1, CloseProvider: true})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	srv := httptest.NewServer(health.Handler(live))
	defer srv.Close()

	get := func(where string) health.Report {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		assertNoCanary(t, where, string(body))
		var rep health.Report
		if err := json.Unmarshal(body, &rep); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status code %d, want 200 (every secret keeps a usable value)", where, resp.StatusCode)
		}
		return rep
	}
	if rep := get("health after the first load"); rep.Status != health.StatusOK {
		t.Errorf("status after the first load = %q", rep.Status)
	}

	live.OnChange(func(_, new *kitchen.Settings, _ []string) {
		panic("callback: " + new.Scalar.String.Reveal())
	})
	f.SetScalarString(token + "-rotated <&>")
	if err := live.RefreshNow(ctx); err != nil {
		t.Fatal("RefreshNow of a rotation failed")
	}
	if !waitUntil(func() bool { return live.Status().CallbackPanics == 1 }) {
		t.Fatal("the callback did not panic")
	}
	if rep := get("health after a rotation and a panicking callback"); rep.CallbackPanics != 1 || rep.Status != health.StatusDegraded {
		t.Errorf("after a panic: panics %d, status %q", rep.CallbackPanics, rep.Status)
	}

	f.Rotate(kitchen.PathScalarInt, token+"-not-a-number")
	f.Rotate(kitchen.PathObjectJSON, `{"text":"`+token+`-garbage","count":"`+token+`"`)
	f.SetError(kitchen.PathScalarBytes, runtime.ErrAccessDenied)
	f.SetError(kitchen.PathListString, fmt.Errorf("backend down: %w", runtime.ErrUnavailable))
	if live.RefreshNow(ctx) == nil {
		t.Fatal("RefreshNow with garbage, a denied and an unavailable secret succeeded")
	}
	rep := get("health with garbage, a denied and an unavailable secret")
	want := map[string]string{
		kitchen.PathScalarInt:   "invalid value",
		kitchen.PathObjectJSON:  "invalid value",
		kitchen.PathScalarBytes: "access denied",
		kitchen.PathListString:  "unavailable",
	}
	for _, s := range rep.Secrets {
		kind, bad := want[s.Path]
		if s.ErrorKind != kind || (s.State == health.Stale) != bad || (bad && s.Error == "") {
			t.Errorf("%s: state %q kind %q error %q; want kind %q", s.Path, s.State, s.ErrorKind, s.Error, kind)
		}
	}
}
