package manifest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dashtam/secretsgen/runtime"
)

// defaultText returns a default in its backend (text) form: a scalar's text,
// a YAML list as a JSON array of strings (for []T), a YAML mapping as a JSON
// object of strings (for map[string]T and json).
func (p *parser) defaultText(n *yaml.Node, s *Secret, name string) (string, bool) {
	n = deref(n)
	switch n.Kind {
	case yaml.SequenceNode:
		if s.Type.Kind != List {
			p.errorf(n, "%s: a list default is only allowed for []T types; write the %s default as text", name, s.Type)
			return "", false
		}
		texts := []string{} // [] rather than null for an empty list
		for i, e := range n.Content {
			t, ok := p.str(e, fmt.Sprintf("%s: default element %d", name, i))
			if !ok {
				return "", false
			}
			texts = append(texts, t)
		}
		return marshal(texts), true
	case yaml.MappingNode:
		if s.Type.Kind != Map && s.Type.Kind != JSON {
			p.errorf(n, "%s: a mapping default is only allowed for map[string]T and json types; write the %s default as text", name, s.Type)
			return "", false
		}
		var b strings.Builder
		b.WriteByte('{')
		ok, count := true, 0
		for _, e := range p.pairs(n, "in default of "+name) {
			if s.Type.Kind == JSON && !slices.ContainsFunc(s.Fields, func(f Field) bool { return f.Key == e.name }) {
				p.errorf(e.key, "%s: default has key %q, which is not in fields", name, e.name)
				ok = false
				continue
			}
			t, good := p.str(e.val, fmt.Sprintf("%s: default member %s", name, e.name))
			if !good {
				ok = false
				continue
			}
			if count++; count > 1 {
				b.WriteByte(',')
			}
			b.WriteString(marshal(e.name))
			b.WriteByte(':')
			b.WriteString(marshal(t))
		}
		b.WriteByte('}')
		return b.String(), ok
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		p.errorf(n, `%s: default must not be null; remove it (optional: true makes the secret optional without one) or write default: ""`, name)
		return "", false
	}
	return n.Value, true
}

func marshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // strings and slices of strings always marshal
	}
	return string(b)
}

// Check parses text (a backend value) as the secret's type with the parsers
// generated code uses, so a default that passes here loads at run time and
// `secretsgen check` agrees with Load. The error never contains text.
func (s *Secret) Check(text string) error {
	switch s.Type.Kind {
	case Enum:
		return check(runtime.ParseEnum(s.Values...))(text)
	case JSON:
		o, err := runtime.ParseObject(text)
		if err != nil {
			return err
		}
		for _, f := range s.Fields {
			memberCheck(o, f)
		}
		return o.Err()
	case List:
		return listCheck(s.Type.Elem)(text)
	case Map:
		return mapCheck(s.Type.Elem)(text)
	}
	return scalarCheck(s.Type.Kind)(text)
}

func check[T any](parse func(string) (T, error)) func(string) error {
	return func(s string) error {
		_, err := parse(s)
		return err
	}
}

func scalarCheck(k Kind) func(string) error {
	switch k {
	case Int:
		return check(runtime.ParseInt)
	case Int64:
		return check(runtime.ParseInt64)
	case Float64:
		return check(runtime.ParseFloat64)
	case Bool:
		return check(runtime.ParseBool)
	case Duration:
		return check(runtime.ParseDuration)
	case URL:
		return check(runtime.ParseURL)
	case Bytes:
		return check(runtime.ParseBytes)
	case Time:
		return check(runtime.ParseTime)
	}
	return check(runtime.ParseString)
}

func listCheck(k Kind) func(string) error {
	switch k {
	case Int:
		return check(runtime.ParseList(runtime.ParseInt))
	case Int64:
		return check(runtime.ParseList(runtime.ParseInt64))
	case Float64:
		return check(runtime.ParseList(runtime.ParseFloat64))
	case Bool:
		return check(runtime.ParseList(runtime.ParseBool))
	case Duration:
		return check(runtime.ParseList(runtime.ParseDuration))
	case URL:
		return check(runtime.ParseList(runtime.ParseURL))
	case Bytes:
		return check(runtime.ParseList(runtime.ParseBytes))
	case Time:
		return check(runtime.ParseList(runtime.ParseTime))
	}
	return check(runtime.ParseList(runtime.ParseString))
}

func mapCheck(k Kind) func(string) error {
	switch k {
	case Int:
		return check(runtime.ParseMap(runtime.ParseInt))
	case Int64:
		return check(runtime.ParseMap(runtime.ParseInt64))
	case Float64:
		return check(runtime.ParseMap(runtime.ParseFloat64))
	case Bool:
		return check(runtime.ParseMap(runtime.ParseBool))
	case Duration:
		return check(runtime.ParseMap(runtime.ParseDuration))
	case URL:
		return check(runtime.ParseMap(runtime.ParseURL))
	case Bytes:
		return check(runtime.ParseMap(runtime.ParseBytes))
	case Time:
		return check(runtime.ParseMap(runtime.ParseTime))
	}
	return check(runtime.ParseMap(runtime.ParseString))
}

func memberCheck(o *runtime.Object, f Field) {
	switch f.Type {
	case Int:
		runtime.Member(o, f.Key, runtime.ParseInt)
	case Int64:
		runtime.Member(o, f.Key, runtime.ParseInt64)
	case Float64:
		runtime.Member(o, f.Key, runtime.ParseFloat64)
	case Bool:
		runtime.Member(o, f.Key, runtime.ParseBool)
	case Duration:
		runtime.Member(o, f.Key, runtime.ParseDuration)
	case URL:
		runtime.Member(o, f.Key, runtime.ParseURL)
	case Bytes:
		runtime.Member(o, f.Key, runtime.ParseBytes)
	case Time:
		runtime.Member(o, f.Key, runtime.ParseTime)
	default:
		runtime.Member(o, f.Key, runtime.ParseString)
	}
}
