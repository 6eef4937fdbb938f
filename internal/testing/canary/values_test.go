package canary_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/internal/testing/canary/kitchen"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// The canary. token is in every string-like secret value (strings, URLs,
// bytes, JSON members, list elements, map keys and values). It is letters and
// digits only, so every escaping (%q, JSON, URL query or path escaping) keeps
// it intact. Numbers, durations and times cannot hold a string, so they hold
// the distinctive number canaryNumber and the distinctive time canaryTime.
// Booleans cannot be told apart and enum values are public (they are in the
// manifest): neither is looked for, but invalid values of both carry the
// token.
const (
	token        = "zq9canary7f3e"
	canaryNumber = 271828182
)

var (
	canaryDuration = time.Duration(canaryNumber) // prints as 271.828182ms
	canaryTime     = time.Date(2031, time.July, 19, 11, 22, 33, 123456789, time.UTC)

	// canaryString has characters that %q, JSON and URL escaping change.
	canaryString = token + `-string <&> "q" é/?`
	canaryBytes  = []byte(token + "-bytes\x00\xff")
	canaryURL    = "https://" + token + "-user:" + token + "-pass@" + token + "-host.example:5432/" + token + "-path?q=" + token + "-query#" + token + "-fragment"
)

// form is one way the canary can show up in a text.
type form struct {
	name string
	text string
	fold bool // match case-insensitively
}

// canaryForms lists every form findCanary looks for: the token and each
// distinctive number and time text as written by fmt, strconv, encoding/json
// and time (case-insensitively, for %X and upper-casing loggers), their hex
// (%x of a string, []byte or Stringer) and their standard and URL base64
// (at each of the three byte alignments, so that the token is found inside
// any base64 text that encodes it).
var canaryForms = func() []form {
	bases := []form{
		{name: "token", text: token},
		{name: "number", text: strconv.Itoa(canaryNumber)},                          // %d, %v, JSON, %f
		{name: "number %e/%g", text: "2.71828182"},                                  // %v of a float64: 2.71828182e+08
		{name: "number %e", text: "2.718282"},                                       // %e of a float64: 2.718282e+08
		{name: "duration", text: "271.828182"},                                      // %v of canaryDuration: 271.828182ms
		{name: "time date", text: canaryTime.Format(time.DateOnly)},                 // RFC 3339, time.String
		{name: "time of day", text: canaryTime.Format(time.TimeOnly)},               // most other layouts
		{name: "time nanoseconds", text: "123456789"},                               // %#v and %d of a time.Time
		{name: "time unix seconds", text: strconv.FormatInt(canaryTime.Unix(), 10)}, // Unix()
	}
	forms := []form{
		{name: "number %x", text: strconv.FormatInt(canaryNumber, 16), fold: true},                 // 1033f1d6
		{name: "float %x", text: strconv.FormatFloat(canaryNumber, 'x', -1, 64)[4:10], fold: true}, // 0x1.033f1d6p+28
	}
	for _, b := range bases {
		forms = append(forms,
			form{name: b.name, text: b.text, fold: true},
			form{name: b.name + " hex", text: hex.EncodeToString([]byte(b.text)), fold: true},
			form{name: b.name + " spaced hex", text: fmt.Sprintf("% x", b.text), fold: true},    // % x
			form{name: b.name + " bytes", text: strings.Trim(fmt.Sprint([]byte(b.text)), "[]")}) // %v of a []byte
		for k := range 3 {
			sub := b.text[k:]
			sub = sub[:len(sub)/3*3] // whole 3-byte groups encode the same wherever they are
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
				forms = append(forms, form{name: fmt.Sprintf("%s base64 (alignment %d)", b.name, k), text: enc.EncodeToString([]byte(sub))})
			}
		}
	}
	return forms
}()

// findCanary returns the name of the first form of the canary that text
// contains and where it starts.
func findCanary(text string) (name string, at int) {
	lower := strings.ToLower(text)
	for _, f := range canaryForms {
		at := strings.Index(text, f.text)
		if at < 0 && f.fold {
			at = strings.Index(lower, strings.ToLower(f.text))
		}
		if at >= 0 {
			return f.name, at
		}
	}
	return "", -1
}

// assertNoCanary fails the test when text contains any form of the canary.
// The message shows where (only a window of a long text).
func assertNoCanary(t *testing.T, where, text string) {
	t.Helper()
	if name, at := findCanary(text); at >= 0 {
		const window = 120
		from, to := max(at-window, 0), min(at+window, len(text))
		t.Errorf("%s: the canary leaked (%s) at byte %d of %d:\n...%s...", where, name, at, len(text), strings.ToValidUTF8(text[from:to], "?"))
	}
}

