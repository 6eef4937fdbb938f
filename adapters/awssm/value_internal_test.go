package awssm

import (
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/runtime"
)

func TestExtract(t *testing.T) {
	str := func(s string) *string { return &s }
	const object = `{"s":"a\"b","n":1.5,"b":false,"list":[1],"obj":{"x":null},"null":null, "spaced" : null }`
	tests := []struct {
		name    string
		s       secret
		ref     runtime.Ref
		want    string
		wantErr string
	}{
		{name: "string", s: secret{text: str("v")}, ref: runtime.Ref{Type: "string"}, want: "v"},
		{name: "text from UTF-8 binary", s: secret{binary: []byte("v")}, ref: runtime.Ref{Type: "string"}, want: "v"},
		{name: "text from other binary", s: secret{binary: []byte{0xff}}, ref: runtime.Ref{Type: "string"}, wantErr: "not UTF-8 text"},
		{name: "bytes from binary", s: secret{binary: []byte{0, 1, 0xfe}}, ref: runtime.Ref{Type: "bytes"}, want: "AAH+"},
		{name: "bytes from binary over text", s: secret{text: str("x"), binary: []byte{0}}, ref: runtime.Ref{Type: "bytes"}, want: "AA=="},
		{name: "bytes from text", s: secret{text: str("AAH+")}, ref: runtime.Ref{Type: "bytes"}, want: "AAH+"},
		{name: "bytes from nothing", ref: runtime.Ref{Type: "bytes"}, wantErr: "neither SecretString nor SecretBinary"},
		{name: "text from nothing", ref: runtime.Ref{Type: "string"}, wantErr: "neither SecretString nor SecretBinary"},
		{name: "string member", s: secret{text: str(object)}, ref: runtime.Ref{Key: "s"}, want: `a"b`},
		{name: "number member", s: secret{text: str(object)}, ref: runtime.Ref{Key: "n"}, want: "1.5"},
		{name: "bool member", s: secret{text: str(object)}, ref: runtime.Ref{Key: "b"}, want: "false"},
		{name: "array member", s: secret{text: str(object)}, ref: runtime.Ref{Key: "list"}, want: "[1]"},
		{name: "object member", s: secret{text: str(object)}, ref: runtime.Ref{Key: "obj"}, want: `{"x":null}`},
		{name: "bytes member", s: secret{text: str(object)}, ref: runtime.Ref{Key: "s", Type: "bytes"}, want: `a"b`},
		{name: "null member", s: secret{text: str(object)}, ref: runtime.Ref{Key: "null"}, wantErr: `key "null" is null`},
		{name: "null member with spaces", s: secret{text: str(object)}, ref: runtime.Ref{Key: "spaced"}, wantErr: `key "spaced" is null`},
		{name: "missing member", s: secret{text: str(object)}, ref: runtime.Ref{Key: "absent"}, wantErr: `key "absent" is missing`},
		{name: "null secret", s: secret{text: str("null")}, ref: runtime.Ref{Key: "k"}, wantErr: "not a JSON object"},
		{name: "array secret", s: secret{text: str("[1]")}, ref: runtime.Ref{Key: "k"}, wantErr: "not a JSON object"},
		{name: "not JSON", s: secret{text: str("{oops")}, ref: runtime.Ref{Key: "k"}, wantErr: "not a JSON object"},
	}
	for _, tc := range tests {
		got, err := tc.s.extract(tc.ref)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || got != "" {
				t.Errorf("%s: extract = %q, %v; want no value and an error containing %q", tc.name, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: extract = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

// TestExtractDecodesOnce: members of one fetched secret share one decoding
// of its JSON object.
func TestExtractDecodesOnce(t *testing.T) {
	text := `{"a":"1","b":"2"}`
	s := &secret{text: &text}
	if got, err := s.extract(runtime.Ref{Key: "a"}); err != nil || got != "1" {
		t.Fatalf("extract a = %q, %v", got, err)
	}
	if !s.object.Decoded() {
		t.Fatal("after the first member: want the object cached")
	}
	text = "not json" // what the next read must not decode if it uses the cache
	if got, err := s.extract(runtime.Ref{Key: "b"}); err != nil || got != "2" {
		t.Errorf("extract b = %q, %v; want the cached member", got, err)
	}

	bad := "not json"
	s = &secret{text: &bad}
	for range 2 {
		if _, err := s.extract(runtime.Ref{Key: "a"}); err == nil || !s.object.Decoded() {
			t.Errorf("extract from a non-object: %v, decoded %v; want an error and the failure cached", err, s.object.Decoded())
		}
	}
}
