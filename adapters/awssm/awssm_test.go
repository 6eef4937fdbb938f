package awssm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/internal/testing/awstest"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
	"github.com/dashtam/secretsgen/runtime/providertest"
)

// harness runs the conformance suite against a moto server.
type harness struct {
	client *secretsmanager.Client
}

func (h *harness) Provider(context.Context, *testing.T) runtime.Provider {
	return awssm.New(h.client, testApp, testEnv, nil)
}

func (h *harness) Set(ctx context.Context, t *testing.T, path, text string) {
	t.Helper()
	if text == "" {
		// The API's SecretString and SecretBinary have a minimum length of
		// 1: an empty secret cannot exist in Secrets Manager (moto stores a
		// secret without a version, which reads as not found).
		t.Skip("AWS Secrets Manager cannot store an empty secret value")
	}
	putSecret(ctx, t, h.client, secretID(path), text)
}

func (h *harness) Ref(path string) runtime.Ref { return runtime.Ref{Path: path, Type: "string"} }

func TestConformance(t *testing.T) {
	providertest.RunConformanceTests(t, func(t *testing.T) providertest.Harness {
		return &harness{client: newClient(testenv.SharedMoto(t).Endpoint(), awstest.ClientOptions{})}
	})
}

// TestTypes stores every manifest type in its backend form in moto and
// loads it the way generated code does (Fetch, then Field).
func TestTypes(t *testing.T) {
	ctx := t.Context()
	client := newClient(testenv.SharedMoto(t).Endpoint(), awstest.ClientOptions{})
	raw := []byte{0, 1, 2, 0xfe, 0xff, 'x'}
	tests := []struct {
		path   string
		typ    string
		text   string // stored as SecretString unless binary is set
		binary []byte // stored as SecretBinary
		parse  func(string) (any, error)
		want   any
	}{
		{path: "t/string", typ: "string", text: "hello world", parse: awstest.ParseAs(genimpl.ParseString), want: "hello world"},
		{path: "t/int", typ: "int", text: "42", parse: awstest.ParseAs(genimpl.ParseInt), want: 42},
		{path: "t/int64", typ: "int64", text: "-9007199254740993", parse: awstest.ParseAs(genimpl.ParseInt64), want: int64(-9007199254740993)},
		{path: "t/float64", typ: "float64", text: "2.5", parse: awstest.ParseAs(genimpl.ParseFloat64), want: 2.5},
		{path: "t/bool", typ: "bool", text: "true", parse: awstest.ParseAs(genimpl.ParseBool), want: true},
		{path: "t/duration", typ: "duration", text: "1m30s", parse: awstest.ParseAs(genimpl.ParseDuration), want: 90 * time.Second},
		{path: "t/url", typ: "url", text: "https://api.example.com:8443/v1?x=1", parse: awstest.ParseAs(func(s string) (string, error) {
			u, err := genimpl.ParseURL(s)
			if err != nil {
				return "", err
			}
			return u.Scheme + "|" + u.Host + "|" + u.Path + "|" + u.RawQuery, nil
		}), want: "https|api.example.com:8443|/v1|x=1"},
		{path: "t/bytes-binary", typ: "bytes", binary: raw, parse: awstest.ParseAs(genimpl.ParseBytes), want: raw},
		{path: "t/bytes-string", typ: "bytes", text: "AAEC/v94", parse: awstest.ParseAs(genimpl.ParseBytes), want: raw},
		{path: "t/time", typ: "time", text: "2026-03-01T12:30:00Z", parse: awstest.ParseAs(genimpl.ParseTime), want: time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)},
		{path: "t/enum", typ: "enum", text: "blue", parse: awstest.ParseAs(genimpl.ParseEnum[awstest.Color]("red", "blue")), want: awstest.Color("blue")},
		{path: "t/json", typ: "json", text: `{"username":"app","password":"p\"w","port":5432}`, parse: awstest.ParseCredentials, want: awstest.DBCredentials{Username: "app", Password: `p"w`, Port: 5432}},
		{path: "t/list-json", typ: "[]string", text: `["a","b c"]`, parse: awstest.ParseAs(genimpl.ParseList(genimpl.ParseString)), want: []string{"a", "b c"}},
		{path: "t/list-comma", typ: "[]string", text: "a, b ,c", parse: awstest.ParseAs(genimpl.ParseList(genimpl.ParseString)), want: []string{"a", "b", "c"}},
		{path: "t/list-int", typ: "[]int", text: "[1,2,3]", parse: awstest.ParseAs(genimpl.ParseList(genimpl.ParseInt)), want: []int{1, 2, 3}},
		{path: "t/map", typ: "map[string]int", text: `{"a":1,"b":"2"}`, parse: awstest.ParseAs(genimpl.ParseMap(genimpl.ParseInt)), want: map[string]int{"a": 1, "b": 2}},
	}
	refs := make([]runtime.Ref, len(tests))
	for i, tc := range tests {
		if tc.binary != nil {
			putBinary(ctx, t, client, secretID(tc.path), tc.binary)
		} else {
			putSecret(ctx, t, client, secretID(tc.path), tc.text)
		}
		refs[i] = runtime.Ref{Path: tc.path, Type: tc.typ}
	}
	p := awssm.New(client, testApp, testEnv, nil)
	parsers := make([]func(string) (any, error), len(tests))
	wants := make([]any, len(tests))
	for i, tc := range tests {
		parsers[i], wants[i] = tc.parse, tc.want
	}
	// Then Get reads the same values one at a time, with the version number.
	awstest.CheckTypes(t, ctx, p, refs, parsers, wants, func(v string) string {
		if v == "" {
			return "empty Version, want the VersionId"
		}
		return ""
	})
}

