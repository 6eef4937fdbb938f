package providertest_test

import (
	"context"
	"testing"

	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/providertest"
)

// memoryHarness connects the suite to a runtime.Memory. An adapter's
// harness writes with its backend's SDK instead (PutSecretValue, vault kv
// put, a .env file) and builds the adapter in Provider.
type memoryHarness struct{ m *runtime.Memory }

func (h memoryHarness) Provider(context.Context, *testing.T) runtime.Provider { return h.m }

func (h memoryHarness) Set(_ context.Context, _ *testing.T, path, text string) { h.m.Set(path, text) }

func (h memoryHarness) Ref(path string) runtime.Ref { return runtime.Ref{Path: path} }

// An adapter passes the suite with one test function:
//
//	func TestConformance(t *testing.T) {
//		providertest.RunConformanceTests(t, newHarness)
//	}
func Example() {
	newHarness := func(t *testing.T) providertest.Harness {
		return memoryHarness{m: runtime.NewMemory("memory")}
	}
	_ = newHarness // passed to providertest.RunConformanceTests in a Test function
}

func TestMemoryHarness(t *testing.T) {
	providertest.RunConformanceTests(t, func(t *testing.T) providertest.Harness {
		return memoryHarness{m: runtime.NewMemory("memory")}
	})
}
