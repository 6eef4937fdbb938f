package readme

import (
	"strings"
	"testing"
)

// fence writes a fenced block for the self-tests' READMEs.
func fence(marker, lang, body string) string {
	return marker + "\n```" + lang + "\n" + body + "```\n"
}

// TestRunnerReports runs small READMEs through the same parse, script and
// comparison as TestREADME: the right ones pass, and each wrong one is
// reported. This is what makes TestREADME able to fail.
func TestRunnerReports(t *testing.T) {
	tests := []struct {
		name   string
		readme string
		want   string // a text of the one problem, or "" for none
	}{
		{"output matches", fence("<!-- run: s -->", "sh", "echo hello\n") +
			"prints:\n\n" + fence("<!-- output -->", "", "hello\n"), ""},
		{"wrong output", fence("<!-- run: s -->", "sh", "echo hello\n") +
			fence("<!-- output -->", "", "goodbye\n"), "output differs"},
		{"missing line", fence("<!-- run: s -->", "sh", "echo a; echo b\n") +
			fence("<!-- output -->", "", "a\n"), "output differs"},
		{"elision", fence("<!-- run: s -->", "sh", "echo a; echo b; echo c; echo d\n") +
			fence("<!-- output -->", "", "a\n...\nd\n"), ""},
		{"elision still checks the rest", fence("<!-- run: s -->", "sh", "echo a; echo b\n") +
			fence("<!-- output -->", "", "a\n...\nc\n"), "output differs"},
		{"timings masked", fence("<!-- run: s -->", "sh", "echo 'loaded in 312µs'; echo 'ok x 0.020s'; echo 'ok y (cached)'; echo 'timeout 10s'\n") +
			fence("<!-- output -->", "", "loaded in 205µs\nok x 1.5s\nok y 0.004s\ntimeout 10s\n"), ""},
		{"a plain duration is not a timing", fence("<!-- run: s -->", "sh", "echo 'timeout 10s'\n") +
			fence("<!-- output -->", "", "timeout 30s\n"), "output differs"},
		{"stderr is output", fence("<!-- run: s -->", "sh", "echo oops >&2\n") +
			fence("<!-- output -->", "", "oops\n"), ""},
		{"failing command", fence("<!-- run: s -->", "sh", "false\necho never\n"), "a command failed"},
		{"later blocks do not run", fence("<!-- run: s -->", "sh", "false\n") +
			fence("<!-- run: s -->", "sh", "echo x\n"), "did not run"},
		{"expected failure", fence("<!-- run: s exit=3 -->", "sh", "echo before\n(exit 3)\n") +
			fence("<!-- output -->", "", "before\n"), ""},
		{"wrong exit status", fence("<!-- run: s exit=1 -->", "sh", "true\n"), "README says exit=1"},
		{"exports carry over", fence("<!-- run: s -->", "sh", "export X=1\ncd /\n") +
			fence("<!-- run: s -->", "sh", "echo $X $PWD\n") + fence("<!-- output -->", "", "1 /\n"), ""},
		{"file blocks are written", fence("<!-- file: s d/f.txt -->", "", "$HOME is not expanded\n") +
			fence("<!-- run: s -->", "sh", "cat d/f.txt\n") + fence("<!-- output -->", "", "$HOME is not expanded\n"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			blocks, err := parse(tt.readme)
			if err != nil {
				t.Fatal(err)
			}
			runs, err := runScript(t.Context(), blocks, nil, t.TempDir(), baseEnv(), nil)
			if err != nil {
				t.Fatal(err)
			}
			ps := problems(runs)
			switch {
			case tt.want == "" && len(ps) > 0:
				t.Errorf("problems, want none:\n%s", strings.Join(ps, "\n"))
			case tt.want != "" && (len(ps) == 0 || !strings.Contains(strings.Join(ps, "\n"), tt.want)):
				t.Errorf("problems = %q, want one saying %q", ps, tt.want)
			}
		})
	}
}

