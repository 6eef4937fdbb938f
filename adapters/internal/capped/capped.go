// Package capped caps how much of an HTTP response body the secretsgen
// adapters read.
package capped

import (
	"errors"
	"io"
)

// ErrTooLarge is the read error of a body over its cap.
var ErrTooLarge = errors.New("response body larger than the limit")

// Body returns rc that reads at most limit bytes: a read past them fails
// with ErrTooLarge (one byte more is read to tell a body of exactly limit
// bytes from a longer one), and nothing further is read.
func Body(rc io.ReadCloser, limit int64) io.ReadCloser {
	return &body{rc: rc, left: limit}
}

type body struct {
	rc   io.ReadCloser
	left int64
}

func (b *body) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, ErrTooLarge
		}
		return b.rc.Read(p[:0])
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *body) Close() error { return b.rc.Close() }
