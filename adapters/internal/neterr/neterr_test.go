package neterr

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "canary-timeout-text" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestDescribe(t *testing.T) {
	const canary = "canary-server-text"
	tests := []struct {
		err  error
		want string
	}{
		{nil, "failed"},
		{os.NewSyscallError("connect", syscall.ECONNREFUSED), "connection refused"},
		{fmt.Errorf("%s: %w", canary, syscall.ECONNRESET), "connection reset"},
		{syscall.EHOSTUNREACH, "no route to host"},
		{syscall.ENETUNREACH, "network is unreachable"},
		{syscall.ETIMEDOUT, "i/o timeout"},
		{timeoutErr{}, "i/o timeout"},
		// Text alone is never trusted: a server could send it.
		{errors.New(canary + ": connection refused"), "failed"},
	}
	for _, tc := range tests {
		if got := Describe(tc.err); got != tc.want {
			t.Errorf("Describe(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestUnreachable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"refused", fmt.Errorf("operation error: %w", refused), true},
		{"dns", &net.DNSError{Name: "sm.invalid", Err: "no such host"}, true},
		{"certificate", &tls.CertificateVerificationError{Err: errors.New("x509")}, true},
		{"unknown authority", fmt.Errorf("get: %w", x509.UnknownAuthorityError{}), true},
		{"deadline while dialling", fmt.Errorf("%w: %w", refused, context.DeadlineExceeded), false},
		{"cancelled", context.Canceled, false},
		{"other", errors.New("connection refused"), false}, // text alone is never trusted
		{"nil", nil, false},
	}
	for _, tc := range tests {
		if got := Unreachable(tc.err); got != tc.want {
			t.Errorf("%s: Unreachable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
