package manifest

import (
	"fmt"
	"strings"
)

// The names of a generated package (internal/codegen) are computed here, so
// that Parse can report every collision between them with its position and
// the generator writes exactly the names that Parse checked. Decls lists
// them all.

// ReservedGoNames are the package-level identifiers every generated package
// declares whatever the manifest holds: the constant App, the types
// Settings, Fake and Live, the functions Load, MustLoad, NewProvider,
// NewFake, SampleSettings, Watch and MustWatch, and the unexported refs and
// mustParse. No name generated
// for a secret may be one of them.
var ReservedGoNames = []string{"App", "Fake", "Live", "Load", "MustLoad", "MustWatch", "NewFake", "NewProvider", "SampleSettings", "Settings", "Watch", "mustParse", "refs"}

// FakeMembers are the methods the generated Fake has besides its typed
// setters: the Provider port (Name, Get, Where) and its raw methods (SetRaw,
// SetError, Rotate, Delete, Calls). internal/codegen writes exactly these,
// from this list; a setter must not be one of them.
var FakeMembers = []string{"Name", "Get", "Where", "SetRaw", "SetError", "Rotate", "Delete", "Calls"}

// PathConst is the secret's path constant: "Path" + GoName
// ("PathDatabaseURL").
func (s *Secret) PathConst() string { return "Path" + s.GoName() }

// SetterName is the typed setter of the generated Fake: "Set" + GoName
// ("SetDatabaseURL").
func (s *Secret) SetterName() string { return "Set" + s.GoName() }

// TypeName is the named Go type generated for an enum or json secret, its
// GoName ("AppLogLevel"), or "" for other kinds.
func (s *Secret) TypeName() string {
	switch s.Type.Kind {
	case Enum, JSON:
		return s.GoName()
	}
	return ""
}

// EnumConst is the Go constant for one enum value: GoName + GoName(value)
// ("AppLogLevel" + "Debug").
func (s *Secret) EnumConst(value string) string { return s.GoName() + GoName(value) }

// ParserName is the unexported function that parses the JSON object of a
// json secret ("parseDatabaseCredentials"), or "" for other kinds.
func (s *Secret) ParserName() string {
	if s.Type.Kind != JSON {
		return ""
	}
	return "parse" + s.TypeName()
}

// FormatterName is the unexported function that writes the JSON object of a
// json secret ("formatDatabaseCredentials"), or "" for other kinds.
func (s *Secret) FormatterName() string {
	if s.Type.Kind != JSON {
		return ""
	}
	return "format" + s.TypeName()
}

// GroupTypeName is the struct type of the Settings group whose Go path is
// goPath: the Go names joined, then "Settings" ("DatabaseSettings" for the
// secrets under database/). The root group, with an empty goPath, is
// Settings itself.
func GroupTypeName(goPath []string) string { return strings.Join(goPath, "") + "Settings" }

// DeclKind says what a generated name is. Its text is used in messages.
type DeclKind string

// The kinds of Decl.
const (
	DeclReserved   DeclKind = "generated identifier" // one of ReservedGoNames
	DeclFakeMember DeclKind = "Fake member"          // one of FakeMembers
	DeclGroupType  DeclKind = "group type"           // GroupTypeName
	DeclPathConst  DeclKind = "path constant"        // Secret.PathConst
	DeclSetter     DeclKind = "Fake setter"          // Secret.SetterName
	DeclType       DeclKind = "Go type"              // Secret.TypeName of an enum or json secret
	DeclEnumConst  DeclKind = "enum constant"        // Secret.EnumConst
	DeclParser     DeclKind = "JSON parser"          // Secret.ParserName
	DeclFormatter  DeclKind = "JSON formatter"       // Secret.FormatterName
)

// Decl is one name that a generated package declares: a package-level
// identifier or, when Method is set, a selector of *Fake.
type Decl struct {
	Name   string
	Kind   DeclKind
	Method bool // a setter or member of Fake; else package-level
	// Secret is the secret the name is generated for: for a group type,
	// the first secret of the group. It is nil for DeclReserved and
	// DeclFakeMember.
	Secret *Secret
	Group  string // for DeclGroupType, the group's path prefix ("database")
}

