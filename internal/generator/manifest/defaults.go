package manifest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
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
		var members []string // in manifest order
		ok := true
		for _, e := range p.pairs(n, "in default of "+name) {
			if s.Type.Kind == JSON && !slices.ContainsFunc(s.Fields, func(f Field) bool { return f.Key == e.name }) {
				p.errorf(e.key, "%s: default has key %q, which is not in fields", name, e.name)
				ok = false
			} else if t, good := p.str(e.val, fmt.Sprintf("%s: default member %s", name, e.name)); good {
				members = append(members, marshal(e.name)+":"+marshal(t))
			} else {
				ok = false
			}
		}
		return "{" + strings.Join(members, ",") + "}", ok
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
