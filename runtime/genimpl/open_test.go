package genimpl

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/runtime"
)

type closingMemory struct {
	*runtime.Memory
	closed *[]string
}

func (c closingMemory) Close() error {
	*c.closed = append(*c.closed, c.Name())
	return nil
}

func TestOpen(t *testing.T) {
	var closed []string
	open := func(_ context.Context, name string) (runtime.Provider, error) {
		switch name {
		case "broken":
			return nil, errors.New("cannot build it")
		case "unknown":
			return nil, nil
		}
		return closingMemory{runtime.NewMemory(name), &closed}, nil
	}
	ctx := t.Context()

	p, err := Open(ctx, Config{Backend: "env", Layers: []string{"env"}}, open)
	if err != nil || p.Name() != "env" {
		t.Fatalf("one layer: %v, %v", p, err)
	}
	if _, ok := p.(*runtime.Layers); ok {
		t.Error("one layer is wrapped in Layers")
	}

	p, err = Open(ctx, Config{Backend: "env,aws", Layers: []string{"env", "aws"}}, open)
	l, ok := p.(*runtime.Layers)
	if err != nil || !ok || l.Name() != "env,aws" {
		t.Fatalf("two layers: %v, %v", p, err)
	}
	if err := l.Close(); err != nil || strings.Join(closed, ",") != "aws,env" {
		t.Errorf("Close: %v, closed %v", err, closed)
	}

	for _, tc := range []struct{ backend, err, closed string }{
		{"env,aws,broken", "layer broken of SECRETS_BACKEND=env,aws,broken: cannot build it", "aws,env"},
		{"broken", "cannot build it", ""},
		{"env,unknown", `SECRETS_BACKEND=env,unknown: "unknown" is not a backend of this build`, "env"},
	} {
		closed = nil
		p, err := Open(ctx, Config{Backend: tc.backend, Layers: strings.Split(tc.backend, ",")}, open)
		if p != nil || err == nil || err.Error() != tc.err {
			t.Errorf("%s: %v, %v; want the error %q", tc.backend, p, err, tc.err)
		}
		if got := strings.Join(closed, ","); got != tc.closed {
			t.Errorf("%s: closed %q, want %q (the layers built before the failure)", tc.backend, got, tc.closed)
		}
	}
	if _, err := Open(ctx, Config{}, open); err == nil {
		t.Error("no backend: no error")
	}
}
