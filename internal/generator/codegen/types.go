package codegen

import (
	"slices"

	"github.com/dashtam/secretsgen/internal/generator/manifest"
	"github.com/dashtam/secretsgen/runtime/genimpl"
	"github.com/dave/jennifer/jen"
)

// scalarType is the Go type of a scalar kind.
func scalarType(k manifest.Kind) *jen.Statement {
	sk := manifest.Scalar(k)
	t := jen.Id(sk.GoName)
	if sk.GoPkg != "" {
		t = jen.Qual(sk.GoPkg, sk.GoName)
	}
	if sk.Ptr {
		return jen.Op("*").Add(t)
	}
	return t
}

// kindFunc is genimpl's op function of scalar kind k ("Parse": ParseURL).
func kindFunc(op string, k manifest.Kind) *jen.Statement {
	return genimplPkg.Ident(op + manifest.Scalar(k).Func)
}

// codec returns the Go type of a leaf's value (url is *url.URL, []string
// is []string, an enum or json secret is its named type), an expression of
// type func(string) (T, error) that parses it, and an expression that
// writes v (of that type) in its backend text form.
func codec(l *manifest.Leaf, v jen.Code) (typ, parse, format *jen.Statement) {
	switch t := l.Type; t.Kind {
	case manifest.Enum:
		consts := make([]jen.Code, len(l.EnumConsts))
		for i, c := range l.EnumConsts {
			consts[i] = jen.Id(c)
		}
		return jen.Id(l.TypeName), genimplPkg.Ident("ParseEnum").Call(consts...), jen.String().Call(v)
	case manifest.JSON:
		return jen.Id(l.TypeName), jen.Id(l.Parser), jen.Id(l.Formatter).Call(v)
	case manifest.List:
		return jen.Index().Add(scalarType(t.Elem)), genimplPkg.Ident("ParseList").Call(kindFunc("Parse", t.Elem)),
			genimplPkg.Ident("FormatList").Call(v, kindFunc("Format", t.Elem))
	case manifest.Map:
		return jen.Map(jen.String()).Add(scalarType(t.Elem)), genimplPkg.Ident("ParseMap").Call(kindFunc("Parse", t.Elem)),
			genimplPkg.Ident("FormatMap").Call(v, kindFunc("Format", t.Elem))
	case manifest.Credential:
		return runtimePkg.Ident("Credential"), genimplPkg.Ident("ParseCredential"), genimplPkg.Ident("FormatCredential").Call(v)
	}
	return scalarType(l.Type.Kind), kindFunc("Parse", l.Type.Kind), kindFunc("Format", l.Type.Kind).Call(v)
}

func valueType(l *manifest.Leaf) *jen.Statement { t, _, _ := codec(l, nil); return t }
func parseExpr(l *manifest.Leaf) *jen.Statement { _, p, _ := codec(l, nil); return p }

// sampler writes the sample values of SampleSettings and notes whether
// they need the mustParse helper.
type sampler struct {
	usesMustParse bool
}

// value is a sample of the leaf's value type: the parsed default when there
// is one, else a harmless valid value (manifest.ScalarKind.Sample).
func (sm *sampler) value(l *manifest.Leaf) *jen.Statement {
	s := l.Secret
	switch {
	case s.Default != nil && s.Type.Kind == manifest.Enum:
		if v, err := genimpl.ParseEnum(s.Values...)(*s.Default); err == nil {
			return jen.Id(l.EnumConsts[slices.Index(s.Values, v)])
		}
	case s.Default != nil:
		return sm.parsed(s.Type.Kind, parseExpr(l), *s.Default)
	}
	switch s.Type.Kind {
	case manifest.Enum:
		return jen.Id(l.EnumConsts[0])
	case manifest.JSON:
		fields := make([]jen.Code, len(s.Fields))
		for i, f := range s.Fields {
			fields[i] = jen.Id(f.GoName).Op(":").Add(sm.sample(f.Type, s.Path+"/"+f.Key))
		}
		return jen.Id(l.TypeName).Values(fields...)
	case manifest.List:
		return valueType(l).Values(sm.sample(s.Type.Elem, s.Path))
	case manifest.Map:
		return valueType(l).Values(jen.Lit("sample").Op(":").Add(sm.sample(s.Type.Elem, s.Path)))
	case manifest.Credential:
		// A credential with a database: is leased: the sample carries a
		// lease, which NewFake serves, so that Load(ctx, NewFake(s))
		// returns a copy of s.
		return runtimePkg.Ident("NewCredential").Call(jen.Lit("sample-user"), jen.Lit(manifest.Scalar(manifest.String).Sample(s.Path)), jen.Nil(), newLease(s))
	}
	return sm.sample(s.Type.Kind, s.Path)
}

// sample is the sample value of scalar kind k for the secret or JSON field
// at path.
func (sm *sampler) sample(k manifest.Kind, path string) *jen.Statement {
	return sm.parsed(k, kindFunc("Parse", k), manifest.Scalar(k).Sample(path))
}

// parsed is text, which manifest.Parse or the table has checked, as a
// value of kind k: a Go literal for the scalar kinds that have one, else
// text parsed at run time by mustParse with parse, the parser Load uses.
func (sm *sampler) parsed(k manifest.Kind, parse *jen.Statement, text string) *jen.Statement {
	if sk := manifest.Scalar(k); sk != nil && sk.Literal {
		if v, err := sk.Parse(text); err == nil {
			return jen.Lit(v)
		}
	}
	sm.usesMustParse = true
	return jen.Id(manifest.NameMustParse).Call(parse, jen.Lit(text))
}

// wrapped reports whether a leaf's field is a runtime.Secret: a sensitive
// secret, except a credential, whose password is a Secret already.
func wrapped(l *manifest.Leaf) bool {
	return l.Sensitive && l.Type.Kind != manifest.Credential
}

// newLease is the lease a Fake gives a credential of s: a new
// runtime.Lease when s has a database: (renewable for a dynamic role; for
// a static role Rotation, as the Vault adapter sets it), nil otherwise.
func newLease(s *manifest.Secret) *jen.Statement {
	if s.Database == nil {
		return jen.Nil()
	}
	st := []jen.Code{}
	if !s.Database.Static {
		st = append(st, jen.Id("Renewable").Op(":").True())
	} else {
		st = append(st, jen.Id("Rotation").Op(":").True())
	}
	return runtimePkg.Ident("NewLease").Call(runtimePkg.Ident("LeaseStatus").Values(st...))
}
