package readme

import (
	"fmt"
	"go/format"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dashtam/secretsgen/internal/testing/testenv"
)

// The sessions with a fixed role (see the package documentation).
const (
	demoSession    = "demo"
	serviceSession = "service"
	serviceDir     = "myservice"
	cloneDir       = "secretsgen"
)

// repoRoot is the repository's root directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// readme parses the repository's README.md.
func readme(t testing.TB) (src string, blocks []*block) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err = parse(string(data))
	if err != nil {
		t.Fatal(err)
	}
	return string(data), blocks
}

// sessions groups the run, file and setup blocks by session, in README
// order, and returns the session names in order of first appearance.
func sessions(blocks []*block) (names []string, by map[string][]*block) {
	by = map[string][]*block{}
	for _, b := range blocks {
		s := b.session()
		if s == "" {
			continue
		}
		if by[s] == nil {
			names = append(names, s)
		}
		by[s] = append(by[s], b)
	}
	return names, by
}

// TestExcerpts checks every excerpt block against the files it names.
// It runs nothing, so it runs under -short too.
func TestExcerpts(t *testing.T) {
	_, blocks := readme(t)
	root := repoRoot(t)
	fileBlocks := map[string]string{} // "session:path" -> content
	for _, b := range blocks {
		if b.kind == "file" {
			fileBlocks[b.args[0]+":"+b.args[1]] += b.text
		}
	}
	n := 0
	for _, b := range blocks {
		if b.kind != "excerpt" {
			continue
		}
		n++
		var files []string
		for _, name := range b.args {
			if text, ok := fileBlocks[name]; ok {
				files = append(files, text)
				continue
			}
			matches, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(name)))
			if err != nil || len(matches) == 0 {
				t.Errorf("README.md:%d: excerpt names %q: no such file in the repository and no file block SESSION:PATH", b.line, name)
				continue
			}
			for _, m := range matches {
				data, err := os.ReadFile(m)
				if err != nil {
					t.Fatal(err)
				}
				files = append(files, string(data))
			}
		}
		if missing := missingLines(b.text, files); len(missing) > 0 {
			t.Errorf("README.md:%d: excerpt lines found in none of %s:\n\t%s", b.line, strings.Join(b.args, ", "), strings.Join(missing, "\n\t"))
		}
	}
	t.Logf("%d excerpt blocks", n)
}

// TestGoFilesFormatted: the Go files the README shows are gofmt-clean, as
// a reader's editor would leave them.
func TestGoFilesFormatted(t *testing.T) {
	_, blocks := readme(t)
	for _, b := range blocks {
		if b.kind != "file" || !strings.HasSuffix(b.args[1], ".go") {
			continue
		}
		formatted, err := format.Source([]byte(b.text))
		if err != nil {
			t.Errorf("README.md:%d: %s does not parse: %v", b.line, b.args[1], err)
			continue
		}
		if diff := cmp.Diff(strings.Split(b.text, "\n"), strings.Split(string(formatted), "\n")); diff != "" {
			t.Errorf("README.md:%d: %s is not gofmt-clean (-README +gofmt):\n%s", b.line, b.args[1], diff)
		}
	}
}

