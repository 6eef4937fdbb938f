package vault

import (
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"
)

// TestDocsStatusTable: the table of HTTP statuses in docs/vault.md says
// what statusTable does, row for row (it once called 400 access denied
// while the code said invalid value).
func TestDocsStatusTable(t *testing.T) {
	b, err := os.ReadFile("../../docs/vault.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^\| ([0-9]{3}) [^|]*\| \*([a-z ]+)\* \|`)
	documented := map[int]string{}
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		status, _ := strconv.Atoi(m[1])
		if _, dup := documented[status]; dup {
			t.Errorf("docs/vault.md lists HTTP %d twice", status)
		}
		documented[status] = m[2]
	}
	for _, status := range slices.Sorted(maps.Keys(statusTable)) {
		want := statusTable[status].kind.Error()
		if got, ok := documented[status]; !ok {
			t.Errorf("docs/vault.md has no row for HTTP %d (%s)", status, want)
		} else if got != want {
			t.Errorf("docs/vault.md calls HTTP %d %q; the code says %q", status, got, want)
		}
	}
	for status := range documented {
		if _, ok := statusTable[status]; !ok {
			t.Errorf("docs/vault.md lists HTTP %d, which statusTable does not", status)
		}
	}
}
