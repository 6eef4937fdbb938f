package manifest

import (
	"os"
	"strings"
	"testing"
)

// TestInitialismsDocumented: docs/manifest.md, "Names", prints exactly the
// initialisms GoName upper-cases, in order, after its marker comment.
func TestInitialismsDocumented(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../../docs/manifest.md")
	if err != nil {
		t.Fatal(err)
	}
	const marker = "<!-- initialisms:"
	_, rest, ok := strings.Cut(string(data), marker)
	if !ok {
		t.Fatalf("docs/manifest.md has no %q marker", marker)
	}
	_, rest, _ = strings.Cut(rest, "-->\n")
	para, _, _ := strings.Cut(rest, "\n\n")
	got := strings.Join(strings.Fields(strings.TrimSuffix(strings.TrimSpace(para), ".")), " ")
	want := strings.Join(Initialisms(), ", ")
	if got != want {
		t.Errorf("docs/manifest.md lists\n%s\nwant\n%s", got, want)
	}
}