// TestBinaryAsText checks that a text entry accepts a SecretBinary holding
// UTF-8 text and rejects one that is not.
func TestBinaryAsText(t *testing.T) {
	ctx := t.Context()
	client := newClient(testenv.SharedMoto(t).Endpoint(), awstest.ClientOptions{})
	putBinary(ctx, t, client, secretID("bin/text"), []byte("plain text"))
	putBinary(ctx, t, client, secretID("bin/raw"), []byte{0xff, 0xfe, 0})
	p := awssm.New(client, testApp, testEnv, nil)
	res := p.GetMany(ctx, []runtime.Ref{{Path: "bin/text", Type: "string"}, {Path: "bin/raw", Type: "string"}})
	if res[0].Err != nil || res[0].Value.Text != "plain text" {
		t.Errorf("bin/text: got %q, %v; want the binary's text", res[0].Value.Text, res[0].Err)
	}
	if !errors.Is(res[1].Err, runtime.ErrInvalidValue) || !strings.Contains(fmt.Sprint(res[1].Err), "not UTF-8") {
		t.Errorf("bin/raw: error %v, want an invalid value saying it is not UTF-8 text", res[1].Err)
	}
}

// TestJSONKeyAndSharedSource reads several members of one JSON secret: the
// secret is fetched once, each member comes out as text, and a missing key
// or a secret that is not a JSON object is an invalid value naming the key
// and the secret id.
func TestJSONKeyAndSharedSource(t *testing.T) {
	ctx := t.Context()
	calls := &awstest.Counter{}
	client := newClient(testenv.SharedMoto(t).Endpoint(), awstest.ClientOptions{Counter: calls})
	putSecret(ctx, t, client, secretID("mail/smtp"),
		`{"host":"smtp.example.com","port":587,"password":"p\"w \u00e4","tls":true,"ratio":1.5e3,"tags":["a","b"],"nested":{"a": 1},"unset":null}`)
	putSecret(ctx, t, client, secretID("plain"), "not json at all")

	src := func(path, key string) runtime.Ref {
		return runtime.Ref{Path: path, Source: "mail/smtp", Key: key, Type: "string"}
	}
	tests := []awstest.Want{
		{Ref: src("mail/host", "host"), Text: "smtp.example.com"},
		{Ref: src("mail/port", "port"), Text: "587"},
		{Ref: src("mail/password", "password"), Text: `p"w ä`},
		{Ref: src("mail/tls", "tls"), Text: "true"},
		{Ref: src("mail/ratio", "ratio"), Text: "1.5e3"},
		{Ref: src("mail/tags", "tags"), Text: `["a","b"]`},
		{Ref: src("mail/nested", "nested"), Text: `{"a": 1}`},
		{Ref: src("mail/user", "username"), Kind: runtime.ErrInvalidValue,
			Msg: []string{"mail/user", `key "username" is missing`, "/dashtam/test/mail/smtp#username"}},
		{Ref: src("mail/unset", "unset"), Kind: runtime.ErrInvalidValue,
			Msg: []string{"mail/unset", `key "unset" is null`, "/dashtam/test/mail/smtp#unset"}},
		{Ref: runtime.Ref{Path: "plain/key", Source: "plain", Key: "k"}, Kind: runtime.ErrInvalidValue,
			Msg: []string{"plain/key", "not a JSON object", `key "k"`, "/dashtam/test/plain#k"}},
	}
	refs := awstest.Refs(tests)
	p := awssm.New(client, testApp, testEnv, nil)
	res := runtime.GetMany(ctx, p, refs) // runtime names the path and the secret id
	awstest.CheckResults(t, tests, res)
	// Two secrets, one batch: every entry sharing mail/smtp used one fetch.
	if b, g := calls.Get("BatchGetSecretValue"), calls.Get("GetSecretValue"); b != 1 || g != 0 {
		t.Errorf("API calls: %d BatchGetSecretValue, %d GetSecretValue; want 1 and 0", b, g)
	}

	// Get reads a member too.
	v, err := p.Get(ctx, src("mail/password", "password"))
	if err != nil || v.Text != `p"w ä` {
		t.Errorf("Get(mail/password): %q, %v", v.Text, err)
	}
	// A null member is never the text "null", by Get as by GetMany.
	v, err = p.Get(ctx, src("mail/unset", "unset"))
	if !errors.Is(err, runtime.ErrInvalidValue) || v.Text != "" || !strings.Contains(fmt.Sprint(err), `key "unset" is null`) {
		t.Errorf("Get(mail/unset): %q, %v; want an invalid value saying the key is null", v.Text, err)
	}
}

