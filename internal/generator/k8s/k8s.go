// Package k8s renders Kubernetes manifests for a secrets manifest: an
// External Secrets Operator (ESO) ExternalSecret that syncs exactly the
// manifest's secrets from AWS Secrets Manager or HashiCorp Vault KV v2 into
// one Kubernetes Secret whose keys are the entries' env names. A pod then
// reads that Secret with the files backend (the Secret mounted as a volume,
// one file per env name) or the env backend (envFrom), with no code change.
// The command `secretsgen k8s external-secret` prints it.
//
// The package is pure: it turns a parsed manifest into YAML bytes and does
// no I/O. It never sees a secret value.
//
// How each entry is addressed (ESO v0.16.2 providers):
//
//   - remoteRef.key is the backend name of the entry's secret (its
//     source.path, else its own path): /{app}/{environment}/{path} for AWS,
//     {app}/{environment}/{path} for Vault, relative to the SecretStore's
//     spec.provider.vault.path (the KV v2 mount; ESO inserts "data/").
//   - remoteRef.property is source.key, or "value" for a Vault entry without
//     a key, except a Vault type: json entry without a key, which takes the
//     whole data map (ESO returns it as a JSON object).
//   - remoteRef.version is source.version: an AWS version stage as is, an
//     AWS version id (a UUID) as "uuid/<id>" (ESO's syntax), a Vault KV
//     version number as is.
//   - A type: credential entry becomes two keys, NAME_USERNAME and
//     NAME_PASSWORD, the members "username" and "password" of the one
//     backend secret (the files and env backends read those two). A
//     credential from Vault's database engine (database:) cannot be synced.
//   - An AWS type: bytes entry is a SecretBinary, which ESO copies raw; the
//     backends read bytes as base64 text, so a template (mergePolicy Merge)
//     re-encodes those keys with b64enc. Options.AWSBytes = "base64" is for
//     secrets stored as base64 text in SecretString instead.
package k8s

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dashtam/secretsgen/internal/generator/manifest"
	"gopkg.in/yaml.v3"
)

// The API versions of ExternalSecret that ESO v0.16.2 serves. v1 is served
// (as the storage version) from v0.16.2 on, and ESO v0.17.0 stopped serving
// v1beta1, so v1 is the default; v1beta1 is for clusters running ESO older
// than v0.16.2.
const (
	APIVersionV1      = "external-secrets.io/v1"
	APIVersionV1beta1 = "external-secrets.io/v1beta1"
)

// Options are the optional settings of ExternalSecret. The zero value (or
// nil) gives the defaults documented on each field.
type Options struct {
	// Backend is where ESO reads the secrets: "aws" (default) or "vault".
	Backend string
	// StoreKind is the kind of the store named by the store argument:
	// "SecretStore" (default) or "ClusterSecretStore".
	StoreKind string
	// Name is the name of the ExternalSecret and of the Kubernetes Secret
	// it creates. Default: the manifest's app.
	Name string
	// Refresh is ESO's refreshInterval, a Go duration. Default "1h".
	Refresh string
	// APIVersion is APIVersionV1 (default) or APIVersionV1beta1.
	APIVersion string
	// VaultMount is the KV v2 mount, which must be the SecretStore's
	// spec.provider.vault.path (default "secret"). Keys are written relative
	// to it; it is only written into a key that starts with the mount's own
	// name (an app named like its mount), which ESO would otherwise strip.
	VaultMount string
	// AWSBytes is how AWS type: bytes entries are stored: "binary"
	// (default, SecretBinary as docs/design.md, "Backend naming", says; the output re-encodes
	// them as base64) or "base64" (base64 text in SecretString, synced as is).
	AWSBytes string
	// SkipOptional leaves out entries that are optional or have a default.
	// By default every entry is synced, and ESO fails the whole sync when one
	// of them is absent from the backend (its status names the key); with
	// SkipOptional such entries are absent from the Secret and the
	// application takes their default or zero value.
	SkipOptional bool
	// AllowMissing sets the target's deletionPolicy to Merge: ESO then
	// leaves a secret that does not exist in the backend out of the Secret
	// (and removes its key when it is deleted later) instead of failing the
	// sync. The application takes the default or zero value of an optional
	// entry, and Load reports a missing required one as not found. A secret
	// that exists but lacks the JSON member or Vault field still fails the
	// sync. Default false: deletionPolicy Retain, where any absent secret
	// fails the sync and ESO's status names it.
	AllowMissing bool
}

