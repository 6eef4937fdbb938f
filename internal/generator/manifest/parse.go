package manifest

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"go/token"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/dashtam/secretsgen/internal/backends"
)

// ErrorList is every problem found in one manifest, sorted by position. It
// is the error type returned by Parse and Load.
type ErrorList []Problem

// Error returns one "file:line:col: message" line per problem.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, p := range l {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Load reads and parses the manifest file. Problems in the manifest are
// returned as an ErrorList.
func Load(file string) (*Manifest, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return Parse(file, data)
}

// Parse parses and validates a manifest. file is the name used in messages.
// When the manifest has problems, Parse returns a nil Manifest and an
// ErrorList holding all of them.
func Parse(file string, data []byte) (*Manifest, error) {
	p := &parser{file: file}
	if root := p.decode(data); root != nil {
		p.manifest(root)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return p.m, nil
}

// err returns the problems found, sorted by position, as an ErrorList, or
// nil when there are none.
func (p *parser) err() error {
	if len(p.problems) == 0 {
		return nil
	}
	slices.SortStableFunc(p.problems, func(a, b Problem) int {
		return cmp.Or(a.Pos.Line-b.Pos.Line, a.Pos.Col-b.Pos.Col)
	})
	return p.problems
}

var (
	appRE     = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	segmentRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	envRE     = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
	fieldRE   = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	valueRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	yamlErrRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

var (
	topKeys    = []string{"app", "backends", "package", "secrets", "version"}
	secretKeys = []string{"database", "default", "description", "env", "fields", "optional", "sensitive", "source", "type", "values"}
	sourceKeys = []string{"key", "path", "version"}
	// databaseKeys are the keys of a credential's database: mapping.
	databaseKeys = []string{"mount", "role", "static"}
	// roleRE is a Vault role name (Vault's framework.GenericNameRegex).
	roleRE = regexp.MustCompile(`^\w([\w.-]*\w)?$`)
	// mountSegRE is one segment of a Vault mount path.
	mountSegRE = regexp.MustCompile(`^[\w.-]+$`)
	// scalarList is the scalar kinds as messages list them: "string, int, ...".
	scalarList = strings.ReplaceAll(strings.Trim(fmt.Sprint(Scalars()), "[]"), " ", ", ")
)

// parser collects problems while it builds a Manifest.
type parser struct {
	file     string
	problems ErrorList
	m        *Manifest
	infos    []*info
}

// info is what the checks across secrets need to know about one secret.
type info struct {
	s      *Secret
	pathOK bool // Path, GoPath and Env are valid
	envPos Pos  // position of the env: value, else of the entry's key
	values bool // enum values are valid and unique
}

// entry is one key/value pair of a YAML mapping.
type entry struct {
	name     string
	key, val *yaml.Node
}

func pos(n *yaml.Node) Pos {
	return Pos{Line: max(n.Line, 1), Col: max(n.Column, 1)}
}

// String returns "line:col".
func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

func (p *parser) add(at Pos, format string, args ...any) {
	p.problems = append(p.problems, Problem{File: p.file, Pos: at, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.add(pos(n), format, args...)
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// decode parses the YAML text and returns the top-level node, or nil after
// reporting why there is none.
func (p *parser) decode(data []byte) (root *yaml.Node) {
	defer func() {
		// yaml.v3 has panicked on malformed input in the past; a manifest
		// problem must never crash the generator.
		if r := recover(); r != nil {
			p.add(Pos{1, 1}, "invalid YAML: the parser failed on this input")
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		p.yamlError(data, err)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		p.add(Pos{1, 1}, "empty manifest: expected a mapping with version, app and secrets")
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		p.errorf(&extra, "a manifest is a single YAML document; remove the second document")
	case !errors.Is(err, io.EOF):
		p.yamlError(data, err)
	}
	return doc.Content[0]
}

// yamlParserErrors are the yaml.v3 parser (not scanner) problems. yaml.v3
// reports their line counting from 0 (and omits it on the first line), while
// scanner problems count from 1.
var yamlParserErrors = []string{
	"did not find expected <stream-start>", "did not find expected <document start>",
	"found undefined tag handle", "did not find expected node content",
	"did not find expected '-' indicator", "did not find expected key",
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
	"found duplicate %YAML directive", "found incompatible YAML document",
	"found duplicate %TAG directive",
}

// yamlError reports a yaml.v3 error of data. A parser problem's line, as
// yaml.v3 gives it, is where the enclosing mapping or sequence starts (its
// context), not the line that broke it: an entry indented one space too
// few or too many under database/url was reported at database/url. The
// line that broke it is found by parsing prefixes of data (problemLine);
// the message then says where the enclosing block starts.
func (p *parser) yamlError(data []byte, err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlErrRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if !slices.Contains(yamlParserErrors, msg) {
		p.add(Pos{max(line, 1), 1}, "invalid YAML: %s", msg)
		return
	}
	line++ // yaml.v3 counts parser lines from 0
	at, col, ok := problemLine(data, err.Error())
	if !ok {
		p.add(Pos{max(line, 1), 1}, "invalid YAML: %s", msg)
		return
	}
	if at > line {
		msg += fmt.Sprintf(" (in the block that starts on line %d)", line)
	}
	if msg == "did not find expected key" || strings.HasPrefix(msg, "did not find expected key ") ||
		strings.HasPrefix(msg, "did not find expected '-' indicator") {
		msg += "; check the indentation of this line"
	}
	p.add(Pos{at, col}, "invalid YAML: %s", msg)
}

// maxProblemSearch bounds the size of a manifest whose YAML problem line
// problemLine looks for (it parses up to log2(lines) prefixes).
const maxProblemSearch = 1 << 20

// problemLine finds the line (1-based) and column of the first non-blank
// character of the line at which a parser error of data first occurs: the
// shortest prefix of whole lines that fails with the same error, want (the
// error's text). A prefix that ends before the problem parses or fails
// differently (cut inside a flow collection or a quoted string), and every
// prefix that holds the problem fails with the same error, so a binary
// search finds it; ok is false when the result does not check out.
func problemLine(data []byte, want string) (line, col int, ok bool) {
	if len(data) > maxProblemSearch {
		return 0, 0, false
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	fails := func(k int) bool { // the first k lines fail with want
		return yamlErr(bytes.Join(lines[:k], nil)) == want
	}
	// lines[:k] is the shortest failing prefix (k is len(lines)+1 when
	// none fails).
	k := 1 + sort.Search(len(lines), func(i int) bool { return fails(i + 1) })
	if k > len(lines) || (k > 1 && fails(k-1)) {
		return 0, 0, false
	}
	text := lines[k-1]
	col = 1 + len(text) - len(bytes.TrimLeft(text, " \t"))
	return k, col, true
}

// yamlErr is the text of the first error of decoding every document of
// data, "" when there is none.
func yamlErr(data []byte) (msg string) {
	defer func() {
		if recover() != nil {
			msg = "panic"
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		switch err := dec.Decode(&n); {
		case errors.Is(err, io.EOF):
			return ""
		case err != nil:
			return err.Error()
		}
	}
}

// pairs returns the entries of mapping n, reporting keys that are not
// strings, merge keys and duplicates. where ends messages ("in secret x").
func (p *parser) pairs(n *yaml.Node, where string) []entry {
	var out []entry
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		switch f, dup := first[k.Value]; {
		case k.Kind != yaml.ScalarNode:
			p.errorf(k, "keys must be strings %s", where)
		case k.ShortTag() == "!!merge":
			p.errorf(k, "merge keys (<<) are not supported %s", where)
		case dup:
			p.errorf(k, "duplicate key %q %s (first at %s)", k.Value, where, pos(f))
		default:
			first[k.Value] = k
			out = append(out, entry{name: k.Value, key: k, val: v})
		}
	}
	return out
}

// known indexes the entries of a mapping by key and reports the keys that
// are not in known.
func (p *parser) known(entries []entry, known []string, where string) map[string]entry {
	out := map[string]entry{}
	for _, e := range entries {
		if !slices.Contains(known, e.name) {
			p.errorf(e.key, "unknown key %q %s; known keys: %s", e.name, where, strings.Join(known, ", "))
			continue
		}
		out[e.name] = e
	}
	return out
}

// str returns the text of a scalar. what names the value in messages.
func (p *parser) str(n *yaml.Node, what string) (string, bool) {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null" {
		return n.Value, true
	}
	not := map[yaml.Kind]string{yaml.MappingNode: "a mapping", yaml.SequenceNode: "a list"}[n.Kind]
	p.errorf(n, "%s must be a string, not %s", what, cmp.Or(not, "null"))
	return "", false
}

// boolean returns the value of a YAML boolean.
func (p *parser) boolean(n *yaml.Node, what string) (bool, bool) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		p.errorf(n, "%s must be true or false", what)
		return false, false
	}
	return strings.EqualFold(n.Value, "true"), true
}

func (p *parser) manifest(root *yaml.Node) {
	root = deref(root)
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "a manifest must be a mapping with version, app and secrets")
		return
	}
	m := &Manifest{File: p.file, Package: "gen"}
	p.m = m
	keys := p.known(p.pairs(root, "at top level"), topKeys, "at top level")

	if e, ok := keys["version"]; !ok {
		p.errorf(root, "version is required: add version: 1")
	} else if v := deref(e.val); v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" {
		p.errorf(v, "version must be the number 1")
	} else if v.Value != "1" {
		p.errorf(v, "unsupported version %s: this secretsgen reads version 1", v.Value)
	} else {
		m.Version = 1
	}

	if e, ok := keys["app"]; !ok {
		p.errorf(root, "app is required, e.g. app: dashtam")
	} else if s, ok := p.str(e.val, "app"); ok {
		if !appRE.MatchString(s) {
			p.errorf(e.val, "app %q must match [a-z][a-z0-9-]*", s)
		}
		m.App = s
	}

	if e, ok := keys["package"]; ok {
		if s, ok := p.str(e.val, "package"); ok {
			switch {
			case token.IsKeyword(s):
				p.errorf(e.val, "package %q is a Go keyword; use a name such as gen", s)
			case !token.IsIdentifier(s):
				p.errorf(e.val, "package %q is not a valid Go identifier", s)
			case s == "_" || s == "main" || s == "init":
				p.errorf(e.val, "package %q cannot be imported; use a name such as gen", s)
			}
			m.Package = s
		}
	}

	m.Backends = backends.Names() // all of the table, in its order
	if e, ok := keys["backends"]; ok {
		m.Backends = p.backends(e.val)
	}

	if e, ok := keys["secrets"]; !ok {
		p.errorf(root, "secrets is required: a mapping from logical path to secret")
	} else {
		p.secrets(e.val)
	}
	p.names() // reports the collisions between secrets
}

func (p *parser) backends(n *yaml.Node) []string {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "backends must be a list, e.g. [env, aws, vault]")
		return nil
	}
	if len(n.Content) == 0 {
		p.errorf(n, "backends must not be empty; omit it to enable every backend (%s)", strings.Join(backends.Names(), ", "))
	}
	var out []string
	first := map[string]*yaml.Node{}
	for _, b := range n.Content {
		b = deref(b)
		s, ok := p.str(b, "each backend")
		switch {
		case !ok:
		case !slices.Contains(backends.Names(), s):
			p.errorf(b, "unknown backend %q; known backends: %s", s, strings.Join(backends.Names(), ", "))
		case first[s] != nil:
			p.errorf(b, "duplicate backend %q (first at %s)", s, pos(first[s]))
		default:
			first[s] = b
			out = append(out, s)
		}
	}
	return out
}

