package genimpl

import (
	"math"
	"math/rand/v2"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"testing/quick"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

type color string

// equateUserinfo lets cmp compare url.URL values.
var equateUserinfo = cmpopts.EquateComparable(url.Userinfo{})

var parseColor = ParseEnum[color]("red", "green", "blue")

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// TestParse checks every parser on accepted and rejected texts: the value,
// the canonical form, and an error that names the type and not the input.
func TestParse(t *testing.T) {
	type tc struct {
		in        string
		want      any    // nil when in is rejected
		canonical string // Format(Parse(in)); "" means in itself
		errHas    string // part of the expected error
	}
	type parser struct {
		name  string
		cases []tc
	}
	wrap := func(p any, f any) (func(string) (any, error), func(any) string) {
		pv, fv := reflect.ValueOf(p), reflect.ValueOf(f)
		return func(s string) (any, error) {
				out := pv.Call([]reflect.Value{reflect.ValueOf(s)})
				err, _ := out[1].Interface().(error)
				return out[0].Interface(), err
			}, func(v any) string {
				return fv.Call([]reflect.Value{reflect.ValueOf(v)})[0].String()
			}
	}
	ints := ParseList(ParseInt)
	strs := ParseList(ParseString)
	intMap := ParseMap(ParseInt)
	parsers := []parser{
		{name: "string", cases: []tc{
			{in: "", want: ""},
			{in: " spaced \n", want: " spaced \n"},
		}},
		{name: "int", cases: []tc{
			{in: "5432", want: 5432},
			{in: "-1", want: -1},
			{in: " 42\n", want: 42, canonical: "42"},
			{in: "+7", want: 7, canonical: "7"},
			{in: "", errHas: "expected an integer, such as 5432"},
			{in: "12abc", errHas: "expected an integer"},
			{in: "1.5", errHas: "expected an integer"},
			{in: "99999999999999999999", errHas: "range of int"},
		}},
		{name: "int64", cases: []tc{
			{in: "9223372036854775807", want: int64(math.MaxInt64)},
			{in: "x", errHas: "expected an integer"},
			{in: "9223372036854775808", errHas: "range of int64"},
		}},
		{name: "float64", cases: []tc{
			{in: "0.25", want: 0.25},
			{in: "1e-3", want: 0.001, canonical: "0.001"},
			{in: "3", want: 3.0},
			{in: "NaN", errHas: "expected a finite decimal number, such as 0.25"},
			{in: "Inf", errHas: "finite decimal"},
			{in: "1e999", errHas: "finite decimal"},
			{in: "abc", errHas: "finite decimal"},
		}},
		{name: "bool", cases: []tc{
			{in: "true", want: true},
			{in: "1", want: true, canonical: "true"},
			{in: "F", want: false, canonical: "false"},
			{in: "yes", errHas: "expected a boolean, such as true or false"},
		}},
		{name: "duration", cases: []tc{
			{in: "30s", want: 30 * time.Second},
			{in: "1h30m", want: 90 * time.Minute, canonical: "1h30m0s"},
			{in: "250ms", want: 250 * time.Millisecond},
			{in: "30", errHas: "expected a duration in Go syntax, such as 30s"},
			{in: "", errHas: "duration in Go syntax"},
		}},
		{name: "url", cases: []tc{
			{in: "postgres://app:pw@db:5432/app?sslmode=disable", want: mustURL("postgres://app:pw@db:5432/app?sslmode=disable")},
			{in: "https://example.com", want: mustURL("https://example.com")},
			{in: "/relative/path", errHas: "expected an absolute URL with scheme and host"},
			{in: "mailto:someone@example.com", errHas: "absolute URL"},
			{in: "http://[::1", errHas: "absolute URL"},
			{in: "postgres://app:p%zzw@db/app", errHas: "absolute URL"},
		}},
		{name: "bytes", cases: []tc{
			{in: "aGVsbG8=", want: []byte("hello")},
			{in: "", want: []byte(nil)},
			{in: "aGVs\nbG8=", want: []byte("hello"), canonical: "aGVsbG8="},
			{in: "aGVsbG9", errHas: "expected standard base64, such as aGVsbG8="},
			{in: "a-_b", errHas: "standard base64"},
		}},
		{name: "time", cases: []tc{
			{in: "2006-01-02T15:04:05Z", want: time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)},
			{in: "2006-01-02T15:04:05.5+02:00", want: time.Date(2006, 1, 2, 13, 4, 5, 5e8, time.UTC)},
			{in: "2024-05-06", errHas: "expected an RFC 3339 time, such as 2006-01-02T15:04:05Z"},
			{in: "yesterday", errHas: "RFC 3339"},
		}},
		{name: "enum", cases: []tc{
			{in: "red", want: color("red")},
			{in: " blue ", want: color("blue"), canonical: "blue"},
			{in: "Red", errHas: "expected one of red, green, blue"},
			{in: "", errHas: "expected one of"},
		}},
		{name: "[]int", cases: []tc{
			{in: "[1, 2,3]", want: []int{1, 2, 3}, canonical: `["1","2","3"]`},
			{in: `["1","2"]`, want: []int{1, 2}},
			{in: "1, 2 ,3", want: []int{1, 2, 3}, canonical: `["1","2","3"]`},
			{in: "", want: []int(nil), canonical: "[]"},
			{in: "[]", want: []int(nil)},
			{in: "1,x", errHas: "element 1: expected an integer"},
			{in: "[1,[2]]", errHas: "element 1: expected a JSON string, number or boolean"},
			{in: "[1,null]", errHas: "element 1: expected a JSON string"},
			{in: "[1,", errHas: `expected a JSON array, such as ["a","b"], or a comma-separated list`},
		}},
		{name: "[]string", cases: []tc{
			{in: "a.example.com, b.example.com", want: []string{"a.example.com", "b.example.com"}, canonical: `["a.example.com","b.example.com"]`},
			{in: `["a,b", true, 5]`, want: []string{"a,b", "true", "5"}, canonical: `["a,b","true","5"]`},
			{in: `["<&>"]`, want: []string{"<&>"}},
			{in: "a,,b", want: []string{"a", "", "b"}, canonical: `["a","","b"]`},
		}},
		{name: "map[string]int", cases: []tc{
			{in: `{"b": 2, "a": "1"}`, want: map[string]int{"a": 1, "b": 2}, canonical: `{"a":"1","b":"2"}`},
			{in: "", want: map[string]int(nil), canonical: "{}"},
			{in: "{}", want: map[string]int(nil)},
			{in: `{"a": "x"}`, errHas: "a member value: expected an integer"},
			{in: `{"a": {}}`, errHas: "a member value: expected a JSON string"},
			{in: "[1]", errHas: `expected a JSON object, such as {"key":"value"}`},
			{in: "a=1", errHas: "expected a JSON object"},
		}},
	}
	fns := map[string][2]any{
		"string":         {ParseString, FormatString},
		"int":            {ParseInt, FormatInt},
		"int64":          {ParseInt64, FormatInt64},
		"float64":        {ParseFloat64, FormatFloat64},
		"bool":           {ParseBool, FormatBool},
		"duration":       {ParseDuration, FormatDuration},
		"url":            {ParseURL, FormatURL},
		"bytes":          {ParseBytes, FormatBytes},
		"time":           {ParseTime, FormatTime},
		"enum":           {parseColor, func(c color) string { return string(c) }},
		"[]int":          {ints, func(v []int) string { return FormatList(v, FormatInt) }},
		"[]string":       {strs, func(v []string) string { return FormatList(v, FormatString) }},
		"map[string]int": {intMap, func(v map[string]int) string { return FormatMap(v, FormatInt) }},
	}
	for _, p := range parsers {
		parse, format := wrap(fns[p.name][0], fns[p.name][1])
		for _, c := range p.cases {
			t.Run(p.name+"/"+c.in, func(t *testing.T) {
				got, err := parse(c.in)
				if c.errHas != "" {
					if err == nil {
						t.Fatalf("parse(%q) = %v, want an error", c.in, got)
					}
					if !strings.Contains(err.Error(), c.errHas) {
						t.Errorf("parse(%q) error %q does not contain %q", c.in, err, c.errHas)
					}
					if len(c.in) >= 4 && strings.Contains(err.Error(), c.in) {
						t.Errorf("parse(%q) error %q contains the input", c.in, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("parse(%q): %v", c.in, err)
				}
				if diff := cmp.Diff(c.want, got, equateUserinfo); diff != "" {
					t.Errorf("parse(%q) mismatch (-want +got):\n%s", c.in, diff)
				}
				want := c.canonical
				if want == "" {
					want = c.in
				}
				if f := format(got); f != want {
					t.Errorf("format(parse(%q)) = %q, want %q", c.in, f, want)
				}
			})
		}
	}
}

func TestParseTimeKeepsOffset(t *testing.T) {
	const in = "2024-03-01T10:00:00.123456789+05:30"
	got, err := ParseTime(in)
	if err != nil {
		t.Fatal(err)
	}
	if s := FormatTime(got); s != in {
		t.Errorf("FormatTime(ParseTime(%q)) = %q", in, s)
	}
}

func TestObject(t *testing.T) {
	tests := []struct {
		in      string
		want    creds
		err     string // ParseObject error
		fieldEr string // Object.Err
	}{
		{in: `{"username":"app","password":"pw","port":5432}`, want: creds{"app", "pw", 5432}},
		{in: `{"username":"app","password":"pw","port":"5432","extra":[1]}`, want: creds{"app", "pw", 5432}},
		{in: `{"username":"app","password":"pw"}`, fieldEr: `member "port" is missing`},
		{in: `{"username":"app","password":"pw","port":null}`, fieldEr: `member "port" is missing`},
		// Unknown members are named (never their values) when a declared
		// one is missing and they are a near spelling of it; other unknown
		// members are counted, not named (a key may be a pasted secret).
		{in: `{"username":"app","password":"pw","Port":"zq9canary"}`, fieldEr: `member "port" is missing; the object has "Port", which the manifest does not declare (a misspelling?)`},
		{in: `{"usrname":"zq9canary","password":"pw","port":1}`, fieldEr: `member "username" is missing; the object has "usrname", which the manifest does not declare (a misspelling?)`},
		{in: `{"usrname":"zq9canary","password":"pw","port":1,"zq9canary":1,"x":2}`, fieldEr: `member "username" is missing; the object has "usrname", which the manifest does not declare (a misspelling?) and 2 other undeclared members`},
		{in: `{"zq9canary":"app","password":"pw","port":1}`, fieldEr: `member "username" is missing; the object has 1 member the manifest does not declare`},
		{in: `{"username":"app","password":"pw","port":1,"zq9canary":"zq9canary"}`, want: creds{"app", "pw", 1}},
		{in: `{"username":"app","password":"pw","port":"zq9canary"}`, fieldEr: `member "port": expected an integer, such as 5432`},
		{in: `{"username":["zq9canary"],"password":"pw","port":1}`, fieldEr: `member "username": expected a JSON string, number or boolean`},
		{in: `{"username":"zq9canary"`, err: `expected a JSON object`},
		{in: `["zq9canary"]`, err: `expected a JSON object`},
		{in: `zq9canary`, err: `expected a JSON object`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseCreds(tt.in)
			switch {
			case tt.err == "" && tt.fieldEr == "":
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("mismatch (-want +got):\n%s", diff)
				}
				if back, _ := parseCreds(formatCreds(got)); back != got {
					t.Errorf("round trip: %+v != %+v", back, got)
				}
			case err == nil:
				t.Fatalf("parseCreds(%s) succeeded, want an error", tt.in)
			default:
				if want := tt.err + tt.fieldEr; !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
				if strings.Contains(err.Error(), "zq9canary") {
					t.Errorf("error %q contains the value", err)
				}
			}
		})
	}
	if err := (*Object)(nil).Err(); err != nil {
		t.Errorf("nil Object Err() = %v", err)
	}
}