// TestVersionPin pins stages (AWSCURRENT, AWSPREVIOUS, a custom label) and
// version ids. Pinned versions are read with GetSecretValue; AWSCURRENT
// joins the batch of unpinned reads.
func TestVersionPin(t *testing.T) {
	ctx := t.Context()
	calls := &awstest.Counter{}
	client := newClient(testenv.SharedMoto(t).Endpoint(), awstest.ClientOptions{Counter: calls})
	id := secretID("api/key")
	v1 := putSecret(ctx, t, client, id, "one")
	v2 := putSecret(ctx, t, client, id, "two")
	if _, err := client.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String(id), VersionStage: aws.String("blue"), MoveToVersionId: aws.String(v1),
	}); err != nil {
		t.Fatalf("UpdateSecretVersionStage: %v", err)
	}
	ref := func(version string) runtime.Ref {
		return runtime.Ref{Path: "api/key", Version: version, Type: "string"}
	}
	tests := []struct {
		version     string
		text, vid   string
		notFound    bool
		wantWhereAt bool
	}{
		{version: "", text: "two", vid: v2},
		{version: "AWSCURRENT", text: "two", vid: v2},
		{version: "AWSPREVIOUS", text: "one", vid: v1},
		{version: "blue", text: "one", vid: v1},
		{version: v1, text: "one", vid: v1},
		{version: "green", notFound: true},
		{version: "00000000-0000-4000-8000-000000000000", notFound: true},
	}
	refs := make([]runtime.Ref, len(tests))
	for i, tc := range tests {
		refs[i] = ref(tc.version)
	}
	p := awssm.New(client, testApp, testEnv, nil)
	res := runtime.GetMany(ctx, p, refs) // runtime names the secret id
	for i, tc := range tests {
		if tc.notFound {
			if !errors.Is(res[i].Err, runtime.ErrNotFound) {
				t.Errorf("version %q: error %v, want not found", tc.version, res[i].Err)
			} else if msg := res[i].Err.Error(); !strings.Contains(msg, id+"@"+tc.version) || !strings.Contains(msg, "pinned version") {
				t.Errorf("version %q: error %q does not name %s@%s and the pinned version", tc.version, msg, id, tc.version)
			}
			continue
		}
		if res[i].Err != nil || res[i].Value.Text != tc.text || res[i].Value.Version != tc.vid {
			t.Errorf("version %q: got %q (version %s), %v; want %q (version %s)",
				tc.version, res[i].Value.Text, res[i].Value.Version, res[i].Err, tc.text, tc.vid)
		}
	}
	// "" and AWSCURRENT: one batch; the other five: one GetSecretValue each.
	if b, g := calls.Get("BatchGetSecretValue"), calls.Get("GetSecretValue"); b != 1 || g != 5 {
		t.Errorf("API calls: %d BatchGetSecretValue, %d GetSecretValue; want 1 and 5", b, g)
	}

	// Get honours the pin too.
	v, err := p.Get(ctx, ref("AWSPREVIOUS"))
	if err != nil || v.Text != "one" || v.Version != v1 {
		t.Errorf("Get(AWSPREVIOUS) = %q (version %s), %v; want %q (version %s)", v.Text, v.Version, err, "one", v1)
	}
}