func (p *parser) secrets(n *yaml.Node) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "secrets must be a mapping from logical path to secret")
		return
	}
	if len(n.Content) == 0 {
		p.errorf(n, "secrets must list at least one secret")
	}
	for _, e := range p.pairs(n, "in secrets") {
		p.m.Secrets = append(p.m.Secrets, p.secret(e.key, e.val))
	}
}

// printableRule says what printable accepts; messages never quote the text.
const printableRule = "must be printable UTF-8 text: no control characters (such as a line break or NUL), no U+FEFF"

// printable reports whether s is valid UTF-8 without control characters or
// U+FEFF (a byte order mark), so that it can be written into a generated
// comment as one line and read back the same.
func printable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == '\uFEFF' })
}

// checkPath returns what is wrong with a logical path, or "".
func checkPath(path string) string {
	if path == "" {
		return "must not be empty"
	}
	if strings.HasPrefix(path, "/") || strings.HasSuffix(path, "/") {
		return `must not start or end with "/"`
	}
	segs := strings.Split(path, "/")
	for _, s := range segs {
		switch s {
		case "":
			return "has an empty segment"
		case ".", "..":
			return `must not have a "." or ".." segment`
		}
	}
	if lower := strings.ToLower(path); lower != path && checkPath(lower) == "" {
		return fmt.Sprintf("must be lower case: use %q", lower)
	}
	for _, s := range segs {
		if !segmentRE.MatchString(s) {
			return fmt.Sprintf("has segment %q; segments must match [a-z0-9][a-z0-9_-]*", s)
		}
	}
	return ""
}