type creds struct {
	Username, Password string
	Port               int
}

// parseCreds is what generated code does for a json secret.
func parseCreds(s string) (creds, error) {
	o, err := ParseObject(s)
	if err != nil {
		return creds{}, err
	}
	c := creds{
		Username: Member(o, "username", ParseString),
		Password: Member(o, "password", ParseString),
		Port:     Member(o, "port", ParseInt),
	}
	return c, o.Err()
}

func formatCreds(c creds) string {
	return FormatObject("username", FormatString(c.Username), "password", FormatString(c.Password), "port", FormatInt(c.Port))
}

func TestFormatObject(t *testing.T) {
	if got, want := FormatObject("port", "5432", "user", "<a&b>"), `{"port":"5432","user":"<a&b>"}`; got != want {
		t.Errorf("FormatObject = %s, want %s", got, want)
	}
	if got := FormatObject(); got != "{}" {
		t.Errorf("FormatObject() = %s, want {}", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("FormatObject with an odd number of arguments did not panic")
		}
	}()
	FormatObject("key") //lint:ignore SA5012 the odd argument count is what this test checks
}

// roundTrip checks ParseX(FormatX(v)) == v for random values of every type.
func roundTrip[T any](t *testing.T, name string, gen func(r *rand.Rand) T, parse func(string) (T, error), format func(T) string, opts ...cmp.Option) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		v := gen(r)
		s := format(v)
		got, err := parse(s)
		if err != nil {
			t.Fatalf("%s: parse(format(%v)) = %q: %v", name, v, s, err)
		}
		if diff := cmp.Diff(v, got, opts...); diff != "" {
			t.Fatalf("%s: parse(format(v)) != v for %q (-want +got):\n%s", name, s, diff)
		}
		if again := format(got); again != s {
			t.Fatalf("%s: format is not canonical: %q then %q", name, s, again)
		}
	}
}

