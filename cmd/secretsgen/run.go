package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one subcommand of secretsgen.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists the subcommands in the order usage shows them.
func commands() []command {
	return []command{
		{name: "generate", summary: "write the Go package for a manifest (the go:generate step)", run: runGenerate},
		{name: "check", summary: "load every secret through the configured backend and report each, never a value", run: runCheck},
		{name: "env-example", summary: "print a .env.example with every variable, its description and default", run: runEnvExample},
		{name: "docs", summary: "print a Markdown table of the secrets", run: runDocs},
		{name: "policy", summary: "print a least-privilege IAM (policy aws, policy ssm) or Vault (policy vault) policy: policy aws -env production", run: runPolicy},
		{name: "k8s", summary: "print an External Secrets Operator ExternalSecret: k8s external-secret -env production -store NAME", run: runK8s},
		{name: "alerts", summary: "print Prometheus alerting rules for the secrets' metrics: alerts -env production", run: runAlerts},
		{name: "version", summary: "print the version of secretsgen (also: secretsgen -version)", run: runVersion},
	}
}

// usageError is a usage or configuration error: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// run runs the command line args (without the program name). It prints
// every problem to stderr, one "secretsgen: " line each, and returns an
// error whose exitCode is the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, stdout, stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "secretsgen: %s\n", line)
		}
	}
	return err
}

// exitCode maps an error of run to the exit status: 0 for none (or -h), 2
// for a usage or configuration error, 1 for any other failure.
func exitCode(err error) int {
	var u usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &u):
		return 2
	}
	return 1
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return usagef("no command given")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return flag.ErrHelp
	case "-version", "--version":
		return runVersion(ctx, args[1:], stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	return usagef("unknown command %q; run 'secretsgen -h' for usage", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: secretsgen <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'secretsgen <command> -h' for a command's flags.")
}

// isHelp reports whether arg asks for help, as the flag package reads it.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "--h":
		return true
	}
	return false
}

// parseFlags parses args into fs. -h prints the command's flags to stdout
// and returns flag.ErrHelp; a bad flag or a positional argument is a
// usageError.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(stdout, "usage of secretsgen %s:\n", fs.Name())
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return flag.ErrHelp
	case err != nil:
		return usagef("%s: %v; run 'secretsgen %s -h' for usage", fs.Name(), err, fs.Name())
	case fs.NArg() > 0:
		return usagef("%s: unexpected argument %q; run 'secretsgen %s -h' for usage", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}