func (p *parser) secret(key, val *yaml.Node) *Secret {
	s := &Secret{Path: key.Value, Pos: pos(key), Sensitive: true}
	in := &info{s: s, envPos: s.Pos}
	p.infos = append(p.infos, in)
	name := "secret " + s.Path
	if msg := checkPath(s.Path); msg != "" {
		p.errorf(key, "secret path %q %s", s.Path, msg)
	} else {
		in.pathOK = true
		for _, seg := range strings.Split(s.Path, "/") {
			s.GoPath = append(s.GoPath, GoName(seg))
		}
		s.Env = backends.EnvName(s.Path)
	}

	val = deref(val)
	if val.Kind != yaml.MappingNode {
		p.errorf(val, "%s must be a mapping with at least a type, e.g. {type: string}", name)
		return s
	}
	keys := p.known(p.pairs(val, "in "+name), secretKeys, "in "+name)

	typeOK := false
	if e, ok := keys["type"]; !ok {
		p.errorf(key, "%s: type is required, e.g. type: string", name)
	} else if t, ok := p.str(e.val, name+": type"); ok {
		var msg string
		if s.Type, msg = parseType(t); msg != "" {
			p.errorf(e.val, "%s: %s", name, msg)
		} else {
			typeOK = true
		}
	}
	if e, ok := keys["description"]; ok {
		if d, ok := p.str(e.val, name+": description"); ok {
			s.Description = strings.TrimSpace(d)
			if !printable(strings.NewReplacer("\n", "", "\t", "").Replace(d)) {
				p.errorf(e.val, "%s: description %s other than line breaks and tabs", name, printableRule)
			}
		}
	}
	if e, ok := keys["sensitive"]; ok {
		if b, ok := p.boolean(e.val, name+": sensitive"); ok {
			s.Sensitive = b
		}
	}
	p.env(keys, in, name)
	p.source(keys, s, name, typeOK)
	p.database(keys, s, name, typeOK)
	credential := typeOK && s.Type.Kind == Credential
	if e, ok := keys["sensitive"]; ok && credential && !s.Sensitive {
		p.errorf(e.val, "%s: a credential is always sensitive (its password is a runtime.Secret); remove sensitive: false", name)
	}

	in.values = p.values(keys, s, name, typeOK)
	fieldsOK := p.fields(keys, s, name, typeOK)

	e, hasDefault := keys["default"]
	if hasDefault && credential {
		p.errorf(e.key, "%s: a credential cannot have a default: its password would be written into the manifest and the generated code; remove default (optional: true makes the credential optional)", name)
	} else if hasDefault && typeOK && in.values && fieldsOK {
		if text, ok := p.defaultText(e.val, s, name); ok {
			if err := s.Check(text); err != nil {
				p.errorf(e.val, "%s: default does not parse as %s: %v", name, s.Type, err)
			}
			s.Default = &text
		}
	}
	if e, ok := keys["optional"]; ok {
		if b, ok := p.boolean(e.val, name+": optional"); ok {
			if !b && hasDefault {
				p.errorf(e.val, "%s: optional: false contradicts the default (a default makes a secret optional); remove one of them", name)
			}
			s.Optional = b
		}
	}
	s.Optional = s.Optional || hasDefault
	return s
}

