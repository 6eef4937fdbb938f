package readme

import (
	"regexp"
	"strings"

	"github.com/google/go-cmp/cmp"
)

// timingRE matches the timing figures that are masked before comparing: a
// number with a unit below a second, a decimal number of seconds, and go
// test's "(cached)" in place of a test's time.
var timingRE = regexp.MustCompile(`\d+(?:\.\d+)?(?:ns|µs|us|ms)\b|\b\d+\.\d+s\b|\(cached\)`)

// normalize splits out into lines with trailing spaces and trailing blank
// lines removed and timing figures masked.
func normalize(out string) []string {
	var lines []string
	for l := range strings.Lines(out) {
		lines = append(lines, timingRE.ReplaceAllString(strings.TrimRight(l, " \t\r\n"), "<time>"))
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// matchOutput reports whether got matches the README's want, where a want
// line "..." stands for any number of lines, and returns a diff when not.
func matchOutput(want, got string) (ok bool, diff string) {
	w, g := normalize(want), normalize(got)
	if match(w, g) {
		return true, ""
	}
	return false, cmp.Diff(w, g)
}

// match matches lines against a pattern of lines with "..." wildcards.
func match(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if want[0] == "..." {
		for i := 0; i <= len(got); i++ {
			if match(want[1:], got[i:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && want[0] == got[0] && match(want[1:], got[1:])
}

// codeLine is the form of a Go, YAML or shell line that excerpts compare:
// without a trailing // or # comment and surrounding spaces. It returns ""
// for a blank line, a comment line and "...".
func codeLine(l string) string {
	l = strings.TrimSpace(l)
	if strings.HasPrefix(l, "//") || strings.HasPrefix(l, "#") || l == "..." {
		return ""
	}
	if i := strings.Index(l, " //"); i >= 0 {
		l = l[:i]
	}
	if i := strings.Index(l, " #"); i >= 0 {
		l = l[:i]
	}
	return strings.TrimSpace(l)
}

// missingLines returns the code lines of excerpt that are in none of files.
func missingLines(excerpt string, files []string) []string {
	have := map[string]bool{}
	for _, f := range files {
		for l := range strings.Lines(f) {
			have[codeLine(l)] = true
		}
	}
	var missing []string
	for l := range strings.Lines(excerpt) {
		if c := codeLine(l); c != "" && !have[c] {
			missing = append(missing, strings.TrimSpace(l))
		}
	}
	return missing
}
