package providertest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/providertest"
)

// broken is a Provider with one deliberate defect, named by flaw.
type broken struct {
	*runtime.Memory
	flaw     string
	snapshot map[string]string // for "stale"
}

func (b *broken) Get(ctx context.Context, ref runtime.Ref) (runtime.Value, error) {
	switch b.flaw {
	case "ignores-context":
		ctx = context.Background()
	case "stale":
		if text, ok := b.snapshot[ref.Path]; ok {
			return runtime.Value{Text: text}, nil
		}
	}
	v, err := b.Memory.Get(ctx, ref)
	switch {
	case b.flaw == "unclassified" && err != nil:
		return v, errors.New("no such secret")
	case b.flaw == "trims":
		v.Text = strings.TrimSpace(v.Text)
	}
	return v, err
}

// batchBroken returns GetMany results in the wrong order.
type batchBroken struct{ *broken }

func (b batchBroken) GetMany(ctx context.Context, refs []runtime.Ref) []runtime.Result {
	res := make([]runtime.Result, len(refs))
	for i, r := range refs {
		res[len(refs)-1-i].Value, res[len(refs)-1-i].Err = b.Get(ctx, r)
	}
	return res
}

type harness struct {
	m    *runtime.Memory
	flaw string
	sets map[string]string
}

func (h *harness) Provider(context.Context, *testing.T) runtime.Provider {
	b := &broken{Memory: h.m, flaw: h.flaw}
	if h.flaw == "stale" {
		b.snapshot = map[string]string{}
		for k, v := range h.sets {
			b.snapshot[k] = v
		}
	}
	if h.flaw == "batch-order" {
		return batchBroken{b}
	}
	return b
}

func (h *harness) Set(_ context.Context, _ *testing.T, path, text string) {
	h.sets[path] = text
	h.m.Set(path, text)
}

func (h *harness) Ref(path string) runtime.Ref { return runtime.Ref{Path: path} }

// TestBrokenHelper runs the suite against a broken provider. It runs only
// as a subprocess of TestSuiteCatchesBrokenProviders.
func TestBrokenHelper(t *testing.T) {
	flaw := os.Getenv("PROVIDERTEST_FLAW")
	if flaw == "" {
		t.Skip("subprocess of TestSuiteCatchesBrokenProviders")
	}
	providertest.RunConformanceTests(t, func(*testing.T) providertest.Harness {
		return &harness{m: runtime.NewMemory("broken"), flaw: flaw, sets: map[string]string{}}
	})
}

// TestSuiteCatchesBrokenProviders checks that each defect fails exactly the
// subtests meant to catch it, and that a sound provider passes them all.
func TestSuiteCatchesBrokenProviders(t *testing.T) {
	tests := []struct {
		flaw string
		fail []string
	}{
		{"none", nil},
		{"ignores-context", []string{"CancelledContext"}},
		{"unclassified", []string{"CancelledContext", "NotFound"}},
		{"trims", []string{"SpecialCharacters"}},
		{"stale", []string{"CancelledContext", "RefreshThroughCache"}},
		{"batch-order", []string{"GetMany"}},
	}
	for _, tt := range tests {
		t.Run(tt.flaw, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestBrokenHelper$", "-test.v")
			cmd.Env = append(os.Environ(), "PROVIDERTEST_FLAW="+tt.flaw)
			out, err := cmd.CombinedOutput()
			var failed []string
			for _, line := range strings.Split(string(out), "\n") {
				if name, ok := strings.CutPrefix(strings.TrimSpace(line), "--- FAIL: TestBrokenHelper/"); ok {
					failed = append(failed, strings.Fields(name)[0])
				}
			}
			slices.Sort(failed)
			want := slices.Sorted(slices.Values(tt.fail))
			if !slices.Equal(failed, want) {
				t.Errorf("failed subtests = %v, want %v; output:\n%s", failed, want, out)
			}
			if (err != nil) != (len(want) > 0) {
				t.Errorf("subprocess error = %v with failures %v", err, failed)
			}
		})
	}
}
