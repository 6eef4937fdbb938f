package genimpl

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Value parsing.
//
// Every ParseX function reads a secret's text form (what a backend stores)
// into its Go type, and every FormatX function writes it back:
// ParseX(FormatX(v)) == v, and FormatX(ParseX(s)) is the canonical text of s.
// Parse errors are plain errors that name the expected type with an example
// of an accepted form. They never contain the input text, which may be a
// secret. (This is why none of them wraps a strconv, url or time error: those
// quote their input.) Except for ParseString, surrounding white space (such as
// the trailing newline of a file) is ignored.
//
// Empty lists, maps and byte slices parse to nil.

// The parse error messages. Each names the expected type and shows an
// accepted form; none contains the input.
var (
	errInt      = errors.New("expected an integer, such as 5432")
	errIntRange = errors.New("expected an integer in the range of int, such as 5432")
	errInt64    = errors.New("expected an integer in the range of int64, such as 5432")
	errFloat    = errors.New("expected a finite decimal number, such as 0.25")
	errBool     = errors.New("expected a boolean, such as true or false")
	errDuration = errors.New("expected a duration in Go syntax, such as 30s or 1h30m")
	errURL      = errors.New("expected an absolute URL with scheme and host, such as https://example.com/path")
	errBytes    = errors.New("expected standard base64, such as aGVsbG8=")
	errTime     = errors.New("expected an RFC 3339 time, such as 2006-01-02T15:04:05Z")
	errList     = errors.New(`expected a JSON array, such as ["a","b"], or a comma-separated list, such as a,b`)
	errMap      = errors.New(`expected a JSON object, such as {"key":"value"}`)
	errObject   = errors.New(`expected a JSON object, such as {"username":"app","port":5432}`)
	errScalar   = errors.New("expected a JSON string, number or boolean")
)

// ParseString returns s unchanged; every text is a valid string.
func ParseString(s string) (string, error) { return s, nil }

// FormatString returns s unchanged.
func FormatString(s string) string { return s }

// ParseInt reads a decimal integer, such as 5432 or -1.
func ParseInt(s string) (int, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 0)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, errIntRange
		}
		return 0, errInt
	}
	return int(n), nil
}

// FormatInt writes n in decimal.
func FormatInt(n int) string { return strconv.Itoa(n) }

// ParseInt64 reads a decimal 64-bit integer.
func ParseInt64(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, errInt64
		}
		return 0, errInt
	}
	return n, nil
}

// FormatInt64 writes n in decimal.
func FormatInt64(n int64) string { return strconv.FormatInt(n, 10) }

// ParseFloat64 reads a finite decimal number, such as 0.25 or 1e-3. NaN and
// infinities are rejected.
func ParseFloat64(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errFloat
	}
	return f, nil
}

// FormatFloat64 writes f in the shortest form that reads back as f.
func FormatFloat64(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// ParseBool reads the forms strconv.ParseBool accepts: 1, t, T, TRUE, true,
// True, 0, f, F, FALSE, false, False.
func ParseBool(s string) (bool, error) {
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return false, errBool
	}
	return b, nil
}

// FormatBool writes true or false.
func FormatBool(b bool) string { return strconv.FormatBool(b) }

// ParseDuration reads a duration in Go syntax (time.ParseDuration), such as
// 30s, 1h30m or 250ms.
func ParseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, errDuration
	}
	return d, nil
}

// FormatDuration writes d as time.Duration.String does, such as 1h30m0s.
func FormatDuration(d time.Duration) string { return d.String() }

// ParseURL reads an absolute URL that has a scheme and a host, such as
// postgres://app:pw@db:5432/app.
func ParseURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, errURL
	}
	// url.Parse accepts some unescaped forms (a space in the path) and keeps
	// them in RawPath; parsing its own String again gives the canonical URL,
	// so that ParseURL(FormatURL(u)) == u.
	if u, err = url.Parse(u.String()); err != nil || u.Scheme == "" || u.Host == "" {
		return nil, errURL
	}
	return u, nil
}

// FormatURL writes u with url.URL.String; a nil URL is the empty string.
func FormatURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.String()
}

// ParseBytes reads standard base64 (with padding, as
// base64.StdEncoding). Line breaks are ignored.
func ParseBytes(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errBytes
	}
	if len(b) == 0 {
		return nil, nil
	}
	return b, nil
}

// FormatBytes writes b in standard base64.
func FormatBytes(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// ParseTime reads an RFC 3339 time, with or without fractional seconds, such
// as 2006-01-02T15:04:05Z or 2006-01-02T15:04:05.5+02:00.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, errTime
	}
	return t, nil
}

// FormatTime writes t in RFC 3339 with as many fractional digits as needed
// (time.RFC3339Nano).
func FormatTime(t time.Time) string { return t.Format(time.RFC3339Nano) }

