package awssdk

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"

	"github.com/dashtam/secretsgen/internal/backends"
)

// LoadConfig is what an adapter's FromEnv does before it builds its
// client: it checks app (not empty) and environment
// (backends.CheckEnvironment), loads the SDK's default configuration chain,
// requires a region, and gives the configuration a BoundedClient that caps
// response bodies at limit. Messages start with "adapter: ". A
// configuration that does not load is described by ConfigError, never by
// the contents of the shared config and credentials files.
//
// The configuration's Logger discards: the SDK's own log lines (the
// instance metadata client's "WARN falling back to IMDSv1", warnings about
// the shared files) would otherwise reach the service's stderr and that of
// secretsgen check, beside secretsgen's own value-free messages, with text
// this package has not vetted. Request and response logging stays off
// (ClientLogMode is not set).
func LoadConfig(ctx context.Context, adapter, app, environment string, limit int64) (aws.Config, *BoundedClient, error) {
	if app == "" {
		return aws.Config{}, nil, errors.New(adapter + ": the app name must not be empty")
	}
	if err := backends.CheckEnvironment(environment); err != nil {
		return aws.Config{}, nil, fmt.Errorf("%s: %w (set ENVIRONMENT)", adapter, err)
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithLogger(logging.Nop{}))
	if err != nil {
		// Not wrapped: the SDK's text may quote the shared files' contents.
		return aws.Config{}, nil, fmt.Errorf("%s: load the AWS configuration (AWS_REGION, AWS_PROFILE, credentials): %s", adapter, ConfigError(err))
	}
	if cfg.Region == "" {
		return aws.Config{}, nil, errors.New(adapter + ": no AWS region: set AWS_REGION or a region in the AWS_PROFILE profile")
	}
	hc := NewBoundedClient(cfg.HTTPClient, limit)
	cfg.HTTPClient = hc
	return cfg, hc, nil
}
