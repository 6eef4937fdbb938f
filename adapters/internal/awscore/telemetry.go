package awscore

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"

	"github.com/dashtam/secretsgen/runtime"
)

// throttleCodes are the error codes the SDK treats as throttling (the
// table's ThrottlingException, TooManyRequestsException and
// RequestLimitExceeded among them), as awssm's strategy does.
var throttleCodes = retry.ThrottleErrorCode{Codes: retry.DefaultThrottleErrorCodes}

// Instrument adds to cfg's API options the middleware that records every
// request of a client built from cfg through tel (runtime.BackendTelemetry:
// secretsgen.backend.request.duration by operation and outcome,
// secretsgen.backend.throttled, the throttling events). A nil tel adds
// nothing: a client without telemetry runs no extra middleware.
//
// The middleware sits at the end of the finalize step, after the retry
// middleware, so each attempt is one request: a throttled attempt the SDK
// or the adapter retries counts as throttled, the retry as what it got.
// The operation is the API's name (GetSecretValue, BatchGetSecretValue,
// GetParameters, ...); the outcome is the error's kind by the service's
// code table (Service.Failed), throttled for a throttling code, canceled
// for a cancelled context. No name of a secret is recorded.
func Instrument(cfg *aws.Config, svc *Service, tel *runtime.BackendTelemetry) {
	if tel == nil {
		return
	}
	cfg.APIOptions = append(cfg.APIOptions, func(s *middleware.Stack) error {
		return s.Finalize.Add(requestMetrics{svc: svc, tel: tel}, middleware.After)
	})
}

// requestMetrics is the middleware Instrument adds.
type requestMetrics struct {
	svc *Service
	tel *runtime.BackendTelemetry
}

func (requestMetrics) ID() string { return "secretsgen.RequestMetrics" }

func (m requestMetrics) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	start := time.Now()
	out, md, err := next.HandleFinalize(ctx, in)
	op := middleware.GetOperationName(ctx)
	m.tel.Request(ctx, op, m.outcome(op, err), time.Since(start))
	return out, md, err
}

// outcome classifies a request's error.
func (m requestMetrics) outcome(op string, err error) runtime.Outcome {
	switch {
	case err == nil:
		return runtime.OutcomeOK
	case throttleCodes.IsErrorThrottle(err) == aws.TrueTernary:
		return runtime.OutcomeThrottled
	case errors.Is(err, context.Canceled):
		return runtime.OutcomeCanceled
	}
	return runtime.OutcomeOf(m.svc.Failed(op, err).Kind)
}