// parseType parses a type as written in the manifest, or says what is wrong.
func parseType(t string) (Type, string) {
	known := "known types: " + scalarList + ", enum, json, credential, []T, map[string]T"
	scalar := func(k string) bool { return Scalar(Kind(k)) != nil }
	switch {
	case scalar(t) || t == string(Enum) || t == string(JSON) || t == string(Credential):
		return Type{Kind: Kind(t)}, ""
	case strings.HasPrefix(t, "[]"):
		if e := t[2:]; scalar(e) {
			return Type{Kind: List, Elem: Kind(e)}, ""
		}
		return Type{}, fmt.Sprintf("type %q%s: list elements must be one of %s", t, didYouMean(suggestType(t)), scalarList)
	case strings.HasPrefix(t, "map["):
		k, e, ok := strings.Cut(t[len("map["):], "]")
		switch {
		case !ok:
			return Type{}, fmt.Sprintf("unknown type %q; %s", t, known)
		case k != "string":
			return Type{}, fmt.Sprintf("type %q%s: map keys must be string", t, didYouMean(suggestType(t)))
		case !scalar(e):
			return Type{}, fmt.Sprintf("type %q%s: map values must be one of %s", t, didYouMean(suggestType(t)), scalarList)
		}
		return Type{Kind: Map, Elem: Kind(e)}, ""
	}
	return Type{}, fmt.Sprintf("unknown type %q%s; %s", t, didYouMean(suggestType(t)), known)
}

