// Package canary holds the canary test of secretsgen (docs/design.md, "State types print nothing"):
// a known value is put into a sensitive secret of every manifest type and
// fed through every path a secret takes (Load, its errors, the MustLoad
// panic, fmt, encoding/json, encoding.TextMarshaler, log/slog, go-cmp, the
// generated Fake and the secretsgen command), and the test fails if the value
// shows up in any output, in any encoding.
//
// The package has no code of its own. Its manifest, secrets.yaml, is
// generated into the subpackage kitchen; canary_test.go is the test.
//
// Run it with:
//
//	go test -race ./internal/testing/canary/...
package canary
