package manifest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dashtam/secretsgen/internal/backends"
)

// The package-level identifiers every generated package declares whatever
// the manifest holds. No name generated for a secret may be one of them.
const (
	NameApp            = "App"      // the constant holding the manifest's app
	NameSettings       = "Settings" // the root of the Settings tree
	NameFake           = "Fake"
	NameNewFake        = "NewFake"
	NameLoad           = "Load"
	NameMustLoad       = "MustLoad"
	NameNewProvider    = "NewProvider"
	NameLive           = "Live" // the alias of runtime.Live[Settings]
	NameWatch          = "Watch"
	NameMustWatch      = "MustWatch"
	NameSampleSettings = "SampleSettings"
	NameMustParse      = "mustParse" // declared only when SampleSettings needs it
	NameRefs           = "refs"
)

// ReservedGoNames lists the package-level identifiers above.
var ReservedGoNames = []string{NameApp, NameFake, NameLive, NameLoad, NameMustLoad, NameMustWatch, NameNewFake, NameNewProvider, NameSampleSettings, NameSettings, NameWatch, NameMustParse, NameRefs}

// FakeMembers are the methods the generated Fake has besides its typed
// setters: the Provider port (Name, Get, Where) and its raw methods (SetRaw,
// SetError, Rotate, Delete, Calls). internal/generator/codegen writes exactly these,
// from this list; a setter must not be one of them.
var FakeMembers = []string{"Name", "Get", "Where", "SetRaw", "SetError", "Rotate", "Delete", "Calls"}

// Names are the names of the package generated from a manifest, besides
// ReservedGoNames and FakeMembers. They are computed here, once, with
// every collision between them (which Parse reports with the manifest's
// other problems), and internal/generator/codegen writes these names and no others.
type Names struct {
	Root   *Group   // the Settings type
	Groups []*Group // the other groups, each after its parent, in the order of their first secret
	Leaves []*Leaf  // one per secret, in manifest order (the order of refs)
}

// Group is one struct type of the Settings tree.
type Group struct {
	Prefix  string   // path prefix without the trailing "/" ("database"); "" for the root
	Type    string   // its GoPath joined, then "Settings" ("DatabaseSettings")
	Members []Member // its fields, in manifest order
}

// Member is one field of a Group: a nested group or a secret.
type Member struct {
	Field string // a GoPath element
	Group *Group // nil for a secret
	Leaf  *Leaf  // nil for a group
}

// Leaf is a secret with the names generated for it, which derive from its
// GoName ("DatabaseURL").
type Leaf struct {
	*Secret
	Const  string // path constant: "PathDatabaseURL"
	Setter string // typed setter of Fake: "SetDatabaseURL"
	// TypeName is the named type of an enum or json secret (its GoName);
	// Parser and Formatter are the functions that read and write the JSON
	// object of a json secret ("parseDatabaseCredentials",
	// "formatDatabaseCredentials"). They are empty for other kinds.
	TypeName, Parser, Formatter string
	// EnumConsts are the constants of the enum values, in the order of
	// Values: GoName + GoName(value) ("AppLogLevelDebug").
	EnumConsts []string
	// Rotator is the Fake method that rotates a credential
	// ("RotateDatabaseApp"); empty for other kinds. Expirer, Renewer and
	// RenewFailer drive the lease of a credential with a database:
	// ("ExpireDatabaseApp", "RenewDatabaseApp", "FailRenewDatabaseApp");
	// empty for others.
	Rotator, Expirer, Renewer, RenewFailer string
}

func newLeaf(s *Secret) *Leaf {
	g := s.GoName()
	l := &Leaf{Secret: s, Const: "Path" + g, Setter: "Set" + g}
	switch s.Type.Kind {
	case Enum:
		l.TypeName = g
		for _, v := range s.Values {
			l.EnumConsts = append(l.EnumConsts, g+GoName(v))
		}
	case JSON:
		l.TypeName, l.Parser, l.Formatter = g, "parse"+g, "format"+g
	case Credential:
		l.Rotator = "Rotate" + g
		if s.Database != nil {
			l.Expirer, l.Renewer, l.RenewFailer = "Expire"+g, "Renew"+g, "FailRenew"+g
		}
	}
	return l
}

