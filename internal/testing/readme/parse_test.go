package readme

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// block is one marked fenced code block of the README.
type block struct {
	line   int      // line of the opening fence, 1-based
	kind   string   // run, output, file, setup or excerpt
	args   []string // the marker's arguments
	text   string   // the content; every line ends in \n
	output *block   // run: its output block, or nil
	exit   int      // run: the exit status of its last command
}

func (b *block) session() string {
	if b.kind == "excerpt" || b.kind == "output" {
		return ""
	}
	return b.args[0]
}

// markerRE matches a marker line; anyCommentRE any HTML comment that looks
// like one (to catch misspelled markers).
var (
	markerRE     = regexp.MustCompile(`^<!--\s*(run|output|file|setup|excerpt)\s*(?::\s*(.*?))?\s*-->\s*$`)
	anyCommentRE = regexp.MustCompile(`^<!--\s*([a-z]+)\s*(:|-->)`)
	fenceRE      = regexp.MustCompile("^(```+)(.*)$")
	sessionRE    = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
)

// parse returns the marked blocks of a README in order, each run block
// linked to its output block. It reports every problem at once.
func parse(src string) ([]*block, error) {
	var (
		blocks  []*block
		errs    []error
		pending *block // the marker of the next fence
		lastRun *block // the run block an output block may belong to
	)
	lines := strings.SplitAfter(src, "\n")
	bad := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("README.md:%d: %s", line, fmt.Sprintf(format, args...)))
	}
	for i := 0; i < len(lines); i++ {
		n, l := i+1, strings.TrimRight(lines[i], "\r\n")
		if m := fenceRE.FindStringSubmatch(l); m != nil {
			ticks := m[1]
			var text strings.Builder
			closed := false
			for i++; i < len(lines); i++ {
				if strings.TrimRight(lines[i], " \t\r\n") == ticks {
					closed = true
					break
				}
				text.WriteString(strings.TrimRight(lines[i], "\r\n") + "\n")
			}
			if !closed {
				bad(n, "code block is not closed")
				break
			}
			if pending == nil {
				continue
			}
			b := pending
			pending = nil
			b.line, b.text = n, text.String()
			if b.kind == "output" {
				if lastRun == nil {
					bad(n, "output block without a run block before it")
					continue
				}
				lastRun.output = b
				lastRun = nil
			}
			if b.kind == "run" {
				lastRun = b
			} else if b.kind != "output" {
				lastRun = nil
			}
			blocks = append(blocks, b)
			continue
		}
		if pending != nil {
			bad(pending.line, "marker is not followed by a code block on the next line")
			pending = nil
		}
		m := markerRE.FindStringSubmatch(l)
		if m == nil {
			if c := anyCommentRE.FindStringSubmatch(l); c != nil {
				bad(n, "unknown marker %q; known: run, output, file, setup, excerpt", c[1])
			}
			continue
		}
		b := &block{line: n, kind: m[1], args: strings.Fields(m[2])}
		if err := checkArgs(b); err != nil {
			bad(n, "<!-- %s -->: %v", strings.TrimSpace(m[1]+": "+m[2]), err)
			continue
		}
		pending = b
	}
	if pending != nil {
		bad(pending.line, "marker is not followed by a code block on the next line")
	}
	return blocks, errors.Join(errs...)
}

// checkArgs checks a marker's arguments and sets b.exit.
func checkArgs(b *block) error {
	switch b.kind {
	case "output":
		if len(b.args) != 0 {
			return errors.New("output takes no arguments")
		}
		return nil
	case "excerpt":
		if len(b.args) == 0 {
			return errors.New("excerpt needs at least one file")
		}
		return nil
	}
	if len(b.args) == 0 || !sessionRE.MatchString(b.args[0]) {
		return errors.New("the first argument must be a session name ([a-z][a-z0-9-]*)")
	}
	switch b.kind {
	case "run":
		for _, a := range b.args[1:] {
			v, ok := strings.CutPrefix(a, "exit=")
			n, err := strconv.Atoi(v)
			if !ok || err != nil || n < 0 || n > 255 {
				return fmt.Errorf("unknown argument %q; want exit=N", a)
			}
			b.exit = n
		}
	case "file":
		if len(b.args) != 2 {
			return errors.New("want file: SESSION PATH")
		}
		p := b.args[1]
		if !filepath.IsLocal(p) || path.Clean(p) != p || strings.ContainsAny(p, `'"$\`+"`") {
			return fmt.Errorf("path %q must be a clean relative path without quotes", p)
		}
	case "setup":
		if len(b.args) != 1 {
			return errors.New("want setup: SESSION")
		}
	}
	return nil
}
