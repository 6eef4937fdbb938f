package awstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// ParseAs turns a typed parser into the untyped one genimpl.Field takes.
func ParseAs[T any](parse func(string) (T, error)) func(string) (any, error) {
	return func(s string) (any, error) { return parse(s) }
}

// Canary is a random secret value fed through an adapter's failing paths,
// with the errors they produced.
type Canary struct {
	Value string // "canary-" and 16 random hex digits
	hex   string
	errs  []error
}

// NewCanary returns a Canary with a fresh random value.
func NewCanary(t *testing.T) *Canary {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	h := hex.EncodeToString(b[:])
	return &Canary{Value: "canary-" + h, hex: h}
}

// Collect reads refs from p, which must fail for some of them, three ways
// (a generated Load: genimpl.Fetch then Field with parsers; GetMany; Get of
// each) and keeps every error.
func (c *Canary) Collect(t *testing.T, name string, p runtime.Provider, ctx context.Context, refs []runtime.Ref, parsers []func(string) (any, error)) {
	t.Helper()
	l := genimpl.Fetch(ctx, p, refs)
	for i := range refs {
		genimpl.Field(l, i, parsers[i])
	}
	err := l.Err()
	if err == nil {
		t.Errorf("%s: Load succeeded, want errors", name)
	}
	c.errs = append(c.errs, err)
	for _, r := range p.(runtime.BatchProvider).GetMany(ctx, refs) {
		c.errs = append(c.errs, r.Err)
	}
	for _, ref := range refs {
		_, err := p.Get(ctx, ref)
		c.errs = append(c.errs, err)
	}
}

// Check fails t for every collected error that prints the value (or its
// random part) with any verb, or wraps an error that does, and returns how
// many errors were collected.
func (c *Canary) Check(t *testing.T) (failures int) {
	t.Helper()
	for _, err := range c.errs {
		if err == nil {
			continue
		}
		failures++
		for _, verb := range []string{"%v", "%+v", "%#v", "%q", "%s"} {
			if s := fmt.Sprintf(verb, err); strings.Contains(s, c.Value) || strings.Contains(s, c.hex) {
				t.Errorf("error printed with %s contains the secret value: %s", verb, s)
			}
		}
		for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
			if strings.Contains(e.Error(), c.Value) {
				t.Errorf("wrapped error contains the secret value: %s", e)
			}
		}
	}
	return failures
}
