package env

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/joho/godotenv"
)

// prefixErrorLine is the old errorLine, kept as the naive baseline: it
// re-parses every prefix of whole lines from the end, quadratic in the
// file's length.
func prefixErrorLine(data []byte) int {
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	ends := []int{0}
	for i, c := range data {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	for k := len(ends) - 1; k > 0; k-- {
		if _, err := godotenv.UnmarshalBytes(data[:ends[k]]); err == nil {
			return k + 1
		}
	}
	return 1
}

func badFirstLine(lines int) []byte {
	var b strings.Builder
	b.WriteString("BAD-NAME=1\n")
	for i := range lines {
		fmt.Fprintf(&b, "NAME_%d=value\n", i)
	}
	return []byte(b.String())
}

// TestErrorLineMatchesPrefixSearch: on files whose statements each start
// a line, the one-pass walk names the line the old prefix search named.
func TestErrorLineMatchesPrefixSearch(t *testing.T) {
	for _, text := range []string{
		"A=1\nB=\"x\nC=2\n", "A='x", "A=1\n# c\n\nMY-X=1\n", "A=1\nX\nB=2", "A=\"x\ny\"\r\nB='c\r\n",
		"A=1\nB=2\nexport \n", "A=\"multi\nline\"\nB C D-=1\n", string(badFirstLine(50)),
	} {
		if got, want := errorLine([]byte(text)), prefixErrorLine([]byte(text)); got != want {
			t.Errorf("errorLine(%q) = %d; the prefix search says %d", text, got, want)
		}
	}
}

// BenchmarkMalformedEnv reports a bad first line followed by n valid
// lines: ours (godotenv's parse, then the one-pass line search), the
// anchor (godotenv's parse alone, which finds the error but not its line)
// and naive (the old prefix search, only at 1,000 lines: at 100,000 it
// runs for hours).
func BenchmarkMalformedEnv(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		data := badFirstLine(n)
		b.Run(fmt.Sprintf("ours/lines=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := godotenv.UnmarshalBytes(data); err == nil || errorLine(data) != 1 {
					b.Fatal("no error at line 1")
				}
			}
		})
		b.Run(fmt.Sprintf("godotenv/lines=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := godotenv.UnmarshalBytes(data); err == nil {
					b.Fatal("no error")
				}
			}
		})
		if n <= 1_000 {
			b.Run(fmt.Sprintf("naive/lines=%d", n), func(b *testing.B) {
				for b.Loop() {
					if prefixErrorLine(data) != 1 {
						b.Fatal("no error at line 1")
					}
				}
			})
		}
	}
}