// Problems of the arguments. Each error of ExternalSecret wraps one of them
// or is a *Error naming the entry.
var (
	ErrBadOption = errors.New("bad option")
)

// Error is a manifest entry that cannot be expressed in an ExternalSecret
// for the chosen backend.
type Error struct {
	File string       // manifest file name
	Pos  manifest.Pos // position of the entry's key
	Path string       // the entry's logical path
	Msg  string
}

// Error returns "file:line:col: secret path: message", as manifest
// problems read.
func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: secret %s: %s", e.File, e.Pos.Line, e.Pos.Col, e.Path, e.Msg)
}

var (
	// dnsSubdomain is a Kubernetes object name (RFC 1123 subdomain).
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	// secretKeyRE is the key of a Kubernetes Secret's data.
	secretKeyRE = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
	// templateIdent is a key a Go template can name as .KEY.
	templateIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// gjsonSpecial are the characters that ESO's AWS provider would read as
// GJSON path syntax in remoteRef.property (a "." is escaped by ESO itself
// when the member exists).
const gjsonSpecial = `*?|#@\!`

// withDefaults checks o and fills in the defaults.
func (o Options) withDefaults(m *manifest.Manifest) (Options, error) {
	set := func(p *string, def string) {
		if *p == "" {
			*p = def
		}
	}
	set(&o.Backend, "aws")
	set(&o.StoreKind, "SecretStore")
	set(&o.Name, m.App)
	set(&o.Refresh, "1h")
	set(&o.APIVersion, APIVersionV1)
	set(&o.VaultMount, "secret")
	set(&o.AWSBytes, "binary")
	o.VaultMount = strings.Trim(o.VaultMount, "/")
	switch {
	case o.Backend != "aws" && o.Backend != "vault":
		return o, fmt.Errorf("%w: backend %q: want aws or vault", ErrBadOption, o.Backend)
	case o.StoreKind != "SecretStore" && o.StoreKind != "ClusterSecretStore":
		return o, fmt.Errorf("%w: store kind %q: want SecretStore or ClusterSecretStore", ErrBadOption, o.StoreKind)
	case len(o.Name) > 253 || !dnsSubdomain.MatchString(o.Name):
		return o, fmt.Errorf("%w: name %q is not a Kubernetes object name (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit); choose one with -name", ErrBadOption, o.Name)
	case o.APIVersion != APIVersionV1 && o.APIVersion != APIVersionV1beta1:
		return o, fmt.Errorf("%w: API version %q: want %s or %s", ErrBadOption, o.APIVersion, APIVersionV1, APIVersionV1beta1)
	case o.VaultMount == "":
		return o, fmt.Errorf("%w: empty Vault mount", ErrBadOption)
	case o.AWSBytes != "binary" && o.AWSBytes != "base64":
		return o, fmt.Errorf("%w: AWS bytes storage %q: want binary or base64", ErrBadOption, o.AWSBytes)
	}
	if d, err := time.ParseDuration(o.Refresh); err != nil || d < 0 {
		return o, fmt.Errorf("%w: refresh interval %q is not a Go duration such as 1h or 15m (0 syncs once)", ErrBadOption, o.Refresh)
	}
	return o, nil
}

// maxLabelValue is the longest value Kubernetes accepts for a label.
const maxLabelValue = 63

// labelValueRE is what Kubernetes accepts as a label value (of at most
// maxLabelValue characters; empty is allowed but not useful here).
var labelValueRE = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)

// labelValue returns app as a Kubernetes label value: app itself when it is
// one (at most 63 characters, a letter or digit at both ends), else a
// stable, shortened form: its first characters, up to a letter or digit,
// then "-" and 8 hex digits of its SHA-256, 63 characters at most. Two apps
// that share the first 54 characters so still get different labels.
func labelValue(app string) string {
	if len(app) <= maxLabelValue && labelValueRE.MatchString(app) {
		return app
	}
	sum := sha256.Sum256([]byte(app))
	suffix := hex.EncodeToString(sum[:4])
	prefix := app[:min(len(app), maxLabelValue-1-len(suffix))]
	prefix = strings.TrimRightFunc(prefix, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	})
	if prefix == "" {
		return suffix
	}
	return prefix + "-" + suffix
}

