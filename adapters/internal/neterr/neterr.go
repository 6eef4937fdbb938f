// Package neterr describes network failures in words written here, for
// the secretsgen adapters' error messages: nothing a server or a proxy
// sent can reach them.
package neterr

import (
	"errors"
	"net"
	"syscall"
)

// Describe names a connection failure (the Err of a *net.OpError) by its
// operating-system error number, or "timeout", or "failed". It never
// returns err's own text.
func Describe(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return "failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "no route to host"
	case errors.Is(err, syscall.ENETUNREACH):
		return "network is unreachable"
	case errors.Is(err, syscall.ETIMEDOUT):
		return "i/o timeout"
	case errors.As(err, &ne) && ne.Timeout():
		return "i/o timeout"
	}
	return "failed"
}