func randString(r *rand.Rand) string {
	const alphabet = "abcXYZ019 ,[]{}\"\\\n\t:/é✓<&>"
	runes := []rune(alphabet)
	b := make([]rune, r.IntN(12))
	for i := range b {
		b[i] = runes[r.IntN(len(runes))]
	}
	return string(b)
}

func randInt64(r *rand.Rand) int64 {
	switch r.IntN(4) {
	case 0:
		return r.Int64N(1000) - 500
	case 1:
		return math.MinInt64 + r.Int64N(3)
	}
	return int64(r.Uint64())
}

func TestRoundTrip(t *testing.T) {
	empty := cmpopts.EquateEmpty()
	roundTrip(t, "string", randString, ParseString, FormatString)
	roundTrip(t, "int", func(r *rand.Rand) int { return int(randInt64(r)) }, ParseInt, FormatInt)
	roundTrip(t, "int64", randInt64, ParseInt64, FormatInt64)
	roundTrip(t, "float64", func(r *rand.Rand) float64 {
		switch r.IntN(3) {
		case 0:
			return math.Float64frombits(r.Uint64()&^(0x7ff<<52) | uint64(r.IntN(0x7ff))<<52) // finite
		case 1:
			return r.NormFloat64()
		}
		return float64(r.IntN(1000))
	}, ParseFloat64, FormatFloat64)
	roundTrip(t, "bool", func(r *rand.Rand) bool { return r.IntN(2) == 0 }, ParseBool, FormatBool)
	roundTrip(t, "duration", func(r *rand.Rand) time.Duration { return time.Duration(randInt64(r)) }, ParseDuration, FormatDuration)
	roundTrip(t, "bytes", func(r *rand.Rand) []byte {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}, ParseBytes, FormatBytes, empty)
	roundTrip(t, "time", func(r *rand.Rand) time.Time {
		sec := r.Int64N(253402300799) // years 1970..9999
		zone := time.FixedZone("", (r.IntN(48)-24)*1800)
		if r.IntN(3) == 0 {
			zone = time.UTC
		}
		return time.Unix(sec, r.Int64N(1e9)).In(zone)
	}, ParseTime, FormatTime)
	roundTrip(t, "url", func(r *rand.Rand) *url.URL {
		u := &url.URL{Scheme: []string{"https", "postgres", "redis"}[r.IntN(3)], Host: []string{"db", "example.com:8443", "[::1]:5432"}[r.IntN(3)]}
		if r.IntN(2) == 0 {
			u.User = url.UserPassword("app", randString(r))
		}
		if r.IntN(2) == 0 {
			u.Path = "/" + strings.Trim(randString(r), "/")
		}
		if r.IntN(2) == 0 {
			u.RawQuery = url.Values{"k": {randString(r)}}.Encode()
		}
		// Normalise through the parser: url.URL has several spellings of
		// one URL (Path vs RawPath); the round trip holds for parsed URLs.
		got, err := ParseURL(u.String())
		if err != nil {
			t.Fatalf("ParseURL(%q): %v", u, err)
		}
		return got
	}, ParseURL, FormatURL, equateUserinfo)
	roundTrip(t, "enum", func(r *rand.Rand) color { return []color{"red", "green", "blue"}[r.IntN(3)] },
		parseColor, func(c color) string { return string(c) })
	roundTrip(t, "[]string", func(r *rand.Rand) []string {
		v := make([]string, r.IntN(5))
		for i := range v {
			v[i] = randString(r)
		}
		return v
	}, ParseList(ParseString), func(v []string) string { return FormatList(v, FormatString) }, empty)
	roundTrip(t, "[]duration", func(r *rand.Rand) []time.Duration {
		v := make([]time.Duration, r.IntN(5))
		for i := range v {
			v[i] = time.Duration(randInt64(r))
		}
		return v
	}, ParseList(ParseDuration), func(v []time.Duration) string { return FormatList(v, FormatDuration) }, empty)
	roundTrip(t, "map[string]string", func(r *rand.Rand) map[string]string {
		m := map[string]string{}
		for range r.IntN(5) {
			m[randString(r)] = randString(r)
		}
		return m
	}, ParseMap(ParseString), func(v map[string]string) string { return FormatMap(v, FormatString) }, empty)
	roundTrip(t, "map[string]bool", func(r *rand.Rand) map[string]bool {
		m := map[string]bool{}
		for range r.IntN(5) {
			m[randString(r)] = r.IntN(2) == 0
		}
		return m
	}, ParseMap(ParseBool), func(v map[string]bool) string { return FormatMap(v, FormatBool) }, empty)
	roundTrip(t, "json", func(r *rand.Rand) creds {
		return creds{randString(r), randString(r), int(randInt64(r))}
	}, parseCreds, formatCreds)
}

