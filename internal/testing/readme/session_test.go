package readme

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// servers are what a session's setup blocks ask for, and what the test
// replaces in its output.
type servers struct {
	moto, vault bool
	// exports are the variables the setup blocks export, in order, with the
	// README's values.
	exports [][2]string
}

// serverLineRE matches the server lines a setup block may hold.
var (
	motoLineRE  = regexp.MustCompile(`^moto_server(\s|$)`)
	vaultLineRE = regexp.MustCompile(`^(bin/)?vault server -dev(\s|$)`)
	exportRE    = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=[^\s'"$` + "`" + `\\]*$`)
)

// parseSetup reads a setup block into s.
func parseSetup(b *block, s *servers) error {
	text := strings.ReplaceAll(b.text, "\\\n", " ")
	for l := range strings.Lines(text) {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#") || l == "make vault":
		case motoLineRE.MatchString(l):
			s.moto = true
		case vaultLineRE.MatchString(l):
			s.vault = true
		case strings.HasPrefix(l, "export "):
			for _, kv := range strings.Fields(strings.TrimPrefix(l, "export ")) {
				if !exportRE.MatchString(kv) {
					return fmt.Errorf("README.md:%d: setup block: export %q: want NAME=value without quotes or spaces", b.line, kv)
				}
				k, v, _ := strings.Cut(kv, "=")
				s.exports = append(s.exports, [2]string{k, v})
			}
		default:
			return fmt.Errorf("README.md:%d: setup block: line %q is none of: a comment, make vault, moto_server ..., vault server -dev ..., export NAME=value", b.line, l)
		}
	}
	return nil
}

// blockResult is what one run block did.
type blockResult struct {
	b      *block
	output string
	status int  // exit status of its last command
	ran    bool // it started
	done   bool // it finished (its status is known)
}

// problems compares what the run blocks did with the README.
func problems(results []*blockResult) []string {
	var out []string
	for _, r := range results {
		b := r.b
		switch {
		case !r.ran:
			out = append(out, fmt.Sprintf("README.md:%d: block did not run (an earlier block of its session failed)", b.line))
			continue
		case !r.done && b.exit == 0:
			out = append(out, fmt.Sprintf("README.md:%d: a command failed (exit status %d); output:\n%s", b.line, r.status, r.output))
			continue
		case !r.done || r.status != b.exit:
			out = append(out, fmt.Sprintf("README.md:%d: last command exited with status %d, the README says exit=%d; output:\n%s", b.line, r.status, b.exit, r.output))
			continue
		}
		if b.output == nil {
			continue
		}
		if ok, diff := matchOutput(b.output.text, r.output); !ok {
			out = append(out, fmt.Sprintf("README.md:%d: output differs from README.md:%d (-README +actual):\n%s", b.line, b.output.line, diff))
		}
	}
	return out
}

const (
	beginMark = "@@readme-begin "
	endMark   = "@@readme-end "
	eofMark   = "@@README_EOF@@"
)

// script returns the bash script of a session's run, file and setup
// blocks, with exports the values of the setup blocks' variables.
func script(blocks []*block, exports [][2]string) string {
	var s strings.Builder
	s.WriteString("set -e\nexec 2>&1\n")
	for i, b := range blocks {
		switch b.kind {
		case "setup":
			for _, kv := range exports {
				fmt.Fprintf(&s, "export %s=%s\n", kv[0], shellQuote(kv[1]))
			}
		case "file":
			p := b.args[1]
			fmt.Fprintf(&s, "mkdir -p \"$(dirname '%s')\"\ncat > '%s' <<'%s'\n%s%s\n", p, p, eofMark, b.text, eofMark)
		case "run":
			fmt.Fprintf(&s, "echo '%s%d@@'\n", beginMark, i)
			if b.exit != 0 {
				s.WriteString("set +e\n")
			}
			s.WriteString(b.text)
			fmt.Fprintf(&s, "echo \"%s%d $?@@\"\n", endMark, i)
			if b.exit != 0 {
				s.WriteString("set -e\n")
			}
		}
	}
	return s.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

var markRE = regexp.MustCompile(`^@@readme-(begin|end) (\d+)(?: (\d+))?@@$`)

// runScript runs a session's script with bash in dir and returns what each
// run block did. replace maps texts of the output (the test's server
// addresses) to what the README shows.
func runScript(ctx context.Context, blocks []*block, exports [][2]string, dir string, env []string, replace map[string]string) ([]*blockResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc")
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = strings.NewReader(script(blocks, exports))
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	status := 0
	if err != nil {
		exit, ok := err.(*exec.ExitError)
		if !ok || ctx.Err() != nil {
			return nil, fmt.Errorf("bash: %v (%v); output:\n%s", err, ctx.Err(), out.String())
		}
		status = exit.ExitCode()
	}

	text := out.String()
	// The longest first, so that a text containing another is replaced whole.
	keys := slices.SortedFunc(func(yield func(string) bool) {
		for k := range replace {
			if !yield(k) {
				return
			}
		}
	}, func(a, b string) int { return len(b) - len(a) })
	for _, k := range keys {
		if k != "" {
			text = strings.ReplaceAll(text, k, replace[k])
		}
	}

	results := make([]*blockResult, len(blocks))
	var cur *blockResult
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		l := sc.Text()
		m := markRE.FindStringSubmatch(l)
		if m == nil {
			if cur != nil {
				cur.output += l + "\n"
			}
			continue
		}
		i, _ := strconv.Atoi(m[2])
		if i < 0 || i >= len(blocks) {
			return nil, fmt.Errorf("bash printed a marker of no block: %q", l)
		}
		if m[1] == "begin" {
			cur = &blockResult{b: blocks[i], ran: true}
			results[i] = cur
			continue
		}
		if results[i] == nil {
			return nil, fmt.Errorf("bash printed %q before the block began", l)
		}
		results[i].done = true
		results[i].status, _ = strconv.Atoi(m[3])
		cur = nil
	}
	var runs []*blockResult
	for i, b := range blocks {
		if b.kind != "run" {
			continue
		}
		r := results[i]
		if r == nil {
			r = &blockResult{b: b}
		}
		if r.ran && !r.done {
			r.status = status // set -e ended the shell in this block
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// baseEnv is the environment of the sessions: the variables of this
// process that locate programs, caches and the user's configuration,
// nothing that configures secretsgen or a backend, and a go command that
// needs no network.
func baseEnv() []string {
	keep := func(k string) bool {
		switch k {
		case "PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR",
			"GOCACHE", "GOMODCACHE", "GOPATH", "GOROOT", "GOENV":
			return true
		}
		return strings.HasPrefix(k, "PYENV_") || strings.HasPrefix(k, "XDG_")
	}
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); keep(k) {
			env = append(env, kv)
		}
	}
	// The module proxy as this process has it: a reader's go mod tidy
	// fetches the modules that this repository's tests do not need (the
	// test dependencies of its dependencies), which a fresh machine's
	// module cache lacks.
	if p := os.Getenv("GOPROXY"); p != "" {
		env = append(env, "GOPROXY="+p)
	}
	return append(env,
		"GOFLAGS=-trimpath", "GOSUMDB=off", "GOWORK=off", "GOTOOLCHAIN=local",
		// No AWS configuration of the developer's: only what the README exports.
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
}