// TestServerAddressesReplaced: the test's own server address in the output
// is compared as the README's.
func TestServerAddressesReplaced(t *testing.T) {
	readme := fence("<!-- setup: s -->", "sh", "vault server -dev -dev-root-token-id=dev &\nexport VAULT_ADDR=http://127.0.0.1:8200 \\\n  VAULT_TOKEN=dev X=1\n") +
		fence("<!-- run: s -->", "sh", "echo $VAULT_ADDR $VAULT_TOKEN $X\n") + fence("<!-- output -->", "", "http://127.0.0.1:8200 dev 1\n")
	blocks, err := parse(readme)
	if err != nil {
		t.Fatal(err)
	}
	var s servers
	if err := parseSetup(blocks[0], &s); err != nil {
		t.Fatal(err)
	}
	if !s.vault || s.moto || len(s.exports) != 3 {
		t.Fatalf("parseSetup = %+v", s)
	}
	exports := [][2]string{{"VAULT_ADDR", "http://127.0.0.1:40001"}, {"VAULT_TOKEN", "root-abc"}, {"X", "1"}}
	replace := map[string]string{"http://127.0.0.1:40001": "http://127.0.0.1:8200", "root-abc": "dev"}
	runs, err := runScript(t.Context(), blocks, exports, t.TempDir(), baseEnv(), replace)
	if err != nil {
		t.Fatal(err)
	}
	if ps := problems(runs); len(ps) > 0 {
		t.Error(strings.Join(ps, "\n"))
	}
}

// TestParseErrors: a marker the test would not understand is an error, not
// a block silently left out.
func TestParseErrors(t *testing.T) {
	tests := []struct{ name, readme, want string }{
		{"misspelled marker", "<!-- rnu: s -->\n```sh\necho\n```\n", "unknown marker"},
		{"marker without a block", "<!-- run: s -->\n\n```sh\necho\n```\n", "not followed by a code block"},
		{"marker at the end", "text\n<!-- output -->\n", "not followed by a code block"},
		{"output without run", fence("<!-- output -->", "", "x\n"), "without a run block"},
		{"output after another block", fence("<!-- run: s -->", "sh", "echo\n") + fence("<!-- file: s f -->", "", "x\n") + fence("<!-- output -->", "", "x\n"), "without a run block"},
		{"bad session", fence("<!-- run: S -->", "sh", "echo\n"), "session name"},
		{"bad exit", fence("<!-- run: s exit=x -->", "sh", "echo\n"), "exit=N"},
		{"file outside", fence("<!-- file: s ../f -->", "", "x\n"), "clean relative path"},
		{"unclosed", "<!-- run: s -->\n```sh\necho\n", "not closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(tt.readme)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parse error = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// TestParseSetupRejects: a setup line the test would not do is an error.
func TestParseSetupRejects(t *testing.T) {
	for _, text := range []string{"docker run vault\n", "export X='a b'\n", "export X=$HOME\n"} {
		var s servers
		if err := parseSetup(&block{line: 1, text: text}, &s); err == nil {
			t.Errorf("parseSetup(%q) = nil, want an error", text)
		}
	}
}

// TestExcerptLines: comments, blank lines and "..." are skipped; code must
// match a line.
func TestExcerptLines(t *testing.T) {
	file := "func main() {\n\tp, err := gen.NewProvider(ctx)\n}\n"
	if m := missingLines("p, err := gen.NewProvider(ctx) // the backend\n...\n// a comment\n\n", []string{file}); len(m) > 0 {
		t.Errorf("missingLines = %q, want none", m)
	}
	if m := missingLines("p, err := gen.NewProvider(context.TODO())\n", []string{file}); len(m) != 1 {
		t.Errorf("missingLines = %q, want the changed line", m)
	}
}

// FuzzParse: parse never panics, and every block it returns has a valid
// kind and arguments.
func FuzzParse(f *testing.F) {
	f.Add(fence("<!-- run: s exit=1 -->", "sh", "echo\n") + fence("<!-- output -->", "", "x\n"))
	f.Add(fence("<!-- file: s a/b.go -->", "go", "package a\n") + "<!-- excerpt: x.go -->\n```\n```\n")
	f.Add("<!-- setup: s -->\n````\n```\n````\n")
	f.Fuzz(func(t *testing.T, src string) {
		blocks, _ := parse(src)
		for _, b := range blocks {
			if err := checkArgs(b); err != nil {
				t.Errorf("block %+v: %v", b, err)
			}
			if b.output != nil && b.kind != "run" {
				t.Errorf("a %s block has an output", b.kind)
			}
		}
	})
}
