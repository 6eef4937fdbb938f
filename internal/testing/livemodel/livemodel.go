// Package livemodel checks runtime.Live over runtime.Cache against a small
// reference model, with random sequences of operations (test support only:
// _test.go files import it).
//
// A sequence starts a Live over a Cache over a Backend (optionally through
// runtime.Layers), then applies random operations: rotate a group of secrets
// to valid values, rotate with a value that does not parse, rotate several
// groups in one write, delete, deny, outage on and off, poll, RefreshNow of
// some paths, and finally Close, while goroutines read Settings and an
// OnChange callback watches every swap. After every step it checks:
//
//   - a. Settings never mixes two versions of one update group (the members
//     of one backend secret; for the files backend, the files of one ..data
//     generation);
//   - b. no valid rotation is lost: after a poll or a RefreshNow, Settings
//     equals what the model says, and once every path holds a valid value
//     and nothing fails that is exactly the backend's values;
//   - c. a rejected value is never swapped in, and Status names exactly the
//     rejected paths (ErrInvalidValue) and each failing path with its kind;
//   - d. after Close returns, the inner provider receives no call and no
//     goroutine of the Live, the Cache or the backend remains;
//   - e. no Status, error or callback argument holds a value.
//
// Sequences are generated from a seed and reproducible; a failing sequence
// is shrunk (operations removed while it still fails) and printed.
package livemodel

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
	"go.uber.org/goleak"
)

// Secret is one secret of the model's settings.
type Secret struct {
	Ref      runtime.Ref
	Optional bool // absent means the default, "ok-7"
}

// Secrets are the model's eight secrets: five plain ones, an optional one,
// and two members of one backend secret ("db", keys user and pass).
var Secrets = []Secret{
	{Ref: runtime.Ref{Path: "a/one", Env: "A_ONE", Type: "int"}},
	{Ref: runtime.Ref{Path: "a/two", Env: "A_TWO", Type: "int"}},
	{Ref: runtime.Ref{Path: "a/three", Env: "A_THREE", Type: "int"}},
	{Ref: runtime.Ref{Path: "b/four", Env: "B_FOUR", Type: "int"}},
	{Ref: runtime.Ref{Path: "b/five", Env: "B_FIVE", Type: "int"}},
	{Ref: runtime.Ref{Path: "opt/six", Env: "OPT_SIX", Type: "int"}, Optional: true},
	{Ref: runtime.Ref{Path: "db/user", Env: "DB_USER", Source: "db", Key: "user", Type: "int"}},
	{Ref: runtime.Ref{Path: "db/pass", Env: "DB_PASS", Source: "db", Key: "pass", Type: "int"}},
}

const defaultText = "ok-7"

// Settings are the model's settings: one number per secret, in Secrets'
// order.
type Settings struct{ V [8]int }

// errNotModel is parse's error: it never quotes the text.
var errNotModel = errors.New("not a model value")

// parse accepts "ok-N".
func parse(s string) (int, error) {
	n, ok := strings.CutPrefix(s, "ok-")
	if !ok {
		return 0, errNotModel
	}
	v, err := strconv.Atoi(n)
	if err != nil {
		return 0, errNotModel
	}
	return v, nil
}