// mustURL parses a URL the way Load does.
func mustURL(s string) *url.URL {
	u, err := genimpl.ParseURL(s)
	if err != nil {
		panic(fmt.Sprintf("bad test URL %q", s))
	}
	return u
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// canaryEnv returns the variables that hold the canary in every secret, in a
// variety of accepted text forms (raw JSON numbers and JSON strings, JSON
// arrays and comma-separated lists).
func canaryEnv() map[string]string {
	b64 := base64.StdEncoding.EncodeToString(canaryBytes)
	ts := canaryTime.Format(time.RFC3339Nano)
	n := strconv.Itoa(canaryNumber)
	return map[string]string{
		"SCALAR_STRING":              canaryString,
		"SCALAR_INT":                 n,
		"SCALAR_INT64":               n,
		"SCALAR_FLOAT64":             "2.71828182e+08",
		"SCALAR_BOOL":                "true",
		"SCALAR_DURATION":            n + "ns",
		"SCALAR_URL":                 canaryURL,
		"SCALAR_BYTES":               b64,
		"SCALAR_TIME":                ts,
		"SCALAR_ENUM":                "green",
		"SCALAR_WITH_DEFAULT":        token + "-with-default",
		"SCALAR_CREDENTIAL_USERNAME": "canary-user",
		"SCALAR_CREDENTIAL_PASSWORD": token + "-password",
		"OBJECT_JSON": `{"text":` + jsonText(token+"-json <&>") + `,"count":` + n + `,"big":"` + n + `","ratio":` + n +
			`,"flag":true,"wait":"271.828182ms","link":"https://` + token + `-json@example.com/` + token +
			`","blob":"` + b64 + `","at":"` + ts + `"}`,
		"LIST_STRING":   jsonText([]string{token + "-list-0", token + "-list-1"}),
		"LIST_INT":      "[" + n + `, "1"]`,
		"LIST_INT64":    n + ", 1",
		"LIST_FLOAT64":  "[" + n + `, "0.5"]`,
		"LIST_BOOL":     "true,false",
		"LIST_DURATION": `["` + n + `ns","1s"]`,
		"LIST_URL":      jsonText([]string{canaryURL, "https://" + token + ".example/"}),
		"LIST_BYTES":    `["` + b64 + `"]`,
		"LIST_TIME":     ts + ", " + ts,
		"MAP_STRING":    jsonText(map[string]string{token + "-key": token + "-value"}),
		"MAP_INT":       `{"` + token + `-int":` + n + `}`,
		"MAP_INT64":     `{"` + token + `-int64":"` + n + `"}`,
		"MAP_FLOAT64":   `{"` + token + `-float":` + n + `}`,
		"MAP_BOOL":      `{"` + token + `-bool":true}`,
		"MAP_DURATION":  `{"` + token + `-duration":"` + n + `ns"}`,
		"MAP_URL":       jsonText(map[string]string{token + "-url": canaryURL}),
		"MAP_BYTES":     `{"` + token + `-bytes":"` + b64 + `"}`,
		"MAP_TIME":      `{"` + token + `-time":"` + ts + `"}`,
		"MAIL_PASSWORD": token + "-mail-password",
	}
}

// canarySettings returns what Load must read from canaryEnv.
func canarySettings() *kitchen.Settings {
	n := canaryNumber
	s := new(kitchen.Settings)
	s.Scalar.String = runtime.NewSecret(canaryString)
	s.Scalar.Int = runtime.NewSecret(n)
	s.Scalar.Int64 = runtime.NewSecret(int64(n))
	s.Scalar.Float64 = runtime.NewSecret(float64(n))
	s.Scalar.Bool = runtime.NewSecret(true)
	s.Scalar.Duration = runtime.NewSecret(canaryDuration)
	s.Scalar.URL = runtime.NewSecret(mustURL(canaryURL))
	s.Scalar.Bytes = runtime.NewSecret(canaryBytes)
	s.Scalar.Time = runtime.NewSecret(canaryTime)
	s.Scalar.Enum = runtime.NewSecret(kitchen.ScalarEnumGreen)
	s.Scalar.WithDefault = runtime.NewSecret(token + "-with-default")
	s.Scalar.Credential = runtime.NewCredential("canary-user", token+"-password", nil, nil)
	s.Object.JSON = runtime.NewSecret(kitchen.ObjectJSON{
		Text: token + "-json <&>", Count: n, Big: int64(n), Ratio: float64(n), Flag: true, Wait: canaryDuration,
		Link: mustURL("https://" + token + "-json@example.com/" + token), Blob: canaryBytes, At: canaryTime,
	})
	s.List.String = runtime.NewSecret([]string{token + "-list-0", token + "-list-1"})
	s.List.Int = runtime.NewSecret([]int{n, 1})
	s.List.Int64 = runtime.NewSecret([]int64{int64(n), 1})
	s.List.Float64 = runtime.NewSecret([]float64{float64(n), 0.5})
	s.List.Bool = runtime.NewSecret([]bool{true, false})
	s.List.Duration = runtime.NewSecret([]time.Duration{canaryDuration, time.Second})
	s.List.URL = runtime.NewSecret([]*url.URL{mustURL(canaryURL), mustURL("https://" + token + ".example/")})
	s.List.Bytes = runtime.NewSecret([][]byte{canaryBytes})
	s.List.Time = runtime.NewSecret([]time.Time{canaryTime, canaryTime})
	s.Map.String = runtime.NewSecret(map[string]string{token + "-key": token + "-value"})
	s.Map.Int = runtime.NewSecret(map[string]int{token + "-int": n})
	s.Map.Int64 = runtime.NewSecret(map[string]int64{token + "-int64": int64(n)})
	s.Map.Float64 = runtime.NewSecret(map[string]float64{token + "-float": float64(n)})
	s.Map.Bool = runtime.NewSecret(map[string]bool{token + "-bool": true})
	s.Map.Duration = runtime.NewSecret(map[string]time.Duration{token + "-duration": canaryDuration})
	s.Map.URL = runtime.NewSecret(map[string]*url.URL{token + "-url": mustURL(canaryURL)})
	s.Map.Bytes = runtime.NewSecret(map[string][]byte{token + "-bytes": canaryBytes})
	s.Map.Time = runtime.NewSecret(map[string]time.Time{token + "-time": canaryTime})
	s.Mail.Password = runtime.NewSecret(token + "-mail-password")
	return s
}

// invalidCase is a value of one variable that does not parse as its type
// and contains the canary.
type invalidCase struct {
	name string // variable
	path string // the path Load must report
	text string
}

// invalidCases has at least one invalid value of every type that can be
// invalid (every text is a valid string), the first of each variable being
// used by the all-at-once cases.
var invalidCases = func() []invalidCase {
	n := strconv.Itoa(canaryNumber)
	b64 := base64.StdEncoding.EncodeToString([]byte(token))
	ts := canaryTime.Format(time.RFC3339Nano)
	return []invalidCase{
		{"SCALAR_INT", kitchen.PathScalarInt, n + token},
		{"SCALAR_INT", kitchen.PathScalarInt, n + n + n}, // out of range
		{"SCALAR_INT64", kitchen.PathScalarInt64, token + n},
		{"SCALAR_INT64", kitchen.PathScalarInt64, n + n + n},
		{"SCALAR_FLOAT64", kitchen.PathScalarFloat64, n + "." + token},
		{"SCALAR_FLOAT64", kitchen.PathScalarFloat64, "1e" + n}, // infinite
		{"SCALAR_BOOL", kitchen.PathScalarBool, "true-" + token},
		{"SCALAR_DURATION", kitchen.PathScalarDuration, n + token},
		{"SCALAR_DURATION", kitchen.PathScalarDuration, n + "h" + n + "h" + n + "h"}, // overflow
		{"SCALAR_URL", kitchen.PathScalarURL, token + "-user:" + token + "-pass@" + token + "/no-scheme"},
		{"SCALAR_URL", kitchen.PathScalarURL, "https://" + token + "-user:" + token + "-pass@host/%zz" + token},
		{"SCALAR_URL", kitchen.PathScalarURL, "https://" + token + ".example:" + token + "/bad-port"},
		{"SCALAR_URL", kitchen.PathScalarURL, "https:///" + token}, // no host
		{"SCALAR_BYTES", kitchen.PathScalarBytes, token + "!"},
		{"SCALAR_BYTES", kitchen.PathScalarBytes, b64 + "==="},
		{"SCALAR_TIME", kitchen.PathScalarTime, ts + " " + token},
		{"SCALAR_TIME", kitchen.PathScalarTime, "2031-07-19T25:22:33.123456789Z"}, // hour 25
		{"SCALAR_ENUM", kitchen.PathScalarEnum, token},
		{"SCALAR_CREDENTIAL_USERNAME", kitchen.PathScalarCredential, ""}, // the password, set, holds the canary
		{"OBJECT_JSON", kitchen.PathObjectJSON, `{"text":"` + token + `","count":"` + token + `"}`},
		{"OBJECT_JSON", kitchen.PathObjectJSON, token},
		{"OBJECT_JSON", kitchen.PathObjectJSON, `{"text":"` + token + `"`},
		{"OBJECT_JSON", kitchen.PathObjectJSON, `{"` + token + `":1}`},
		{"OBJECT_JSON", kitchen.PathObjectJSON, `{"text":{"` + token + `":"` + token + `"}}`},
		{"OBJECT_JSON", kitchen.PathObjectJSON, `{"text":"a","count":1,"big":1,"ratio":1,"flag":true,"wait":"1s","link":"` + token + `","blob":"","at":"` + ts + `"}`},
		{"LIST_STRING", kitchen.PathListString, `["` + token + `",`},
		{"LIST_STRING", kitchen.PathListString, `["` + token + `",{"` + token + `":1}]`},
		{"LIST_INT", kitchen.PathListInt, "[" + n + `,"` + token + `"]`},
		{"LIST_INT64", kitchen.PathListInt64, n + "," + token},
		{"LIST_FLOAT64", kitchen.PathListFloat64, "[" + token + "]"},
		{"LIST_BOOL", kitchen.PathListBool, "true," + token},
		{"LIST_DURATION", kitchen.PathListDuration, `["` + n + token + `"]`},
		{"LIST_URL", kitchen.PathListURL, canaryURL + "," + token},
		{"LIST_BYTES", kitchen.PathListBytes, `["` + token + `"]`},
		{"LIST_TIME", kitchen.PathListTime, ts + "," + token},
		{"MAP_STRING", kitchen.PathMapString, `{"` + token + `":["` + token + `"]}`},
		{"MAP_STRING", kitchen.PathMapString, `{"` + token + `": }`},
		{"MAP_STRING", kitchen.PathMapString, `[` + token + `]`},
		{"MAP_INT", kitchen.PathMapInt, `{"` + token + `":"` + token + `"}`},
		{"MAP_INT64", kitchen.PathMapInt64, `{"` + token + `":"` + n + token + `"}`},
		{"MAP_FLOAT64", kitchen.PathMapFloat64, `{"` + token + `":"` + token + `"}`},
		{"MAP_BOOL", kitchen.PathMapBool, `{"` + token + `":"` + token + `"}`},
		{"MAP_DURATION", kitchen.PathMapDuration, `{"` + token + `":"` + n + `"}`},
		{"MAP_URL", kitchen.PathMapURL, `{"` + token + `":"/` + token + `"}`},
		{"MAP_BYTES", kitchen.PathMapBytes, `{"` + token + `":"` + token + `"}`},
		{"MAP_TIME", kitchen.PathMapTime, `{"` + token + `":"` + n + `"}`},
	}
}()

// allInvalidEnv is canaryEnv with the first invalid value of each variable
// of invalidCases.
func allInvalidEnv() (env map[string]string, paths []string) {
	env = canaryEnv()
	seen := map[string]bool{}
	for _, c := range invalidCases {
		if !seen[c.name] {
			seen[c.name] = true
			env[c.name] = c.text
			paths = append(paths, c.path)
		}
	}
	return env, paths
}

// envText is vars as the text of a .env file, each value in single quotes
// (which godotenv reads literally).
func envText(t *testing.T, vars map[string]string) string {
	t.Helper()
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		v := vars[k]
		if strings.ContainsAny(v, "'\n") {
			t.Fatalf("envText: value of %s cannot be single-quoted", k)
		}
		fmt.Fprintf(&b, "%s='%s'\n", k, v)
	}
	return b.String()
}

// envFile writes vars as a .env file and returns its name.
func envFile(t *testing.T, vars map[string]string) string {
	t.Helper()
	return writeFile(t, "canary.env", envText(t, vars))
}

// pairCredentials makes top, a part of vars, hold both variables of the
// credential or neither: one without the other is an invalid value, not a
// secret a later layer serves.
func pairCredentials(top, vars map[string]string) {
	if _, ok := top["SCALAR_CREDENTIAL_USERNAME"]; ok {
		top["SCALAR_CREDENTIAL_PASSWORD"] = vars["SCALAR_CREDENTIAL_PASSWORD"]
	} else {
		delete(top, "SCALAR_CREDENTIAL_PASSWORD")
	}
}
