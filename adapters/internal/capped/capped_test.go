package capped

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestBody(t *testing.T) {
	for _, tc := range []struct {
		n    int
		fail bool
	}{{0, false}, {10, false}, {16, false}, {17, true}, {1000, true}} {
		data, err := io.ReadAll(Body(io.NopCloser(bytes.NewReader(make([]byte, tc.n))), 16))
		if tc.fail != errors.Is(err, ErrTooLarge) || (!tc.fail && len(data) != tc.n) || (tc.fail && len(data) > 16) {
			t.Errorf("%d bytes with a limit of 16: read %d, %v", tc.n, len(data), err)
		}
	}
}
