package ssm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/dashtam/secretsgen/adapters/internal/jsonobj"
	"github.com/dashtam/secretsgen/runtime"
)

// param is one parameter version as Parameter Store returned it. It holds
// a secret value: never print it or put it in an error.
type param struct {
	value   string
	typ     types.ParameterType
	version string

	// The JSON object in the value, decoded by the first ref that reads a
	// member (see member).
	object jsonobj.Object
}

func newParam(in *types.Parameter) param {
	return param{value: aws.ToString(in.Value), typ: in.Type, version: strconv.FormatInt(in.Version, 10)}
}

// read returns what ref reads from p, with the parameter's version
// number: its text form (see extract).
func (p *param) read(ref runtime.Ref) (runtime.Value, error) {
	text, err := p.extract(ref)
	if err != nil {
		return runtime.Value{}, err
	}
	return runtime.Value{Text: text, Version: p.version}, nil
}

// extract returns the text form of what ref reads from p:
//
//   - with ref.Key, one member of the JSON object in the value: a JSON
//     string member unquoted, any other member as its JSON text (a null
//     member is an error, as a missing one is);
//   - for a StringList read by a list entry (type "[]T"), a JSON array of
//     the trimmed elements, so that an element starting with "[" cannot
//     turn the comma-separated text into a malformed JSON array;
//   - otherwise the value as stored (SecureString decrypted; a StringList
//     as its comma-separated text): for type "credential" the whole JSON
//     object {"username", "password", ...}.
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