// Load is a load function shaped like a generated Load.
func Load(ctx context.Context, p runtime.Provider) (*Settings, error) {
	refs := make([]runtime.Ref, len(Secrets))
	for i, s := range Secrets {
		refs[i] = s.Ref
	}
	l := genimpl.Fetch(ctx, p, refs)
	s := new(Settings)
	for i, sec := range Secrets {
		if sec.Optional {
			s.V[i] = genimpl.Default(l, i, parse, defaultText)
		} else {
			s.V[i] = genimpl.Field(l, i, parse)
		}
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// Backend is the storage a sequence drives. Texts are by logical path;
// a backend that stores several paths in one secret (Source and Key) keeps
// them together.
type Backend interface {
	// Provider returns the inner provider of one sequence, over the
	// backend's current state.
	Provider(t testing.TB) runtime.Provider
	// Write applies one write: the new text of each path in texts (absent
	// from the map: unchanged; "" with del: deleted). Paths of one group
	// are always written together.
	Write(t testing.TB, texts map[string]string, del []string)
	// Outage turns an outage of the whole backend on or off.
	Outage(t testing.TB, on bool)
	// Deny makes reads of path fail with access denied, or stop failing;
	// only called when CanDeny.
	Deny(t testing.TB, path string, on bool)
	CanDeny() bool
	// Hang makes every read block until its context is done (on) or
	// answer again (off).
	Hang(t testing.TB, on bool)
	// Groups returns the update groups: paths whose values change together
	// in one write and that Settings must never mix.
	Groups() [][]string
	// Poke makes the Live poll at once (a change signal), when the
	// backend can; false means the harness polls with RefreshNow().
	Poke() bool
}

// Config configures Run.
type Config struct {
	New       func(t testing.TB) Backend
	Sequences int    // default 10,000 (1,000 under -race), or $LIVEMODEL_SEQUENCES
	Steps     int    // operations per sequence; default 24
	Seed      uint64 // default: from $LIVEMODEL_SEED or the time
	Layers    bool   // put an empty layer in front of the backend
}

// Run runs cfg.Sequences random sequences and fails t with the shortest
// failing sequence it finds.
func Run(t *testing.T, cfg Config) {
	if cfg.Sequences == 0 {
		cfg.Sequences = 10000
		if raceEnabled {
			cfg.Sequences = 1000
		}
	}
	if n, err := strconv.Atoi(os.Getenv("LIVEMODEL_SEQUENCES")); err == nil && n > 0 {
		cfg.Sequences = n
	}
	if cfg.Steps == 0 {
		cfg.Steps = 24
	}
	if cfg.Seed == 0 {
		if s, err := strconv.ParseUint(os.Getenv("LIVEMODEL_SEED"), 10, 64); err == nil {
			cfg.Seed = s
		} else {
			cfg.Seed = uint64(time.Now().UnixNano())
		}
	}
	t.Logf("livemodel: %d sequences of %d steps, seed %d (LIVEMODEL_SEED=%d to repeat)", cfg.Sequences, cfg.Steps, cfg.Seed, cfg.Seed)
	canDeny := cfg.New(t).CanDeny()
	for i := range cfg.Sequences {
		r := rand.New(rand.NewPCG(cfg.Seed, uint64(i)))
		ops := Generate(r, cfg.Steps, canDeny)
		if fail := runSeq(t, cfg, ops); fail != "" {
			ops, fail = shrink(t, cfg, ops, fail)
			t.Fatalf("livemodel: sequence %d of seed %d fails; shortest failing sequence (%d steps):\n%s\nfailure: %s",
				i, cfg.Seed, len(ops), format(ops), fail)
		}
	}
}

// shrink removes operations from ops while the sequence still fails.
func shrink(t *testing.T, cfg Config, ops []Op, fail string) ([]Op, string) {
	for changed := true; changed; {
		changed = false
		for i := 0; i < len(ops); i++ {
			cand := slices.Delete(slices.Clone(ops), i, i+1)
			if f := runSeq(t, cfg, cand); f != "" {
				ops, fail, changed = cand, f, true
				i--
			}
		}
	}
	return ops, fail
}

func format(ops []Op) string {
	var b strings.Builder
	for i, op := range ops {
		fmt.Fprintf(&b, "\t%2d. %s\n", i+1, op)
	}
	return b.String()
}

// Op is one operation of a sequence.
type Op struct {
	Kind   string // rotate, garbage, delete, deny, allow, outage, restore, poll, refresh, close, hangclose
	Groups []int  // the groups written (rotate, garbage, delete, restore)
	Bad    []int  // garbage: the indexes into the written paths that get garbage
	Path   int    // deny, allow: the secret
	Paths  []int  // refresh: the secrets named (none: every secret)
}

func (o Op) String() string {
	switch o.Kind {
	case "rotate", "delete":
		return fmt.Sprintf("%s groups %v", o.Kind, o.Groups)
	case "garbage":
		return fmt.Sprintf("rotate groups %v, garbage in written member(s) %v", o.Groups, o.Bad)
	case "deny", "allow":
		return fmt.Sprintf("%s %s", o.Kind, Secrets[o.Path].Ref.Path)
	case "refresh":
		var ps []string
		for _, i := range o.Paths {
			ps = append(ps, Secrets[i].Ref.Path)
		}
		return fmt.Sprintf("RefreshNow(%s)", strings.Join(ps, ", "))
	}
	return o.Kind
}

// modelGroups are the memory backend's groups, by index into Secrets; the
// generator uses these indexes and asks each backend for its own grouping
// when checking.
var modelGroups = [][]int{{0}, {1}, {2}, {3}, {4}, {5}, {6, 7}}

// Generate returns a random sequence of n operations, ending with a close.
func Generate(r *rand.Rand, n int, canDeny bool) []Op {
	var ops []Op
	someGroups := func() []int {
		k := 1 + r.IntN(3)
		return r.Perm(len(modelGroups))[:k]
	}
	for range n - 1 {
		switch x := r.IntN(100); {
		case x < 22:
			ops = append(ops, Op{Kind: "rotate", Groups: someGroups()})
		case x < 34:
			g := someGroups()
			m := 0
			for _, gi := range g {
				m += len(modelGroups[gi])
			}
			ops = append(ops, Op{Kind: "garbage", Groups: g, Bad: []int{r.IntN(m)}})
		case x < 40:
			ops = append(ops, Op{Kind: "delete", Groups: []int{r.IntN(len(modelGroups))}})
		case x < 45 && canDeny:
			ops = append(ops, Op{Kind: "deny", Path: r.IntN(len(Secrets))})
		case x < 50 && canDeny:
			ops = append(ops, Op{Kind: "allow", Path: r.IntN(len(Secrets))})
		case x < 54:
			ops = append(ops, Op{Kind: "outage"})
		case x < 60:
			ops = append(ops, Op{Kind: "restore"})
		case x < 80:
			ops = append(ops, Op{Kind: "poll"})
		default:
			var ps []int
			if r.IntN(4) > 0 {
				ps = r.Perm(len(Secrets))[:1+r.IntN(2)]
			}
			ops = append(ops, Op{Kind: "refresh", Paths: ps})
		}
	}
	if r.IntN(4) == 0 {
		return append(ops, Op{Kind: "hangclose"})
	}
	return append(ops, Op{Kind: "close"})
}

// model is the reference: what the backend holds and what the Live should
// show.
type model struct {
	gen      int
	text     map[string]string // backend: the current text of each present path
	denied   map[string]bool
	outage   bool
	applied  [8]int                  // what Settings should hold
	absent   [8]bool                 // the optional secret is absent in the settings in use
	rejected map[string]bool         // paths whose value in the backend was rejected
	status   map[string]runtime.Kind // the kind Status should report for each path

	hmu     sync.Mutex
	history [][8]int // every state the backend held, parsed; -1: unusable
}

// record appends the backend's current state to the history.
func (m *model) record() {
	var h [8]int
	for i, s := range Secrets {
		t, ok := m.text[s.Ref.Path]
		switch {
		case !ok && s.Optional:
			h[i] = 7
		case !ok || !valid(t):
			h[i] = -1
		default:
			h[i], _ = parse(t)
		}
	}
	m.hmu.Lock()
	m.history = append(m.history, h)
	m.hmu.Unlock()
}

// mixed reports when s holds members of one group that the backend never
// held together.
func (m *model) mixed(s *Settings, groups [][]string) string {
	m.hmu.Lock()
	defer m.hmu.Unlock()
	for _, g := range groups {
		if len(g) < 2 {
			continue
		}
		if !slices.ContainsFunc(m.history, func(h [8]int) bool {
			for _, p := range g {
				if i := index(p); h[i] != s.V[i] {
					return false
				}
			}
			return true
		}) {
			return fmt.Sprintf("group %v holds %v, which the backend never held together", g, s.V)
		}
	}
	return ""
}

func valid(s string) bool { _, err := parse(s); return err == nil }

// runSeq runs one sequence and returns the first failure, or "".
func runSeq(t *testing.T, cfg Config, ops []Op) (fail string) {
	ignore := goleak.IgnoreCurrent()
	be := cfg.New(t)
	groups := be.Groups()
	m := &model{text: map[string]string{}, denied: map[string]bool{}, rejected: map[string]bool{}, status: map[string]runtime.Kind{}}
	// The start: every secret valid but the optional one, which is absent.
	init := map[string]string{}
	for i, s := range Secrets {
		if !s.Optional {
			m.gen++
			init[s.Ref.Path] = "ok-" + strconv.Itoa(m.gen)
			m.applied[i] = m.gen
		}
	}
	m.applied[5], m.absent[5] = 7, true
	be.Write(t, init, nil)
	for p, v := range init {
		m.text[p] = v
	}
	m.record()

	inner := be.Provider(t)
	sp := &spy{Provider: inner}
	var top runtime.Provider = sp
	if cfg.Layers {
		ly, err := runtime.NewLayers(runtime.NewMemory("front"), sp)
		if err != nil {
			return err.Error()
		}
		top = ly
	}
	cache := runtime.NewCache(top, &runtime.CacheOptions{TTL: time.Hour})
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Add(int64(time.Millisecond))) }
	ctx := context.Background()
	live, err := runtime.NewLive(ctx, cache, Load, &runtime.LiveOptions{PollInterval: time.Hour, CoolDown: -1, CloseProvider: true, Now: now})
	if err != nil {
		_ = cache.Close()
		return "NewLive: " + err.Error()
	}
	var fails []string
	var fmu sync.Mutex
	failf := func(format string, args ...any) {
		fmu.Lock()
		defer fmu.Unlock()
		fails = append(fails, fmt.Sprintf(format, args...))
	}
	// (a) and (e) on every swap, and readers of Settings meanwhile.
	live.OnChange(func(old, new *Settings, changed []string) {
		if msg := m.mixed(new, groups); msg != "" {
			failf("(a) OnChange got mixed settings: %s", msg)
		}
		if msg := leaks(strings.Join(changed, ",")); msg != "" {
			failf("(e) OnChange changed argument %s", msg)
		}
	})
	stopReaders := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stopReaders:
					return
				default:
				}
				if msg := m.mixed(live.Settings(), groups); msg != "" {
					failf("(a) Settings mixed: %s", msg)
					return
				}
				time.Sleep(10 * time.Microsecond)
			}
		}()
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			close(stopReaders)
			readers.Wait()
		}
	}
	defer func() {
		stop()
		_ = live.Close()
	}()

	for step, op := range ops {
		var opErr error
		switch op.Kind {
		case "rotate", "garbage", "delete":
			texts := map[string]string{}
			var del []string
			k := 0
			for _, g := range op.Groups {
				m.gen++
				for j, i := range modelGroups[g] {
					p := Secrets[i].Ref.Path
					switch {
					case op.Kind == "delete":
						del = append(del, p)
						delete(m.text, p)
						continue
					case slices.Contains(op.Bad, k):
						texts[p] = "bad-" + strconv.Itoa(m.gen*10+j)
					default:
						texts[p] = "ok-" + strconv.Itoa(m.gen*10+j)
					}
					m.text[p] = texts[p]
					k++
				}
			}
			m.record() // before the write: a reader may see it at once
			be.Write(t, texts, del)
		case "deny", "allow":
			p := Secrets[op.Path].Ref.Path
			be.Deny(t, p, op.Kind == "deny")
			m.denied[p] = op.Kind == "deny"
		case "outage":
			be.Outage(t, true)
			m.outage = true
		case "restore":
			be.Outage(t, false)
			m.outage = false
			for p := range m.denied {
				be.Deny(t, p, false)
			}
			clear(m.denied)
		case "poll":
			before := live.Status().LastPoll
			if be.Poke() {
				deadline := time.Now().Add(time.Minute) // generous: a guaranteed event, only slow on a busy machine
				for !live.Status().LastPoll.After(before) {
					if time.Now().After(deadline) {
						return fmt.Sprintf("step %d: the poll that a change signal asks for did not come within a minute", step+1)
					}
					time.Sleep(50 * time.Microsecond)
				}
			} else {
				opErr = live.RefreshNow(ctx)
			}
			m.refresh(groups, nil)
		case "refresh":
			var ps []string
			for _, i := range op.Paths {
				ps = append(ps, Secrets[i].Ref.Path)
			}
			opErr = live.RefreshNow(ctx, ps...)
			m.refresh(groups, ps)
		case "close", "hangclose":
			if op.Kind == "hangclose" {
				be.Hang(t, true)
				// A poll that hangs and a RefreshNow waiting behind it.
				if be.Poke() {
					go func() { _ = live.RefreshNow(ctx, Secrets[0].Ref.Path) }()
				}
				go func() { _ = live.RefreshNow(ctx) }()
				time.Sleep(time.Millisecond)
			}
			stop()
			if err := live.Close(); err != nil && !errors.Is(err, runtime.ErrUnavailable) {
				return fmt.Sprintf("step %d: Close: %v", step+1, err)
			}
			sp.closed.Store(true)
			if op.Kind == "hangclose" {
				be.Hang(t, false)
			}
			// (d): no call reaches the inner provider after Close and no
			// goroutine remains (a fetch still to start would be one).
			if n := sp.after.Load(); n > 0 {
				return fmt.Sprintf("step %d: (d) the inner provider got %d call(s) after Close returned", step+1, n)
			}
			if err := goleak.Find(ignore); err != nil {
				return fmt.Sprintf("step %d: (d) goroutines remain after Close: %v", step+1, firstLine(err.Error()))
			}
			fmu.Lock()
			defer fmu.Unlock()
			if len(fails) > 0 {
				return fmt.Sprintf("step %d: %s", step+1, fails[0])
			}
			return ""
		}
		if opErr != nil {
			if msg := leaks(opErr.Error()); msg != "" {
				return fmt.Sprintf("step %d (%s): (e) error %s", step+1, op, msg)
			}
		}
		if msg := m.check(live, step, op); msg != "" {
			return msg
		}
		fmu.Lock()
		if len(fails) > 0 {
			f := fails[0]
			fmu.Unlock()
			return fmt.Sprintf("step %d (%s): %s", step+1, op, f)
		}
		fmu.Unlock()
	}
	return ""
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

