package runtime_test

import (
	"testing"

	"github.com/dashtam/secretsgen/internal/testing/livemodel"
)

// TestLiveModel checks Live over Cache against livemodel's reference model
// with random operation sequences (docs/rotation.md, "Guarantees").
func TestLiveModel(t *testing.T) {
	livemodel.Run(t, livemodel.Config{New: livemodel.NewMemory})
}

// TestLiveModelLayers is TestLiveModel through Layers, with an empty layer
// in front of the backend.
func TestLiveModelLayers(t *testing.T) {
	livemodel.Run(t, livemodel.Config{New: livemodel.NewMemory, Layers: true})
}
