package awssm

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/dashtam/secretsgen/runtime"
)

// secret is one secret version as Secrets Manager returned it. It holds a
// secret value: never print it or put it in an error.
type secret struct {
	text    *string // SecretString
	binary  []byte  // SecretBinary
	version string  // VersionId
}

// extract returns the text form of what ref reads from s:
//
//   - with ref.Key, one member of the JSON object in the secret: a JSON
//     string member unquoted, any other member as its JSON text;
//   - for type "bytes", SecretBinary as standard base64 (a SecretString is
//     taken as already encoded);
//   - otherwise SecretString (a SecretBinary holding UTF-8 text is
//     accepted too).
//
// Its errors name the key and what was wrong, never the value.
func extract(ref runtime.Ref, s secret) (string, error) {
	if ref.Key == "" && ref.Type == "bytes" {
		switch {
		case s.binary != nil:
			return base64.StdEncoding.EncodeToString(s.binary), nil
		case s.text != nil:
			return *s.text, nil
		}
		return "", errors.New("the secret version has neither SecretString nor SecretBinary")
	}
	text, err := s.textForm()
	if err != nil || ref.Key == "" {
		return text, err
	}
	return member(text, ref.Key)
}

func (s secret) textForm() (string, error) {
	switch {
	case s.text != nil:
		return *s.text, nil
	case s.binary != nil:
		if !utf8.Valid(s.binary) {
			return "", errors.New("the secret holds binary data that is not UTF-8 text; store it as SecretString or declare the entry as type bytes")
		}
		return string(s.binary), nil
	}
	return "", errors.New("the secret version has neither SecretString nor SecretBinary")
}

// member returns the text of key in the JSON object text.
func member(text, key string) (string, error) {
	var obj map[string]json.RawMessage
	// json's own errors quote bytes of the input: never wrap them.
	if err := json.Unmarshal([]byte(text), &obj); err != nil || obj == nil {
		return "", fmt.Errorf("the secret is not a JSON object, so key %q cannot be read", key)
	}
	raw, ok := obj[key]
	if !ok {
		return "", fmt.Errorf("key %q is missing from the secret's JSON object", key)
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("key %q holds a JSON string that cannot be decoded", key)
		}
		return s, nil
	}
	return string(raw), nil
}
