package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/adapters/env"
	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/internal/manifest"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// checkResult is one line of `secretsgen check`. It never holds a value.
type checkResult struct {
	Path    string `json:"path"`
	Type    string `json:"type"`
	Status  string `json:"status"` // ok, missing, denied, invalid, unavailable
	Message string `json:"message,omitempty"`
}

// checkReport is the -json output of `secretsgen check`.
type checkReport struct {
	Backend     string        `json:"backend"`
	Environment string        `json:"environment"`
	OK          bool          `json:"ok"`
	Secrets     []checkResult `json:"secrets"`
}

// errChecksFailed makes check exit 1 after printing its report.
var errChecksFailed = errors.New("some secrets failed the check")

// runCheck loads every secret of the manifest through the backend the
// environment configures (as the generated NewProvider would) and reports
// each as ok, missing, denied, invalid or unavailable, never with a value.
func runCheck(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	file := fs.String("manifest", "secrets.yaml", "the manifest `file`")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	m, err := loadManifest(*file)
	if err != nil {
		return err
	}
	cfg, err := genimpl.ReadConfig(os.Getenv, m.Backends)
	if err != nil {
		return usageError{err}
	}
	p, err := newProvider(ctx, m, cfg)
	if err != nil {
		return usageError{err}
	}
	rep := check(ctx, m, p)
	rep.Environment = cfg.Environment
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printCheck(stdout, rep)
	}
	if !rep.OK {
		return errChecksFailed
	}
	return nil
}

// fromEnv holds the FromEnv constructor of each backend of the backend table
// (internal/backends; TestFromEnvCoversBackends holds the two together).
var fromEnv = map[string]func(ctx context.Context, app, environment string) (runtime.Provider, error){
	"env":   func(ctx context.Context, _, _ string) (runtime.Provider, error) { return env.FromEnv(ctx) },
	"aws":   func(ctx context.Context, app, e string) (runtime.Provider, error) { return awssm.FromEnv(ctx, app, e) },
	"vault": func(ctx context.Context, app, e string) (runtime.Provider, error) { return vault.FromEnv(ctx, app, e) },
}

// newProvider is the dynamic twin of the generated NewProvider: it builds
// the adapter cfg.Backend names for any manifest.
func newProvider(ctx context.Context, m *manifest.Manifest, cfg genimpl.Config) (runtime.Provider, error) {
	if f := fromEnv[cfg.Backend]; f != nil {
		return f(ctx, m.App, cfg.Environment)
	}
	return nil, fmt.Errorf("SECRETS_BACKEND=%q is not a backend of secretsgen", cfg.Backend)
}

// check fetches every secret with the same genimpl.Fetch and parsers Load
// uses, and classifies each path.
func check(ctx context.Context, m *manifest.Manifest, p runtime.Provider) checkReport {
	refs := make([]runtime.Ref, len(m.Secrets))
	for i, s := range m.Secrets {
		refs[i] = s.Ref()
	}
	l := genimpl.Fetch(ctx, p, refs)
	for i, s := range m.Secrets {
		parse := func(text string) (struct{}, error) { return struct{}{}, s.Check(text) }
		switch { // as generated Load reads each field
		case s.Default != nil:
			genimpl.Default(l, i, parse, *s.Default)
		case s.Optional:
			genimpl.Optional(l, i, parse)
		default:
			genimpl.Field(l, i, parse)
		}
	}
	failed := map[string]*runtime.SecretError{}
	var le *runtime.LoadError
	if errors.As(l.Err(), &le) {
		for _, e := range le.Errors {
			failed[e.Path] = e
		}
	}
	rep := checkReport{Backend: p.Name(), OK: len(failed) == 0}
	for _, s := range m.Secrets {
		r := checkResult{Path: s.Path, Type: s.Type.String(), Status: "ok"}
		if e := failed[s.Path]; e != nil {
			r.Status, r.Message = status(e), e.Error()
		}
		rep.Secrets = append(rep.Secrets, r)
	}
	return rep
}

func status(e *runtime.SecretError) string {
	switch {
	case errors.Is(e, runtime.ErrNotFound):
		return "missing"
	case errors.Is(e, runtime.ErrAccessDenied):
		return "denied"
	case errors.Is(e, runtime.ErrInvalidValue):
		return "invalid"
	}
	return "unavailable"
}

func printCheck(w io.Writer, rep checkReport) {
	fmt.Fprintf(w, "backend %s, environment %s\n", rep.Backend, rep.Environment)
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	counts := map[string]int{}
	for _, r := range rep.Secrets {
		counts[r.Status]++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Status, r.Path, r.Type, r.Message)
	}
	tw.Flush()
	for line := range strings.Lines(table.String()) {
		fmt.Fprintln(w, strings.TrimRight(line, " \n"))
	}
	fmt.Fprintf(w, "%d ok, %d missing, %d denied, %d invalid, %d unavailable\n",
		counts["ok"], counts["missing"], counts["denied"], counts["invalid"], counts["unavailable"])
}