// appLabel is the app.kubernetes.io/name label of app: its key and value,
// with a comment when the value is not app itself.
func appLabel(app string) []*yaml.Node {
	key := str("app.kubernetes.io/name")
	v := labelValue(app)
	if v != app {
		key.HeadComment = "the app " + app + ", shortened to a label value (at most 63 characters, a letter or digit at both ends) with a hash suffix"
	}
	return []*yaml.Node{key, str(v)}
}

// entry is one item of spec.data.
type entry struct {
	path      string // logical path, for the comment
	typ       string
	secretKey string
	key       string
	property  string
	version   string
	b64enc    bool // re-encode in the template (AWS SecretBinary)
}

// ExternalSecret returns the YAML of an ExternalSecret that syncs the
// manifest's secrets of environment env through the ESO store named store
// into one Kubernetes Secret keyed by the entries' env names. opts may be
// nil. An error wraps ErrBadOption for a bad argument, or lists each entry
// that cannot be expressed (a *Error each, joined).
func ExternalSecret(m *manifest.Manifest, env, store string, opts *Options) ([]byte, error) {
	if opts == nil {
		opts = &Options{}
	}
	o, err := opts.withDefaults(m)
	if err != nil {
		return nil, err
	}
	if err := backends.CheckEnvironment(env); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadOption, err)
	}
	if len(store) > 253 || !dnsSubdomain.MatchString(store) {
		return nil, fmt.Errorf("%w: store %q is not a Kubernetes object name", ErrBadOption, store)
	}
	var (
		entries []entry
		errs    []error
		skipped int
	)
	for _, s := range m.Secrets {
		if o.SkipOptional && s.Optional {
			skipped++
			continue
		}
		e, err := o.entry(m, env, s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if s.Type.Kind == manifest.Credential {
			// Two keys, NAME_USERNAME and NAME_PASSWORD, from the members
			// of the one backend secret: what the files and env backends
			// read, in one Secret, so one ..data generation holds both.
			for _, member := range []string{"username", "password"} {
				part := e
				part.secretKey, part.property = e.secretKey+"_"+strings.ToUpper(member), member
				entries = append(entries, part)
			}
			continue
		}
		entries = append(entries, e)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%w: no secret to sync (the manifest has %d, all optional and skipped)", ErrBadOption, skipped)
	}
	return o.render(m, env, store, entries, skipped)
}

// entry computes the data item of s.
func (o Options) entry(m *manifest.Manifest, env string, s *manifest.Secret) (entry, error) {
	ref := s.Ref()
	e := entry{path: s.Path, typ: ref.Type, secretKey: ref.Env}
	if !secretKeyRE.MatchString(e.secretKey) || len(e.secretKey) > 253 {
		return e, &Error{m.File, s.Pos, s.Path, fmt.Sprintf("env name %q cannot be a Kubernetes Secret key ([-._a-zA-Z0-9]+)", e.secretKey)}
	}
	if s.Database != nil && o.Backend == "vault" {
		return e, &Error{m.File, s.Pos, s.Path, fmt.Sprintf("credential from Vault's database engine (%s): ESO would sync one login for every pod and never renew its lease; read it with SECRETS_BACKEND=vault, or leave it out (-skip-optional when it is optional)", s.Database.Path())}
	}
	name := m.App + "/" + env + "/" + ref.SourcePath()
	switch o.Backend {
	case "aws":
		e.key = "/" + name
		e.property = ref.Key
		if strings.ContainsAny(ref.Key, gjsonSpecial) {
			return e, &Error{m.File, s.Pos, s.Path, fmt.Sprintf("source.key %q contains one of %s, which ESO's AWS provider reads as GJSON path syntax; rename the JSON member", ref.Key, gjsonSpecial)}
		}
		if v := ref.Version; v != "" {
			if slices.Contains(m.Backends, "vault") && !slices.Contains(m.Backends, "aws") {
				return e, &Error{m.File, s.Pos, s.Path, fmt.Sprintf("source.version %q pins a Vault KV version (backends list vault, not aws); use -backend vault", v)}
			}
			e.version = v
			if backends.AWSVersionID(v) {
				e.version = "uuid/" + v
			}
		}
		e.b64enc = ref.Type == "bytes" && ref.Key == "" && o.AWSBytes == "binary"
		if e.b64enc && !templateIdent.MatchString(e.secretKey) {
			return e, &Error{m.File, s.Pos, s.Path, fmt.Sprintf("env name %q cannot be named in an ESO template; use an env: name matching [A-Z_][A-Z0-9_]*", e.secretKey)}
		}
	case "vault":
		e.key = name
		if strings.HasPrefix(name, o.VaultMount+"/") {
			// ESO strips a leading "<mount>/" from the key once; keep
			// the app's own segment by writing the mount in front.
			e.key = o.VaultMount + "/" + name
		}
		switch {
		case ref.Key != "":
			e.property = ref.Key
		case ref.Type != "json":
			e.property = "value"
		}
		if v := ref.Version; v != "" {
			if n, err := strconv.ParseUint(v, 10, 64); err != nil || n == 0 {
				return e, &Error{m.File, s.Pos, s.Path, fmt.Sprintf("source.version %q is not a Vault KV version number (a positive integer); it pins an AWS version, use -backend aws", v)}
			}
			e.version = v
		}
	}
	return e, nil
}

