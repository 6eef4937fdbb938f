// Package readme holds the test that runs README.md, so that the README
// cannot drift from what the code does. It has no non-test code.
//
// # Markers
//
// A fenced code block of README.md is checked when the line right before
// its opening fence is one of these HTML comments (GitHub does not render
// them):
//
//	<!-- run: SESSION -->          a shell block: run it in SESSION's shell
//	<!-- run: SESSION exit=N -->   ... whose last command exits with status N
//	<!-- output -->                what the run block before it prints
//	<!-- file: SESSION PATH -->    the content of file PATH, written in SESSION's shell
//	<!-- setup: SESSION -->        starts a server and exports its address
//	<!-- excerpt: FILE... -->      every code line is a line of one of FILEs
//
// A session is one bash shell, as a reader's terminal would be: its run
// and file blocks execute in README order, under set -e, with stdout and
// stderr merged, so a cd or an export carries over to its later blocks.
// The sessions:
//
//   - demo starts in a copy of the repository (the reader's clone: every
//     file but .git and bin/).
//   - service starts in an empty directory myservice next to that copy:
//     the "Use it in your service" section. It runs first, beside demo.
//   - any other session name (env, aws, vault, ...) is a backend
//     walkthrough: after service, each starts in a copy of the myservice
//     directory of its own (beside the clone), so the walkthroughs run the
//     service it built, in parallel, without seeing each other's files.
//
// The vault CLI is on the sessions' PATH (the directory of bin/vault).
//
// A run block fails the test when a command of it fails (the exit=N
// variant: when its last command does not exit with N), and when it has an
// output block and prints anything else. A run block without an output
// block may print anything. In the comparison, trailing spaces and trailing
// blank lines do not count, a line "..." in the README stands for any
// number of lines, and timing figures are masked on both sides: a number
// with the unit ns, µs, us or ms, a decimal number of seconds (0.012s) and
// go test's "(cached)".
//
// A setup block is not run: the test starts the same server from
// internal/testing/testenv on a free 127.0.0.1 port instead. Its lines may be
// comments, `make vault`, a server line (moto_server ... or vault server
// -dev ...) and export lines. The test exports the same variables with the
// same values, except the server's address and token (AWS_ENDPOINT_URL,
// VAULT_ADDR, VAULT_TOKEN), which are its own; in the output it replaces
// them with the values the README shows.
//
// An excerpt block is compared line by line, not run: each of its lines,
// with a trailing // comment and surrounding spaces removed, must be a line
// of one of the named files (paths in the repository, or SESSION:PATH for a
// file block of a session). Blank, comment and "..." lines are skipped.
//
// The sessions' environment is this process's PATH, HOME, locale and Go
// cache variables, nothing that configures secretsgen or a backend, and a
// go command that reaches the module proxy (GOPROXY as set, GOSUMDB=off;
// the test runs go mod download in the repository first, and a reader's
// go mod tidy also fetches the test dependencies of dependencies, which a
// fresh machine's module cache lacks). The test builds nothing twice:
// the go command runs with -trimpath, so its build cache serves the copies
// in temporary directories, and go run caches the executables it builds.
//
// TestREADME needs the servers: `go test -short` skips it; otherwise a
// missing moto_server, boto3 or bin/vault fails it, as in internal/testing/e2e.
// TestExcerpts and TestGoFilesFormatted (the Go files the README shows are
// gofmt-clean) run nothing and always run. TestRunnerReports feeds small
// READMEs with wrong outputs, wrong exit statuses and failing commands
// through the same code and requires each to be reported.
package readme