func (p *parser) env(keys map[string]entry, in *info, name string) {
	e, ok := keys["env"]
	if !ok {
		if in.pathOK && !envRE.MatchString(in.s.Env) {
			p.add(in.s.Pos, "%s: derived env name %s is not a valid variable name (it starts with a digit); set env: to a name matching [A-Z_][A-Z0-9_]*", name, in.s.Env)
			in.pathOK = false
		}
		return
	}
	switch v, ok := p.str(e.val, name+": env"); {
	case !ok:
	case !envRE.MatchString(v):
		hint := ""
		if up := backends.EnvName(v); envRE.MatchString(up) {
			hint = fmt.Sprintf("; use %q", up)
		}
		p.errorf(e.val, "%s: env %q must match [A-Z_][A-Z0-9_]*%s", name, v, hint)
	default:
		in.s.Env, in.envPos = v, pos(deref(e.val))
		return
	}
	in.pathOK = false
}

func (p *parser) source(keys map[string]entry, s *Secret, name string, typeOK bool) {
	e, ok := keys["source"]
	if !ok {
		return
	}
	n := deref(e.val)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s: source must be a mapping with path, key or version", name)
		return
	}
	where := "in source of " + name
	src := p.known(p.pairs(n, where), sourceKeys, where)
	if len(src) == 0 {
		p.errorf(n, "%s: source must set path, key or version", name)
	}
	field := map[string]*string{"path": &s.Source.Path, "key": &s.Source.Key, "version": &s.Source.Version}
	for _, k := range sourceKeys {
		e, ok := src[k]
		if !ok {
			continue
		}
		v, ok := p.str(e.val, name+": source."+k)
		if !ok {
			continue
		}
		*field[k] = v
		switch {
		case k == "path":
			if msg := checkPath(v); msg != "" {
				p.errorf(e.val, "%s: source.path %q %s", name, v, msg)
			}
		case v == "":
			p.errorf(e.val, "%s: source.%s must not be empty", name, k)
		case !printable(v):
			p.errorf(e.val, "%s: source.%s %s", name, k, printableRule)
		case k == "key" && typeOK && s.Type.Kind == Credential:
			p.errorf(e.val, "%s: source.key cannot be used with type credential: a credential is the whole JSON secret, {\"username\": ..., \"password\": ...}; drop key", name)
		case k == "key" && typeOK && s.Type.Kind == Bytes:
			p.errorf(e.val, "%s: source.key cannot be used with type bytes: bytes are read as a binary secret, which has no JSON members; drop key, or store base64 text in the member and use type string", name)
		case k == "version":
			p.pin(e.val, name, v)
		}
	}
}

