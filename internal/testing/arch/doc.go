// Package arch holds tests of the repository's structure. TestImportRules
// checks the import rules of docs/design.md with `go list -deps`: the
// runtime never imports an adapter or an SDK, the generator never imports
// an SDK, each adapter imports only its own backend's SDK, and
// internal/testing/testenv imports the standard library only. TestReservedEnv
// checks, across packages that may not import each other, that
// internal/generator/manifest reserves every variable the runtime and the adapters
// read, so that no secret's env name can shadow one.
package arch