// TestGetMany45 loads 45 secrets, one of them missing, in one Load: three
// batches of at most 20, and only the missing path fails.
func TestGetMany45(t *testing.T) {
	ctx := t.Context()
	calls := &awstest.Counter{}
	client := newClient(testenv.SharedMoto(t).Endpoint(), awstest.ClientOptions{Counter: calls})
	const n, missing = 45, 31
	refs := make([]runtime.Ref, n)
	for i := range refs {
		refs[i] = runtime.Ref{Path: fmt.Sprintf("bulk/s%02d", i), Type: "int"}
		if i != missing {
			putSecret(ctx, t, client, secretID(refs[i].Path), fmt.Sprint(i*7))
		}
	}
	calls.Reset()

	p := awssm.New(client, testApp, testEnv, nil)
	if e := awstest.LoadOneMissing(t, ctx, p, refs, missing); e.Backend != "aws" || e.Where != secretID(refs[missing].Path) {
		t.Errorf("not-found error has Backend %q, Where %q; want aws, %s", e.Backend, e.Where, secretID(refs[missing].Path))
	}
	if b, g := calls.Get("BatchGetSecretValue"), calls.Get("GetSecretValue"); b != 3 || g != 0 {
		t.Errorf("API calls: %d BatchGetSecretValue, %d GetSecretValue; want 3 and 0", b, g)
	}
	if calls.MaxBatch() > awssm.MaxBatchSize {
		t.Errorf("a BatchGetSecretValue call sent %d ids, more than %d", calls.MaxBatch(), awssm.MaxBatchSize)
	}

	// A smaller BatchSize makes more, smaller batches.
	calls.Reset()
	small := awssm.New(client, testApp, testEnv, &awssm.Options{BatchSize: 7, MaxConcurrency: 2})
	for i, r := range small.GetMany(ctx, refs) {
		if (i == missing) != (r.Err != nil) {
			t.Errorf("BatchSize 7: %s: error %v", refs[i].Path, r.Err)
		}
	}
	if b := calls.Get("BatchGetSecretValue"); b != 7 || calls.MaxBatch() != 7 {
		t.Errorf("BatchSize 7: %d batches of at most %d ids; want 7 of at most 7", b, calls.MaxBatch())
	}
}

// TestDeletedSecretIsNotFound: Secrets Manager answers a secret scheduled
// for deletion with InvalidRequestException; it is reported as not found,
// both from a batch entry and from GetSecretValue.
func TestDeletedSecretIsNotFound(t *testing.T) {
	ctx := t.Context()
	client := newClient(testenv.SharedMoto(t).Endpoint(), awstest.ClientOptions{})
	putSecret(ctx, t, client, secretID("old/key"), "x")
	putSecret(ctx, t, client, secretID("new/key"), "y")
	if _, err := client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(secretID("old/key"))}); err != nil {
		t.Fatalf("DeleteSecret: %v", err)
	}
	p := awssm.New(client, testApp, testEnv, nil)
	refs := []runtime.Ref{{Path: "old/key"}, {Path: "new/key"}}
	res := p.GetMany(ctx, refs)
	_, getErr := p.Get(ctx, refs[0])
	for name, err := range map[string]error{"GetMany": res[0].Err, "Get": getErr} {
		if !errors.Is(err, runtime.ErrNotFound) {
			t.Errorf("%s of a deleted secret: error %v, want not found", name, err)
		}
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidRequestException" {
			t.Errorf("%s of a deleted secret: error %v does not carry the API error code", name, err)
		}
	}
	if res[1].Err != nil || res[1].Value.Text != "y" {
		t.Errorf("new/key beside a deleted secret: %q, %v", res[1].Value.Text, res[1].Err)
	}
}