// TestQuickRoundTrip uses testing/quick's own generators for the types it
// knows.
func TestQuickRoundTrip(t *testing.T) {
	checks := map[string]any{
		"string":  func(s string) bool { v, err := ParseString(FormatString(s)); return err == nil && v == s },
		"int":     func(n int) bool { v, err := ParseInt(FormatInt(n)); return err == nil && v == n },
		"int64":   func(n int64) bool { v, err := ParseInt64(FormatInt64(n)); return err == nil && v == n },
		"float64": func(f float64) bool { v, err := ParseFloat64(FormatFloat64(f)); return err == nil && v == f },
		"bool":    func(b bool) bool { v, err := ParseBool(FormatBool(b)); return err == nil && v == b },
		"bytes": func(b []byte) bool {
			v, err := ParseBytes(FormatBytes(b))
			return err == nil && cmp.Equal(v, b, cmpopts.EquateEmpty())
		},
		"[]string": func(s []string) bool {
			v, err := ParseList(ParseString)(FormatList(s, FormatString))
			return err == nil && cmp.Equal(v, s, cmpopts.EquateEmpty())
		},
		"map[string]int64": func(m map[string]int64) bool {
			v, err := ParseMap(ParseInt64)(FormatMap(m, FormatInt64))
			return err == nil && cmp.Equal(v, m, cmpopts.EquateEmpty())
		},
	}
	for name, f := range checks {
		if err := quick.Check(f, nil); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
