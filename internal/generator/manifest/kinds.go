package manifest

import (
	"net/url"
	"strings"

	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// ScalarKind is one row of the table of scalar kinds: everything the
// manifest, the generator and `secretsgen check` know about a kind. Adding
// a scalar kind means one row here plus its genimpl.ParseX and FormatX.
type ScalarKind struct {
	Kind Kind
	// Func is the suffix of the kind's genimpl.ParseX and FormatX.
	Func string
	// GoPkg and GoName are the Go type (GoPkg empty for a predeclared
	// type); Ptr makes it a pointer.
	GoPkg, GoName string
	Ptr           bool
	// Literal is true when a value is written as a Go literal (string,
	// numbers, bool): the value Parse returns; other values are parsed
	// from their text at run time.
	Literal bool
	// Parse parses a text as Load does (genimpl.ParseX). Its error never
	// contains the text.
	Parse func(string) (any, error)
	// Sample is a harmless valid text for the secret or JSON field at path.
	Sample func(path string) string
}

// scalarKinds is the table, in the order messages list the kinds.
var scalarKinds = []ScalarKind{
	{Kind: String, Func: "String", GoName: "string", Literal: true, Parse: parse(genimpl.ParseString),
		Sample: func(p string) string { return "sample-" + strings.ReplaceAll(p, "/", "-") }},
	{Kind: Int, Func: "Int", GoName: "int", Literal: true, Parse: parse(genimpl.ParseInt), Sample: fixed("1")},
	{Kind: Int64, Func: "Int64", GoName: "int64", Literal: true, Parse: parse(genimpl.ParseInt64), Sample: fixed("1")},
	{Kind: Float64, Func: "Float64", GoName: "float64", Literal: true, Parse: parse(genimpl.ParseFloat64), Sample: fixed("1.5")},
	{Kind: Bool, Func: "Bool", GoName: "bool", Literal: true, Parse: parse(genimpl.ParseBool), Sample: fixed("true")},
	{Kind: Duration, Func: "Duration", GoPkg: "time", GoName: "Duration", Parse: parse(genimpl.ParseDuration), Sample: fixed("1s")},
	{Kind: URL, Func: "URL", GoPkg: "net/url", GoName: "URL", Ptr: true, Parse: parse(genimpl.ParseURL),
		Sample: func(p string) string { return "https://example.com/" + (&url.URL{Path: p}).EscapedPath() }},
	{Kind: Bytes, Func: "Bytes", GoName: "[]byte", Parse: parse(genimpl.ParseBytes), Sample: fixed("c2FtcGxl")}, // "sample"
	{Kind: Time, Func: "Time", GoPkg: "time", GoName: "Time", Parse: parse(genimpl.ParseTime), Sample: fixed("2024-01-02T03:04:05Z")},
}

// Scalar returns the row of scalar kind k, or nil for other kinds (which
// manifest.Parse accepts nowhere a scalar is expected).
func Scalar(k Kind) *ScalarKind {
	for _, sk := range scalarKinds {
		if sk.Kind == k {
			return &sk
		}
	}
	return nil
}

// Scalars returns the scalar kinds: the types of json fields and of list
// and map elements, besides secrets of their own.
func Scalars() []Kind {
	out := make([]Kind, len(scalarKinds))
	for i, sk := range scalarKinds {
		out[i] = sk.Kind
	}
	return out
}

func fixed(text string) func(string) string { return func(string) string { return text } }

func parse[T any](f func(string) (T, error)) func(string) (any, error) {
	return func(s string) (any, error) { return f(s) }
}

// Check parses text (a backend value) as the secret's type with the parsers
// generated code uses, so a default that passes here loads at run time and
// `secretsgen check` agrees with Load. The error never contains text.
func (s *Secret) Check(text string) error {
	elem := func(k Kind) func(string) (any, error) { return Scalar(k).Parse }
	var err error
	switch s.Type.Kind {
	case Enum:
		_, err = genimpl.ParseEnum(s.Values...)(text)
	case JSON:
		o, oerr := genimpl.ParseObject(text)
		if oerr != nil {
			return oerr
		}
		for _, f := range s.Fields {
			genimpl.Member(o, f.Key, elem(f.Type))
		}
		err = o.Err()
	case Credential:
		_, err = genimpl.ParseCredential(text)
	case List:
		_, err = genimpl.ParseList(elem(s.Type.Elem))(text)
	case Map:
		_, err = genimpl.ParseMap(elem(s.Type.Elem))(text)
	default:
		_, err = elem(s.Type.Kind)(text)
	}
	return err
}
