package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/dashtam/secretsgen/internal/generator/alerts"
)

// runAlerts prints Prometheus alerting rules for the manifest's service:
// stale secrets, rejected rotations, callback panics, expiring leases and
// sustained throttling (docs/operations.md).
func runAlerts(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("alerts", flag.ContinueOnError)
	file := fs.String("manifest", "secrets.yaml", "the manifest `file`")
	envName := fs.String("env", "", "the environment `name` put in the alerts' env label, e.g. production; required")
	selector := fs.String("selector", "", "PromQL label `matchers` that pick this service's series, e.g. 'namespace=\"payments\", service=\"api\"' (default job=\"<app>\")")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *envName == "" {
		return usagef("alerts: -env is required, e.g. -env production")
	}
	m, err := loadManifest(*file)
	if err != nil {
		return err
	}
	out, err := alerts.Rules(m, *envName, &alerts.Options{Selector: *selector})
	switch {
	case errors.Is(err, alerts.ErrBadOption):
		return usageError{fmt.Errorf("alerts: %w", err)}
	case err != nil:
		return err
	}
	_, err = stdout.Write(out)
	return err
}