// String describes the name for messages: "path constant PathDatabaseURL
// of secret database/url (4:3)", "group type DatabaseSettings of database/
// (secret database/url at 4:3)".
func (d Decl) String() string {
	switch {
	case d.Kind == DeclReserved:
		return "a generated identifier"
	case d.Kind == DeclFakeMember:
		return fmt.Sprintf("the method %s of Fake", d.Name)
	case d.Secret == nil:
		return fmt.Sprintf("%s %s", d.Kind, d.Name)
	case d.Kind == DeclGroupType:
		return fmt.Sprintf("%s %s of %s/ (secret %s at %s)", d.Kind, d.Name, d.Group, d.Secret.Path, d.Secret.Pos)
	}
	return fmt.Sprintf("%s %s of secret %s (%s)", d.Kind, d.Name, d.Secret.Path, d.Secret.Pos)
}

// Collision is the message about d when it repeats the name of the earlier
// declaration first, without the file:line:col prefix (the position is
// d.Secret's): "secret x: path constant PathX collides with Go type PathX
// of secret path/x (4:3)".
func (d Decl) Collision(first Decl) string {
	subject := fmt.Sprintf("%s %s", d.Kind, d.Name)
	if d.Kind == DeclGroupType {
		subject += " of " + d.Group + "/"
	}
	if d.Secret == nil {
		return fmt.Sprintf("%s collides with %s", subject, first)
	}
	other := first.String()
	if first.Secret == d.Secret {
		other = fmt.Sprintf("its own %s %s", first.Kind, first.Name)
		if first.Kind == DeclGroupType {
			other += " of " + first.Group + "/"
		}
	}
	return fmt.Sprintf("secret %s: %s collides with %s", d.Secret.Path, subject, other)
}

// Decls returns every name that the generated package of m declares:
// ReservedGoNames and FakeMembers first, then for each secret in manifest
// order the group type of each group it opens, its path constant, its
// setter and, for an enum or json secret, its type, enum constants or JSON
// parser and formatter. Parse guarantees that no two package-level names
// are equal and that no setter is a member of FakeMembers.
func (m *Manifest) Decls() []Decl { return decls(m.Secrets, nil) }

// decls lists the names of secrets; withValues, when not nil, says whether
// the enum constants of a secret are listed.
func decls(secrets []*Secret, withValues func(*Secret) bool) []Decl {
	var out []Decl
	for _, n := range ReservedGoNames {
		out = append(out, Decl{Name: n, Kind: DeclReserved})
	}
	for _, n := range FakeMembers {
		out = append(out, Decl{Name: n, Kind: DeclFakeMember, Method: true})
	}
	groups := map[string]bool{}
	for _, s := range secrets {
		segs := strings.Split(s.Path, "/")
		for k := 1; k < len(segs) && k < len(s.GoPath); k++ {
			prefix := strings.Join(segs[:k], "/")
			if !groups[prefix] {
				groups[prefix] = true
				out = append(out, Decl{Name: GroupTypeName(s.GoPath[:k]), Kind: DeclGroupType, Secret: s, Group: prefix})
			}
		}
		out = append(out,
			Decl{Name: s.PathConst(), Kind: DeclPathConst, Secret: s},
			Decl{Name: s.SetterName(), Kind: DeclSetter, Method: true, Secret: s},
		)
		switch s.Type.Kind {
		case Enum:
			out = append(out, Decl{Name: s.TypeName(), Kind: DeclType, Secret: s})
			if withValues == nil || withValues(s) {
				for _, v := range s.Values {
					out = append(out, Decl{Name: s.EnumConst(v), Kind: DeclEnumConst, Secret: s})
				}
			}
		case JSON:
			out = append(out,
				Decl{Name: s.TypeName(), Kind: DeclType, Secret: s},
				Decl{Name: s.ParserName(), Kind: DeclParser, Secret: s},
				Decl{Name: s.FormatterName(), Kind: DeclFormatter, Secret: s},
			)
		}
	}
	return out
}
