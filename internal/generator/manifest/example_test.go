package manifest_test

import (
	"fmt"
	"strings"

	"github.com/dashtam/secretsgen/internal/generator/manifest"
)

func ExampleParse() {
	m, err := manifest.Parse("secrets.yaml", []byte(`
version: 1
app: dashtam
secrets:
  database/url:
    type: url
    description: PostgreSQL connection URL.
  schwab/api_key:
    type: string
    env: SCHWAB_KEY
  http/timeout:
    type: duration
    default: 30s
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range m.Secrets {
		fmt.Println(s.Path, s.Type, "Settings."+strings.Join(s.GoPath, "."), s.Env, s.Optional)
	}

	// Every problem is reported at once, in file order.
	_, err = manifest.Parse("secrets.yaml", []byte(`
version: 1
app: dashtam
secrets:
  database/url:
    type: uri
  Schwab/api_key:
    tpye: string
`))
	fmt.Println(err)
	// Output:
	// database/url url Settings.Database.URL DATABASE_URL false
	// schwab/api_key string Settings.Schwab.APIKey SCHWAB_KEY false
	// http/timeout duration Settings.HTTP.Timeout HTTP_TIMEOUT true
	// secrets.yaml:6:11: secret database/url: unknown type "uri" (did you mean "url"?); known types: string, int, int64, float64, bool, duration, url, bytes, time, enum, json, credential, []T, map[string]T
	// secrets.yaml:7:3: secret path "Schwab/api_key" must be lower case: use "schwab/api_key"
	// secrets.yaml:7:3: secret Schwab/api_key: type is required, e.g. type: string
	// secrets.yaml:8:5: unknown key "tpye" in secret Schwab/api_key; known keys: database, default, description, env, fields, optional, sensitive, source, type, values
}
