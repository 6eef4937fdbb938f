package runtime

import (
	"context"
	"net/url"
	"sync"
	"sync/atomic"
)

// Test providers shared by the tests of this package.

// batch is a BatchProvider over a Memory that records its GetMany calls.
type batch struct {
	*Memory
	mu      sync.Mutex
	batches [][]string
	short   bool // return one result too few
}

func (b *batch) GetMany(ctx context.Context, refs []Ref) []Result {
	b.mu.Lock()
	var paths []string
	for _, r := range refs {
		paths = append(paths, r.Path)
	}
	b.batches = append(b.batches, paths)
	b.mu.Unlock()
	res := make([]Result, len(refs))
	for i, r := range refs {
		res[i].Value, res[i].Err = b.Memory.Get(ctx, r)
	}
	if b.short {
		res = res[1:]
	}
	return res
}

func (b *batch) Batches() [][]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.batches
}

// slow is a Provider whose Get blocks until released and records the most
// calls in flight at once.
type slow struct {
	inFlight, max atomic.Int64
	release       chan struct{}
}

func (s *slow) Name() string { return "slow" }
func (s *slow) Get(ctx context.Context, ref Ref) (Value, error) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.max.Load()
		if n <= m || s.max.CompareAndSwap(m, n) {
			break
		}
	}
	select {
	case <-s.release:
		return Value{Text: ref.Path}, nil
	case <-ctx.Done():
		return Value{}, ctx.Err() // deliberately not an *SecretError
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// countingBatch is a BatchProvider over a Memory that counts GetMany calls.
type countingBatch struct {
	*Memory
	batches atomic.Int64
	refs    atomic.Int64
}

func (b *countingBatch) GetMany(ctx context.Context, refs []Ref) []Result {
	b.batches.Add(1)
	b.refs.Add(int64(len(refs)))
	res := make([]Result, len(refs))
	for i, r := range refs {
		res[i].Value, res[i].Err = b.Memory.Get(ctx, r)
	}
	return res
}

// gated delays every Get and GetMany until release is closed; called is
// closed by the first call, and entered receives at each call when it has
// room.
type gated struct {
	*countingBatch
	once                     sync.Once
	called, release, entered chan struct{}
}

func newGated(m *Memory) *gated {
	return &gated{countingBatch: &countingBatch{Memory: m}, called: make(chan struct{}), release: make(chan struct{}), entered: make(chan struct{}, 1)}
}

func (g *gated) waitForCall() { <-g.called }

func (g *gated) enter() {
	g.once.Do(func() { close(g.called) })
	select {
	case g.entered <- struct{}{}:
	default:
	}
}

func (g *gated) Get(ctx context.Context, ref Ref) (Value, error) {
	g.enter()
	<-g.release
	return g.countingBatch.Get(ctx, ref)
}

func (g *gated) GetMany(ctx context.Context, refs []Ref) []Result {
	g.enter()
	<-g.release
	return g.countingBatch.GetMany(ctx, refs)
}

// changing is a countingBatch that signals changes on ch (a Notifier, as
// the files backend is).
type changing struct {
	*countingBatch
	ch chan struct{}
}

func (c changing) Changed() <-chan struct{} { return c.ch }

// subscribers returns how many channels are subscribed (for tests).
func (b *broadcast) subscribers() int {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}