// ParseEnum returns a parser that accepts exactly one of values (case
// sensitive). Its error lists the values, never the input.
func ParseEnum[E ~string](values ...E) func(string) (E, error) {
	names := make([]string, len(values))
	for i, v := range values {
		names[i] = string(v)
	}
	err := fmt.Errorf("expected one of %s", strings.Join(names, ", "))
	return func(s string) (E, error) {
		s = strings.TrimSpace(s)
		for _, v := range values {
			if string(v) == s {
				return v, nil
			}
		}
		return "", err
	}
}

// ParseList returns a parser for a list whose elements elem parses. The text
// is either a JSON array, whose elements are JSON strings (unquoted, then
// parsed) or raw JSON numbers or booleans (their text is parsed), or, when it
// does not start with '[', a comma-separated list whose elements are trimmed
// of white space. An empty or all-space text is the empty (nil) list. In
// either form, invalid UTF-8 becomes U+FFFD, as encoding/json does.
//
// An element's error names its position (counting from 0), never the text.
func ParseList[T any](elem func(string) (T, error)) func(string) ([]T, error) {
	return func(s string) ([]T, error) {
		s = strings.TrimSpace(s)
		var texts []string
		if strings.HasPrefix(s, "[") {
			var raws []json.RawMessage
			if err := json.Unmarshal([]byte(s), &raws); err != nil {
				return nil, errList
			}
			texts = make([]string, len(raws))
			for i, raw := range raws {
				t, err := scalarText(raw)
				if err != nil {
					return nil, fmt.Errorf("element %d: %w", i, err)
				}
				texts[i] = t
			}
		} else if s != "" {
			texts = strings.Split(strings.ToValidUTF8(s, "\uFFFD"), ",")
			for i := range texts {
				texts[i] = strings.TrimSpace(texts[i])
			}
		}
		if len(texts) == 0 {
			return nil, nil
		}
		out := make([]T, len(texts))
		for i, t := range texts {
			v, err := elem(t)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			out[i] = v
		}
		return out, nil
	}
}

// FormatList writes v as a JSON array of strings, each element written by
// elem: FormatList([]int{1, 2}, FormatInt) is ["1","2"].
func FormatList[T any](v []T, elem func(T) string) string {
	texts := make([]string, len(v))
	for i, x := range v {
		texts[i] = elem(x)
	}
	return marshal(texts)
}

// ParseMap returns a parser for a JSON object whose member values elem
// parses. Values are JSON strings (unquoted, then parsed) or raw JSON numbers
// or booleans (their text is parsed). An empty or all-space text is the empty
// (nil) map, as is {}.
//
// Errors do not name the member: a map's keys are part of the secret.
func ParseMap[T any](elem func(string) (T, error)) func(string) (map[string]T, error) {
	return func(s string) (map[string]T, error) {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, nil
		}
		raws, err := decodeObject(s)
		if err != nil {
			return nil, errMap
		}
		if len(raws) == 0 {
			return nil, nil
		}
		out := make(map[string]T, len(raws))
		for k, raw := range raws {
			t, err := scalarText(raw)
			if err != nil {
				return nil, fmt.Errorf("a member value: %w", err)
			}
			v, err := elem(t)
			if err != nil {
				return nil, fmt.Errorf("a member value: %w", err)
			}
			out[k] = v
		}
		return out, nil
	}
}

// FormatMap writes m as a JSON object of strings with sorted keys, each value
// written by elem.
func FormatMap[T any](m map[string]T, elem func(T) string) string {
	texts := make(map[string]string, len(m))
	for k, v := range m {
		texts[k] = elem(v)
	}
	return marshal(texts)
}

// Object is a decoded JSON object, for secrets of type json. Generated code
// reads each field with Member and then checks Err:
//
//	o, err := runtime.ParseObject(text)
//	if err != nil {
//		return Credentials{}, err
//	}
//	c := Credentials{
//		Username: runtime.Member(o, "username", runtime.ParseString),
//		Port:     runtime.Member(o, "port", runtime.ParseInt),
//	}
//	return c, o.Err()
type Object struct {
	members map[string]json.RawMessage
	read    map[string]bool // the keys Member asked for
	err     error
	missing bool // err is a missing member
}

// ParseObject decodes a JSON object. Its members are read with Member.
func ParseObject(s string) (*Object, error) {
	m, err := decodeObject(strings.TrimSpace(s))
	if err != nil {
		return nil, errObject
	}
	return &Object{members: m}, nil
}