// TestRotationAfterRefresh: a value rotated with PutSecretValue is served
// from the cache until Refresh, and seen after it.
func TestRotationAfterRefresh(t *testing.T) {
	ctx := t.Context()
	client := newClient(testenv.SharedMoto(t).Endpoint(), awstest.ClientOptions{})
	putSecret(ctx, t, client, secretID("db/password"), "old-password")
	putSecret(ctx, t, client, secretID("db/user"), "app")
	refs := []runtime.Ref{{Path: "db/password", Type: "string"}, {Path: "db/user", Type: "string"}}
	cache := runtime.NewCache(awssm.New(client, testApp, testEnv, nil), nil)
	load := func() string {
		l := genimpl.Fetch(ctx, cache, refs)
		v := genimpl.Field(l, 0, genimpl.ParseString)
		if err := l.Err(); err != nil {
			t.Fatalf("Load: %v", err)
		}
		return v
	}
	if got := load(); got != "old-password" {
		t.Fatalf("first Load: %q", got)
	}
	putSecret(ctx, t, client, secretID("db/password"), "new-password")
	if got := load(); got != "old-password" {
		t.Errorf("Load before Refresh = %q, want the cached old value", got)
	}
	if err := cache.Refresh(ctx); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if got := load(); got != "new-password" {
		t.Errorf("Load after Refresh = %q, want the rotated value", got)
	}
}

// TestBatchDeniedFallsBack: a policy that grants GetSecretValue but not
// BatchGetSecretValue (injected by a fault transport, as moto does not
// enforce IAM) makes the provider read one by one, and remember it.
func TestBatchDeniedFallsBack(t *testing.T) {
	ctx := t.Context()
	moto := testenv.SharedMoto(t)
	setup := newClient(moto.Endpoint(), awstest.ClientOptions{})
	const n, missing = 26, 3
	refs := make([]runtime.Ref, n)
	for i := range refs {
		refs[i] = runtime.Ref{Path: fmt.Sprintf("denied/s%02d", i)}
		if i != missing {
			putSecret(ctx, t, setup, secretID(refs[i].Path), fmt.Sprint("v", i))
		}
	}

	calls := &awstest.Counter{}
	deny := &awstest.Fault{Errors: map[string]string{"BatchGetSecretValue": "AccessDeniedException"}}
	client := newClient(moto.Endpoint(), awstest.ClientOptions{Counter: calls, Transport: deny})
	p := awssm.New(client, testApp, testEnv, &awssm.Options{MaxConcurrency: 3})
	check := func(round string) {
		t.Helper()
		for i, r := range p.GetMany(ctx, refs) {
			if i == missing {
				if !errors.Is(r.Err, runtime.ErrNotFound) {
					t.Errorf("%s: %s: error %v, want not found", round, refs[i].Path, r.Err)
				}
			} else if r.Err != nil || r.Value.Text != fmt.Sprint("v", i) {
				t.Errorf("%s: %s: %q, %v", round, refs[i].Path, r.Value.Text, r.Err)
			}
		}
	}
	check("first GetMany")
	// Two chunks may both be denied before either records it.
	if b := calls.Get("BatchGetSecretValue"); b < 1 || b > 2 {
		t.Errorf("first GetMany: %d BatchGetSecretValue calls, want 1 or 2", b)
	}
	if g := calls.Get("GetSecretValue"); g != n {
		t.Errorf("first GetMany: %d GetSecretValue calls, want %d", g, n)
	}
	if deny.MaxInFlight() > 3 {
		t.Errorf("%d requests in flight at once, more than MaxConcurrency 3", deny.MaxInFlight())
	}

	calls.Reset()
	check("second GetMany")
	// The secrets read before are described (unchanged: not read again);
	// the missing one is read, one by one.
	if b, g, d := calls.Get("BatchGetSecretValue"), calls.Get("GetSecretValue"), calls.Get("DescribeSecret"); b != 0 || g != 1 || d != n-1 {
		t.Errorf("second GetMany: %d BatchGetSecretValue, %d GetSecretValue, %d DescribeSecret; want 0, 1 and %d", b, g, d, n-1)
	}

	// DisableBatch never tries.
	calls.Reset()
	p = awssm.New(client, testApp, testEnv, &awssm.Options{DisableBatch: true})
	check("DisableBatch")
	if b := calls.Get("BatchGetSecretValue"); b != 0 {
		t.Errorf("DisableBatch: %d BatchGetSecretValue calls, want 0", b)
	}
}

