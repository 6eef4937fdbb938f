package runtime_test

import (
	"errors"
	"testing"

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