// refresh updates the model after a poll (paths nil) or a RefreshNow of
// paths: the groups fetched are those of the named paths (the backend's
// groups), every group for a poll.
func (m *model) refresh(groups [][]string, paths []string) {
	for _, g := range groups {
		if paths != nil && !slices.ContainsFunc(g, func(p string) bool { return slices.Contains(paths, p) }) {
			continue
		}
		m.evaluate(g)
	}
}

// evaluate applies what the Live does with one fetched group: when every
// member was read, the group's values are swapped in when all of them
// parse, and held back (the invalid ones rejected) when one does not; when
// a member could not be read, the whole group keeps its values.
func (m *model) evaluate(g []string) {
	failed := false
	for _, p := range g {
		k := m.fetchKind(p)
		m.status[p] = k
		failed = failed || k != 0
	}
	if failed {
		for _, p := range g {
			if m.status[p] == 0 && m.rejected[p] {
				m.status[p] = runtime.ErrInvalidValue
			}
		}
		return
	}
	bad := false
	for _, p := range g {
		if t, ok := m.text[p]; ok && !valid(t) {
			bad = true
		}
	}
	for _, p := range g {
		t, ok := m.text[p]
		m.rejected[p] = ok && !valid(t)
		if m.rejected[p] {
			m.status[p] = runtime.ErrInvalidValue
		}
		if bad || !ok { // held back; or optional, absent and still absent
			continue
		}
		i := index(p)
		m.applied[i], _ = parse(t)
		m.absent[i] = false
	}
}