// Member parses the member key of o with parse. The member may be a JSON
// string (unquoted, then parsed) or a raw JSON number or boolean (its text is
// parsed), so "5432" and 5432 are both an int. A missing, null or invalid
// member returns the zero value and records an error naming the key, which
// Err reports.
func Member[T any](o *Object, key string, parse func(string) (T, error)) T {
	var zero T
	if o.read == nil {
		o.read = make(map[string]bool, len(o.members))
	}
	o.read[key] = true
	raw, ok := o.members[key]
	if !ok || string(raw) == "null" {
		if o.err == nil {
			o.missing = true
		}
		o.fail(fmt.Errorf("member %q is missing", key))
		return zero
	}
	t, err := scalarText(raw)
	if err != nil {
		o.fail(fmt.Errorf("member %q: %w", key, err))
		return zero
	}
	v, err := parse(t)
	if err != nil {
		o.fail(fmt.Errorf("member %q: %w", key, err))
		return zero
	}
	return v
}

func (o *Object) fail(err error) {
	if o.err == nil {
		o.err = err
	}
}

// Err returns the first problem Member met, or nil. It names the key, never
// the value. When that problem is a missing member, Err also says which
// members of the object no Member call asked for: by name when the name is
// a near spelling of a missing member (a different case, or at most two
// letters off: "client_Id" for "client_id"), otherwise by number only,
// since a key that is nothing like a declared one may be a secret pasted
// in the wrong place. Such members alone are not an error: a secret may
// hold more than the manifest declares. A nil Object has no error.
func (o *Object) Err() error {
	if o == nil {
		return nil
	}
	if o.missing {
		if unknown := o.unknown(); unknown != "" {
			return fmt.Errorf("%w; %s", o.err, unknown)
		}
	}
	return o.err
}

// maxNamed is the most unknown members Err names.
const maxNamed = 5

// unknown describes the members no Member call asked for; "" when there
// is none.
func (o *Object) unknown() string {
	var missing, named []string
	for k := range o.read {
		if raw, ok := o.members[k]; !ok || string(raw) == "null" {
			missing = append(missing, k)
		}
	}
	others := 0
	for k := range o.members {
		if o.read[k] {
			continue
		}
		if nearAny(k, missing) && len(named) < maxNamed {
			named = append(named, k)
		} else {
			others++
		}
	}
	if named == nil && others == 0 {
		return ""
	}
	slices.Sort(named)
	var parts []string
	if named != nil {
		quoted := make([]string, len(named))
		for i, k := range named {
			quoted[i] = strconv.Quote(k)
		}
		parts = append(parts, "the object has "+strings.Join(quoted, ", ")+", which the manifest does not declare (a misspelling?)")
	}
	switch {
	case others > 0 && named != nil:
		parts = append(parts, fmt.Sprintf("and %d other undeclared member%s", others, plural(others)))
	case others > 0:
		parts = append(parts, fmt.Sprintf("the object has %d member%s the manifest does not declare", others, plural(others)))
	}
	return strings.Join(parts, " ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// nearAny reports whether key is a near spelling of one of names: equal
// but for case, or at most two edits away from a name at least three
// times as long as the edits.
func nearAny(key string, names []string) bool {
	if len(key) > 64 {
		return false
	}
	for _, n := range names {
		if strings.EqualFold(key, n) {
			return true
		}
		if d := editDistance(strings.ToLower(key), strings.ToLower(n)); d <= 2 && 3*d <= len(n) {
			return true
		}
	}
	return false
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// FormatObject writes a JSON object of strings from alternating keys and
// texts: FormatObject("username", "app", "port", "5432") is
// {"port":"5432","username":"app"}. Keys are sorted. It panics when given an
// odd number of arguments.
func FormatObject(keyValues ...string) string {
	if len(keyValues)%2 != 0 {
		panic("runtime.FormatObject: odd number of arguments")
	}
	m := make(map[string]string, len(keyValues)/2)
	for i := 0; i < len(keyValues); i += 2 {
		m[keyValues[i]] = keyValues[i+1]
	}
	return marshal(m)
}

// decodeObject decodes s, which must be a JSON object.
func decodeObject(s string) (map[string]json.RawMessage, error) {
	if !strings.HasPrefix(s, "{") {
		return nil, errMap
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, err
	}
	return m, nil
}

// scalarText returns the text a JSON string, number or boolean stands for:
// a string unquoted, a number or boolean as written.
func scalarText(raw json.RawMessage) (string, error) {
	switch {
	case len(raw) == 0:
		return "", errScalar
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", errScalar
		}
		return s, nil
	case raw[0] == '{' || raw[0] == '[' || string(raw) == "null":
		return "", errScalar
	}
	return string(raw), nil
}

// marshal writes v as compact JSON without HTML escaping. v is a []string or
// map[string]string, which always encode.
func marshal(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("runtime: cannot encode JSON: " + err.Error())
	}
	return strings.TrimSuffix(b.String(), "\n")
}
