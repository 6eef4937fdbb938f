package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/dashtam/secretsgen/internal/generator/docs"
	"github.com/dashtam/secretsgen/internal/generator/manifest"
	"github.com/dashtam/secretsgen/internal/generator/policy"
)

// loadManifest parses the -manifest flag of the commands that use a manifest
// rather than generate from it (check, docs, env-example, policy): for them a
// bad manifest is a configuration error (exit 2).
func loadManifest(file string) (*manifest.Manifest, error) {
	m, err := manifest.Load(file)
	if err != nil {
		return nil, usageError{err}
	}
	return m, nil
}

// runEnvExample prints a .env.example with every variable, its description
// and default.
func runEnvExample(_ context.Context, args []string, stdout, _ io.Writer) error {
	return printManifest("env-example", docs.EnvExample, args, stdout)
}

// runDocs prints a Markdown table of the secrets.
func runDocs(_ context.Context, args []string, stdout, _ io.Writer) error {
	return printManifest("docs", docs.Markdown, args, stdout)
}

// printManifest is a command that takes only -manifest and prints what
// render makes of the manifest.
func printManifest(name string, render func(*manifest.Manifest) []byte, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	file := fs.String("manifest", "secrets.yaml", "the manifest `file`")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	m, err := loadManifest(*file)
	if err != nil {
		return err
	}
	_, err = stdout.Write(render(m))
	return err
}

// policyUsage is the usage line of the policy command.
const policyUsage = "policy aws|ssm|vault -env NAME [-manifest secrets.yaml] [-mount secret]"

// policyFlags are the flags of "policy backend".
func policyFlags(backend string) (fs *flag.FlagSet, file, envName, mount *string) {
	fs = flag.NewFlagSet("policy "+backend, flag.ContinueOnError)
	file = fs.String("manifest", "secrets.yaml", "the manifest `file`")
	envName = fs.String("env", "", "the environment `name` (the {environment} segment), e.g. production; required")
	mount = fs.String("mount", "secret", "the Vault KV v2 `mount` (vault only)")
	return fs, file, envName, mount
}

// runPolicy prints a least-privilege IAM policy (aws) or Vault policy
// (vault) for exactly the manifest's secrets in one environment.
func runPolicy(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		fs, _, _, _ := policyFlags("aws|ssm|vault")
		fmt.Fprintf(stdout, "usage: secretsgen %s\n\nflags:\n", policyUsage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return flag.ErrHelp
	}
	if len(args) == 0 || (args[0] != "aws" && args[0] != "ssm" && args[0] != "vault") {
		return usagef("policy: want '%s'; run 'secretsgen policy -h' for usage", policyUsage)
	}
	backend := args[0]
	fs, file, envName, mount := policyFlags(backend)
	if err := parseFlags(fs, args[1:], stdout); err != nil {
		return err
	}
	if *envName == "" {
		return usagef("policy %s: -env is required, e.g. -env production", backend)
	}
	m, err := loadManifest(*file)
	if err != nil {
		return err
	}
	if !slices.Contains(m.Backends, backend) {
		fmt.Fprintf(stderr, "secretsgen: warning: the manifest %s does not list %s in backends: [%s], so the generated code cannot read from %s; add it to backends: (and regenerate) before granting this policy\n",
			*file, backend, strings.Join(m.Backends, ", "), backend)
	}
	var out []byte
	switch backend {
	case "aws":
		out, err = policy.AWS(m, *envName)
	case "ssm":
		out, err = policy.SSM(m, *envName)
	default:
		out, err = policy.Vault(m, *envName, *mount)
	}
	if err != nil {
		return usageError{err}
	}
	_, err = stdout.Write(out)
	return err
}
