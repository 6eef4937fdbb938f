package k8s

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// yamlBlock is a fenced ```yaml block of a Markdown page.
var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// TestDocs holds docs/kubernetes.md to the code: its full ExternalSecret is
// the golden output for the repository's manifest, every ESO object in it
// validates against ESO's CRDs, and the pod specs mount or import the
// Secret that ExternalSecret creates, with the settings of the files and
// env backends.
func TestDocs(t *testing.T) {
	page, err := os.ReadFile("../../../docs/kubernetes.md")
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile("testdata/dashtam-aws.yaml")
	if err != nil {
		t.Fatal(err)
	}
	blocks := yamlBlock.FindAllStringSubmatch(string(page), -1)
	var sawGolden, sawFiles, sawEnv bool
	kinds := map[string]int{}
	for _, b := range blocks {
		text := b[1]
		if text == string(golden) {
			sawGolden = true
		}
		var tree any // fragments (a list item, a container) too
		if err := yaml.Unmarshal([]byte(text), &tree); err != nil {
			t.Errorf("block does not parse as YAML: %v\n%s", err, text)
			continue
		}
		obj, _ := tree.(map[string]any)
		kind, _ := obj["kind"].(string)
		kinds[kind]++
		if _, ok := esoCRDs[kind]; ok {
			if err := validate(t, []byte(text)); err != nil {
				t.Errorf("%s block does not validate against ESO %s's CRD: %v\n%s", kind, esoVersion, err, text)
			}
		}
		switch {
		case kind == "Deployment":
			sawFiles = true
			for _, w := range []string{
				"name: SECRETS_BACKEND\n              value: files\n",
				"name: SECRETS_FILES_DIR\n              value: /run/secrets/dashtam\n",
				"mountPath: /run/secrets/dashtam\n",
				"secretName: dashtam\n",
			} {
				if !strings.Contains(text, w) {
					t.Errorf("files pod spec lacks %q", w)
				}
			}
			if strings.Contains(text, "subPath") {
				t.Error("files pod spec uses subPath, which never sees updates")
			}
		case strings.Contains(text, "envFrom:\n"):
			sawEnv = true
			for _, w := range []string{"value: env\n", "secretRef:\n                name: dashtam\n"} {
				if !strings.Contains(text, w) {
					t.Errorf("envFrom pod spec lacks %q", w)
				}
			}
		}
	}
	if !sawGolden {
		t.Error("docs/kubernetes.md does not show testdata/dashtam-aws.yaml verbatim (the output for the repository's manifest)")
	}
	if !sawFiles || !sawEnv {
		t.Errorf("pod specs: files %v, envFrom %v; want both", sawFiles, sawEnv)
	}
	if kinds["SecretStore"] == 0 || kinds["ClusterSecretStore"] == 0 {
		t.Errorf("store examples by kind: %v; want a SecretStore and a ClusterSecretStore", kinds)
	}
}
