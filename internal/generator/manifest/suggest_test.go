package manifest

import (
	"slices"
	"testing"
)

func TestEditDistance(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"url", "url", 0}, {"", "int", 3}, {"strng", "string", 1},
		{"tiem", "time", 1}, {"uri", "url", 1}, {"duraton", "duration", 1},
		{"bytse", "bytes", 1}, {"int", "int64", 2}, {"bool", "int", 4},
	} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := editDistance(tt.b, tt.a); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d (symmetric)", tt.b, tt.a, got, tt.want)
		}
	}
}

// TestSuggestType: case-insensitive matches, aliases and small edits get a
// suggestion, every suggestion parses (or is a documented pattern), and
// unrelated or short words get none.
func TestSuggestType(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"URL", []string{"url"}},
		{"String", []string{"string"}},
		{"DURATION", []string{"duration"}},
		{"[]URL", []string{"[]url"}},
		{"map[string]URL", []string{"map[string]url"}},
		{"Map[String]Int", []string{"map[string]int"}},
		{"strng", []string{"string"}},
		{"jsn", []string{"json"}},
		{"uri", []string{"url"}},
		{"boolean", []string{"bool"}},
		{"integer", []string{"int", "int64"}},
		{"object", []string{"json", "map[string]T"}},
		{"[]integer", []string{"[]int", "[]int64"}},
		{"[]object", nil},
		{"x", nil},
		{"in", []string{"int"}},
		{"password_hash", nil},
		{"enumm", []string{"enum"}},
	} {
		got := suggestType(tt.in)
		if !slices.Equal(got, tt.want) {
			t.Errorf("suggestType(%q) = %q, want %q", tt.in, got, tt.want)
		}
		for _, s := range got {
			if _, msg := parseType(s); msg != "" && s != "map[string]T" && s != "[]T" {
				t.Errorf("suggestType(%q) suggests %q, which does not parse: %s", tt.in, s, msg)
			}
		}
	}
}
