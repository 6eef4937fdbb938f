package runtime

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestGetManyUsesBatch(t *testing.T) {
	b := &batch{Memory: NewMemory("batch")}
	b.Set("a", "1")
	b.Set("b", "2")
	refs := []Ref{{Path: "a"}, {Path: "b"}}
	res := GetMany(t.Context(), b, refs)
	if len(res) != 2 || res[0].Value.Text+res[1].Value.Text != "12" || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("GetMany = %+v", res)
	}
	if diff := cmp.Diff([][]string{{"a", "b"}}, b.Batches()); diff != "" {
		t.Errorf("GetMany calls (-want +got):\n%s", diff)
	}

	b.short = true
	for i, r := range GetMany(t.Context(), b, refs) {
		var e *SecretError
		if !errors.As(r.Err, &e) || e.Path != refs[i].Path || e.Backend != "batch" || !errors.Is(e, ErrUnavailable) {
			t.Errorf("short GetMany: result %d error %v, want %s unavailable", i, r.Err, refs[i].Path)
		}
	}
}

func TestGetManyBoundsConcurrency(t *testing.T) {
	s := &slow{release: make(chan struct{})}
	refs := make([]Ref, 100)
	for i := range refs {
		refs[i].Path = fmt.Sprintf("p/%d", i)
	}
	go func() {
		for s.inFlight.Load() < maxConcurrentGets {
			time.Sleep(time.Millisecond)
		}
		close(s.release)
	}()
	for i, r := range GetMany(t.Context(), s, refs) {
		if r.Err != nil || r.Value.Text != refs[i].Path {
			t.Fatalf("result %d = %+v", i, r)
		}
	}
	if got := s.max.Load(); got != 16 {
		t.Errorf("at most %d Get calls in flight, want %d", got, 16)
	}
}

// TestGetManyCancelled: Gets in flight and not yet started when ctx ends
// fail as classified *SecretErrors of kind ErrUnavailable that wrap ctx's
// error, with the ref's Path and Type.
func TestGetManyCancelled(t *testing.T) {
	s := &slow{release: make(chan struct{})}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(10*time.Millisecond, cancel)
	refs := make([]Ref, 40)
	for i := range refs {
		refs[i] = Ref{Path: fmt.Sprintf("p/%d", i), Type: "string"}
	}
	for i, r := range GetMany(ctx, s, refs) {
		e, ok := r.Err.(*SecretError)
		if !ok || e.Path != refs[i].Path || !errors.Is(e, ErrUnavailable) || !errors.Is(e, context.Canceled) || e.Type != "string" || e.Backend != "slow" {
			t.Errorf("result %d error = %#v, want %s unavailable, context.Canceled", i, r.Err, refs[i].Path)
		}
	}
}
