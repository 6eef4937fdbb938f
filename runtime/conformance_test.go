package runtime_test

import (
	"context"
	"testing"

	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/providertest"
)

// memoryHarness runs the conformance suite against runtime.Memory, and,
// with cache set, against a runtime.Cache in front of it.
type memoryHarness struct {
	m     *runtime.Memory
	cache bool
}

func (h *memoryHarness) Provider(context.Context, *testing.T) runtime.Provider {
	if h.cache {
		return runtime.NewCache(h.m, nil)
	}
	return h.m
}

func (h *memoryHarness) Set(_ context.Context, _ *testing.T, path, text string) { h.m.Set(path, text) }

func (h *memoryHarness) Ref(path string) runtime.Ref { return runtime.Ref{Path: path} }

func TestConformance(t *testing.T) {
	t.Run("Memory", func(t *testing.T) {
		providertest.RunConformanceTests(t, func(*testing.T) providertest.Harness {
			return &memoryHarness{m: runtime.NewMemory("memory")}
		})
	})
	t.Run("Cache", func(t *testing.T) {
		providertest.RunConformanceTests(t, func(*testing.T) providertest.Harness {
			return &memoryHarness{m: runtime.NewMemory("memory"), cache: true}
		})
	})
}
