package jsonobj

import (
	"strings"
	"testing"
)

func TestMember(t *testing.T) {
	const canary = "canary-7f3a"
	tests := []struct {
		text, key, want, wantErr string
	}{
		{`{"a":"x"}`, "a", "x", ""},
		{`{"a":"es\"c"}`, "a", `es"c`, ""},
		{`{"a":5}`, "a", "5", ""},
		{`{"a":[1, 2]}`, "a", "[1, 2]", ""},
		{`{"a":{"b":true}}`, "a", `{"b":true}`, ""},
		{`{"a":null}`, "a", "", `key "a" is null in the secret's JSON object`},
		{`{"b":"` + canary + `"}`, "a", "", `key "a" is missing from the secret's JSON object`},
		{`["` + canary + `"]`, "a", "", "the secret is not a JSON object"},
		{`{` + canary, "a", "", "the secret is not a JSON object"},
		{`null`, "a", "", "the secret is not a JSON object"},
	}
	for _, tc := range tests {
		var o Object
		got, err := o.Member(tc.text, tc.key, "secret")
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), canary) || got != "" {
				t.Errorf("Member(%q, %q) = %q, %v; want an error containing %q and no value", tc.text, tc.key, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Member(%q, %q) = %q, %v; want %q", tc.text, tc.key, got, err, tc.want)
		}
	}
}

// TestDecodedOnce: the first call decodes; later calls read the cached
// object, not their own text.
func TestDecodedOnce(t *testing.T) {
	var o Object
	if o.Decoded() {
		t.Fatal("zero Object says decoded")
	}
	if v, err := o.Member(`{"a":"1","b":"2"}`, "a", "parameter"); err != nil || v != "1" {
		t.Fatalf("first: %q, %v", v, err)
	}
	if v, err := o.Member(`not json`, "b", "parameter"); err != nil || v != "2" || !o.Decoded() {
		t.Fatalf("second: %q, %v", v, err)
	}
	var bad Object
	if _, err := bad.Member("[", "a", "parameter"); err == nil || !strings.Contains(err.Error(), "the parameter is not") {
		t.Fatalf("bad: %v", err)
	}
	if _, err := bad.Member(`{"a":"1"}`, "a", "parameter"); err == nil {
		t.Fatal("a failed decoding is not retried with other text")
	}
}