// fetchKind is the kind of error a read of path gets now, nil for a
// successful read (an optional secret absent since the settings in use
// were loaded reads as a success).
func (m *model) fetchKind(p string) runtime.Kind {
	i := index(p)
	_, present := m.text[p]
	switch {
	case m.outage:
		return runtime.ErrUnavailable
	case m.denied[p]:
		return runtime.ErrAccessDenied
	case !present && !(Secrets[i].Optional && m.absent[i]):
		return runtime.ErrNotFound
	}
	return 0
}

func index(path string) int {
	return slices.IndexFunc(Secrets, func(s Secret) bool { return s.Ref.Path == path })
}

// check compares the Live with the model after a step.
func (m *model) check(live *runtime.Live[Settings], step int, op Op) string {
	at := fmt.Sprintf("step %d (%s)", step+1, op)
	s := live.Settings()
	if s.V != m.applied {
		return fmt.Sprintf("%s: (b) Settings %v, the model says %v", at, s.V, m.applied)
	}
	st := live.Status()
	if msg := leaks(fmt.Sprintf("%+v %v", st, st)); msg != "" {
		return at + ": (e) Status " + msg
	}
	for _, sec := range st.Secrets {
		if sec.Err != nil {
			if msg := leaks(sec.Err.Error()); msg != "" {
				return at + ": (e) Status error " + msg
			}
		}
		p := sec.Path
		if want := m.status[p]; sec.ErrKind != want {
			return fmt.Sprintf("%s: (c) Status of %s has kind %v, the model says %v (rejected: %v)", at, p, sec.ErrKind, m.status[p], m.rejectedList())
		}
	}
	return ""
}

