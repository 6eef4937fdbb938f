package awssm

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/dashtam/secretsgen/runtime"
)

// unreachable reports whether err, an SDK error that is not an AWS API
// error, says that the endpoint could not be reached at all: its host does
// not resolve, the connection is refused or fails, or its TLS certificate
// is not trusted. Every other secret would fail the same way.
func unreachable(err error) bool {
	var (
		dns   *net.DNSError
		op    *net.OpError
		cert  *tls.CertificateVerificationError
		uauth x509.UnknownAuthorityError
	)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return errors.As(err, &dns) || errors.As(err, &op) || errors.As(err, &cert) || errors.As(err, &uauth)
}

// wideCause returns f's cause, in a *runtime.BackendError naming the
// endpoint and region when the failure is the endpoint's or the
// credentials' (f.wide), so that a LoadError states it once.
func (p *Provider) wideCause(f *fetch) error {
	if !f.wide {
		return f.cause
	}
	return &runtime.BackendError{Address: p.endpoint, Err: f.cause}
}

// endpointOf says what a client built by FromEnv talks to: the region,
// and the endpoint override with the variable that set it, or the region's
// public Secrets Manager endpoint. A user:password part of an endpoint URL
// is left out.
func endpointOf(o secretsmanager.Options) string {
	region := "region " + o.Region
	if o.BaseEndpoint == nil || *o.BaseEndpoint == "" {
		return region + ", endpoint https://secretsmanager." + o.Region + ".amazonaws.com, the default (AWS_ENDPOINT_URL is unset)"
	}
	ep := *o.BaseEndpoint
	if u, err := url.Parse(ep); err == nil {
		u.User = nil
		u.RawQuery, u.Fragment = "", ""
		ep = u.String()
	}
	from := ""
	switch {
	case os.Getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER") != "":
		from = " from AWS_ENDPOINT_URL_SECRETS_MANAGER"
	case os.Getenv("AWS_ENDPOINT_URL") != "":
		from = " from AWS_ENDPOINT_URL"
	}
	return region + ", endpoint " + ep + from
}