// Names returns the names of the package generated from m. When two names
// collide, or env names do, or a secret's GoPath does not match its path,
// it returns the problems as an ErrorList, as Parse reports them: a
// manifest returned by Parse has none. The check is for a manifest built
// or changed by hand, which internal/generator/codegen refuses rather than write a
// package that does not compile.
func (m *Manifest) Names() (*Names, error) {
	p := &parser{file: m.File}
	for _, s := range m.Secrets {
		ok := len(s.GoPath) == strings.Count(s.Path, "/")+1
		if !ok {
			p.add(s.Pos, "secret %s: Go path %v does not match the path", s.Path, s.GoPath)
		}
		p.infos = append(p.infos, &info{s: s, pathOK: ok, envPos: s.Pos, values: true})
	}
	n := p.names()
	if err := p.err(); err != nil {
		return nil, err
	}
	return n, nil
}

// names builds the Names of the secrets whose path is valid and reports
// every collision between them: env names, Go field paths, Go names and
// generated identifiers. Nothing is ever renamed.
func (p *parser) names() *Names {
	ok := slices.DeleteFunc(slices.Clone(p.infos), func(in *info) bool { return !in.pathOK })
	p.envCollisions(ok)

	tree, flat := map[string]*Secret{}, map[string]*Secret{}
	n := &Names{Root: &Group{Type: NameSettings}}
	groups := map[string]*Group{"": n.Root}
	first := map[string]decl{}
	for _, name := range ReservedGoNames {
		p.declare(first, decl{name: name})
	}
	for _, name := range FakeMembers {
		p.declare(first, decl{name: name, method: true})
	}
	for _, in := range ok {
		s := in.s
		if p.treeCollision(tree, s) {
			continue
		}
		if f := flat[s.GoName()]; f != nil {
			p.add(s.Pos, "secret %s: Go name %s (constant Path%[2]s) is also the Go name of secret %s (%s)", s.Path, s.GoName(), f.Path, f.Pos)
			continue
		}
		flat[s.GoName()] = s

		segs := strings.Split(s.Path, "/")
		parent := n.Root
		for k := 1; k < len(segs); k++ {
			prefix := strings.Join(segs[:k], "/")
			g := groups[prefix]
			if g == nil {
				g = &Group{Prefix: prefix, Type: strings.Join(s.GoPath[:k], "") + NameSettings}
				groups[prefix] = g
				n.Groups = append(n.Groups, g)
				parent.Members = append(parent.Members, Member{Field: s.GoPath[k-1], Group: g})
				p.declare(first, decl{name: g.Type, kind: "group type", s: s, group: prefix})
			}
			parent = g
		}
		l := newLeaf(s)
		n.Leaves = append(n.Leaves, l)
		parent.Members = append(parent.Members, Member{Field: s.GoPath[len(segs)-1], Leaf: l})

		ds := []decl{{name: l.Const, kind: "path constant"}, {name: l.Setter, kind: "Fake setter", method: true}, {name: l.TypeName, kind: "Go type"},
			{name: l.Parser, kind: "JSON parser"}, {name: l.Formatter, kind: "JSON formatter"},
			{name: l.Rotator, kind: "Fake rotator", method: true}, {name: l.Expirer, kind: "Fake lease method", method: true},
			{name: l.Renewer, kind: "Fake lease method", method: true}, {name: l.RenewFailer, kind: "Fake lease method", method: true}}
		for _, c := range l.EnumConsts {
			if in.values {
				ds = append(ds, decl{name: c, kind: "enum constant"})
			}
		}
		for _, d := range ds {
			if d.s = s; d.name != "" {
				p.declare(first, d)
			}
		}
	}
	return n
}

// decl is one name a generated package declares: a package-level
// identifier or, when method is set, a method of *Fake. s is the secret
// it is generated for (for a group type, the group's first secret); it is
// nil for ReservedGoNames and FakeMembers.
type decl struct {
	name, kind string
	method     bool
	s          *Secret
	group      string // the path prefix of a group type
}

// subject is "path constant PathX", "group type ABSettings of a/b/".
func (d decl) subject() string {
	if d.group != "" {
		return fmt.Sprintf("%s %s of %s/", d.kind, d.name, d.group)
	}
	return d.kind + " " + d.name
}

