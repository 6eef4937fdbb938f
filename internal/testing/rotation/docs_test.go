package rotation_test

import (
	"os"
	"strings"
	"testing"
)

// TestDocsExample keeps the pgx example of docs/rotation.md the same as the
// code between the markers in service_test.go, which the rotation tests
// compile and run.
func TestDocsExample(t *testing.T) {
	src, err := os.ReadFile("service_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, code, ok := strings.Cut(string(src), "// --- docs example start ---\n")
	code, _, ok2 := strings.Cut(code, "// --- docs example end ---")
	if !ok || !ok2 {
		t.Fatal("service_test.go has no docs example markers")
	}
	doc, err := os.ReadFile("../../../docs/rotation.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(doc), "<!-- example: internal/testing/rotation/service_test.go -->\n```go\n")
	block, _, ok2 = strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("docs/rotation.md has no example block after its marker")
	}
	if strings.TrimSpace(block) != strings.TrimSpace(code) {
		t.Errorf("the example in docs/rotation.md differs from service_test.go; copy the code between the markers into the docs")
	}
}