func (m *model) rejectedList() []string {
	var out []string
	for p, ok := range m.rejected {
		if ok {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// leaks reports when s holds a value of the model ("ok-N", "bad-N").
func leaks(s string) string {
	if strings.Contains(s, "ok-") || strings.Contains(s, "bad-") {
		return "holds a value: " + s
	}
	return ""
}

// spy passes every call to the inner provider and counts those made after
// the Live's Close returned.
type spy struct {
	runtime.Provider
	closed atomic.Bool
	after  atomic.Int64
}

func (s *spy) Get(ctx context.Context, ref runtime.Ref) (runtime.Value, error) {
	if s.closed.Load() {
		s.after.Add(1)
	}
	return s.Provider.Get(ctx, ref)
}

func (s *spy) GetMany(ctx context.Context, refs []runtime.Ref) []runtime.Result {
	if s.closed.Load() {
		s.after.Add(1)
	}
	return runtime.GetMany(ctx, s.Provider, refs)
}

func (s *spy) Where(ref runtime.Ref) string {
	if l, ok := s.Provider.(runtime.Locator); ok {
		return l.Where(ref)
	}
	return ""
}

func (s *spy) Changed() <-chan struct{} {
	if c, ok := s.Provider.(interface{ Changed() <-chan struct{} }); ok {
		return c.Changed()
	}
	return nil
}

func (s *spy) Group(ref runtime.Ref) string {
	if g, ok := s.Provider.(interface{ Group(runtime.Ref) string }); ok {
		return g.Group(ref)
	}
	return ""
}

func (s *spy) Close() error {
	if c, ok := s.Provider.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}
