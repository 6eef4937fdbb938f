package k8s

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/internal/generator/manifest"
	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenCases are rendered from a manifest into testdata/<name>.yaml and
// validated against ESO's CRD schema (crd_test.go).
var goldenCases = []struct {
	name, manifest, env, store string
	opts                       *Options
}{
	// The repository's own manifest: the output docs/kubernetes.md shows.
	{"dashtam-aws", "../../../secrets.yaml", "production", "dashtam-aws", nil},
	{"dashtam-vault", "../../../secrets.yaml", "production", "vault", &Options{Backend: "vault", StoreKind: "ClusterSecretStore", Refresh: "15m"}},
	{"dashtam-skip-optional", "../../../secrets.yaml", "staging", "dashtam-aws", &Options{SkipOptional: true, Name: "dashtam-staging"}},
	{"dashtam-allow-missing", "../../../secrets.yaml", "production", "dashtam-aws", &Options{AllowMissing: true}},
	{"dashtam-v1beta1", "../../../secrets.yaml", "production", "dashtam-aws", &Options{APIVersion: APIVersionV1beta1}},
	// Shared sources, JSON members, an env override, bytes, pins.
	{"kitchen-aws", "testdata/kitchen-aws.secrets.yaml", "production", "aws-store", nil},
	{"kitchen-aws-base64", "testdata/kitchen-aws.secrets.yaml", "production", "aws-store", &Options{AWSBytes: "base64"}},
	// An app named like the mount, numeric pins, whole-map and member json.
	{"kitchen-vault", "testdata/kitchen-vault.secrets.yaml", "staging", "vault-store", &Options{Backend: "vault"}},
	{"kitchen-vault-kv", "testdata/kitchen-vault.secrets.yaml", "staging", "vault-store", &Options{Backend: "vault", VaultMount: "/kv/"}},
}

func loadManifest(t *testing.T, file string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func render(t *testing.T, name string) []byte {
	t.Helper()
	for _, c := range goldenCases {
		if c.name == name {
			out, err := ExternalSecret(loadManifest(t, c.manifest), c.env, c.store, c.opts)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return out
		}
	}
	t.Fatalf("no golden case %s", name)
	return nil
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			got := render(t, c.name)
			file := filepath.Join("testdata", c.name+".yaml")
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/generator/k8s -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s is stale (-want +got; go test ./internal/generator/k8s -update rewrites it):\n%s", file, diff)
			}
		})
	}
}

// object is the part of an ExternalSecret the tests read back.
type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		RefreshInterval string `yaml:"refreshInterval"`
		SecretStoreRef  struct {
			Name, Kind string
		} `yaml:"secretStoreRef"`
		Target struct {
			Name     string `yaml:"name"`
			Template *struct {
				MergePolicy string            `yaml:"mergePolicy"`
				Data        map[string]string `yaml:"data"`
			} `yaml:"template"`
		} `yaml:"target"`
		Data []struct {
			SecretKey string `yaml:"secretKey"`
			RemoteRef struct {
				Key, Property, Version string
			} `yaml:"remoteRef"`
		} `yaml:"data"`
	} `yaml:"spec"`
}

func decode(t *testing.T, out []byte) object {
	t.Helper()
	var o object
	dec := yaml.NewDecoder(strings.NewReader(string(out)))
	if err := dec.Decode(&o); err != nil {
		t.Fatalf("output does not decode: %v\n%s", err, out)
	}
	return o
}

// row is one data item as "SECRET_KEY key#property@version".
func rows(o object) []string {
	var out []string
	for _, d := range o.Spec.Data {
		r := d.SecretKey + " " + d.RemoteRef.Key
		if d.RemoteRef.Property != "" {
			r += "#" + d.RemoteRef.Property
		}
		if d.RemoteRef.Version != "" {
			r += "@" + d.RemoteRef.Version
		}
		out = append(out, r)
	}
	return out
}

