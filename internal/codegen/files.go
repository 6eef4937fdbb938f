package codegen

import (
	"fmt"
	"strings"

	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dashtam/secretsgen/internal/manifest"
	"github.com/dave/jennifer/jen"
)

// settingsFile declares the version guard, App, the path constants, the
// Settings tree and the enum and json types.
func (g *generator) settingsFile() *jen.File {
	f := g.newFile()

	f.Add(docPara(
		"The version guard: this file fails to compile when the runtime package is",
		"older or newer than the generator that wrote it. Upgrade",
		"github.com/dashtam/secretsgen or rerun go generate.",
	))
	f.Const().Defs(
		jen.Id("_").Op("=").Add(genimplPkg.Ident("EnforceVersion")).Call(genimplPkg.Ident("GenVersion").Op("-").Lit(Version)),
		jen.Id("_").Op("=").Add(genimplPkg.Ident("EnforceVersion")).Call(jen.Lit(Version).Op("-").Add(genimplPkg.Ident("MinGenVersion"))),
	)

	f.Add(doc("App is the manifest's app, the {app} segment of backend secret names."))
	f.Const().Id("App").Op("=").Lit(g.m.App)

	if len(g.leaves) > 0 {
		f.Add(doc("The logical path of each secret, as the manifest and error messages name it."))
		defs := make([]jen.Code, 0, len(g.leaves))
		for _, l := range g.leaves {
			defs = append(defs, doc(fmt.Sprintf("%s is the path of %s.", l.s.PathConst(), settingsPath("Settings", l).GoString())).
				Line().Id(l.s.PathConst()).Op("=").Lit(l.s.Path))
		}
		f.Const().Defs(defs...)
	}

	f.Add(docPara(
		fmt.Sprintf("Settings holds every secret and setting of %s that the manifest lists.", g.m.App),
		"Load fills it from a provider; sensitive values are runtime.Secret values,",
		"which print as [REDACTED] and give their value only to Reveal.",
	))
	f.Type().Id(g.root.typeName).Struct(g.structFields(g.root)...)
	for _, gr := range g.groups {
		f.Add(doc(fmt.Sprintf("%s holds the settings under %s/.", gr.typeName, gr.prefix)))
		f.Type().Id(gr.typeName).Struct(g.structFields(gr)...)
	}

	for _, l := range g.leaves {
		switch l.s.Type.Kind {
		case manifest.Enum:
			g.enumType(f, l)
		case manifest.JSON:
			g.jsonType(f, l)
		}
	}
	return f
}

// structFields are the fields of a group struct, each with its doc comment
// and separated by blank lines.
func (g *generator) structFields(gr *group) []jen.Code {
	var fields []jen.Code
	for i, m := range gr.members {
		if i > 0 {
			fields = append(fields, jen.Line())
		}
		if m.group != nil {
			fields = append(fields, doc(fmt.Sprintf("%s holds the settings under %s/.", m.name, m.group.prefix)).
				Line().Id(m.name).Id(m.group.typeName))
			continue
		}
		lines := append(m.leaf.s.DescriptionLines(), "")
		if len(lines) == 1 {
			lines = nil
		}
		lines = append(lines, metaLine(m.leaf.s))
		fields = append(fields, doc(lines...).Line().Id(m.name).Add(m.leaf.fieldType()))
	}
	return fields
}

func (g *generator) enumType(f *jen.File, l *leaf) {
	s := l.s
	t := s.TypeName()
	f.Add(doc(fmt.Sprintf("%s is the type of %s: one of %s.", t, s.Path, strings.Join(quoteAll(s.Values), ", "))))
	f.Type().Id(t).String()
	f.Add(doc(fmt.Sprintf("The values of %s.", t)))
	defs := make([]jen.Code, len(s.Values))
	for i, v := range s.Values {
		defs[i] = jen.Id(s.EnumConst(v)).Id(t).Op("=").Lit(v)
	}
	f.Const().Defs(defs...)
}