// TestInjectedErrors injects AWS error responses a moto server does not
// produce and checks how each is classified after the SDK's retries, with
// the hint that says what to do.
func TestInjectedErrors(t *testing.T) {
	moto := testenv.SharedMoto(t)
	ctx := t.Context()
	putSecret(ctx, t, newClient(moto.Endpoint(), awstest.ClientOptions{}), secretID("svc/token"), "value")
	both := func(code string) map[string]string {
		return map[string]string{"GetSecretValue": code, "BatchGetSecretValue": code}
	}
	const (
		iam     = "allow secretsmanager:GetSecretValue"
		request = "AWS refused the request as invalid"
	)
	tests := []struct {
		name     string
		fault    *awstest.Fault
		want     error  // kind; nil means success
		attempts int    // GetSecretValue attempts seen by the transport for Get; -1: at least 3
		hint     string // in the message of each error
	}{
		// Throttling is retried by the provider (not the SDK) until the
		// context ends: the test ends it after the third attempt.
		{name: "throttled on every attempt", fault: &awstest.Fault{Errors: both("ThrottlingException")}, want: runtime.ErrUnavailable, attempts: -1, hint: "retry"},
		{name: "throttled twice, third attempt succeeds", fault: &awstest.Fault{Errors: both("ThrottlingException"), Limit: 2}, want: nil, attempts: 3},
		{name: "internal error", fault: &awstest.Fault{Status: 500, Errors: both("InternalServiceError")}, want: runtime.ErrUnavailable, attempts: 3, hint: "check network access"},
		{name: "unknown 503", fault: &awstest.Fault{Status: 503, Errors: both("SomethingNew")}, want: runtime.ErrUnavailable, attempts: 3, hint: "retry"},
		{name: "access denied", fault: &awstest.Fault{Errors: both("AccessDeniedException")}, want: runtime.ErrAccessDenied, attempts: 1, hint: iam},
		{name: "forbidden by status", fault: &awstest.Fault{Status: 403, Errors: both("SomethingNew")}, want: runtime.ErrAccessDenied, attempts: 1, hint: iam},
		{name: "KMS decryption failure", fault: &awstest.Fault{Errors: both("DecryptionFailure")}, want: runtime.ErrAccessDenied, attempts: 1, hint: "kms:Decrypt on the secret's KMS key"},
		{name: "bad credentials", fault: &awstest.Fault{Errors: both("UnrecognizedClientException")}, want: runtime.ErrAccessDenied, attempts: 1, hint: "check or refresh the AWS credentials"},
		{name: "not found", fault: &awstest.Fault{Errors: both("ResourceNotFoundException")}, want: runtime.ErrNotFound, attempts: 1, hint: "create the secret"},
		// Permanent faults are not outages: one attempt, and not unavailable.
		{name: "validation", fault: &awstest.Fault{Errors: both("ValidationException")}, want: runtime.ErrInvalidValue, attempts: 1, hint: request},
		{name: "invalid request", fault: &awstest.Fault{Errors: both("InvalidRequestException")}, want: runtime.ErrInvalidValue, attempts: 1, hint: request},
		{name: "unknown 4xx", fault: &awstest.Fault{Errors: both("SomethingNewlyRefused")}, want: runtime.ErrInvalidValue, attempts: 1, hint: request},
		{name: "unknown 404", fault: &awstest.Fault{Status: 404, Errors: both("SomethingNew")}, want: runtime.ErrInvalidValue, attempts: 1, hint: request},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := newClient(moto.Endpoint(), awstest.ClientOptions{Transport: tc.fault, Retryer: awstest.FastRetries(3)})
			p := awssm.New(client, testApp, testEnv, &awssm.Options{BackoffBase: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
			ref := runtime.Ref{Path: "svc/token", Type: "string"}
			// A deadline a busy machine cannot reach before the SDK's
			// attempts are done; a read retried until its context ends
			// gets its context ended after the third attempt.
			ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			defer cancel()
			if tc.attempts < 0 {
				go func() {
					for tc.fault.Attempts("GetSecretValue") < 3 && ctx.Err() == nil {
						time.Sleep(time.Millisecond)
					}
					cancel()
				}()
			}
			v, err := p.Get(ctx, ref)
			if got := tc.fault.Attempts("GetSecretValue"); tc.attempts >= 0 && got != tc.attempts || tc.attempts < 0 && got < 3 {
				t.Errorf("Get: %d GetSecretValue attempts, want %d (-1: at least 3)", got, tc.attempts)
			}
			if tc.want == nil {
				if err != nil || v.Text != "value" {
					t.Fatalf("Get after retries: %q, %v", v.Text, err)
				}
				return
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.hint) {
				t.Fatalf("Get: error %v, want kind %v and the hint %q", err, tc.want, tc.hint)
			}
			res := runtime.GetMany(ctx, p, []runtime.Ref{ref, {Path: "svc/other"}}) // runtime names the secret id
			for i, r := range res {
				if !errors.Is(r.Err, tc.want) {
					t.Errorf("GetMany result %d: error %v, want kind %v", i, r.Err, tc.want)
				}
			}
			if msg := res[0].Err.Error(); !strings.Contains(msg, secretID("svc/token")) || !strings.Contains(msg, "[aws ") || strings.Contains(msg, awstest.ServerText) {
				t.Errorf("GetMany: error %q does not name the backend and the secret id, or carries the server's text", msg)
			}
		})
	}
}

