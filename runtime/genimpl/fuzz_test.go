package genimpl

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// canary marks fuzz inputs; no error message may contain it. The seeds put
// it into every position a value can take, and the fuzzer mutates them.
const canary = "zq9canary"

// fuzzParser checks, for any input: no panic; an error never contains the
// canary (a plain substring test would flag inputs that happen to be part of
// the fixed messages, such as "https://"); and on success FormatX(ParseX(s)) is canonical (it parses back to
// an equal value and formats to itself).
func fuzzParser[T any](f *testing.F, parse func(string) (T, error), format func(T) string, seeds ...string) {
	f.Helper()
	for _, s := range append(seeds, "", " ", canary, "["+canary, `["`+canary+`"]`, `{"k":"`+canary+`"}`, canary+","+canary) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parse(s)
		if err != nil {
			msg := err.Error()
			if strings.Contains(msg, canary) {
				t.Fatalf("error %q contains the input %q", msg, s)
			}
			return
		}
		c := format(v)
		v2, err := parse(c)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", c, s, err)
		}
		if diff := cmp.Diff(v, v2, cmpopts.EquateEmpty(), equateUserinfo); diff != "" {
			t.Fatalf("parse(format(parse(%q))) differs (-first +second):\n%s", s, diff)
		}
		if c2 := format(v2); c2 != c {
			t.Fatalf("format is not canonical for %q: %q then %q", s, c, c2)
		}
	})
}

func FuzzParseString(f *testing.F) { fuzzParser(f, ParseString, FormatString, "secret") }
func FuzzParseInt(f *testing.F) {
	fuzzParser(f, ParseInt, FormatInt, "5432", "-1", "+7", " 9 ", "1e3", "99999999999999999999", "0x10")
}
func FuzzParseInt64(f *testing.F) {
	fuzzParser(f, ParseInt64, FormatInt64, "9223372036854775807", "-9223372036854775808", "9223372036854775808")
}
func FuzzParseFloat64(f *testing.F) {
	fuzzParser(f, ParseFloat64, FormatFloat64, "0.25", "1e-3", "NaN", "-Inf", "0x1p-2", "1_000", "1e999")
}
func FuzzParseBool(f *testing.F) { fuzzParser(f, ParseBool, FormatBool, "true", "F", "1", "yes") }
func FuzzParseDuration(f *testing.F) {
	fuzzParser(f, ParseDuration, FormatDuration, "30s", "1h30m", "-2562047h47m16.854775808s", "1.5µs", "30")
}
func FuzzParseURL(f *testing.F) {
	fuzzParser(f, ParseURL, FormatURL, "postgres://app:"+canary+"@db:5432/app?sslmode=disable",
		"https://example.com/a%2Fb?q=1#frag", "http://[::1", "http://h/%zz"+canary, "mailto:"+canary+"@example.com")
}
func FuzzParseBytes(f *testing.F) {
	fuzzParser(f, ParseBytes, FormatBytes, "aGVsbG8=", "aGVs\nbG8=", canary+"=", "a-_b")
}
func FuzzParseTime(f *testing.F) {
	fuzzParser(f, ParseTime, FormatTime, "2006-01-02T15:04:05Z", "2006-01-02T15:04:05.123+05:30", "2006-01-02T25:04:05Z")
}
func FuzzParseEnum(f *testing.F) {
	fuzzParser(f, parseColor, func(c color) string { return string(c) }, "red", "Red")
}
func FuzzParseList(f *testing.F) {
	fuzzParser(f, ParseList(ParseString), func(v []string) string { return FormatList(v, FormatString) },
		"a, b", `["a,b", 1, true]`, `[null]`, `[{"a":1}]`, "[1,")
}
func FuzzParseListInt(f *testing.F) {
	fuzzParser(f, ParseList(ParseInt), func(v []int) string { return FormatList(v, FormatInt) },
		"1,2", `[1,"2"]`, "1,"+canary, `[1,"`+canary+`"]`)
}
func FuzzParseListDuration(f *testing.F) {
	fuzzParser(f, ParseList(ParseDuration), func(v []time.Duration) string { return FormatList(v, FormatDuration) },
		"1s, 2m", `["1h"]`)
}
func FuzzParseMap(f *testing.F) {
	fuzzParser(f, ParseMap(ParseInt), func(m map[string]int) string { return FormatMap(m, FormatInt) },
		`{"a":1,"b":"2"}`, `{"`+canary+`":"x"}`, `{"a":"`+canary+`"}`, `{}`, `null`)
}
func FuzzParseObject(f *testing.F) {
	fuzzParser(f, parseCreds, formatCreds,
		`{"username":"app","password":"pw","port":5432}`,
		`{"username":"app","password":"`+canary+`","port":"`+canary+`"}`,
		`{"username":["`+canary+`"]}`)
}
