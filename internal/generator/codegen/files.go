package codegen

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dashtam/secretsgen/internal/generator/manifest"
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
	f.Const().Id(manifest.NameApp).Op("=").Lit(g.m.App)

	if len(g.n.Leaves) > 0 {
		f.Add(doc("The logical path of each secret, as the manifest and error messages name it."))
		defs := make([]jen.Code, 0, len(g.n.Leaves))
		for _, l := range g.n.Leaves {
			defs = append(defs, doc(fmt.Sprintf("%s is the path of %s.", l.Const, settingsPath(manifest.NameSettings, l).GoString())).
				Line().Id(l.Const).Op("=").Lit(l.Path))
		}
		f.Const().Defs(defs...)
	}

	f.Add(docPara(
		fmt.Sprintf("Settings holds every secret and setting of %s that the manifest lists.", g.m.App),
		"Load fills it from a provider; sensitive values are runtime.Secret values,",
		"which print as [REDACTED] and give their value only to Reveal.",
	))
	f.Comment("")
	f.Comment("Field names are the words of each path segment in CamelCase, with common")
	f.Comment("initialisms in upper case (url: URL, api_key: APIKey, db_host: DBHost);")
	f.Comment("secretsgen's docs/manifest.md, \"Names\", has the list.")
	f.Type().Id(g.n.Root.Type).Struct(g.structFields(g.n.Root)...)
	for _, gr := range g.n.Groups {
		f.Add(doc(fmt.Sprintf("%s holds the settings under %s/.", gr.Type, gr.Prefix)))
		f.Type().Id(gr.Type).Struct(g.structFields(gr)...)
	}

	for _, l := range g.n.Leaves {
		switch l.Type.Kind {
		case manifest.Enum:
			g.enumType(f, l)
		case manifest.JSON:
			g.jsonType(f, l)
		}
	}
	return f
}

// structFields are the fields of a group struct, each with its doc comment
// and separated by blank lines; a sensitive secret is a runtime.Secret[T].
func (g *generator) structFields(gr *manifest.Group) []jen.Code {
	var fields []jen.Code
	for i, m := range gr.Members {
		if i > 0 {
			fields = append(fields, jen.Line())
		}
		if m.Group != nil {
			fields = append(fields, doc(fmt.Sprintf("%s holds the settings under %s/.", m.Field, m.Group.Prefix)).
				Line().Id(m.Field).Id(m.Group.Type))
			continue
		}
		text, typ := metaLine(m.Leaf.Secret), valueType(m.Leaf)
		if m.Leaf.Description != "" {
			text = m.Leaf.Description + "\n\n" + text
		}
		if wrapped(m.Leaf) {
			typ = runtimePkg.Ident("Secret").Types(typ)
		}
		fields = append(fields, doc(text).Line().Id(m.Field).Add(typ))
	}
	return fields
}

func (g *generator) enumType(f *jen.File, l *manifest.Leaf) {
	t := l.TypeName
	defs, quoted := make([]jen.Code, len(l.Values)), make([]string, len(l.Values))
	for i, v := range l.Values {
		defs[i], quoted[i] = jen.Id(l.EnumConsts[i]).Id(t).Op("=").Lit(v), strconv.Quote(v)
	}
	f.Add(doc(fmt.Sprintf("%s is the type of %s: one of %s.", t, l.Path, strings.Join(quoted, ", "))))
	f.Type().Id(t).String()
	f.Add(doc(fmt.Sprintf("The values of %s.", t)))
	f.Const().Defs(defs...)
}

func (g *generator) jsonType(f *jen.File, l *manifest.Leaf) {
	f.Add(doc(fmt.Sprintf("%s is the JSON object of %s.", l.TypeName, l.Path)))
	fields := make([]jen.Code, len(l.Fields))
	for i, fd := range l.Fields {
		fields[i] = doc(fmt.Sprintf("%s is the member %q (%s).", fd.GoName, fd.Key, fd.Type)).
			Line().Id(fd.GoName).Add(scalarType(fd.Type)).Tag(map[string]string{"json": fd.Key})
	}
	f.Type().Id(l.TypeName).Struct(fields...)
}

