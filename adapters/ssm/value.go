package ssm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/dashtam/secretsgen/runtime"
)

// extract returns the text form of what ref reads from p:
//
//   - with ref.Key, one member of the JSON object in the value: a JSON
//     string member unquoted, any other member as its JSON text (a null
//     member is an error, as a missing one is);
//   - for a StringList read by a list entry (type "[]T"), a JSON array of
//     the trimmed elements, so that an element starting with "[" cannot
//     turn the comma-separated text into a malformed JSON array;
//   - otherwise the value as stored (SecureString decrypted; a StringList
//     as its comma-separated text).
//
// A value longer than MaxValueSize is refused. Its errors name the key and
// what was wrong, never the value. It caches the decoded JSON object in p.
func (p *param) extract(ref runtime.Ref) (string, error) {
	if len(p.value) > MaxValueSize {
		return "", fmt.Errorf("the parameter value is %d bytes, more than the %d this backend accepts", len(p.value), MaxValueSize)
	}
	if ref.Key != "" {
		return p.member(ref.Key)
	}
	if p.typ == types.ParameterTypeStringList && strings.HasPrefix(ref.Type, "[]") {
		return stringList(p.value), nil
	}
	return p.value, nil
}

// stringList turns the comma-separated text of a StringList into a JSON
// array of strings, each element trimmed; "" is the empty array.
func stringList(text string) string {
	elems := []string{}
	if strings.TrimSpace(text) != "" {
		for _, e := range strings.Split(text, ",") {
			elems = append(elems, strings.TrimSpace(e))
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(elems) // a []string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// member returns the text of key in the JSON object held by the value
// (see jsonobj.Object.Member).
func (p *param) member(key string) (string, error) {
	return p.object.Member(p.value, key, "parameter")
}
