package manifest

import (
	"strings"

	"github.com/dashtam/secretsgen/internal/backends"
)

// Collisions reports, as an ErrorList, the collisions between m's secrets
// that Parse reports: env names (reserved, shared, or the file variable of
// another secret), Go field paths, Go names and generated identifiers
// (Decls). A secret whose GoPath does not match its path is reported too. A
// manifest returned by Parse has none, so Collisions returns nil for it; it
// is for a manifest built or changed by hand, which internal/codegen
// refuses rather than write a package that does not compile.
func (m *Manifest) Collisions() error {
	p := &parser{file: m.File}
	for _, s := range m.Secrets {
		ok := len(s.GoPath) == strings.Count(s.Path, "/")+1
		if !ok {
			p.add(s.Pos, "secret %s: Go path %v does not match the path", s.Path, s.GoPath)
		}
		p.infos = append(p.infos, &info{s: s, pathOK: ok, envPos: s.Pos, values: true})
	}
	p.crossChecks()
	return p.err()
}

// crossChecks reports collisions between secrets: env names, Go field paths,
// Go names and package-level identifiers. Nothing is ever renamed.
func (p *parser) crossChecks() {
	var ok []*info
	for _, in := range p.infos {
		if in.pathOK {
			ok = append(ok, in)
		}
	}
	p.envCollisions(ok)
	p.goCollisions(ok)
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
	for _, in := range infos {
		s := in.s
		base, isFile := strings.CutSuffix(s.Env, "_FILE")
		if f := first[base]; isFile && f != nil && f != in {
			p.add(in.envPos, "secret %s: env name %s is the file variable of secret %s (%s); set env: on one of them", s.Path, s.Env, f.s.Path, f.envPos)
		}
	}
}

// goNode is one struct field of the generated Settings tree: a group or a
// secret.
type goNode struct {
	raw  string // the path prefix it comes from, e.g. "database"
	leaf bool
	in   *info
}

func (p *parser) goCollisions(infos []*info) {
	tree := map[string]goNode{}
	flat := map[string]*info{}
	var good []*info
	for _, in := range infos {
		if p.treeCollision(tree, in) {
			continue
		}
		s := in.s
		if f := flat[s.GoName()]; f != nil {
			p.add(s.Pos, "secret %s: Go name %s (constant %s) is also the Go name of secret %s (%s)", s.Path, s.GoName(), s.PathConst(), f.s.Path, f.s.Pos)
			continue
		}
		flat[s.GoName()] = in
		good = append(good, in)
	}

	p.declCollisions(good)
}

// declCollisions reports every generated name (Decls) that repeats an
// earlier one: two package-level identifiers, or a Fake setter and a member
// of Fake. The secrets have distinct Go names and a consistent Settings
// tree (goCollisions), so each name is compared only with the names other
// secrets or the generated API declare.
func (p *parser) declCollisions(good []*info) {
	secrets := make([]*Secret, len(good))
	values := map[*Secret]bool{}
	for i, in := range good {
		secrets[i] = in.s
		values[in.s] = in.values
	}
	type key struct {
		name   string
		method bool
	}
	first := map[key]Decl{}
	for _, d := range decls(secrets, func(s *Secret) bool { return values[s] }) {
		k := key{d.Name, d.Method}
		switch f, ok := first[k]; {
		case !ok:
			first[k] = d
		case d.Secret != nil: // ReservedGoNames and FakeMembers are distinct (tested)
			p.add(d.Secret.Pos, "%s", d.Collision(f))
		}
	}
}

// treeCollision adds the secret's Go path to tree and reports whether it
// collides with an earlier secret: two path prefixes with one Go name
// ("http-client" and "http_client"), or a secret that is also a group
// ("database" and "database/url").
func (p *parser) treeCollision(tree map[string]goNode, in *info) bool {
	s := in.s
	segs := strings.Split(s.Path, "/")
	for k := 1; k <= len(segs); k++ {
		goKey := strings.Join(s.GoPath[:k], ".")
		raw := strings.Join(segs[:k], "/")
		leaf := k == len(segs)
		f, ok := tree[goKey]
		switch {
		case !ok:
			tree[goKey] = goNode{raw: raw, leaf: leaf, in: in}
			continue
		case f.raw != raw:
			p.add(s.Pos, "secret %s: %q and %q (secret %s at %s) both become Go name Settings.%s", s.Path, raw, f.raw, f.in.s.Path, f.in.s.Pos, goKey)
		case f.leaf:
			p.add(s.Pos, "secret %s: %s is a secret (%s), so it cannot also be a group of secrets", s.Path, raw, f.in.s.Pos)
		case leaf:
			p.add(s.Pos, "secret %s: %s is a group of secrets (secret %s at %s), so it cannot also be a secret", s.Path, raw, f.in.s.Path, f.in.s.Pos)
		default:
			continue // a shared group
		}
		return true
	}
	return false
}
