package runtime_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/runtime"
)

type closingProvider struct {
	*runtime.Memory
	closed int
}

func (p *closingProvider) Close() error {
	p.closed++
	return errors.New("closed")
}

func TestCacheClose(t *testing.T) {
	t.Parallel()
	inner := &closingProvider{Memory: runtime.NewMemory("closing")}
	if err := runtime.NewCache(inner, nil).Close(); err == nil || err.Error() != "closed" || inner.closed != 1 {
		t.Errorf("Close = %v with %d inner closes, want the inner error after 1 close", err, inner.closed)
	}
	if err := runtime.NewCache(runtime.NewMemory("m"), nil).Close(); err != nil {
		t.Errorf("Close of a Cache around a provider without Close = %v, want nil", err)
	}
}

// slowProvider answers after a delay, honouring ctx.
type slowProvider struct {
	*runtime.Memory
	delay time.Duration
}

func (p slowProvider) Get(ctx context.Context, ref runtime.Ref) (runtime.Value, error) {
	select {
	case <-time.After(p.delay):
		return p.Memory.Get(ctx, ref)
	case <-ctx.Done():
		return runtime.Value{}, &runtime.SecretError{Path: ref.Path, Kind: runtime.ErrUnavailable, Err: ctx.Err()}
	}
}

// TestCacheSharedFetchOutlivesImpatientCaller: a caller with a short
// deadline starts the fetch; a patient caller that joins it must still get
// the value, not the first caller's deadline error.
func TestCacheSharedFetchOutlivesImpatientCaller(t *testing.T) {
	t.Parallel()
	m := runtime.NewMemory("slow")
	m.Set("a/b", "value")
	c := runtime.NewCache(slowProvider{Memory: m, delay: 200 * time.Millisecond}, nil)
	ref := runtime.Ref{Path: "a/b"}

	impatient, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Get(impatient, ref)
		errc <- err
	}()
	time.Sleep(5 * time.Millisecond) // let the impatient caller start the flight
	v, err := c.Get(t.Context(), ref)
	if err != nil || v.Text != "value" {
		t.Fatalf("patient Get = %q, %v; want the value", v.Text, err)
	}
	if err := <-errc; !errors.Is(err, runtime.ErrUnavailable) {
		t.Errorf("impatient Get error = %v, want ErrUnavailable", err)
	}
	if n := m.Calls("a/b"); n != 1 {
		t.Errorf("inner calls = %d, want 1 shared fetch", n)
	}
}