// TestMotoStoppedMidRun: when the server goes away, reads fail as
// unavailable within the caller's deadline, with the SDK's default retryer.
func TestMotoStoppedMidRun(t *testing.T) {
	moto := testenv.StartMoto(t)
	ctx := t.Context()
	client := newClient(moto.Endpoint(), awstest.ClientOptions{})
	refs := []runtime.Ref{{Path: "a/one"}, {Path: "a/two"}, {Path: "a/three", Version: "AWSPREVIOUS"}}
	for _, r := range refs[:2] {
		putSecret(ctx, t, client, secretID(r.Path), "v")
	}
	p := awssm.New(client, testApp, testEnv, nil)
	if res := p.GetMany(ctx, refs[:2]); res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("GetMany before the stop: %v, %v", res[0].Err, res[1].Err)
	}

	awstest.ReadsAfterStop(t, ctx, p, refs, moto.Stop)
}

// TestFromEnv: FromEnv under the settings a user gives (see
// awstest.FromEnvSettings).
func TestFromEnv(t *testing.T) {
	moto := testenv.SharedMoto(t)
	ctx := t.Context()
	putSecret(ctx, t, newClient(moto.Endpoint(), awstest.ClientOptions{}), secretID("env/key"), "from-env")
	awstest.FromEnvSettings(t, moto.Endpoint(), "AWS_ENDPOINT_URL_SECRETS_MANAGER", fromEnv)
}

// TestPending: the pending version of an unpinned Ref is its AWSPENDING
// stage; a pinned Ref has none.
func TestPending(t *testing.T) {
	p := awssm.New(nil, testApp, testEnv, nil)
	ref := runtime.Ref{Path: "db/password", Source: "db/creds", Key: "password", Type: "string"}
	want := ref
	want.Version = "AWSPENDING"
	if got, ok := p.Pending(ref); !ok || got != want {
		t.Errorf("Pending(%+v) = %+v, %v; want %+v, true", ref, got, ok, want)
	}
	for _, v := range []string{"AWSCURRENT", "AWSPREVIOUS", "AWSPENDING", "a1b2c3d4-5678-90ab-cdef-0123456789ab"} {
		pinned := ref
		pinned.Version = v
		if _, ok := p.Pending(pinned); ok {
			t.Errorf("Pending of a Ref pinned to %s: true, want false", v)
		}
	}
}