// render writes the ExternalSecret as YAML.
func (o Options) render(m *manifest.Manifest, env, store string, entries []entry, skipped int) ([]byte, error) {
	from := map[string]string{"aws": "AWS Secrets Manager", "vault": "Vault KV v2 mount " + o.VaultMount}[o.Backend]
	var head strings.Builder
	head.WriteString("Generated by `secretsgen k8s external-secret`; do not edit.\n")
	fmt.Fprintf(&head, "ExternalSecret of %s, environment %s: syncs %d secrets from\n", m.App, env, len(entries))
	fmt.Fprintf(&head, "%s (%s %s) into the Kubernetes Secret\n", from, o.StoreKind, store)
	fmt.Fprintf(&head, "%s, one key per env name. Read it with SECRETS_BACKEND=files (the Secret\n", o.Name)
	head.WriteString("as a volume at SECRETS_FILES_DIR) or SECRETS_BACKEND=env (envFrom).")
	if skipped > 0 {
		fmt.Fprintf(&head, "\n%d optional entries are left out (-skip-optional): they take their default.", skipped)
	}
	if o.AllowMissing {
		head.WriteString("\nA secret absent from the backend is left out of the Secret (-allow-missing).")
	}

	var data []*yaml.Node
	var tmpl []*yaml.Node
	for _, e := range entries {
		ref := []*yaml.Node{str("key"), str(e.key)}
		if e.property != "" {
			ref = append(ref, str("property"), str(e.property))
		}
		if e.version != "" {
			ref = append(ref, str("version"), str(e.version))
		}
		item := mapping(str("secretKey"), str(e.secretKey), str("remoteRef"), mapping(ref...))
		item.HeadComment = e.path + " (" + e.typ + ")"
		data = append(data, item)
		if e.b64enc {
			k := str(e.secretKey)
			k.HeadComment = e.path + ": SecretBinary, stored as base64 text as the backends read bytes"
			// .KEY, not index: ESO executes with missingkey=error, so a
			// secret that is absent fails the sync (index would give ""
			// and an empty value that loads as zero bytes).
			tmpl = append(tmpl, k, str("{{ ."+e.secretKey+" | b64enc }}"))
		}
	}
	target := []*yaml.Node{str("name"), str(o.Name), str("creationPolicy"), str("Owner")}
	if o.AllowMissing {
		target = append(target, str("deletionPolicy"), str("Merge"))
	}
	if len(tmpl) > 0 {
		target = append(target, str("template"), mapping(
			str("engineVersion"), str("v2"),
			str("mergePolicy"), str("Merge"),
			str("data"), mapping(tmpl...),
		))
	}
	doc := mapping(
		str("apiVersion"), str(o.APIVersion),
		str("kind"), str("ExternalSecret"),
		str("metadata"), mapping(
			str("name"), str(o.Name),
			str("labels"), mapping(appLabel(m.App)...),
		),
		str("spec"), mapping(
			str("refreshInterval"), str(o.Refresh),
			str("secretStoreRef"), mapping(str("name"), str(store), str("kind"), str(o.StoreKind)),
			str("target"), mapping(target...),
			str("data"), &yaml.Node{Kind: yaml.SequenceNode, Content: data},
		),
	)
	doc.HeadComment = head.String()
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func mapping(kv ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Content: kv}
}
