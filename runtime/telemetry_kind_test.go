package runtime

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the Live's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// take returns the JSON records written so far as "event backend path
// kind=..." lines (kind only when the record has one) and forgets them.
func (s *syncBuffer) take(t *testing.T) []string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for line := range strings.Lines(s.b.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("a record is not JSON: %v\n%s", err, line)
		}
		got := strings.TrimSpace(strings.Join([]string{str(rec["event"]), str(rec["backend"]), str(rec["path"])}, " "))
		got = strings.Join(strings.Fields(got), " ")
		if k, ok := rec["kind"]; ok {
			got += " kind=" + str(k)
		}
		out = append(out, got)
	}
	s.b.Reset()
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// TestEventKind: the events that report a problem carry its error kind as
// the kind attribute, named as the metrics' outcome names it
// (rotation.rejected: invalid_value; outage.begun: unavailable), through
// a real JSON handler; the other events carry none.
func TestEventKind(t *testing.T) {
	var buf syncBuffer
	clk := newClock()
	b, l, _ := newDB(t, &LiveOptions{PollInterval: time.Hour, Now: clk.Now,
		Telemetry: Telemetry{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}})
	ctx := t.Context()
	step := func(want ...string) {
		t.Helper()
		clk.Add(time.Second)
		_ = l.poll(ctx)
		if got := buf.take(t); !slices.Equal(got, want) {
			t.Fatalf("events %q, want %q", got, want)
		}
	}
	b.Set("db/pass", "p1")
	step("rotation.applied mem db/pass")
	b.Set("http/port", "garbage-canary")
	step("rotation.rejected mem http/port kind=invalid_value")
	b.Set("http/port", "9090")
	step("rotation.applied mem http/port")
	b.SetError("db/user", ErrUnavailable)
	step("outage.begun mem kind=unavailable")
	step() // still down: no event
	b.SetError("db/user", nil)
	step("outage.ended mem")
	// Denied and deleted secrets are not an outage: no event, no kind.
	b.SetError("db/user", ErrAccessDenied)
	step()
	b.SetError("db/user", nil)
	step()
	if strings.Contains(buf.b.String(), "canary") {
		t.Fatal("an event holds a value")
	}
}