// declare records x and reports it when it repeats an earlier name: two
// package-level identifiers, or a setter and a member of Fake. first holds
// the names so far, methods as "(*Fake)." + name.
func (p *parser) declare(first map[string]decl, x decl) {
	key := x.name
	if x.method {
		key = "(*Fake)." + key
	}
	f, ok := first[key]
	if !ok {
		first[key] = x
		return
	}
	// ReservedGoNames and FakeMembers are distinct (tested), so x.s != nil.
	other := f.subject()
	switch {
	case f.s == x.s:
		other = "its own " + other
	case f.s == nil && f.method:
		other = "the method " + f.name + " of Fake"
	case f.s == nil:
		other = "a generated identifier"
	case f.group != "":
		other += fmt.Sprintf(" (secret %s at %s)", f.s.Path, f.s.Pos)
	default:
		other += fmt.Sprintf(" of secret %s (%s)", f.s.Path, f.s.Pos)
	}
	p.add(x.s.Pos, "secret %s: %s collides with %s", x.s.Path, x.subject(), other)
}

func (p *parser) envCollisions(infos []*info) {
	first := map[string]*info{}
	for _, in := range infos {
		s := in.s
		switch f, why := first[s.Env], backends.ReservedEnvWhy(s.Env); {
		case why != "":
			p.add(in.envPos, "secret %s: env name %s %s; set env: to another name", s.Path, s.Env, why)
		case f != nil:
			p.add(in.envPos, "secret %s: env name %s is also the env name of secret %s (%s); set env: on one of them", s.Path, s.Env, f.s.Path, f.envPos)
		default:
			first[s.Env] = in
		}
	}
	// The env backend reads a credential from NAME_USERNAME and
	// NAME_PASSWORD (and their _FILE variables).
	for _, in := range infos {
		s := in.s
		for _, part := range []string{"_USERNAME", "_PASSWORD"} {
			base, ok := strings.CutSuffix(strings.TrimSuffix(s.Env, "_FILE"), part)
			if f := first[base]; ok && f != nil && f != in && f.s.Type.Kind == Credential {
				p.add(in.envPos, "secret %s: env name %s is a variable of credential %s (%s), which the env backend reads from %s_USERNAME and %[5]s_PASSWORD; set env: on one of them", s.Path, s.Env, f.s.Path, f.envPos, f.s.Env)
			}
		}
	}
	for _, in := range infos {
		s := in.s
		base, isFile := strings.CutSuffix(s.Env, "_FILE")
		if f := first[base]; isFile && f != nil && f != in {
			p.add(in.envPos, "secret %s: env name %s is the file variable of secret %s (%s); set env: on one of them", s.Path, s.Env, f.s.Path, f.envPos)
		}
	}
}

// treeCollision adds the secret's Go path to tree, the first secret of each
// field of the Settings tree by Go path ("Database.URL"), and reports
// whether it collides with an earlier secret: two path prefixes with one
// Go name ("http-client" and "http_client"), or a secret that is also a
// group ("database" and "database/url").
func (p *parser) treeCollision(tree map[string]*Secret, s *Secret) bool {
	segs := strings.Split(s.Path, "/")
	for k := 1; k <= len(segs); k++ {
		goKey, raw := strings.Join(s.GoPath[:k], "."), strings.Join(segs[:k], "/")
		f := tree[goKey]
		if f == nil {
			tree[goKey] = s
			continue
		}
		fsegs := strings.Split(f.Path, "/")
		switch fraw := strings.Join(fsegs[:k], "/"); {
		case fraw != raw:
			p.add(s.Pos, "secret %s: %q and %q (secret %s at %s) both become Go name Settings.%s", s.Path, raw, fraw, f.Path, f.Pos, goKey)
		case len(fsegs) == k:
			p.add(s.Pos, "secret %s: %s is a secret (%s), so it cannot also be a group of secrets", s.Path, raw, f.Pos)
		case k == len(segs):
			p.add(s.Pos, "secret %s: %s is a group of secrets (secret %s at %s), so it cannot also be a secret", s.Path, raw, f.Path, f.Pos)
		default:
			continue // a shared group
		}
		return true
	}
	return false
}
