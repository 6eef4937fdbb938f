package k8s

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// The ESO release whose published CRDs the output is validated against.
// The CRDs are read from the module in the module cache (go mod download),
// never copied into this repository, and ESO is not a requirement of
// go.mod.
const (
	esoModule  = "github.com/external-secrets/external-secrets"
	esoVersion = "v0.16.2"
	esoCRDDir  = "config/crds/bases"
)

// esoCRDs are the CRD files loaded, by kind.
var esoCRDs = map[string]string{
	"ExternalSecret":     "external-secrets.io_externalsecrets.yaml",
	"SecretStore":        "external-secrets.io_secretstores.yaml",
	"ClusterSecretStore": "external-secrets.io_clustersecretstores.yaml",
}

// crdSchemas are the openAPIV3Schema of every served version of a CRD.
type crdSchemas struct {
	strict map[string]*jsonschema.Schema // compiled in strict mode, by apiVersion
	raw    map[string]map[string]any     // as published, by apiVersion
}

var crdOnce = struct {
	sync.Once
	byKind map[string]crdSchemas
	err    error
}{}

// esoSchemas returns the schemas of the CRD of kind. A missing CRD fails the
// test: the module proxy is reachable wherever make test runs.
func esoSchemas(t *testing.T, kind string) crdSchemas {
	t.Helper()
	crdOnce.Do(func() { crdOnce.byKind, crdOnce.err = loadCRDs(t.TempDir()) })
	if crdOnce.err != nil {
		t.Fatalf("ESO %s CRDs: %v", esoVersion, crdOnce.err)
	}
	s, ok := crdOnce.byKind[kind]
	if !ok {
		t.Fatalf("no CRD loaded for kind %q", kind)
	}
	return s
}

func loadCRDs(tmp string) (map[string]crdSchemas, error) {
	// Outside this module (a temporary directory), so go.mod is neither
	// read nor changed.
	cmd := exec.Command("go", "mod", "download", "-json", esoModule+"@"+esoVersion)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go mod download %s@%s: %v\n%s%s", esoModule, esoVersion, err, out, stderr.Bytes())
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return nil, fmt.Errorf("go mod download gave no module directory (%v): %s", err, out)
	}
	byKind := map[string]crdSchemas{}
	for kind, file := range esoCRDs {
		s, err := loadCRD(filepath.Join(mod.Dir, esoCRDDir, file), kind)
		if err != nil {
			return nil, err
		}
		byKind[kind] = s
	}
	return byKind, nil
}

func loadCRD(file, kind string) (crdSchemas, error) {
	s := crdSchemas{strict: map[string]*jsonschema.Schema{}, raw: map[string]map[string]any{}}
	data, err := os.ReadFile(file)
	if err != nil {
		return s, err
	}
	var crd struct {
		Spec struct {
			Group    string
			Names    struct{ Kind string }
			Versions []struct {
				Name   string
				Served bool
				Schema struct {
					OpenAPIV3Schema map[string]any `yaml:"openAPIV3Schema"`
				}
			}
		}
	}
	if err := yaml.Unmarshal(data, &crd); err != nil {
		return s, fmt.Errorf("%s: %v", file, err)
	}
	if crd.Spec.Group != "external-secrets.io" || crd.Spec.Names.Kind != kind {
		return s, fmt.Errorf("%s is not the %s CRD (group %q kind %q)", file, kind, crd.Spec.Group, crd.Spec.Names.Kind)
	}
	for _, v := range crd.Spec.Versions {
		if !v.Served {
			continue
		}
		c, err := compile(v.Schema.OpenAPIV3Schema, true)
		if err != nil {
			return s, fmt.Errorf("%s version %s: %v", file, v.Name, err)
		}
		s.strict[crd.Spec.Group+"/"+v.Name] = c
		s.raw[crd.Spec.Group+"/"+v.Name] = v.Schema.OpenAPIV3Schema
	}
	return s, nil
}

