package ssm

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

func TestExtract(t *testing.T) {
	big := strings.Repeat("x", MaxValueSize+1)
	tests := []struct {
		name    string
		p       param
		ref     runtime.Ref
		want    string
		wantErr string
	}{
		{"string", param{value: "a,b", typ: types.ParameterTypeString}, runtime.Ref{Type: "[]string"}, "a,b", ""},
		{"stringlist as list", param{value: "a, b ,c", typ: types.ParameterTypeStringList}, runtime.Ref{Type: "[]string"}, `["a","b","c"]`, ""},
		{"stringlist with quotes and html", param{value: `"q",<b>&`, typ: types.ParameterTypeStringList}, runtime.Ref{Type: "[]string"}, `["\"q\"","<b>&"]`, ""},
		{"stringlist as string", param{value: "a, b", typ: types.ParameterTypeStringList}, runtime.Ref{Type: "string"}, "a, b", ""},
		{"stringlist as map", param{value: "a,b", typ: types.ParameterTypeStringList}, runtime.Ref{Type: "map[string]string"}, "a,b", ""},
		{"at the cap", param{value: big[:MaxValueSize]}, runtime.Ref{}, big[:MaxValueSize], ""},
		{"over the cap", param{value: big}, runtime.Ref{}, "", "more than the 65536"},
		{"key", param{value: `{"a":"x\"y","n":1}`}, runtime.Ref{Key: "a"}, `x"y`, ""},
		{"number key", param{value: `{"a":"x","n":1}`}, runtime.Ref{Key: "n"}, `1`, ""},
		{"missing key", param{value: `{"a":"x"}`}, runtime.Ref{Key: "b"}, "", `key "b" is missing`},
		{"null key", param{value: `{"a":null}`}, runtime.Ref{Key: "a"}, "", `key "a" is null`},
		{"not an object", param{value: `["a"]`}, runtime.Ref{Key: "a"}, "", "not a JSON object"},
		{"json null", param{value: `null`}, runtime.Ref{Key: "a"}, "", "not a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.p.extract(tc.ref)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestChunks: at most batchSize names a call, never one name twice in a
// call, every target placed once.
func TestChunks(t *testing.T) {
	p := New(nil, "a", "e", &Options{BatchSize: 3})
	var targets []target
	var idx []int
	for i, tc := range []target{{"/a/e/x", ""}, {"/a/e/x", "1"}, {"/a/e/x", "blue"}, {"/a/e/y", ""}, {"/a/e/z", ""}, {"/a/e/w", ""}, {"/a/e/y", "2"}} {
		targets = append(targets, tc)
		idx = append(idx, i)
	}
	chunks := p.chunks(targets, idx)
	var placed []int
	for _, c := range chunks {
		if len(c) > 3 {
			t.Errorf("chunk %v has more than 3 names", c)
		}
		names := map[string]bool{}
		for _, i := range c {
			if names[targets[i].name] {
				t.Errorf("chunk %v asks for %s twice", c, targets[i].name)
			}
			names[targets[i].name] = true
			placed = append(placed, i)
		}
	}
	if len(chunks) != 3 || len(placed) != len(targets) {
		t.Errorf("chunks %v: want 3 chunks holding all %d targets", chunks, len(targets))
	}
}

// FuzzStringList: the JSON array made of a StringList parses back, with
// genimpl.ParseList, to the trimmed comma-separated elements.
func FuzzStringList(f *testing.F) {
	for _, s := range []string{"a,b", " a , b ", "[x,y]", `"q",\`, "", ",", "ä,✓", "a\x00,b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		text := stringList(s)
		var raw []string
		if err := json.Unmarshal([]byte(text), &raw); err != nil {
			t.Fatalf("stringList(%q) = %q is not a JSON array of strings: %v", s, text, err)
		}
		got, err := genimpl.ParseList(genimpl.ParseString)(text)
		if err != nil {
			t.Fatalf("ParseList(stringList(%q)): %v", s, err)
		}
		var want []string
		if strings.TrimSpace(s) != "" {
			for _, e := range strings.Split(s, ",") {
				want = append(want, strings.TrimSpace(e))
			}
		}
		if len(want) == 0 {
			want = nil
		}
		// JSON has no invalid UTF-8: each bad byte becomes U+FFFD, as
		// encoding/json writes it.
		for i := range want {
			b, _ := json.Marshal(want[i])
			_ = json.Unmarshal(b, &want[i])
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("stringList(%q) parses to -want +got:\n%s", s, diff)
		}
	})
}
