package manifest

import (
	"fmt"
	"strings"
)

// typeAliases are type names from other languages and tools that people
// write for a manifest type.
var typeAliases = map[string][]string{
	"integer": {"int", "int64"}, "int32": {"int", "int64"}, "uint": {"int", "int64"},
	"long": {"int64"}, "float": {"float64"}, "float32": {"float64"}, "double": {"float64"},
	"number": {"int", "float64"}, "boolean": {"bool"}, "str": {"string"}, "text": {"string"},
	"password": {"string"}, "secret": {"string"}, "uri": {"url"}, "base64": {"bytes"},
	"binary": {"bytes"}, "[]byte": {"bytes"}, "timestamp": {"time"}, "datetime": {"time"},
	"date": {"time"}, "object": {"json", "map[string]T"}, "dict": {"json", "map[string]T"},
	"map": {"json", "map[string]T"}, "array": {"[]T"}, "list": {"[]T"},
	"credentials": {"credential"}, "creds": {"credential"}, "login": {"credential"}, "userpass": {"credential"},
}

// suggestType returns the types a mistyped type t may have meant: the same
// name in another case ("URL": url), a known alias ("integer": int,
// int64), or the names a small edit away ("strng": string); for a list or
// map, the same with its element fixed ("[]URL": []url). nil when nothing
// is close.
func suggestType(t string) []string {
	names := append(Scalars(), Enum, JSON, Credential)
	if lower := strings.ToLower(t); lower != t {
		if _, msg := parseType(lower); msg == "" {
			return []string{lower}
		}
	}
	if s, ok := typeAliases[strings.ToLower(t)]; ok {
		return s
	}
	for _, prefix := range []string{"[]", "map[string]"} {
		if elem, ok := strings.CutPrefix(t, prefix); ok && elem != "" {
			var out []string
			for _, e := range suggestType(elem) {
				if Scalar(Kind(e)) != nil {
					out = append(out, prefix+e)
				}
			}
			return out
		}
	}
	var out []string
	best := 3 // suggest names at most 2 edits away, and fewer for short ones
	for _, k := range names {
		d := editDistance(strings.ToLower(t), string(k))
		if d > 2 || 3*d > len(t)+1 {
			continue
		}
		switch {
		case d < best:
			best, out = d, []string{string(k)}
		case d == best:
			out = append(out, string(k))
		}
	}
	return out
}

// suggestKey returns the keys of known a small edit away from key
// ("rol": role), nil when none is close.
func suggestKey(key string, known []string) []string {
	var out []string
	for _, k := range known {
		if d := editDistance(strings.ToLower(key), k); d <= 2 && 3*d <= len(k)+1 {
			out = append(out, k)
		}
	}
	return out
}

// didYouMean is ` (did you mean "x"?)` (or "x" or "y") for the
// suggestions, "" for none.
func didYouMean(suggestions []string) string {
	if len(suggestions) == 0 {
		return ""
	}
	q := make([]string, len(suggestions))
	for i, s := range suggestions {
		q[i] = fmt.Sprintf("%q", s)
	}
	return " (did you mean " + strings.Join(q, " or ") + "?)"
}

// editDistance is the optimal string alignment distance of a and b: the
// insertions, deletions, substitutions and swaps of two neighbours that
// turn one into the other ("strng" and "string": 1, "tiem" and "time": 1).
// Type names are short ASCII; longer texts cost len(a)*len(b).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return max(len(a), len(b))
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