func (g *generator) jsonType(f *jen.File, l *leaf) {
	s := l.s
	f.Add(doc(fmt.Sprintf("%s is the JSON object of %s.", s.TypeName(), s.Path)))
	fields := make([]jen.Code, len(s.Fields))
	for i, fd := range s.Fields {
		fields[i] = doc(fmt.Sprintf("%s is the member %q (%s).", fd.GoName, fd.Key, fd.Type)).
			Line().Id(fd.GoName).Add(scalarType(fd.Type)).Tag(map[string]string{"json": fd.Key})
	}
	f.Type().Id(s.TypeName()).Struct(fields...)
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// loadFile declares refs, Load, MustLoad and the JSON parsers.
func (g *generator) loadFile() *jen.File {
	f := g.newFile()

	f.Add(doc("refs are the secrets Load reads, in manifest order; Load's field i is refs[i]."))
	refs := make([]jen.Code, len(g.leaves))
	for i, l := range g.leaves {
		refs[i] = jen.Line().Add(refLiteral(l))
	}
	if len(refs) > 0 {
		refs = append(refs, jen.Line())
	}
	f.Var().Id("refs").Op("=").Index().Add(runtimePkg.Ident("Ref")).Values(refs...)

	ctx, p := jen.Id("ctx"), jen.Id("p")
	f.Add(docPara(
		"Load reads every secret and setting from p and parses each into its type.",
		"The secrets are fetched together (in one batch when p is a",
		"runtime.BatchProvider, else concurrently). When any fails, Load returns a",
		"*runtime.LoadError that lists every failing path with its backend, kind",
		"(errors.Is runtime.ErrNotFound, ErrAccessDenied, ErrInvalidValue or",
		"ErrUnavailable) and expected type, and never a secret value.",
	))
	f.Func().Id("Load").Params(ctx.Clone().Add(contextPkg.Ident("Context")), p.Clone().Add(runtimePkg.Ident("Provider"))).
		Params(jen.Op("*").Id("Settings"), jen.Error()).BlockFunc(func(b *jen.Group) {
		b.Id("l").Op(":=").Add(genimplPkg.Ident("Fetch")).Call(jen.Id("ctx"), jen.Id("p"), jen.Id("refs"))
		b.Id("s").Op(":=").New(jen.Id("Settings"))
		for i, l := range g.leaves {
			var v *jen.Statement
			switch {
			case l.s.Default != nil:
				v = genimplPkg.Ident("Default").Call(jen.Id("l"), jen.Lit(i), l.parser(), jen.Lit(*l.s.Default))
			case l.s.Optional:
				v = genimplPkg.Ident("Optional").Call(jen.Id("l"), jen.Lit(i), l.parser())
			default:
				v = genimplPkg.Ident("Field").Call(jen.Id("l"), jen.Lit(i), l.parser())
			}
			if l.s.Sensitive {
				v = runtimePkg.Ident("NewSecret").Call(v)
			}
			b.Add(settingsPath("s", l)).Op("=").Add(v)
		}
		b.If(jen.Err().Op(":=").Id("l").Dot("Err").Call(), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Nil(), jen.Err()),
		)
		b.Return(jen.Id("s"), jen.Nil())
	})

	f.Add(docPara(
		"MustLoad is a convenience over NewProvider and Load for a program's main",
		"function: it loads the settings from the backend that SECRETS_BACKEND",
		"chooses and panics with the error (which never contains a secret value)",
		"when that fails. It closes the provider it built before it returns (a",
		"one-shot load needs no token renewal). Use NewProvider and Load to handle",
		"the error yourself or to keep the provider; runtime.ExitOnError prints it",
		"without the panic's goroutine trace and exits with status 1.",
	))
	f.Func().Id("MustLoad").Params(jen.Id("ctx").Add(contextPkg.Ident("Context"))).Op("*").Id("Settings").Block(
		jen.List(jen.Id("p"), jen.Err()).Op(":=").Id("NewProvider").Call(jen.Id("ctx")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Panic(jen.Err())),
		jen.Defer().Id("p").Dot("Close").Call(),
		jen.List(jen.Id("s"), jen.Err()).Op(":=").Id("Load").Call(jen.Id("ctx"), jen.Id("p")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Panic(jen.Err())),
		jen.Return(jen.Id("s")),
	)

	for _, l := range g.leaves {
		if l.s.Type.Kind == manifest.JSON {
			g.jsonParser(f, l)
		}
	}
	return f
}

