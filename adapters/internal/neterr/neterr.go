// Package neterr is the secretsgen adapters' one view of network
// failures: whether an error means that the backend could not be reached
// at all (Unreachable), and the words for a connection failure (Describe),
// written here so that nothing a server or a proxy sent can reach a
// message.
package neterr

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"syscall"
)

// Unreachable reports whether err says that the backend could not be
// reached at all: its host does not resolve, a connection failed (refused,
// reset, timed out, no route), or its TLS certificate is not trusted.
// Every other request to the same address would fail the same way, so an
// adapter reports it as a failure of the whole backend. The caller's
// context ending (context.Canceled, context.DeadlineExceeded anywhere in
// the chain) is not: it says nothing about the backend.
func Unreachable(err error) bool {
	var (
		dns   *net.DNSError
		op    *net.OpError
		cert  *tls.CertificateVerificationError
		uauth x509.UnknownAuthorityError
	)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return errors.As(err, &dns) || errors.As(err, &op) || errors.As(err, &cert) || errors.As(err, &uauth)
}

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
