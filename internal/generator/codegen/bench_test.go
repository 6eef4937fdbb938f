package codegen

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/internal/generator/manifest"
)

// manifestN returns a manifest of n secrets in groups of 20, cycling
// through every type, with defaults, optional and plain entries.
func manifestN(tb testing.TB, n int) *manifest.Manifest {
	tb.Helper()
	types := []string{
		"string", "int", "int64", "float64", "bool", "duration", "url", "bytes", "time",
		`"[]string"`, `"map[string]int"`, "enum", "json",
	}
	var b strings.Builder
	b.WriteString("version: 1\napp: bench\nbackends: [env, aws, vault]\nsecrets:\n")
	for i := range n {
		typ := types[i%len(types)]
		fmt.Fprintf(&b, "  group%d/secret_%d:\n    type: %s\n    description: Secret number %d of the benchmark.\n", i/20, i, typ, i)
		switch typ {
		case "enum":
			b.WriteString("    values: [low, medium, high]\n    default: medium\n")
		case "json":
			b.WriteString("    fields: {username: string, password: string, port: int}\n")
		case "int":
			b.WriteString("    default: 10\n    sensitive: false\n")
		case `"[]string"`:
			b.WriteString("    optional: true\n")
		}
	}
	m, err := manifest.Parse("bench.yaml", []byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// BenchmarkGenerate1000 generates the package of a 1,000-secret manifest.
func BenchmarkGenerate1000(b *testing.B) {
	m := manifestN(b, 1000)
	b.ResetTimer()
	var size int
	for b.Loop() {
		files, err := Generate(m, Config{Source: "bench.yaml"})
		if err != nil {
			b.Fatal(err)
		}
		size = 0
		for _, f := range files {
			size += len(f)
		}
	}
	b.ReportMetric(float64(size), "output-bytes")
}

func TestGenerate1000(t *testing.T) {
	files, err := Generate(manifestN(t, 1000), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(regexp.MustCompile(`genimpl\.(Field|Optional|Default)\(l, `).FindAll(files[loadFile], -1)); got != 1000 {
		t.Errorf("Load reads %d fields, want 1000", got)
	}
}