// refLiteral is the runtime.Ref of a leaf (manifest.Secret.Ref, which
// secretsgen check also reads); zero fields are left out.
func refLiteral(l *leaf) *jen.Statement {
	r := l.s.Ref()
	fields := []jen.Code{jen.Id("Path").Op(":").Id(l.s.PathConst())}
	for _, f := range []struct{ name, value string }{
		{"Env", r.Env}, {"Source", r.Source}, {"Key", r.Key}, {"Version", r.Version}, {"Type", r.Type},
	} {
		if f.value != "" {
			fields = append(fields, jen.Id(f.name).Op(":").Lit(f.value))
		}
	}
	return jen.Values(fields...)
}

func (g *generator) jsonParser(f *jen.File, l *leaf) {
	t, name := l.s.TypeName(), l.s.ParserName()
	f.Add(doc(fmt.Sprintf("%s reads the JSON object of %s; every member must be present.", name, l.s.Path)))
	f.Func().Id(name).Params(jen.Id("text").String()).Params(jen.Id(t), jen.Error()).BlockFunc(func(b *jen.Group) {
		b.List(jen.Id("o"), jen.Err()).Op(":=").Add(genimplPkg.Ident("ParseObject")).Call(jen.Id("text"))
		b.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Id(t).Values(), jen.Err()))
		members := make([]jen.Code, len(l.s.Fields))
		for i, fd := range l.s.Fields {
			members[i] = jen.Line().Id(fd.GoName).Op(":").Add(genimplPkg.Ident("Member")).
				Call(jen.Id("o"), jen.Lit(fd.Key), parseFunc(fd.Type))
		}
		if len(members) > 0 {
			members = append(members, jen.Line())
		}
		b.Id("v").Op(":=").Id(t).Values(members...)
		b.Return(jen.Id("v"), jen.Id("o").Dot("Err").Call())
	})
}

// providerFile declares NewProvider, the composition root: one case per
// manifest backend, each calling its adapter's FromEnv (backends.All).
func (g *generator) providerFile() *jen.File {
	f := g.newFile()
	names := make([]jen.Code, len(g.m.Backends))
	for i, b := range g.m.Backends {
		names[i] = jen.Lit(b)
	}
	f.Add(docPara(
		"NewProvider returns the provider of the backend that SECRETS_BACKEND",
		fmt.Sprintf("names (one of %s; env by default), in a *runtime.Cache", strings.Join(g.m.Backends, ", ")),
		"whose lifetime is SECRETS_CACHE_TTL. ENVIRONMENT is the {environment}",
		"segment of backend secret names (default development for env; required",
		"for the others). Call Refresh on the result after rotating a secret, and",
		"Close when you are done with it: Close stops background work such as",
		"Vault token renewal.",
	))
	f.Func().Id("NewProvider").Params(jen.Id("ctx").Add(contextPkg.Ident("Context"))).
		Params(jen.Op("*").Add(runtimePkg.Ident("Cache")), jen.Error()).BlockFunc(func(b *jen.Group) {
		b.List(jen.Id("cfg"), jen.Err()).Op(":=").Add(genimplPkg.Ident("ReadConfig")).
			Call(osPkg.Ident("Getenv"), jen.Index().String().Values(names...))
		b.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err()))
		b.Var().Id("p").Add(runtimePkg.Ident("Provider"))
		b.Switch(jen.Id("cfg").Dot("Backend")).BlockFunc(func(sw *jen.Group) {
			for _, name := range g.m.Backends {
				be, _ := backends.Lookup(name)
				args := []jen.Code{jen.Id("ctx")}
				if be.Scoped {
					args = append(args, jen.Id("App"), jen.Id("cfg").Dot("Environment"))
				}
				set := jen.List(jen.Id("p"), jen.Err()).Op("=").Qual(be.Package, "FromEnv").Call(args...)
				sw.Case(jen.Lit(name)).Block(set) // ReadConfig accepts no other backend
			}
		})
		b.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err()))
		b.Return(runtimePkg.Ident("NewCache").Call(jen.Id("p"),
			jen.Op("&").Add(runtimePkg.Ident("CacheOptions")).Values(jen.Id("TTL").Op(":").Id("cfg").Dot("CacheTTL"))), jen.Nil())
	})
	return f
}

