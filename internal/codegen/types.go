package codegen

import (
	"net/url"
	"strings"

	"github.com/dashtam/secretsgen/internal/manifest"
	"github.com/dashtam/secretsgen/runtime/genimpl"
	"github.com/dave/jennifer/jen"
)

// scalarNames maps each scalar kind (manifest.Scalars) to the suffix of its
// runtime ParseX and FormatX functions.
var scalarNames = map[manifest.Kind]string{
	manifest.String:   "String",
	manifest.Int:      "Int",
	manifest.Int64:    "Int64",
	manifest.Float64:  "Float64",
	manifest.Bool:     "Bool",
	manifest.Duration: "Duration",
	manifest.URL:      "URL",
	manifest.Bytes:    "Bytes",
	manifest.Time:     "Time",
}

// scalarType is the Go type of a scalar kind.
func scalarType(k manifest.Kind) *jen.Statement {
	switch k {
	case manifest.String:
		return jen.String()
	case manifest.Int:
		return jen.Int()
	case manifest.Int64:
		return jen.Int64()
	case manifest.Float64:
		return jen.Float64()
	case manifest.Bool:
		return jen.Bool()
	case manifest.Duration:
		return timePkg.Ident("Duration")
	case manifest.URL:
		return jen.Op("*").Add(urlPkg.Ident("URL"))
	case manifest.Bytes:
		return jen.Index().Byte()
	case manifest.Time:
		return timePkg.Ident("Time")
	}
	panic("codegen: not a scalar kind: " + string(k)) // manifest.Parse rejects it
}

func parseFunc(k manifest.Kind) *jen.Statement  { return genimplPkg.Ident("Parse" + scalarNames[k]) }
func formatFunc(k manifest.Kind) *jen.Statement { return genimplPkg.Ident("Format" + scalarNames[k]) }

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

func (sm *sampler) mustParse(parser jen.Code, text string) *jen.Statement {
	sm.usesMustParse = true
	return jen.Id("mustParse").Call(parser, jen.Lit(text))
}

// value is a sample of the leaf's value type: the parsed default when there
// is one, else a harmless valid value.
func (sm *sampler) value(l *leaf) *jen.Statement {
	s := l.s
	if s.Default != nil {
		if lit := defaultLiteral(l); lit != nil {
			return lit
		}
		return sm.mustParse(l.parser(), *s.Default)
	}
	switch s.Type.Kind {
	case manifest.Enum:
		return jen.Id(s.EnumConst(s.Values[0]))
	case manifest.JSON:
		fields := make([]jen.Code, len(s.Fields))
		for i, f := range s.Fields {
			fields[i] = jen.Id(f.GoName).Op(":").Add(sm.scalar(f.Type, s.Path+"/"+f.Key))
		}
		return jen.Id(s.TypeName()).Values(fields...)
	case manifest.List:
		return l.valueType().Values(sm.scalar(s.Type.Elem, s.Path))
	case manifest.Map:
		return l.valueType().Values(jen.Lit("sample").Op(":").Add(sm.scalar(s.Type.Elem, s.Path)))
	}
	return sm.scalar(s.Type.Kind, s.Path)
}

// scalar is a sample value of a scalar kind for the secret (or JSON field)
// at path.
func (sm *sampler) scalar(k manifest.Kind, path string) *jen.Statement {
	switch k {
	case manifest.String:
		return jen.Lit("sample-" + strings.ReplaceAll(path, "/", "-"))
	case manifest.Int:
		return jen.Lit(1)
	case manifest.Int64:
		return jen.Lit(int64(1))
	case manifest.Float64:
		return jen.Lit(1.5)
	case manifest.Bool:
		return jen.True()
	case manifest.Duration:
		return timePkg.Ident("Second")
	case manifest.URL:
		return sm.mustParse(parseFunc(manifest.URL), "https://example.com/"+escapePath(path))
	case manifest.Bytes:
		return jen.Index().Byte().Call(jen.Lit("sample"))
	case manifest.Time:
		return timePkg.Ident("Date").Call(jen.Lit(2024), timePkg.Ident("January"), jen.Lit(2),
			jen.Lit(3), jen.Lit(4), jen.Lit(5), jen.Lit(0), timePkg.Ident("UTC"))
	}
	panic("codegen: not a scalar kind: " + string(k))
}

// escapePath escapes each segment of path for use in a URL.
func escapePath(path string) string {
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return strings.Join(segs, "/")
}

// defaultLiteral is the default of an enum or simple scalar as a Go literal,
// parsed by the runtime parser that Load uses, or nil for other kinds, which
// SampleSettings parses at run time with mustParse. (manifest.Parse has
// checked that the default parses.)
func defaultLiteral(l *leaf) *jen.Statement {
	text := *l.s.Default
	switch l.s.Type.Kind {
	case manifest.Enum:
		if v, err := genimpl.ParseEnum(l.s.Values...)(text); err == nil {
			return jen.Id(l.s.EnumConst(v))
		}
	case manifest.String:
		if v, err := genimpl.ParseString(text); err == nil {
			return jen.Lit(v)
		}
	case manifest.Int:
		if v, err := genimpl.ParseInt(text); err == nil {
			return jen.Lit(v)
		}
	case manifest.Int64:
		if v, err := genimpl.ParseInt64(text); err == nil {
			return jen.Lit(v)
		}
	case manifest.Float64:
		if v, err := genimpl.ParseFloat64(text); err == nil {
			return jen.Lit(v)
		}
	case manifest.Bool:
		if v, err := genimpl.ParseBool(text); err == nil {
			return jen.Lit(v)
		}
	}
	return nil
}
