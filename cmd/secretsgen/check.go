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
	"time"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/adapters/env"
	"github.com/dashtam/secretsgen/adapters/files"
	"github.com/dashtam/secretsgen/adapters/ssm"
	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/internal/generator/manifest"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// checkResult is one line of `secretsgen check`. It never holds a value.
type checkResult struct {
	Path   string `json:"path"`
	Type   string `json:"type"`
	Status string `json:"status"` // ok, missing, denied, invalid, unavailable
	// Layer is the backend that served the value ("env", "aws", ...), or
	// that failed; "default" when the manifest default was used, "" for
	// an optional secret that no layer has, and the whole list ("env,aws")
	// for a required one that every layer missed.
	Layer   string `json:"layer,omitempty"`
	Message string `json:"message,omitempty"`
}

// checkReport is the -json output of `secretsgen check`.
type checkReport struct {
	Backend     string        `json:"backend"` // SECRETS_BACKEND: one backend or the layers, "env,aws"
	Layers      []string      `json:"layers"`
	Environment string        `json:"environment"`
	OK          bool          `json:"ok"`
	Secrets     []checkResult `json:"secrets"`
}

// errChecksFailed makes check exit 1 after printing its report.
var errChecksFailed = errors.New("some secrets failed the check")

// defaultCheckTimeout is check's -timeout default.
const defaultCheckTimeout = 30 * time.Second

// runCheck loads every secret of the manifest through the backend, or the
// layers, the environment configures (as the generated NewProvider would)
// and reports each as ok, missing, denied, invalid or unavailable with the
// layer that served or failed it, never with a value. When stderr is a
// terminal it shows a progress line there while the backends answer.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	file := fs.String("manifest", "secrets.yaml", "the manifest `file`")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	timeout := fs.Duration("timeout", defaultCheckTimeout, "give up on the backends after this `duration` (building the providers and reading every secret); what has not answered by then is unavailable")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *timeout <= 0 {
		return usageError{fmt.Errorf("check: -timeout must be a positive duration, such as 30s")}
	}
	m, err := loadManifest(*file)
	if err != nil {
		return err
	}
	cfg, err := genimpl.ReadConfig(os.Getenv, m.Backends)
	if err != nil {
		return usageError{err}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	prog := newProgress(terminal(stderr), len(m.Secrets), cfg.Layers)
	defer prog.stop()
	p, err := newProvider(ctx, m, cfg, prog)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (-timeout %s)", err, *timeout)
		}
		return usageError{err}
	}
	defer p.Close()
	rep := check(ctx, m, p)
	prog.stop()
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
// (internal/backends; TestFromEnvCoversBackends holds the two together),
// called as the generated NewProvider calls it: env with EmptyIsUnset when
// it is one layer of several.
var fromEnv = map[string]func(ctx context.Context, app string, cfg genimpl.Config) (runtime.Provider, error){
	"env": func(ctx context.Context, _ string, cfg genimpl.Config) (runtime.Provider, error) {
		return env.FromEnvWith(ctx, &env.Options{EmptyIsUnset: cfg.Layered()})
	},
	"aws": func(ctx context.Context, app string, cfg genimpl.Config) (runtime.Provider, error) {
		return awssm.FromEnv(ctx, app, cfg.Environment)
	},
	"ssm": func(ctx context.Context, app string, cfg genimpl.Config) (runtime.Provider, error) {
		return ssm.FromEnv(ctx, app, cfg.Environment)
	},
	"files": func(ctx context.Context, _ string, _ genimpl.Config) (runtime.Provider, error) {
		return files.FromEnv(ctx)
	},
	"vault": func(ctx context.Context, app string, cfg genimpl.Config) (runtime.Provider, error) {
		return vault.FromEnv(ctx, app, cfg.Environment)
	},
}

// newProvider is the dynamic twin of the generated NewProvider: it builds
// the adapter, or the layers, cfg names for any manifest, always as
// *runtime.Layers (one layer for one backend) so that check can say which
// layer served each secret. Each layer reports to prog (nil: none).
func newProvider(ctx context.Context, m *manifest.Manifest, cfg genimpl.Config, prog *progress) (*runtime.Layers, error) {
	p, err := genimpl.Open(ctx, cfg, func(ctx context.Context, name string) (runtime.Provider, error) {
		f := fromEnv[name]
		if f == nil {
			return nil, nil
		}
		p, err := f(ctx, m.App, cfg)
		if err != nil {
			return nil, err
		}
		return prog.watch(p), nil
	})
	if err != nil {
		return nil, err
	}
	if l, ok := p.(*runtime.Layers); ok {
		return l, nil
	}
	return runtime.NewLayers(p)
}

// check fetches every secret with the same genimpl.Fetch and parsers Load
// uses, and classifies each path, naming the layer that served or failed
// it.
func check(ctx context.Context, m *manifest.Manifest, p *runtime.Layers) checkReport {
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
	rep := checkReport{Backend: p.Name(), Layers: p.Names(), OK: len(failed) == 0}
	for i, s := range m.Secrets {
		r := checkResult{Path: s.Path, Type: s.Type.String(), Status: "ok", Layer: p.Served(refs[i])}
		e := failed[s.Path]
		switch {
		case e != nil:
			r.Status, r.Message = status(e), e.Error()
			if r.Layer == "" { // a failed read: the layer that failed, or the list
				r.Layer = e.Backend
			}
		case r.Layer == "" && s.Default != nil:
			r.Layer = "default"
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
		layer := r.Layer
		if layer == "" {
			layer = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Status, r.Path, r.Type, layer, r.Message)
	}
	tw.Flush()
	for line := range strings.Lines(table.String()) {
		fmt.Fprintln(w, strings.TrimRight(line, " \n"))
	}
	fmt.Fprintf(w, "%d ok, %d missing, %d denied, %d invalid, %d unavailable\n",
		counts["ok"], counts["missing"], counts["denied"], counts["invalid"], counts["unavailable"])
}