// fakeFile declares Fake, NewFake, the typed setters, SampleSettings and
// the JSON formatters.
func (g *generator) fakeFile() *jen.File {
	f := g.newFile()
	f.Add(docPara(
		"Fake is an in-memory runtime.Provider for unit tests, named \"fake\". It",
		"serves the text form of typed values (see NewFake and the typed setters),",
		"and can set a raw text (SetRaw), rotate a value (Rotate), delete one",
		"(Delete), inject an error for a path (SetError) and count Get calls per",
		"path (Calls). Its methods take the Path constants. Printing a Fake shows",
		"none of its values.",
	))
	f.Type().Id("Fake").Struct(jen.Id("m").Op("*").Add(runtimePkg.Ident("Memory")))
	f.Var().Id("_").Add(runtimePkg.Ident("Provider")).Op("=").Parens(jen.Op("*").Id("Fake")).Call(jen.Nil())

	f.Add(docPara(
		"NewFake returns a Fake that serves every field of s in its backend text",
		"form, so that Load(ctx, NewFake(s)) returns a copy of s. A nil *url.URL",
		"field is left absent (Load then gives the field's default, or nil when",
		"it has none, or a not-found error when it is required). A nil s gives",
		"an empty Fake.",
	))
	f.Func().Id("NewFake").Params(jen.Id("s").Op("*").Id("Settings")).Op("*").Id("Fake").BlockFunc(func(b *jen.Group) {
		b.Id("f").Op(":=").Op("&").Id("Fake").Values(jen.Id("m").Op(":").Add(runtimePkg.Ident("NewMemory")).Call(jen.Lit("fake")))
		b.If(jen.Id("s").Op("==").Nil()).Block(jen.Return(jen.Id("f")))
		for _, l := range g.leaves {
			v := settingsPath("s", l)
			if l.s.Sensitive {
				v = v.Dot("Reveal").Call()
			}
			b.Id("f").Dot(l.s.SetterName()).Call(v)
		}
		b.Return(jen.Id("f"))
	})

	for _, name := range manifest.FakeMembers {
		fakeMethod(f, name)
	}
	for _, l := range g.leaves {
		g.setter(f, l)
	}

	sm := &sampler{}
	f.Add(docPara(
		"SampleSettings returns Settings with a valid value in every field: the",
		"manifest default where there is one, else a harmless sample such as",
		"\"https://example.com/database/url\" for a URL. Use it with NewFake in tests.",
	))
	f.Func().Id("SampleSettings").Params().Op("*").Id("Settings").BlockFunc(func(b *jen.Group) {
		b.Id("s").Op(":=").New(jen.Id("Settings"))
		for _, l := range g.leaves {
			v := sm.value(l)
			if l.s.Sensitive {
				v = runtimePkg.Ident("NewSecret").Call(v)
			}
			b.Add(settingsPath("s", l)).Op("=").Add(v)
		}
		b.Return(jen.Id("s"))
	})

	for _, l := range g.leaves {
		if l.s.Type.Kind == manifest.JSON {
			g.jsonFormatter(f, l)
		}
	}

	if sm.usesMustParse {
		f.Add(doc("mustParse parses a sample text written by the generator; it cannot fail."))
		f.Func().Id("mustParse").Types(jen.Id("T").Any()).
			Params(jen.Id("parse").Func().Params(jen.String()).Params(jen.Id("T"), jen.Error()), jen.Id("text").String()).
			Id("T").Block(
			jen.List(jen.Id("v"), jen.Err()).Op(":=").Id("parse").Call(jen.Id("text")),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Panic(jen.Lit("invalid generated sample: ").Op("+").Err().Dot("Error").Call())),
			jen.Return(jen.Id("v")),
		)
	}
	return f
}

