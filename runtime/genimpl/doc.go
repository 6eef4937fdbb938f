// Package genimpl is for code that secretsgen generates only. It holds what
// generated packages call: Fetch and Field (Load), the value parsers and
// formatters, ReadConfig (NewProvider) and the version guard.
//
// There is no compatibility promise: its API changes with the generator,
// and the version guard in every generated package (EnforceVersion) makes a
// mismatch a compile error. Programs use the generated package and the
// runtime package instead; see docs/design.md.
package genimpl