// kindKey returns the value of key (values, fields), which only secrets of
// kind k have and must have, aliases followed, or nil when there is none
// to read; then ok says whether the secret is usable.
func (p *parser) kindKey(keys map[string]entry, key string, k Kind, s *Secret, typeOK bool, name, example string) (n *yaml.Node, ok bool) {
	e, has := keys[key]
	is := typeOK && s.Type.Kind == k
	switch {
	case !has && is:
		p.errorf(keys["type"].val, "%s: type %s requires %s, e.g. %s", name, k, key, example)
		return nil, false
	case typeOK && has && !is:
		p.errorf(e.key, "%s: %s is only allowed with type %s", name, key, k)
		return nil, false
	case !has:
		return nil, true
	}
	return deref(e.val), true
}

// values reads the enum values; it reports whether they are valid and
// unique.
func (p *parser) values(keys map[string]entry, sec *Secret, name string, typeOK bool) bool {
	n, ok := p.kindKey(keys, "values", Enum, sec, typeOK, name, "values: [debug, info]")
	if n == nil {
		return ok
	}
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		p.errorf(n, "%s: values must be a non-empty list of strings", name)
		return false
	}
	good := true
	seen, goNames := map[string]*yaml.Node{}, map[string]*yaml.Node{}
	for _, v := range n.Content {
		v = deref(v)
		s, ok := p.str(v, name+": each enum value")
		switch g := GoName(s); {
		case !ok:
		case !valueRE.MatchString(s):
			p.errorf(v, "%s: enum value %q must match [A-Za-z0-9][A-Za-z0-9_.-]*", name, s)
		case seen[s] != nil:
			p.errorf(v, "%s: duplicate enum value %q (first at %s)", name, s, pos(seen[s]))
		case goNames[g] != nil:
			p.errorf(v, "%s: enum values %q and %q (%s) both become Go constant suffix %s", name, s, goNames[g].Value, pos(goNames[g]), g)
		default:
			seen[s], goNames[g] = v, v
			sec.Values = append(sec.Values, s)
			continue
		}
		good = false
	}
	return good
}

// fields reads the members of a json secret; it reports whether they are
// usable.
func (p *parser) fields(keys map[string]entry, s *Secret, name string, typeOK bool) bool {
	n, ok := p.kindKey(keys, "fields", JSON, s, typeOK, name, "fields: {username: string, port: int}")
	if n == nil {
		return ok
	}
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		p.errorf(n, "%s: fields must be a non-empty mapping from JSON key to scalar type", name)
		return false
	}
	good := true
	goNames := map[string]*yaml.Node{}
	for _, f := range p.pairs(n, "in fields of "+name) {
		t, ok := p.str(f.val, fmt.Sprintf("%s: type of field %s", name, f.name))
		g := GoName(f.name)
		switch first := goNames[g]; {
		case !ok:
		case Scalar(Kind(t)) == nil:
			var scalars []string
			for _, s := range suggestType(t) {
				if Scalar(Kind(s)) != nil {
					scalars = append(scalars, s)
				}
			}
			p.errorf(deref(f.val), "%s: field %s has type %q%s; field types are %s", name, f.name, t, didYouMean(scalars), scalarList)
		case !fieldRE.MatchString(f.name):
			p.errorf(f.key, "%s: field key %q must match [a-z_][a-z0-9_]*", name, f.name)
		case first != nil:
			p.errorf(f.key, "%s: fields %q and %q (%s) both become Go field %s", name, f.name, first.Value, pos(first), g)
		default:
			goNames[g] = f.key
			s.Fields = append(s.Fields, Field{Key: f.name, GoName: g, Type: Kind(t), Pos: pos(f.key)})
			continue
		}
		good = false
	}
	return good
}

