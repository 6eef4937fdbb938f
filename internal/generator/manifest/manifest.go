// Package manifest reads secrets.yaml: it parses with positions, validates
// every rule of the manifest reference at once, and derives the Go and
// environment-variable names that generated code uses.
package manifest

import (
	"fmt"
	"strings"

	"github.com/dashtam/secretsgen/runtime"
)

// Manifest is a parsed, validated secrets.yaml.
type Manifest struct {
	File     string   // file name used in messages
	Version  int      // always 1
	App      string   // [a-z][a-z0-9-]*
	Package  string   // Go package name of the output (default "gen")
	Backends []string // subset of the backends (internal/backends) in manifest order (default all)
	Secrets  []*Secret
}

// Kind is a scalar or container type of a secret.
type Kind string

// The kinds a manifest type can have (docs/design.md, "Manifest"); the
// scalar ones are rows of the table in kinds.go.
const (
	String   Kind = "string"
	Int      Kind = "int"
	Int64    Kind = "int64"
	Float64  Kind = "float64"
	Bool     Kind = "bool"
	Duration Kind = "duration"
	URL      Kind = "url"
	Bytes    Kind = "bytes"
	Time     Kind = "time"
	Enum     Kind = "enum"
	JSON     Kind = "json"
	// Credential is a username and password read and swapped as one value
	// (runtime.Credential), from a JSON object {"username", "password", ...}.
	Credential Kind = "credential"
	List       Kind = "list" // []Elem
	Map        Kind = "map"  // map[string]Elem
)

// Type is a secret's type. Elem is set for List and Map (a scalar kind).
type Type struct {
	Kind Kind
	Elem Kind
}

// String returns the type as written in the manifest: "url", "[]string",
// "map[string]int".
func (t Type) String() string {
	switch t.Kind {
	case List:
		return "[]" + string(t.Elem)
	case Map:
		return "map[string]" + string(t.Elem)
	}
	return string(t.Kind)
}

// Pos is a position in the manifest file.
type Pos struct {
	Line, Col int
}

// Source is where a secret is read from when it is not its own path.
type Source struct {
	Path string // backend path, e.g. "mail/smtp"; empty means the secret's own path
	Key  string // JSON member (AWS) or field (Vault)
	// Version pins a version: an AWS stage or version id when backends
	// include aws, a Vault KV version number (a positive integer) when they
	// include vault. Parse rejects a version when backends include both.
	Version string
}

// Field is one member of a json secret.
type Field struct {
	Key    string // JSON key as written in the manifest
	GoName string // exported Go field name
	Type   Kind   // a scalar kind
	Pos    Pos
}

// Secret is one manifest entry.
type Secret struct {
	Path        string   // logical path, e.g. "database/url"
	Type        Type     //
	Description string   // trimmed; becomes the field's doc comment (DescriptionLines)
	Default     *string  // raw default text (backend form); nil when absent
	Optional    bool     // optional: true, or a default is present
	Sensitive   bool     // default true
	Env         string   // environment variable name (override or derived)
	Source      Source   //
	Values      []string // enum values, in manifest order
	Fields      []Field  // json fields, in manifest order
	GoPath      []string // Go name of each path segment: ["Database", "URL"]
	// Database is where Vault's database secrets engine gives a credential
	// (type credential only); nil when it is read like any other secret.
	Database *Database
	Pos      Pos // position of the entry's key
}

// Database names a role of Vault's database secrets engine.
type Database struct {
	Mount  string // the engine's mount path, "database" by default
	Role   string // the role name
	Static bool   // a static role (static-creds) rather than a dynamic one (creds)
	Pos    Pos    // position of the database: value
}

// Path is the Vault path the credential is read from:
// "<mount>/creds/<role>", or "<mount>/static-creds/<role>" for a static role.
func (d *Database) Path() string {
	kind := "creds"
	if d.Static {
		kind = "static-creds"
	}
	return d.Mount + "/" + kind + "/" + d.Role
}

// Problem is one error in a manifest.
type Problem struct {
	File string
	Pos  Pos
	Msg  string
}

// Error returns "file:line:col: message".
func (p Problem) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Pos.Line, p.Pos.Col, p.Msg)
}

// GoName is the secret's Go name: its GoPath joined ("DatabaseURL"). The
// names generated for the secret derive from it (Leaf). The manifest
// guarantees GoName is unique among its secrets.
func (s *Secret) GoName() string { return strings.Join(s.GoPath, "") }

// DescriptionLines returns the lines of the description for a comment, or
// nil when there is none. Parse trims the description, so neither the
// first nor the last line is blank; blank lines inside it (paragraph
// breaks) are kept, as empty strings.
func (s *Secret) DescriptionLines() []string {
	if s.Description == "" {
		return nil
	}
	return strings.Split(s.Description, "\n")
}

// Ref returns the runtime.Ref that reads the secret: what generated code
// holds for it and what `secretsgen check` fetches. Optional and Default
// are load-time data, not part of the Ref.
func (s *Secret) Ref() runtime.Ref {
	db := ""
	if s.Database != nil {
		db = s.Database.Path()
	}
	return runtime.Ref{
		Database: db,
		Path:     s.Path,
		Env:      s.Env,
		Source:   s.Source.Path,
		Key:      s.Source.Key,
		Version:  s.Source.Version,
		Type:     s.Type.String(),
	}
}