// loadFile declares refs, Load, MustLoad and the JSON parsers.
func (g *generator) loadFile() *jen.File {
	f := g.newFile()

	f.Add(doc("refs are the secrets Load reads, in manifest order; Load's field i is refs[i]."))
	refs := make([]jen.Code, len(g.n.Leaves))
	for i, l := range g.n.Leaves {
		refs[i] = jen.Line().Add(refLiteral(l))
	}
	f.Var().Id(manifest.NameRefs).Op("=").Index().Add(runtimePkg.Ident("Ref")).Values(lines(refs)...)

	f.Add(docPara(
		"Load reads every secret and setting from p and parses each into its type.",
		"The secrets are fetched together (in one batch when p is a",
		"runtime.BatchProvider, else concurrently). When any fails, Load returns a",
		"*runtime.LoadError that lists every failing path with its backend, kind",
		"(errors.Is runtime.ErrNotFound, ErrAccessDenied, ErrInvalidValue or",
		"ErrUnavailable) and expected type, and never a secret value.",
	))
	f.Func().Id(manifest.NameLoad).Params(jen.Id("ctx").Add(contextPkg.Ident("Context")), jen.Id("p").Add(runtimePkg.Ident("Provider"))).
		Params(jen.Op("*").Id(manifest.NameSettings), jen.Error()).BlockFunc(func(b *jen.Group) {
		b.Id("l").Op(":=").Add(genimplPkg.Ident("Fetch")).Call(jen.Id("ctx"), jen.Id("p"), jen.Id(manifest.NameRefs))
		b.Id("s").Op(":=").New(jen.Id(manifest.NameSettings))
		for i, l := range g.n.Leaves {
			read, args := "Field", []jen.Code{jen.Id("l"), jen.Lit(i), parseExpr(l)}
			switch {
			case l.Type.Kind == manifest.Credential && l.Optional:
				read, args = "OptionalCredential", args[:2]
			case l.Type.Kind == manifest.Credential:
				read, args = "Credential", args[:2]
			case l.Default != nil:
				read, args = "Default", append(args, jen.Lit(*l.Default))
			case l.Optional:
				read = "Optional"
			}
			assign(b, l, genimplPkg.Ident(read).Call(args...))
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
	f.Func().Id(manifest.NameMustLoad).Params(jen.Id("ctx").Add(contextPkg.Ident("Context"))).Op("*").Id(manifest.NameSettings).Block(
		jen.List(jen.Id("p"), jen.Err()).Op(":=").Id(manifest.NameNewProvider).Call(jen.Id("ctx")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Panic(jen.Err())),
		jen.Defer().Id("p").Dot("Close").Call(),
		jen.List(jen.Id("s"), jen.Err()).Op(":=").Id(manifest.NameLoad).Call(jen.Id("ctx"), jen.Id("p")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Panic(jen.Err())),
		jen.Return(jen.Id("s")),
	)

	for _, l := range g.n.Leaves {
		if l.Type.Kind == manifest.JSON {
			g.jsonParser(f, l)
		}
	}
	return f
}

// refLiteral is the runtime.Ref of a leaf (manifest.Secret.Ref, which
// secretsgen check also reads); zero fields are left out.
func refLiteral(l *manifest.Leaf) *jen.Statement {
	r := l.Ref()
	fields := []jen.Code{jen.Id("Path").Op(":").Id(l.Const)}
	for _, f := range []struct{ name, value string }{
		{"Env", r.Env}, {"Source", r.Source}, {"Key", r.Key}, {"Version", r.Version}, {"Type", r.Type}, {"Database", r.Database},
	} {
		if f.value != "" {
			fields = append(fields, jen.Id(f.name).Op(":").Lit(f.value))
		}
	}
	return jen.Values(fields...)
}

func (g *generator) jsonParser(f *jen.File, l *manifest.Leaf) {
	t, name := l.TypeName, l.Parser
	f.Add(doc(fmt.Sprintf("%s reads the JSON object of %s; every member must be present.", name, l.Path)))
	f.Func().Id(name).Params(jen.Id("text").String()).Params(jen.Id(t), jen.Error()).BlockFunc(func(b *jen.Group) {
		b.List(jen.Id("o"), jen.Err()).Op(":=").Add(genimplPkg.Ident("ParseObject")).Call(jen.Id("text"))
		b.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Id(t).Values(), jen.Err()))
		members := make([]jen.Code, len(l.Fields))
		for i, fd := range l.Fields {
			members[i] = jen.Line().Id(fd.GoName).Op(":").Add(genimplPkg.Ident("Member")).
				Call(jen.Id("o"), jen.Lit(fd.Key), kindFunc("Parse", fd.Type))
		}
		b.Id("v").Op(":=").Id(t).Values(lines(members)...)
		b.Return(jen.Id("v"), jen.Id("o").Dot("Err").Call())
	})
}

// providerFile declares NewProvider, the composition root: one case per
// manifest backend, each calling its adapter's FromEnv (backends.All), and
// genimpl.Open building one provider or the layers SECRETS_BACKEND lists.
func (g *generator) providerFile() *jen.File {
	f := g.newFile()
	names := make([]jen.Code, len(g.m.Backends))
	for i, b := range g.m.Backends {
		names[i] = jen.Lit(b)
	}
	f.Add(docPara(
		"NewProvider returns the provider of the backend that SECRETS_BACKEND",
		fmt.Sprintf("names (one of %s; env by default), or of the layers a", strings.Join(g.m.Backends, ", ")),
		"comma-separated list of them names (such as env,aws: each secret from",
		"the first layer that has it; only \"not found\" falls through), in a",
		"*runtime.Cache whose lifetime is SECRETS_CACHE_TTL. ENVIRONMENT is the",
		"{environment} segment of backend secret names (default development",
		"when no layer needs it). Call Refresh on the result after rotating a",
		"secret, and Close when you are done with it: Close stops background",
		"work such as Vault token renewal and closes every layer.",
	))
	f.Comment("")
	f.Comment("Metrics and events: when ctx carries a runtime.Telemetry")
	f.Comment("(runtime.WithTelemetry), the adapters record their requests through it")
	f.Comment("and the Cache passes it to the Lives over it (Watch).")
	if slices.Contains(g.m.Backends, "env") {
		f.Comment("")
		f.Comment("When env is one layer of several, an empty variable counts as unset,")
		f.Comment("so that it does not shadow a later layer's value.")
	}
	f.Func().Id(manifest.NameNewProvider).Params(jen.Id("ctx").Add(contextPkg.Ident("Context"))).
		Params(jen.Op("*").Add(runtimePkg.Ident("Cache")), jen.Error()).BlockFunc(func(b *jen.Group) {
		b.List(jen.Id("cfg"), jen.Err()).Op(":=").Add(genimplPkg.Ident("ReadConfig")).
			Call(osPkg.Ident("Getenv"), jen.Index().String().Values(names...))
		b.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err()))
		open := jen.Func().Params(jen.Id("ctx").Add(contextPkg.Ident("Context")), jen.Id("backend").String()).
			Params(runtimePkg.Ident("Provider"), jen.Error()).BlockFunc(func(fb *jen.Group) {
			fb.Switch(jen.Id("backend")).BlockFunc(func(sw *jen.Group) {
				for _, name := range g.m.Backends {
					sw.Case(jen.Lit(name)).Block(jen.Return(openBackend(name)))
				}
			})
			// ReadConfig accepts only names, so this is unreachable unless
			// the two lists drift: say so rather than return no provider.
			fb.Comment("ReadConfig accepts no other backend; if it did, say which are here.")
			fb.Return(jen.Nil(), fmtPkg.Ident("Errorf").Call(
				jen.Lit(fmt.Sprintf("SECRETS_BACKEND=%%s: %%q is not a backend this package was generated for (%s); use one of those, or add it to backends: in the manifest and regenerate", strings.Join(g.m.Backends, ", "))),
				jen.Id("cfg").Dot("Backend"), jen.Id("backend")))
		})
		b.List(jen.Id("p"), jen.Err()).Op(":=").Add(genimplPkg.Ident("Open")).Call(jen.Id("ctx"), jen.Id("cfg"), open)
		b.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err()))
		b.Return(runtimePkg.Ident("NewCache").Call(jen.Id("p"),
			jen.Op("&").Add(runtimePkg.Ident("CacheOptions")).Values(jen.Id("TTL").Op(":").Id("cfg").Dot("CacheTTL"),
				jen.Id("Telemetry").Op(":").Add(runtimePkg.Ident("TelemetryFrom")).Call(jen.Id("ctx")))), jen.Nil())
	})
	return f
}