// TestREADME runs every run block of README.md in its session and
// compares what it prints with the output block after it.
func TestREADME(t *testing.T) {
	testenv.SkipIfShort(t, "moto_server and Vault (nor building the README's module)")
	_, blocks := readme(t)
	names, by := sessions(blocks)
	for _, want := range []string{demoSession, serviceSession} {
		if by[want] == nil {
			t.Fatalf("README.md has no block of session %q", want)
		}
	}

	// The module cache holds every module of this repository's go.mod
	// before the sessions start (what a reader's first build downloads);
	// the sessions' go mod tidy may fetch more from the module proxy.
	download := exec.CommandContext(t.Context(), "go", "mod", "download")
	download.Dir = repoRoot(t)
	if out, err := download.CombinedOutput(); err != nil {
		t.Fatalf("go mod download: %v\n%s", err, out)
	}

	root := t.TempDir()
	clone := filepath.Join(root, cloneDir)
	copyTree(t, repoRoot(t), clone)
	svc := filepath.Join(root, serviceDir)
	if err := os.Mkdir(svc, 0o755); err != nil {
		t.Fatal(err)
	}
	// The vault CLI on PATH, as the Vault walkthrough asks.
	vaultBin, err := testenv.VaultBinary()
	if err != nil {
		t.Fatal(err)
	}
	env := baseEnv()
	for i, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			env[i] = "PATH=" + filepath.Dir(vaultBin) + string(os.PathListSeparator) + p
		}
	}

	var mu sync.Mutex
	var all []*blockResult
	runSession := func(t *testing.T, name, dir string) bool {
		runs := runSessionBlocks(t, by[name], dir, env)
		mu.Lock()
		all = append(all, runs...)
		mu.Unlock()
		ps := problems(runs)
		for _, p := range ps {
			t.Error(p)
		}
		t.Logf("session %s: %d run blocks", name, len(runs))
		return len(ps) == 0
	}

	serviceOK := false
	t.Run("first", func(t *testing.T) {
		t.Run(demoSession, func(t *testing.T) {
			t.Parallel()
			runSession(t, demoSession, clone)
		})
		t.Run(serviceSession, func(t *testing.T) {
			t.Parallel()
			serviceOK = runSession(t, serviceSession, svc)
		})
	})
	t.Run("backends", func(t *testing.T) {
		if !serviceOK {
			t.Skip("the service session failed; the backend walkthroughs run its module")
		}
		for _, name := range names {
			if name == demoSession || name == serviceSession {
				continue
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				// A copy of its own beside the clone, so that the
				// replace ../secretsgen holds and no session sees
				// another's .env or files.
				dir := filepath.Join(root, serviceDir+"-"+name)
				copyTree(t, svc, dir)
				runSession(t, name, dir)
			})
		}
	})

	// The test can fail: a wrong expected output of a block that passed
	// must be reported.
	t.Run("wrong-output-fails", func(t *testing.T) {
		for _, r := range all {
			if r.b.output == nil || !r.done || len(problems([]*blockResult{r})) > 0 {
				continue
			}
			wrong := *r.b
			out := *r.b.output
			out.text = "a line no command prints\n" + out.text
			wrong.output = &out
			if len(problems([]*blockResult{{b: &wrong, output: r.output, status: r.status, ran: true, done: true}})) == 0 {
				t.Errorf("README.md:%d: a wrong expected output was not reported", r.b.line)
			}
			return
		}
		t.Fatal("no run block with an output passed; nothing to mutate")
	})
}

// runSessionBlocks starts the servers a session's setup blocks ask for and
// runs its blocks in dir.
func runSessionBlocks(t *testing.T, blocks []*block, dir string, env []string) []*blockResult {
	t.Helper()
	var s servers
	for _, b := range blocks {
		if b.kind == "setup" {
			if err := parseSetup(b, &s); err != nil {
				t.Fatal(err)
			}
		}
	}
	replace := map[string]string{}
	exports := slices.Clone(s.exports)
	set := func(name, actual string) {
		for i, kv := range exports {
			if kv[0] == name {
				replace[actual] = kv[1]
				exports[i][1] = actual
				return
			}
		}
		t.Fatalf("the session's setup block starts a server but does not export %s", name)
	}
	if s.moto {
		m := testenv.StartMoto(t)
		set("AWS_ENDPOINT_URL", m.Endpoint())
	}
	if s.vault {
		v := testenv.StartVault(t)
		set("VAULT_ADDR", v.Addr())
		set("VAULT_TOKEN", v.RootToken())
	}
	runs, err := runScript(t.Context(), blocks, exports, dir, env, replace)
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// copyTree copies the directory src to dst; for the repository, as a
// reader's clone would hold it: without .git and bin/, which is not
// committed.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() && rel != "." && (strings.HasPrefix(d.Name(), ".") && d.Name() != ".ci" || rel == "bin") {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() || d.Name() == ".git" {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return copyFile(p, target, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copy the repository: %v", err)
	}
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}
