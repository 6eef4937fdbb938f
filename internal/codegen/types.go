package codegen

import (
	"github.com/dashtam/secretsgen/internal/manifest"
	"github.com/dashtam/secretsgen/runtime/genimpl"
	"github.com/dave/jennifer/jen"
)

// scalar returns the row of the table of scalar kinds (manifest.Scalar).
// manifest.Parse accepts no other kind where a scalar is expected.
func scalar(k manifest.Kind) manifest.ScalarKind {
	sk, ok := manifest.Scalar(k)
	if !ok {
		panic("codegen: not a scalar kind: " + string(k))
	}
	return sk
}

// scalarType is the Go type of a scalar kind.
func scalarType(k manifest.Kind) *jen.Statement {
	sk := scalar(k)
	t := jen.Id(sk.GoName)
	if sk.GoPkg != "" {
		t = jen.Qual(sk.GoPkg, sk.GoName)
	}
	if sk.Ptr {
		return jen.Op("*").Add(t)
	}
	return t
}

func parseFunc(k manifest.Kind) *jen.Statement  { return genimplPkg.Ident("Parse" + scalar(k).Func) }
func formatFunc(k manifest.Kind) *jen.Statement { return genimplPkg.Ident("Format" + scalar(k).Func) }

// valueType is the Go type of a leaf's value: url is *url.URL, []string is
// []string, an enum or json secret is its named type.
func (l *leaf) valueType() *jen.Statement {
	t := l.s.Type
	switch t.Kind {
	case manifest.Enum, manifest.JSON:
		return jen.Id(l.s.TypeName())
	case manifest.List:
		return jen.Index().Add(scalarType(t.Elem))
	case manifest.Map:
		return jen.Map(jen.String()).Add(scalarType(t.Elem))
	}
	return scalarType(t.Kind)
}

// fieldType is the type of the leaf's Settings field: runtime.Secret[T]
// when sensitive, else T.
func (l *leaf) fieldType() *jen.Statement {
	if l.s.Sensitive {
		return runtimePkg.Ident("Secret").Types(l.valueType())
	}
	return l.valueType()
}

// parser is an expression of type func(string) (T, error) for the leaf.
func (l *leaf) parser() *jen.Statement {
	t := l.s.Type
	switch t.Kind {
	case manifest.Enum:
		consts := make([]jen.Code, len(l.s.Values))
		for i, v := range l.s.Values {
			consts[i] = jen.Id(l.s.EnumConst(v))
		}
		return genimplPkg.Ident("ParseEnum").Call(consts...)
	case manifest.JSON:
		return jen.Id(l.s.ParserName())
	case manifest.List:
		return genimplPkg.Ident("ParseList").Call(parseFunc(t.Elem))
	case manifest.Map:
		return genimplPkg.Ident("ParseMap").Call(parseFunc(t.Elem))
	}
	return parseFunc(t.Kind)
}

// format is an expression that writes v (of the leaf's value type) in its
// backend text form.
func (l *leaf) format(v jen.Code) *jen.Statement {
	t := l.s.Type
	switch t.Kind {
	case manifest.Enum:
		return jen.String().Call(v)
	case manifest.JSON:
		return jen.Id(l.s.FormatterName()).Call(v)
	case manifest.List:
		return genimplPkg.Ident("FormatList").Call(v, formatFunc(t.Elem))
	case manifest.Map:
		return genimplPkg.Ident("FormatMap").Call(v, formatFunc(t.Elem))
	}
	return formatFunc(t.Kind).Call(v)
}

// sampler writes the sample values of SampleSettings and notes whether
// they need the mustParse helper.
type sampler struct {
	usesMustParse bool
}

// value is a sample of the leaf's value type: the parsed default when there
// is one, else a harmless valid value (manifest.ScalarKind.Sample).
func (sm *sampler) value(l *leaf) *jen.Statement {
	s := l.s
	switch {
	case s.Default != nil && s.Type.Kind == manifest.Enum:
		if v, err := genimpl.ParseEnum(s.Values...)(*s.Default); err == nil {
			return jen.Id(s.EnumConst(v))
		}
	case s.Default != nil:
		if _, ok := manifest.Scalar(s.Type.Kind); ok {
			return sm.scalar(s.Type.Kind, *s.Default)
		}
		sm.usesMustParse = true
		return jen.Id("mustParse").Call(l.parser(), jen.Lit(*s.Default))
	}
	switch s.Type.Kind {
	case manifest.Enum:
		return jen.Id(s.EnumConst(s.Values[0]))
	case manifest.JSON:
		fields := make([]jen.Code, len(s.Fields))
		for i, f := range s.Fields {
			fields[i] = jen.Id(f.GoName).Op(":").Add(sm.sample(f.Type, s.Path+"/"+f.Key))
		}
		return jen.Id(s.TypeName()).Values(fields...)
	case manifest.List:
		return l.valueType().Values(sm.sample(s.Type.Elem, s.Path))
	case manifest.Map:
		return l.valueType().Values(jen.Lit("sample").Op(":").Add(sm.sample(s.Type.Elem, s.Path)))
	}
	return sm.sample(s.Type.Kind, s.Path)
}

// sample is the sample value of scalar kind k for the secret or JSON field
// at path.
func (sm *sampler) sample(k manifest.Kind, path string) *jen.Statement {
	return sm.scalar(k, scalar(k).Sample(path))
}

// scalar is text, which manifest.Parse or the table has checked, as a value
// of scalar kind k: a Go literal for the kinds that have one, else text
// parsed at run time by mustParse with the parser Load uses.
func (sm *sampler) scalar(k manifest.Kind, text string) *jen.Statement {
	var v any
	var err error
	switch k {
	case manifest.String:
		v, err = genimpl.ParseString(text)
	case manifest.Int:
		v, err = genimpl.ParseInt(text)
	case manifest.Int64:
		v, err = genimpl.ParseInt64(text)
	case manifest.Float64:
		v, err = genimpl.ParseFloat64(text)
	case manifest.Bool:
		v, err = genimpl.ParseBool(text)
	}
	if v != nil && err == nil {
		return jen.Lit(v)
	}
	sm.usesMustParse = true
	return jen.Id("mustParse").Call(parseFunc(k), jen.Lit(text))
}
