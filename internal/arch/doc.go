// Package arch holds one test: the import rules of ARCHITECTURE.md, checked
// with `go list -deps`. The runtime never imports an adapter or an SDK, the
// generator never imports an SDK, each adapter imports only its own
// backend's SDK, and internal/testenv imports the standard library only.
package arch
