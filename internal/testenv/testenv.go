// Package testenv starts and stops the real servers that adapter tests talk
// to (moto_server for AWS Secrets Manager, Vault in -dev mode), each on a
// free 127.0.0.1 port, and stops them on test cleanup.
//
// A server that cannot start fails the test: under make test and in CI a
// missing server is a failure, never a silent skip. Only `go test -short`
// skips these tests, and says so.
package testenv

import "testing"

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return port
}

// SkipIfShort skips t under `go test -short`, naming the server it needs.
func SkipIfShort(t testing.TB, server string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("testenv: -short: not starting %s", server)
	}
}