// TestAddressing holds the naming rules against fixed expectations, apart
// from the golden files: keys are env names (overrides included), remote
// keys are backend names, properties and versions as ESO reads them.
func TestAddressing(t *testing.T) {
	tests := []struct {
		name string
		want []string
		tmpl map[string]string
	}{
		{"kitchen-aws", []string{
			"DATABASE_URL /shop/production/database/url",
			"DATABASE_CREDENTIALS /shop/production/database/credentials",
			"MAIL_USER /shop/production/mail/smtp#user",
			"SMTP_PASSWORD /shop/production/mail/smtp#password",
			"APP_SECRET_KEY /shop/production/app/secret_key",
			"APP_PREVIOUS_KEY /shop/production/app/secret_key@AWSPREVIOUS",
			"STRIPE_KEY /shop/production/stripe/key@uuid/0b5e3f4a-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
			"HTTP_TIMEOUT /shop/production/http/timeout",
			"FEATURES_HOSTS /shop/production/features/hosts",
			// A credential: two keys from the members of one secret.
			"DATABASE_LOGIN_USERNAME /shop/production/database/login#username",
			"DATABASE_LOGIN_PASSWORD /shop/production/database/login#password",
		}, map[string]string{
			"APP_SECRET_KEY":   `{{ .APP_SECRET_KEY | b64enc }}`,
			"APP_PREVIOUS_KEY": `{{ .APP_PREVIOUS_KEY | b64enc }}`,
		}},
		{"kitchen-vault", []string{
			// The app "secret" starts like the mount "secret": ESO strips
			// one "secret/", so the mount is written in front.
			"DATABASE_URL secret/secret/staging/database/url#value",
			"DATABASE_CREDENTIALS secret/secret/staging/database/credentials",
			"DATABASE_LEGACY secret/secret/staging/database/legacy#config",
			"SMTP_PASSWORD secret/secret/staging/mail/smtp#password@3",
			"APP_SECRET_KEY secret/secret/staging/app/secret_key#value",
			"HTTP_TIMEOUT secret/secret/staging/http/timeout#value",
			"DATABASE_LOGIN_USERNAME secret/secret/staging/database/login#username",
			"DATABASE_LOGIN_PASSWORD secret/secret/staging/database/login#password",
		}, nil},
		{"kitchen-vault-kv", []string{
			"DATABASE_URL secret/staging/database/url#value",
			"DATABASE_CREDENTIALS secret/staging/database/credentials",
			"DATABASE_LEGACY secret/staging/database/legacy#config",
			"SMTP_PASSWORD secret/staging/mail/smtp#password@3",
			"APP_SECRET_KEY secret/staging/app/secret_key#value",
			"HTTP_TIMEOUT secret/staging/http/timeout#value",
			"DATABASE_LOGIN_USERNAME secret/staging/database/login#username",
			"DATABASE_LOGIN_PASSWORD secret/staging/database/login#password",
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := decode(t, render(t, tt.name))
			if diff := cmp.Diff(tt.want, rows(o)); diff != "" {
				t.Errorf("data (-want +got):\n%s", diff)
			}
			var tmpl map[string]string
			if o.Spec.Target.Template != nil {
				tmpl = o.Spec.Target.Template.Data
				if o.Spec.Target.Template.MergePolicy != "Merge" {
					t.Errorf("template mergePolicy = %q, want Merge (else the other keys are dropped)", o.Spec.Target.Template.MergePolicy)
				}
			}
			if diff := cmp.Diff(tt.tmpl, tmpl); diff != "" {
				t.Errorf("template data (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEveryEntryOnce checks on the repository's manifest that the Secret
// has exactly one key per entry, named by the entry's Ref env name, in
// manifest order, and that -skip-optional leaves out exactly the optional
// ones.
func TestEveryEntryOnce(t *testing.T) {
	m := loadManifest(t, "../../../secrets.yaml")
	for _, skip := range []bool{false, true} {
		out, err := ExternalSecret(m, "production", "store", &Options{SkipOptional: skip})
		if err != nil {
			t.Fatal(err)
		}
		o := decode(t, out)
		var want, got []string
		for _, s := range m.Secrets {
			if !skip || !s.Optional {
				want = append(want, s.Ref().Env)
			}
		}
		for _, d := range o.Spec.Data {
			got = append(got, d.SecretKey)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("skip=%v: secret keys (-want +got):\n%s", skip, diff)
		}
		if o.Metadata.Name != "dashtam" || o.Spec.Target.Name != "dashtam" || o.Spec.RefreshInterval != "1h" ||
			o.Spec.SecretStoreRef != (struct{ Name, Kind string }{"store", "SecretStore"}) ||
			o.APIVersion != APIVersionV1 || o.Kind != "ExternalSecret" {
			t.Errorf("defaults not applied: %+v", o)
		}
	}
}

func TestErrors(t *testing.T) {
	awsM := loadManifest(t, "testdata/kitchen-aws.secrets.yaml")
	vaultM := loadManifest(t, "testdata/kitchen-vault.secrets.yaml")
	parse := func(text string) *manifest.Manifest {
		m, err := manifest.Parse("x.yaml", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		name       string
		m          *manifest.Manifest
		env, store string
		opts       Options
		bad        bool     // wraps ErrBadOption
		want       []string // substrings of the error
	}{
		{"bad env", awsM, "Prod", "s", Options{}, true, []string{`environment "Prod" is not valid`}},
		{"bad store", awsM, "production", "My_Store", Options{}, true, []string{`store "My_Store"`}},
		{"bad backend", awsM, "production", "s", Options{Backend: "gcp"}, true, []string{`backend "gcp"`}},
		{"bad kind", awsM, "production", "s", Options{StoreKind: "Store"}, true, []string{`store kind "Store"`}},
		{"bad name", awsM, "production", "s", Options{Name: "Shop-"}, true, []string{`name "Shop-"`, "-name"}},
		{"bad refresh", awsM, "production", "s", Options{Refresh: "hourly"}, true, []string{`refresh interval "hourly"`}},
		{"negative refresh", awsM, "production", "s", Options{Refresh: "-1h"}, true, []string{`refresh interval "-1h"`}},
		{"bad api", awsM, "production", "s", Options{APIVersion: "external-secrets.io/v1alpha1"}, true, []string{"v1alpha1"}},
		{"bad bytes", awsM, "production", "s", Options{AWSBytes: "hex"}, true, []string{`"hex"`}},
		{"empty mount", awsM, "production", "s", Options{VaultMount: "/"}, true, []string{"mount"}},
		{"aws pins with vault", awsM, "production", "s", Options{Backend: "vault"}, false, []string{
			`kitchen-aws.secrets.yaml:19:3: secret app/previous_key: source.version "AWSPREVIOUS" is not a Vault KV version number`,
			`kitchen-aws.secrets.yaml:22:3: secret stripe/key: source.version "0b5e3f4a-1c2d-4e5f-8a9b-0c1d2e3f4a5b" is not a Vault KV version number`,
		}},
		{"vault pins with aws", vaultM, "production", "s", Options{}, false, []string{`kitchen-vault.secrets.yaml:14:3: secret mail/password: source.version "3" pins a Vault KV version`}},
		{"gjson key", parse("version: 1\napp: a\nsecrets:\n  x/y:\n    type: string\n    source: {key: \"a*b\"}\n"), "production", "s", Options{}, false, []string{`x.yaml:4:3: secret x/y: source.key "a*b"`, "GJSON"}},
		{"database credential with vault", parse("version: 1\napp: a\nsecrets:\n  db/app:\n    type: credential\n    database: {role: app}\n"), "production", "s", Options{Backend: "vault"}, false,
			[]string{`x.yaml:4:3: secret db/app: credential from Vault's database engine (database/creds/app)`, "SECRETS_BACKEND=vault"}},
		{"all skipped", parse("version: 1\napp: a\nsecrets:\n  x/y:\n    type: string\n    optional: true\n"), "production", "s", Options{SkipOptional: true}, true, []string{"no secret to sync"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := ExternalSecret(tt.m, tt.env, tt.store, &tt.opts)
			if err == nil {
				t.Fatalf("no error; output:\n%s", out)
			}
			if errors.Is(err, ErrBadOption) != tt.bad {
				t.Errorf("errors.Is(err, ErrBadOption) = %v, want %v: %v", !tt.bad, tt.bad, err)
			}
			var e *Error
			if errors.As(err, &e) == tt.bad {
				t.Errorf("errors.As(err, *Error) = %v, want %v: %v", tt.bad, !tt.bad, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestLabelValue: the app.kubernetes.io/name label is the app when
// Kubernetes accepts it as a label value, else a stable shortened form:
// at most 63 characters, a letter or digit at both ends, different for
// apps that differ only after the first 54 characters.
func TestLabelValue(t *testing.T) {
	long := strings.Repeat("a", 54)
	tests := []struct{ app, want string }{
		{"dashtam", "dashtam"},
		{strings.Repeat("x", 63), strings.Repeat("x", 63)},
		{"app-", "app-" + labelHash("app-")},
		{strings.Repeat("x", 64), strings.Repeat("x", 54) + "-" + labelHash(strings.Repeat("x", 64))},
		{long + "---b", long + "---b"}, // 58 characters: as is
		// Cut after a dash: the dash goes, so the value ends in a letter.
		{strings.Repeat("a", 53) + "--" + strings.Repeat("b", 20), strings.Repeat("a", 53) + "-" + labelHash(strings.Repeat("a", 53)+"--"+strings.Repeat("b", 20))},
	}
	for _, tt := range tests {
		got := labelValue(tt.app)
		if got != tt.want {
			t.Errorf("labelValue(%q) = %q, want %q", tt.app, got, tt.want)
		}
		if len(got) > 63 || !labelValueRE.MatchString(got) {
			t.Errorf("labelValue(%q) = %q is not a label value", tt.app, got)
		}
		if labelValue(tt.app) != got {
			t.Errorf("labelValue(%q) is not stable", tt.app)
		}
	}
	if labelValue(long+"-one-app") == labelValue(long+"-two-app") {
		t.Error("two long apps with the same first 54 characters got one label")
	}

	// In the ExternalSecret: the label is shortened and says so; the
	// object and Secret names (up to 253 characters) keep the app.
	app := "payments-" + strings.Repeat("reconciliation-", 5) + "service"
	m, err := manifest.Parse("x.yaml", []byte("version: 1\napp: "+app+"\nsecrets:\n  x/y: {type: string}\n"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := ExternalSecret(m, "production", "s", nil)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Metadata struct {
			Name   string            `yaml:"name"`
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
	}
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	label := doc.Metadata.Labels["app.kubernetes.io/name"]
	if len(app) <= 63 || label != labelValue(app) || len(label) > 63 || doc.Metadata.Name != app {
		t.Errorf("app of %d characters: name %q, label %q (%d characters)", len(app), doc.Metadata.Name, label, len(label))
	}
	if !strings.Contains(string(out), "# the app "+app+", shortened to a label value") {
		t.Errorf("no comment on the shortened label:\n%s", out)
	}
	if err := validate(t, out); err != nil {
		t.Errorf("output does not validate against ESO's CRD: %v", err)
	}
}

// labelHash is the suffix labelValue gives app: 8 hex digits of SHA-256.
func labelHash(app string) string {
	sum := sha256.Sum256([]byte(app))
	return hex.EncodeToString(sum[:4])
}
