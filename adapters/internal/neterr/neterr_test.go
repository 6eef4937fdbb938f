package neterr

import (
	"errors"
	"fmt"
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
