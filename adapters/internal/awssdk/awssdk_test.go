package awssdk

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/dashtam/secretsgen/adapters/internal/capped"
)

const canary = "canary-value-5b1e9d"

func TestCause(t *testing.T) {
	s := Service{Name: "Parameter Store", ResponseLimit: 16 << 20}
	opErr := func(err error) error {
		return &smithy.OperationError{ServiceID: "SSM", OperationName: "GetParameters", Err: err}
	}
	tests := []struct {
		name string
		err  error
		want []string
		is   error
	}{
		{"too large", opErr(fmt.Errorf("read: %w", capped.ErrTooLarge)), []string{"operation error SSM: GetParameters", "larger than the limit of 16 MiB"}, nil},
		{"decode", opErr(&smithy.DeserializationError{Err: errors.New(canary)}), []string{"could not decode the Parameter Store response"}, nil},
		{"refused", opErr(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect "+canary, syscall.ECONNREFUSED)}), []string{"cannot reach the endpoint: dial tcp", "connection refused"}, nil},
		{"credentials", opErr(errors.New("get identity: " + canary)), []string{"cannot get AWS credentials"}, nil},
		{"deadline", fmt.Errorf("%s: %w", canary, context.DeadlineExceeded), []string{"Parameter Store: deadline exceeded"}, context.DeadlineExceeded},
		{"unknown", opErr(errors.New(canary)), []string{"request failed (*errors.errorString)"}, nil},
	}
	for _, tc := range tests {
		err := s.Cause("", tc.err)
		msg := err.Error()
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q does not say %q", tc.name, msg, w)
			}
		}
		if strings.Contains(msg, canary) {
			t.Errorf("%s: %q quotes the SDK's text", tc.name, msg)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("%s: %v is not %v", tc.name, err, tc.is)
		}
	}
	if got := s.Cause("GetParametersByPath", errors.New(canary)).Error(); !strings.HasPrefix(got, "GetParametersByPath: ") {
		t.Errorf("op without an OperationError: %q", got)
	}
	if !CredentialsError(errors.New("failed to retrieve credentials")) || CredentialsError(errors.New("connection refused")) {
		t.Error("CredentialsError")
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{16 << 20: "16 MiB", 64 << 10: "64 KiB", 100: "100 bytes", 1<<20 + 1: fmt.Sprint(1<<20+1) + " bytes"} {
		if got := size(n); got != want {
			t.Errorf("size(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestConfigValuesUnreadable: a shared config file that is a FIFO (which
// a plain read would block on) or larger than the cap is not read, and
// then nothing after the first separator of the SDK's text is kept.
func TestConfigValuesUnreadable(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte("[default]\naws_secret_access_key = "+canary+strings.Repeat("x", maxSharedFile)), 0o600); err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("[default]\naws_secret_access_key = "+canary+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "missing"))
	for _, file := range []string{fifo, big} {
		t.Setenv("AWS_CONFIG_FILE", file)
		if got := withoutConfigValues("bad setting: " + canary); strings.Contains(got, canary) || !strings.HasPrefix(got, "bad setting") {
			t.Errorf("%s: %q", filepath.Base(file), got)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", small)
	if got := withoutConfigValues("bad setting: " + canary + " here"); got != "bad setting: "+leftOut {
		t.Errorf("small: %q", got)
	}
	if got := withoutConfigValues("no value quoted: 3"); got != "no value quoted: 3" {
		t.Errorf("small, nothing quoted: %q", got)
	}
}