// compile compiles an OpenAPI v3 schema of a CRD as a JSON schema (draft 4,
// which OpenAPI 3.0 schemas follow; the x-kubernetes-* extensions are
// unknown keywords and ignored). With strictFields, every object schema
// that lists properties and neither sets additionalProperties nor
// x-kubernetes-preserve-unknown-fields refuses other fields: the API server
// would silently drop them (pruning), and kubectl apply's strict field
// validation refuses them. Without it a misspelt field (propery:) would
// pass.
func compile(schema map[string]any, strictFields bool) (*jsonschema.Schema, error) {
	tree, err := jsonTree(schema)
	if err != nil {
		return nil, err
	}
	if strictFields {
		strict(tree)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	if err := c.AddResource("crd.json", tree); err != nil {
		return nil, err
	}
	return c.Compile("crd.json")
}

func strict(v any) {
	switch v := v.(type) {
	case map[string]any:
		_, props := v["properties"]
		_, addl := v["additionalProperties"]
		_, keep := v["x-kubernetes-preserve-unknown-fields"]
		if props && !addl && !keep {
			v["additionalProperties"] = false
		}
		for _, c := range v {
			strict(c)
		}
	case []any:
		for _, c := range v {
			strict(c)
		}
	}
}

// jsonTree turns a YAML-decoded value into the JSON form the validator
// reads (json.Number numbers, map[string]any objects).
func jsonTree(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// validate checks a YAML document against the schema of its kind and
// apiVersion.
func validate(t *testing.T, doc []byte) error {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal(doc, &obj); err != nil {
		return fmt.Errorf("not YAML: %v", err)
	}
	kind, _ := obj["kind"].(string)
	if _, ok := esoCRDs[kind]; !ok {
		return fmt.Errorf("kind %q is not one of ESO's CRDs loaded here", kind)
	}
	apiVersion, _ := obj["apiVersion"].(string)
	s, ok := esoSchemas(t, kind).strict[apiVersion]
	if !ok {
		return fmt.Errorf("apiVersion %q of %s is not served by ESO %s", apiVersion, kind, esoVersion)
	}
	tree, err := jsonTree(obj)
	if err != nil {
		return err
	}
	if err := s.Validate(tree); err != nil {
		return err
	}
	if kind == "ExternalSecret" {
		return webhookRules(obj)
	}
	return nil
}

// webhookRules checks what ESO v0.16.2's admission webhook adds to the
// schema for the objects we write (apis/externalsecrets/v1/
// externalsecret_validator.go): the creation and deletion policies must
// agree, data must not be empty (we never write dataFrom), and no
// secretKey may repeat.
func webhookRules(obj map[string]any) error {
	spec, _ := obj["spec"].(map[string]any)
	target, _ := spec["target"].(map[string]any)
	creation, deletion := target["creationPolicy"], target["deletionPolicy"]
	if creation == nil {
		creation = "Owner"
	}
	switch {
	case deletion == "Delete" && (creation == "Merge" || creation == "None"):
		return errors.New("webhook: deletionPolicy=Delete must not be used when the controller doesn't own the secret")
	case deletion == "Merge" && creation == "None":
		return errors.New("webhook: deletionPolicy=Merge must not be used with creationPolicy=None")
	}
	data, _ := spec["data"].([]any)
	if len(data) == 0 {
		return errors.New("webhook: either data or dataFrom should be specified")
	}
	seen := map[any]bool{}
	for _, d := range data {
		k := d.(map[string]any)["secretKey"]
		if seen[k] {
			return fmt.Errorf("webhook: duplicate secretKey found: %v", k)
		}
		seen[k] = true
	}
	return nil
}

// TestCRDServesBothVersions records the apiVersion decision: ESO v0.16.2
// serves v1 (the storage version) and v1beta1.
func TestCRDServesBothVersions(t *testing.T) {
	s := esoSchemas(t, "ExternalSecret").strict
	for _, v := range []string{APIVersionV1, APIVersionV1beta1} {
		if s[v] == nil {
			t.Errorf("ESO %s does not serve %s", esoVersion, v)
		}
	}
}

// TestValidatesAgainstCRD validates every golden output against ESO's CRD.
func TestValidatesAgainstCRD(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			if err := validate(t, render(t, c.name)); err != nil {
				t.Errorf("output does not validate against ESO %s's CRD:\n%v", esoVersion, err)
			}
		})
	}
}

// TestCRDRejectsBrokenObjects shows the validation can fail: each edit of a
// valid output breaks one rule of the CRD schema.
func TestCRDRejectsBrokenObjects(t *testing.T) {
	good := string(render(t, "kitchen-aws"))
	if err := validate(t, []byte(good)); err != nil {
		t.Fatalf("the unbroken object does not validate: %v", err)
	}
	tests := []struct{ name, old, new, want string }{
		{"misspelt property", "property: user", "propery: user", "additional properties 'propery' not allowed"},
		{"remoteRef without key", "key: /shop/production/database/url\n", "property: x\n", "at '/spec/data/0/remoteRef': missing property 'key'"},
		{"secret key with a slash", "secretKey: DATABASE_URL", "secretKey: DATABASE/URL", "at '/spec/data/0/secretKey'"},
		{"unknown store kind", "kind: SecretStore", "kind: Store", "at '/spec/secretStoreRef/kind'"},
		{"unknown merge policy", "mergePolicy: Merge", "mergePolicy: Append", "at '/spec/target/template/mergePolicy'"},
		{"data not a list", "  data:\n    # database/url (url)\n    - secretKey: DATABASE_URL\n", "  data:\n    DATABASE_URL:\n    - secretKey: DATABASE_URL\n", "at '/spec/data': got object, want array"},
		{"unserved apiVersion", "external-secrets.io/v1\n", "external-secrets.io/v1alpha1\n", "not served"},
		{"policies disagree", "creationPolicy: Owner", "creationPolicy: Merge\n    deletionPolicy: Delete", "webhook: deletionPolicy=Delete"},
		{"duplicate secret key", "secretKey: MAIL_USER", "secretKey: DATABASE_URL", "webhook: duplicate secretKey found: DATABASE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(good, tt.old) {
				t.Fatalf("output lacks %q", tt.old)
			}
			err := validate(t, []byte(strings.Replace(good, tt.old, tt.new, 1)))
			var ve *jsonschema.ValidationError
			switch {
			case err == nil:
				t.Fatal("the broken object validates")
			case !strings.Contains(err.Error(), tt.want):
				t.Errorf("error does not mention %q:\n%v", tt.want, err)
			case !strings.Contains(tt.want, "not served") && !strings.HasPrefix(tt.want, "webhook") && !errors.As(err, &ve):
				t.Errorf("error is not a schema violation: %v", err)
			}
		})
	}
}

// TestStrictFieldsMatter shows why the schema is compiled in strict mode:
// the CRD as published accepts a misspelt field (Kubernetes would prune it
// and ESO would read the secret's whole value instead of one member).
func TestStrictFieldsMatter(t *testing.T) {
	good := string(render(t, "kitchen-aws"))
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(strings.Replace(good, "property: user", "propery: user", 1)), &obj); err != nil {
		t.Fatal(err)
	}
	tree, err := jsonTree(obj)
	if err != nil {
		t.Fatal(err)
	}
	loose, err := compile(esoSchemas(t, "ExternalSecret").raw[APIVersionV1], false)
	if err != nil {
		t.Fatal(err)
	}
	if err := loose.Validate(tree); err != nil {
		t.Errorf("the published schema already refuses unknown fields, strict mode is not needed: %v", err)
	}
}
