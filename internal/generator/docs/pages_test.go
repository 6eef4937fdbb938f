package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The tests of this file check the Markdown pages of the repository (the
// README and docs/), which the secretsgen docs command does not write but
// which a reader follows like its output.

// mdLink matches the target of a Markdown link or image: [text](target).
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// pages returns README.md and every docs/*.md, relative to the repository.
func pages(t *testing.T) (root string, files []string) {
	t.Helper()
	root = filepath.Join("..", "..", "..")
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no docs/*.md: %v", err)
	}
	return root, append(files, filepath.Join(root, "README.md"))
}

// TestPageLinks: every relative link of README.md and docs/*.md names a
// file or directory of the repository, resolved from the page's own
// directory (docs/manifest.md links ../secrets.yaml, not secrets.yaml).
func TestPageLinks(t *testing.T) {
	t.Parallel()
	root, files := pages(t)
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		inFence := false
		for i, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				inFence = !inFence
			}
			if inFence {
				continue
			}
			for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				target, _, _ = strings.Cut(target, "#")
				rel, _ := filepath.Rel(root, file)
				if _, err := os.Stat(filepath.Join(filepath.Dir(file), target)); err != nil {
					t.Errorf("%s:%d: link %q: no such file or directory", rel, i+1, m[1])
				}
			}
		}
	}
}

// TestDocsIndex: docs/README.md links every other page of docs/ once, each
// on one line of its own.
func TestDocsIndex(t *testing.T) {
	t.Parallel()
	root, files := pages(t)
	index, err := os.ReadFile(filepath.Join(root, "docs", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, line := range strings.Split(string(index), "\n") {
		for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
			if !strings.Contains(m[1], "/") && strings.HasSuffix(m[1], ".md") {
				listed = append(listed, m[1])
			}
		}
	}
	for _, file := range files {
		name := filepath.Base(file)
		if filepath.Base(filepath.Dir(file)) != "docs" || name == "README.md" {
			continue
		}
		switch n := strings.Count(strings.Join(listed, "\n")+"\n", name+"\n"); n {
		case 1:
		case 0:
			t.Errorf("docs/README.md does not list docs/%s", name)
		default:
			t.Errorf("docs/README.md lists docs/%s %d times", name, n)
		}
	}
	slices.Sort(listed)
	for _, l := range slices.Compact(listed) {
		if _, err := os.Stat(filepath.Join(root, "docs", l)); err != nil {
			t.Errorf("docs/README.md lists %s, which does not exist", l)
		}
	}
}

// TestManifestPageNoRepeat: no sentence (or clause) of docs/manifest.md's
// prose appears twice, whatever its case and its links point at (it once repeated its
// introduction, with broken links).
func TestManifestPageNoRepeat(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "manifest.md"))
	if err != nil {
		t.Fatal(err)
	}
	var prose []string
	inFence := false
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			inFence = !inFence
			continue
		}
		if !inFence && !strings.HasPrefix(trimmed, "|") && !strings.HasPrefix(trimmed, "<!--") {
			prose = append(prose, trimmed)
		}
	}
	text := mdLink.ReplaceAllString(strings.Join(prose, " "), "]")
	seen := map[string]bool{}
	for _, sentence := range regexp.MustCompile(`[.;:] `).Split(text, -1) {
		key := strings.ToLower(strings.Join(strings.Fields(sentence), " "))
		if len(key) < 40 {
			continue
		}
		if seen[key] {
			t.Errorf("docs/manifest.md repeats %.80q", key)
		}
		seen[key] = true
	}
}
