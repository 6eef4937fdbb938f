package awssm

import (
	"encoding/base64"
	"errors"
	"unicode/utf8"

	"github.com/dashtam/secretsgen/adapters/internal/jsonobj"
	"github.com/dashtam/secretsgen/runtime"
)

// secret is one secret version as Secrets Manager returned it. It holds a
// secret value: never print it or put it in an error.
type secret struct {
	text    *string // SecretString
	binary  []byte  // SecretBinary
	version string  // VersionId

	// The JSON object in the secret, decoded by the first ref that reads a
	// member, so that entries sharing a source decode it once.
	object jsonobj.Object
}

// read returns what ref reads from s, with the secret's VersionId: its
// text form (see extract). A secret larger than MaxValueSize is refused.
func (s *secret) read(ref runtime.Ref) (runtime.Value, error) {
	if err := s.checkSize(); err != nil {
		return runtime.Value{}, err
	}
	text, err := s.extract(ref)
	if err != nil {
		return runtime.Value{}, err
	}
	return runtime.Value{Text: text, Version: s.version}, nil
}

// extract returns the text form of what ref reads from s:
//
//   - with ref.Key, one member of the JSON object in the secret: a JSON
//     string member unquoted, any other member as its JSON text (a null
//     member is an error, as a missing one is);
//   - for type "bytes", SecretBinary as standard base64 (a SecretString is
//     taken as already encoded);
//   - otherwise SecretString (a SecretBinary holding UTF-8 text is
//     accepted too): for type "credential" the whole JSON object, such as
//     the RDS rotation format {"username", "password", "host", "port", ...},
//     which genimpl.ParseCredential reads.
//
// Its errors name the key and what was wrong, never the value. It caches
// the decoded JSON object in s.
func (s *secret) extract(ref runtime.Ref) (string, error) {
	if ref.Key == "" && ref.Type == "bytes" && s.binary != nil {
		return base64.StdEncoding.EncodeToString(s.binary), nil
	}
	text, err := s.textForm()
	if err != nil || ref.Key == "" {
		return text, err
	}
	return s.member(text, ref.Key)
}

// textForm returns SecretString, or else SecretBinary when it is UTF-8
// text.
func (s *secret) textForm() (string, error) {
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

// member returns the text of key in the JSON object text, the secret's
// text form (see jsonobj.Object.Member).
func (s *secret) member(text, key string) (string, error) {
	return s.object.Member(text, key, "secret")
}
