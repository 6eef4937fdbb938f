// Package jsonobj reads one member of a secret that holds a JSON object,
// for the secretsgen adapters that support source.key (adapters/awssm and
// adapters/ssm): a JSON string member unquoted, any other member as its
// JSON text. Its errors name the key, never the value.
package jsonobj

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Object is the JSON object in one secret value, decoded by the first
// Member call, so that entries sharing a secret decode it once. The zero
// value is ready to use. It holds a secret value: never print it. It is
// not safe for concurrent use.
type Object struct {
	decoded bool
	members map[string]json.RawMessage // nil when the text is not a JSON object
}

// Decoded reports whether Member has decoded the text already.
func (o *Object) Decoded() bool { return o.decoded }

// Member returns the text of key in the JSON object text: a JSON string
// unquoted, any other member (number, bool, array, object) as its JSON
// text. A missing or null member is an error, and so is text that is not
// a JSON object. what names the value in errors ("secret", "parameter").
// The first call decodes text; later calls reuse that, whatever text they
// pass.
func (o *Object) Member(text, key, what string) (string, error) {
	if !o.decoded {
		o.decoded = true
		// json's own errors quote bytes of the input: never wrap them.
		if err := json.Unmarshal([]byte(text), &o.members); err != nil {
			o.members = nil
		}
	}
	if o.members == nil {
		return "", fmt.Errorf("the %s is not a JSON object, so key %q cannot be read", what, key)
	}
	raw, ok := o.members[key]
	if !ok {
		return "", fmt.Errorf("key %q is missing from the %s's JSON object", key, what)
	}
	raw = bytes.TrimSpace(raw)
	switch {
	case string(raw) == "null":
		// Not the text "null": a string entry would load it silently.
		return "", fmt.Errorf("key %q is null in the %s's JSON object", key, what)
	case len(raw) > 0 && raw[0] == '"':
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return "", fmt.Errorf("key %q holds a JSON string that cannot be decoded", key)
		}
		return v, nil
	}
	return string(raw), nil
}