// fakeMethod declares the method name of manifest.FakeMembers, which
// forwards to the same method of the Fake's runtime.Memory (SetRaw to Set).
func fakeMethod(f *jen.File, name string) {
	id, str, path := jen.Id, jen.String(), jen.Id("path").String()
	m := map[string]struct {
		doc, args       string
		params, results []jen.Code
	}{
		"Name":     {`Name returns "fake".`, "", nil, []jen.Code{str}},
		"Get":      {"Get returns the text served at ref.Path; see runtime.Memory.Get.", "ctx ref", []jen.Code{id("ctx").Add(contextPkg.Ident("Context")), id("ref").Add(runtimePkg.Ident("Ref"))}, []jen.Code{runtimePkg.Ident("Value"), jen.Error()}},
		"Where":    {`Where returns "memory:" and ref.Path.`, "ref", []jen.Code{id("ref").Add(runtimePkg.Ident("Ref"))}, []jen.Code{str}},
		"SetRaw":   {"SetRaw serves text, in its backend text form, at path and returns its version.", "path text", []jen.Code{id("path"), id("text").String()}, []jen.Code{str}},
		"Rotate":   {"Rotate is SetRaw, named for tests that rotate a secret.", "path text", []jen.Code{id("path"), id("text").String()}, []jen.Code{str}},
		"SetError": {"SetError makes reads of path fail with err until SetError(path, nil); see runtime.Memory.SetError.", "path err", []jen.Code{path, id("err").Error()}, nil},
		"Delete":   {"Delete removes the text at path; reads then fail with runtime.ErrNotFound.", "path", []jen.Code{path}, nil},
		"Calls":    {"Calls returns the number of reads of path so far.", "path", []jen.Code{path}, []jen.Code{jen.Int()}},
	}[name]
	if m.doc == "" {
		panic("codegen: no Fake method " + name)
	}
	var args []jen.Code
	for _, a := range strings.Fields(m.args) {
		args = append(args, id(a))
	}
	call := id("f").Dot("m").Dot(strings.TrimSuffix(name, "Raw")).Call(args...)
	if m.results != nil {
		call = jen.Return(call)
	}
	f.Add(doc(m.doc))
	f.Func().Params(id("f").Op("*").Id("Fake")).Id(name).Params(m.params...).Params(m.results...).Block(call)
}

// setter declares (*Fake).Set<Name>, which serves v as the leaf's value.
func (g *generator) setter(f *jen.File, l *leaf) {
	name, path := l.s.SetterName(), jen.Id(l.s.PathConst())
	if l.s.Type.Kind == manifest.URL {
		f.Add(doc(fmt.Sprintf("%s serves v as %s; a nil v deletes it.", name, l.s.Path)))
	} else {
		f.Add(doc(fmt.Sprintf("%s serves v as %s.", name, l.s.Path)))
	}
	f.Func().Params(jen.Id("f").Op("*").Id("Fake")).Id(name).Params(jen.Id("v").Add(l.valueType())).BlockFunc(func(b *jen.Group) {
		if l.s.Type.Kind == manifest.URL {
			b.If(jen.Id("v").Op("==").Nil()).Block(
				jen.Id("f").Dot("m").Dot("Delete").Call(path.Clone()),
				jen.Return(),
			)
		}
		b.Id("f").Dot("m").Dot("Set").Call(path, l.format(jen.Id("v")))
	})
}

func (g *generator) jsonFormatter(f *jen.File, l *leaf) {
	t, name := l.s.TypeName(), l.s.FormatterName()
	f.Add(doc(fmt.Sprintf("%s writes v as the JSON object of %s.", name, l.s.Path)))
	args := make([]jen.Code, 0, 2*len(l.s.Fields)+1)
	for _, fd := range l.s.Fields {
		args = append(args, jen.Line().Lit(fd.Key), formatFunc(fd.Type).Call(jen.Id("v").Dot(fd.GoName)))
	}
	if len(args) > 0 {
		args = append(args, jen.Line())
	}
	f.Func().Id(name).Params(jen.Id("v").Id(t)).String().Block(
		jen.Return(genimplPkg.Ident("FormatObject").Call(args...)),
	)
}