// openBackend is the call that opens backend name in the generated
// NewProvider, in the scope of its open function (ctx, cfg): the adapter's
// FromEnv (backends.All), with App and the environment for a scoped
// backend; env is opened with EmptyIsUnset when it is one layer of several.
func openBackend(name string) *jen.Statement {
	be, _ := backends.Lookup(name)
	if name == "env" {
		return jen.Qual(be.Package, "FromEnvWith").Call(jen.Id("ctx"),
			jen.Op("&").Qual(be.Package, "Options").Values(jen.Id("EmptyIsUnset").Op(":").Id("cfg").Dot("Layered").Call()))
	}
	args := []jen.Code{jen.Id("ctx")}
	if be.Scoped {
		args = append(args, jen.Id(manifest.NameApp), jen.Id("cfg").Dot("Environment"))
	}
	return jen.Qual(be.Package, "FromEnv").Call(args...)
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
	f.Type().Id(manifest.NameFake).Struct(jen.Id("m").Op("*").Add(runtimePkg.Ident("Memory")))
	f.Var().Id("_").Add(runtimePkg.Ident("Provider")).Op("=").Parens(jen.Op("*").Id(manifest.NameFake)).Call(jen.Nil())

	f.Add(docPara(
		"NewFake returns a Fake that serves every field of s in its backend text",
		"form, so that Load(ctx, NewFake(s)) returns a copy of s. A nil *url.URL",
		"or zero runtime.Credential field is left absent (Load then gives the field's default, or nil when",
		"it has none, or a not-found error when it is required). A nil s gives",
		"an empty Fake.",
	))
	f.Func().Id(manifest.NameNewFake).Params(jen.Id("s").Op("*").Id(manifest.NameSettings)).Op("*").Id(manifest.NameFake).BlockFunc(func(b *jen.Group) {
		b.Id("f").Op(":=").Op("&").Id(manifest.NameFake).Values(jen.Id("m").Op(":").Add(runtimePkg.Ident("NewMemory")).Call(jen.Lit("fake")))
		b.If(jen.Id("s").Op("==").Nil()).Block(jen.Return(jen.Id("f")))
		for _, l := range g.n.Leaves {
			v := settingsPath("s", l)
			if wrapped(l) {
				v = v.Dot("Reveal").Call()
			}
			b.Id("f").Dot(l.Setter).Call(v)
		}
		b.Return(jen.Id("f"))
	})

	for _, name := range manifest.FakeMembers {
		fakeMethod(f, name)
	}
	for _, l := range g.n.Leaves {
		g.setter(f, l)
		if l.Type.Kind == manifest.Credential {
			g.credentialMethods(f, l)
		}
	}

	sm := &sampler{}
	f.Add(docPara(
		"SampleSettings returns Settings with a valid value in every field: the",
		"manifest default where there is one, else a harmless sample such as",
		"\"https://example.com/database/url\" for a URL. Use it with NewFake in tests.",
	))
	f.Func().Id(manifest.NameSampleSettings).Params().Op("*").Id(manifest.NameSettings).BlockFunc(func(b *jen.Group) {
		b.Id("s").Op(":=").New(jen.Id(manifest.NameSettings))
		for _, l := range g.n.Leaves {
			assign(b, l, sm.value(l))
		}
		b.Return(jen.Id("s"))
	})

	for _, l := range g.n.Leaves {
		if l.Type.Kind == manifest.JSON {
			g.jsonFormatter(f, l)
		}
	}

	if sm.usesMustParse {
		f.Add(doc("mustParse parses a sample text written by the generator; it cannot fail."))
		f.Func().Id(manifest.NameMustParse).Types(jen.Id("T").Any()).
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
// forwards to the same method of the Fake's runtime.Memory (SetRaw and
// Rotate to Set).
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
	target := map[string]string{"SetRaw": "Set", "Rotate": "Set"}[name] // the Memory method
	if target == "" {
		target = name
	}
	call := id("f").Dot("m").Dot(target).Call(args...)
	if m.results != nil {
		call = jen.Return(call)
	}
	f.Add(doc(m.doc))
	f.Func().Params(id("f").Op("*").Id(manifest.NameFake)).Id(name).Params(m.params...).Params(m.results...).Block(call)
}

// setter declares (*Fake).Set<Name>, which serves v as the leaf's value.
func (g *generator) setter(f *jen.File, l *manifest.Leaf) {
	name, path := l.Setter, jen.Id(l.Const)
	if l.Type.Kind == manifest.URL {
		f.Add(doc(fmt.Sprintf("%s serves v as %s; a nil v deletes it.", name, l.Path)))
	} else {
		f.Add(doc(fmt.Sprintf("%s serves v as %s.", name, l.Path)))
	}
	if l.Type.Kind == manifest.Credential {
		f.Add(doc(fmt.Sprintf("%s serves v as %s; a zero v (IsZero) deletes it.%s", name, l.Path, leaseDoc(l))))
		f.Func().Params(jen.Id("f").Op("*").Id(manifest.NameFake)).Id(name).Params(jen.Id("v").Add(valueType(l))).Block(
			jen.If(jen.Id("v").Dot("IsZero").Call()).Block(
				jen.Id("f").Dot("m").Dot("Delete").Call(path.Clone()),
				jen.Return(),
			),
			jen.Id("f").Dot("m").Dot("SetValue").Call(path, genimplPkg.Ident("CredentialValue").Call(jen.Id("v"), newLease(l.Secret))),
		)
		return
	}
	f.Func().Params(jen.Id("f").Op("*").Id(manifest.NameFake)).Id(name).Params(jen.Id("v").Add(valueType(l))).BlockFunc(func(b *jen.Group) {
		if l.Type.Kind == manifest.URL {
			b.If(jen.Id("v").Op("==").Nil()).Block(
				jen.Id("f").Dot("m").Dot("Delete").Call(path.Clone()),
				jen.Return(),
			)
		}
		_, _, format := codec(l, jen.Id("v"))
		b.Id("f").Dot("m").Dot("Set").Call(path, format)
	})
}

// leaseDoc is what a credential setter's comment says of the lease.
func leaseDoc(l *manifest.Leaf) string {
	if l.Database == nil {
		return " The credential is served with v's lease, if any (Vault KV, Secrets Manager, variables and files give none)."
	}
	return fmt.Sprintf(" The credential is served with v's lease, or a new one when v has none (as Vault's database engine leases %s): %s, %s and %s drive it.", l.Database.Path(), l.Expirer, l.Renewer, l.RenewFailer)
}

// credentialMethods declares the Fake methods that rotate a credential and
// drive its lease.
func (g *generator) credentialMethods(f *jen.File, l *manifest.Leaf) {
	recv, path := jen.Id("f").Op("*").Id(manifest.NameFake), jen.Id(l.Const)
	f.Add(doc(fmt.Sprintf("%s serves a new version of %s, as a rotation of its password does, and returns the version.", l.Rotator, l.Path) +
		map[bool]string{true: " The new credential has a new lease, as a new login from the database engine has.", false: ""}[l.Database != nil]))
	f.Func().Params(recv.Clone()).Id(l.Rotator).Params(jen.List(jen.Id("username"), jen.Id("password")).String()).String().Block(
		jen.Return(jen.Id("f").Dot("m").Dot("SetValue").Call(path.Clone(), genimplPkg.Ident("CredentialValue").Call(
			runtimePkg.Ident("NewCredential").Call(jen.Id("username"), jen.Id("password"), jen.Nil(), jen.Nil()), newLease(l.Secret)))),
	)
	if l.Database == nil {
		return
	}
	f.Add(doc(fmt.Sprintf("%s ends the lease of the %s credential served now, as when Vault's lease runs out: it expires now and cannot be renewed. It panics when none is served.", l.Expirer, l.Path)))
	f.Func().Params(recv.Clone()).Id(l.Expirer).Params().Block(genimplPkg.Ident("FakeExpire").Call(jen.Id("f").Dot("m"), path.Clone()))
	f.Add(doc(fmt.Sprintf("%s renews the lease of the %s credential served now for d: it expires d from now and has no error. It panics when none is served.", l.Renewer, l.Path)))
	f.Func().Params(recv.Clone()).Id(l.Renewer).Params(jen.Id("d").Qual("time", "Duration")).Block(genimplPkg.Ident("FakeRenew").Call(jen.Id("f").Dot("m"), path.Clone(), jen.Id("d")))
	f.Add(doc(fmt.Sprintf("%s records err as a failed renewal of the lease of the %s credential served now; its expiry does not move. err must not contain a secret value. It panics when none is served.", l.RenewFailer, l.Path)))
	f.Func().Params(recv.Clone()).Id(l.RenewFailer).Params(jen.Id("err").Error()).Block(genimplPkg.Ident("FakeFailRenew").Call(jen.Id("f").Dot("m"), path.Clone(), jen.Id("err")))
}

func (g *generator) jsonFormatter(f *jen.File, l *manifest.Leaf) {
	t, name := l.TypeName, l.Formatter
	f.Add(doc(fmt.Sprintf("%s writes v as the JSON object of %s.", name, l.Path)))
	args := make([]jen.Code, 0, 2*len(l.Fields)+1)
	for _, fd := range l.Fields {
		args = append(args, jen.Line().Lit(fd.Key), kindFunc("Format", fd.Type).Call(jen.Id("v").Dot(fd.GoName)))
	}
	f.Func().Id(name).Params(jen.Id("v").Id(t)).String().Block(
		jen.Return(genimplPkg.Ident("FormatObject").Call(lines(args)...)),
	)
}

// assign writes s.<Go path of l> = v, v wrapped in a runtime.Secret when l
// is sensitive.
func assign(b *jen.Group, l *manifest.Leaf, v *jen.Statement) {
	if wrapped(l) {
		v = runtimePkg.Ident("NewSecret").Call(v)
	}
	b.Add(settingsPath("s", l)).Op("=").Add(v)
}

// lines ends a list of items that each start with a line break with one
// more, so that the closing brace or parenthesis stands on its own line.
func lines(items []jen.Code) []jen.Code {
	if len(items) == 0 {
		return nil
	}
	return append(items, jen.Line())
}

// watchFile declares Live, Watch and MustWatch: the settings kept current
// through rotations by a runtime.Live.
func (g *generator) watchFile() *jen.File {
	f := g.newFile()
	ctxParam := jen.Id("ctx").Add(contextPkg.Ident("Context"))
	live := jen.Op("*").Id(manifest.NameLive)

	f.Add(docPara(
		"Live keeps the Settings current while their secrets rotate (Watch,",
		"MustWatch): Settings returns the current *Settings with one atomic load,",
		"swapped as a whole, never a mix of two versions; OnChange runs a callback",
		"after each swap with the changed paths; RefreshNow fetches named secrets",
		"now, for a retry after the backend's consumer rejected a credential;",
		"Status reports each secret's version, last fetch and problem without any",
		"value; Close stops it. See runtime.Live.",
	))
	f.Type().Id(manifest.NameLive).Op("=").Add(runtimePkg.Ident("Live")).Types(jen.Id(manifest.NameSettings))

	f.Add(docPara(
		"Watch loads the settings from p once, as Load does (the error lists every",
		"problem at once), and keeps them current: every opts.PollInterval it",
		"fetches every secret in one batch and, when a version changed, loads new",
		"Settings from the fetched values and swaps them in. When opts is nil or",
		"its PollInterval is zero, the interval is SECRETS_POLL_INTERVAL, and",
		"when that is unset p's TTL (SECRETS_CACHE_TTL); a malformed",
		"SECRETS_POLL_INTERVAL is an error. A rotated value that does not parse",
		"never replaces good Settings, and a secret that can no longer be fetched",
		"keeps its last good value; Status reports both. Close the Live when you",
		"are done with it; it closes p only when opts.CloseProvider is set.",
	))
	f.Func().Id(manifest.NameWatch).Params(ctxParam.Clone(), jen.Id("p").Op("*").Add(runtimePkg.Ident("Cache")), jen.Id("opts").Op("*").Add(runtimePkg.Ident("LiveOptions"))).
		Params(live.Clone(), jen.Error()).Block(
		jen.List(jen.Id("opts"), jen.Err()).Op(":=").Add(genimplPkg.Ident("WatchOptions")).Call(osPkg.Ident("Getenv"), jen.Id("opts")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		jen.Return(runtimePkg.Ident("NewLive").Call(jen.Id("ctx"), jen.Id("p"), jen.Id(manifest.NameLoad), jen.Id("opts"))),
	)

	f.Add(docPara(
		"MustWatch is a convenience over NewProvider and Watch for a program's main",
		"function: it watches the settings on the backend that SECRETS_BACKEND",
		"chooses, polling every SECRETS_POLL_INTERVAL (default: the cache",
		"lifetime, SECRETS_CACHE_TTL), and panics with the error (which never",
		"contains a secret value) when the first load fails. The Live owns the",
		"provider: Close closes it. Use NewProvider and Watch to handle the error",
		"yourself.",
	))
	f.Func().Id(manifest.NameMustWatch).Params(ctxParam.Clone()).Add(live.Clone()).Block(
		jen.List(jen.Id("p"), jen.Err()).Op(":=").Id(manifest.NameNewProvider).Call(jen.Id("ctx")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Panic(jen.Err())),
		jen.List(jen.Id("l"), jen.Err()).Op(":=").Id(manifest.NameWatch).Call(jen.Id("ctx"), jen.Id("p"),
			jen.Op("&").Add(runtimePkg.Ident("LiveOptions")).Values(jen.Dict{
				jen.Id("CloseProvider"): jen.True(),
			})),
		jen.If(jen.Err().Op("!=").Nil()).Block(
			jen.Id("p").Dot("Close").Call(),
			jen.Panic(jen.Err()),
		),
		jen.Return(jen.Id("l")),
	)
	return f
}