// pin reports a source.version that a listed backend cannot read, or that
// two listed backends read differently (digits are a version to Vault and
// SSM but a staging label to AWS): at run time one of them would read
// another version than the manifest meant.
func (p *parser) pin(n *yaml.Node, name, v string) {
	var first, firstReads string
	for _, b := range p.m.Backends {
		be, _ := backends.Lookup(b)
		if be.Pin == nil {
			continue
		}
		switch reads, rule := be.Pin(v); {
		case reads == "":
			p.errorf(n, "%s: source.version %q is not %s, but backends include %s; use one or list only the backends that understand it", name, v, rule, b)
			return
		case first == "":
			first, firstReads = b, reads
		case reads != firstReads:
			p.errorf(n, "%s: source.version %q is %s on %s but %s on %s; pin one both read alike, or list only one of them in backends", name, v, firstReads, first, reads, b)
			return
		}
	}
}

// database reads the database: mapping of a credential: a role of Vault's
// database secrets engine.
func (p *parser) database(keys map[string]entry, s *Secret, name string, typeOK bool) {
	e, ok := keys["database"]
	if !ok {
		return
	}
	if typeOK && s.Type.Kind != Credential {
		p.errorf(e.key, "%s: database is only allowed with type credential (a login from Vault's database secrets engine)", name)
		return
	}
	n := deref(e.val)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s: database must be a mapping such as {role: app} or {role: app, static: true, mount: database}", name)
		return
	}
	where := "in database of " + name
	db := &Database{Mount: "database", Pos: pos(n)}
	good, hasRole := true, false
	for _, d := range p.pairs(n, where) {
		switch d.name {
		case "role":
			hasRole = true
			v, ok := p.str(d.val, name+": database.role")
			switch {
			case !ok:
			case strings.Contains(v, "/"):
				p.errorf(d.val, "%s: database.role %q must not contain \"/\": write the role name only (the mount goes in database.mount, creds/ or static-creds/ follows from static)", name, v)
			case !roleRE.MatchString(v):
				p.errorf(d.val, "%s: database.role %q is not a Vault role name: letters, digits, '_', '-' and '.', starting and ending with a letter, digit or '_'", name, v)
			default:
				db.Role = v
				continue
			}
			good = false
		case "mount":
			v, ok := p.str(d.val, name+": database.mount")
			if ok {
				if msg := checkMount(v); msg != "" {
					p.errorf(d.val, "%s: database.mount %q %s", name, v, msg)
				} else {
					db.Mount = v
					continue
				}
			}
			good = false
		case "static":
			b, ok := p.boolean(d.val, name+": database.static")
			db.Static = b
			good = good && ok
		default:
			near := suggestKey(d.name, databaseKeys)
			p.errorf(d.key, "unknown key %q %s%s; known keys: %s", d.name, where, didYouMean(near), strings.Join(databaseKeys, ", "))
			good, hasRole = false, hasRole || slices.Contains(near, "role") // one message for a misspelt role

		}
	}
	if !hasRole {
		p.errorf(n, "%s: database.role is required: the name of the role in Vault's database secrets engine, e.g. database: {role: app}", name)
		good = false
	}
	if !slices.Contains(p.m.Backends, "vault") {
		p.errorf(e.key, "%s: database reads the credential from Vault's database secrets engine, but backends do not include vault; add vault to backends or remove database", name)
		good = false
	}
	if s.Source.Version != "" {
		p.errorf(e.key, "%s: source.version cannot be used with database: the database engine has no versions (every read of a dynamic role is a new login); remove source.version", name)
		good = false
	}
	if good && typeOK {
		s.Database = db
	}
}

// checkMount returns what is wrong with a Vault mount path, or "".
func checkMount(m string) string {
	if m == "" {
		return "must not be empty"
	}
	if strings.HasPrefix(m, "/") || strings.HasSuffix(m, "/") {
		return `must not start or end with "/"`
	}
	for _, seg := range strings.Split(m, "/") {
		if seg == "" || seg == "." || seg == ".." || !mountSegRE.MatchString(seg) {
			return "is not a Vault mount path: segments of letters, digits, '_', '-' and '.', separated by \"/\""
		}
	}
	if strings.HasSuffix(m, "/creds") || strings.HasSuffix(m, "/static-creds") {
		return "must be the mount only: creds/ or static-creds/ and the role follow from database.role and database.static"
	}
	return ""
}
