// Package testenv starts and stops the real servers that tests talk to:
// moto_server (AWS Secrets Manager and SSM Parameter Store), Vault in -dev
// mode (bin/vault, from make vault) and PostgreSQL (the rotation tests),
// each on a free 127.0.0.1 port, stopped on test cleanup. The adapter tests
// use them, and so do the end-to-end and rotation suites (internal/testing/e2e,
// internal/testing/readme, internal/testing/rotation) and some tests of gen and
// cmd/secretsgen. StartProxy puts a TCP proxy in front of one, to take a
// backend down and bring it back without losing its in-memory state.
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
