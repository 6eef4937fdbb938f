package awscore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"

	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dashtam/secretsgen/runtime"
)

// FromEnv is an adapter's FromEnv: it loads the configuration (loadConfig)
// and calls build, which makes the provider from it (the service's
// NewFromConfig, then New) and returns it with the client's endpoint
// override (its Options().BaseEndpoint, which the SDK resolves from
// AWS_ENDPOINT_URL, the service's own variable and the shared config).
// The provider's core then closes the client's connections on Close and
// names the region and endpoint in backend-wide failures. When ctx
// carries a runtime.Telemetry (runtime.WithTelemetry), the client records
// its requests through it (Instrument).
func FromEnv[P embedsCore](ctx context.Context, svc *Service, app, environment string, build func(aws.Config) (P, *string)) (P, error) {
	cfg, hc, err := loadConfig(ctx, svc.Package, app, environment, svc.ResponseLimit)
	if err != nil {
		var none P
		return none, err
	}
	Instrument(&cfg, svc, runtime.TelemetryFrom(ctx).Backend(svc.Backend))
	p, base := build(cfg)
	c := p.core()
	c.closeIdle = hc.CloseIdle
	c.endpoint = endpointOf(svc, cfg.Region, base)
	return p, nil
}

// embedsCore is a provider that embeds a Core: only such a type has the
// unexported method core.
type embedsCore interface{ core() *Core }

func (c *Core) core() *Core { return c }

// endpointOf says what a client built by FromEnv talks to: the region,
// and the endpoint override with the variable that set it, or the region's
// public endpoint of the service. A user:password part of an endpoint URL
// is left out.
func endpointOf(svc *Service, region string, base *string) string {
	where := "region " + region
	if base == nil || *base == "" {
		return where + ", endpoint https://" + svc.Host + "." + region + ".amazonaws.com, the default (AWS_ENDPOINT_URL is unset)"
	}
	ep := *base
	if u, err := url.Parse(ep); err == nil {
		u.User = nil
		u.RawQuery, u.Fragment = "", ""
		ep = u.String()
	}
	for _, v := range []string{svc.EndpointVar, "AWS_ENDPOINT_URL"} {
		if os.Getenv(v) != "" {
			return where + ", endpoint " + ep + " from " + v
		}
	}
	return where + ", endpoint " + ep
}

// loadConfig is what FromEnv does before it builds the client: it checks
// app (not empty) and environment (backends.CheckEnvironment), loads the
// SDK's default configuration chain, requires a region, and gives the
// configuration a BoundedClient that caps response bodies at limit.
// Messages start with "adapter: ". A configuration that does not load is
// described by configError, never by
// the contents of the shared config and credentials files.
//
// The configuration's Logger discards: the SDK's own log lines (the
// instance metadata client's "WARN falling back to IMDSv1", warnings about
// the shared files) would otherwise reach the service's stderr and that of
// secretsgen check, beside secretsgen's own value-free messages, with text
// this package has not vetted. Request and response logging stays off
// (ClientLogMode is not set).
func loadConfig(ctx context.Context, adapter, app, environment string, limit int64) (aws.Config, *BoundedClient, error) {
	if app == "" {
		return aws.Config{}, nil, errors.New(adapter + ": the app name must not be empty")
	}
	if err := backends.CheckEnvironment(environment); err != nil {
		return aws.Config{}, nil, fmt.Errorf("%s: %w (set ENVIRONMENT)", adapter, err)
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithLogger(logging.Nop{}))
	if err != nil {
		// Not wrapped: the SDK's text may quote the shared files' contents.
		return aws.Config{}, nil, fmt.Errorf("%s: load the AWS configuration (AWS_REGION, AWS_PROFILE, credentials): %s", adapter, configError(err))
	}
	if cfg.Region == "" {
		return aws.Config{}, nil, errors.New(adapter + ": no AWS region: set AWS_REGION or a region in the AWS_PROFILE profile")
	}
	hc := NewBoundedClient(cfg.HTTPClient, limit)
	cfg.HTTPClient = hc
	return cfg, hc, nil
}
