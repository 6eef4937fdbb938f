package ssm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/dashtam/secretsgen/adapters/ssm"
	"github.com/dashtam/secretsgen/internal/testing/awstest"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
	"github.com/dashtam/secretsgen/runtime/providertest"
)

// harness runs the conformance suite against a moto server.
type harness struct {
	client *awsssm.Client
}

func (h *harness) Provider(context.Context, *testing.T) runtime.Provider {
	return ssm.New(h.client, testApp, testEnv, nil)
}

func (h *harness) Set(ctx context.Context, t *testing.T, path, text string) {
	t.Helper()
	if text == "" {
		// PutParameter's Value has a minimum length of 1: an empty
		// parameter cannot exist in Parameter Store.
		t.Skip("SSM Parameter Store cannot store an empty parameter value")
	}
	putParam(ctx, t, h.client, paramName(path), text, types.ParameterTypeSecureString)
}

func (h *harness) Ref(path string) runtime.Ref { return runtime.Ref{Path: path, Type: "string"} }

func TestConformance(t *testing.T) {
	providertest.RunConformanceTests(t, func(t *testing.T) providertest.Harness {
		return &harness{client: newClient(testenv.SharedMoto(t).Endpoint(), awstest.ClientOptions{})}
	})
}

// TestTypes stores every manifest type in its backend form in moto, as
// String, SecureString or StringList parameters, and loads it the way
// generated code does (Fetch, then Field), then one by one with Get.
func TestTypes(t *testing.T) {
	ctx := t.Context()
	client := newClient(testenv.SharedMoto(t).Endpoint(), awstest.ClientOptions{})
	const (
		str    = types.ParameterTypeString
		secure = types.ParameterTypeSecureString
		list   = types.ParameterTypeStringList
	)
	tests := []struct {
		path  string
		typ   string
		ptype types.ParameterType
		text  string
		parse func(string) (any, error)
		want  any
	}{
		{path: "t/string", typ: "string", ptype: secure, text: "hello world", parse: awstest.ParseAs(genimpl.ParseString), want: "hello world"},
		{path: "t/string-plain", typ: "string", ptype: str, text: " padded ", parse: awstest.ParseAs(genimpl.ParseString), want: " padded "},
		{path: "t/string-from-list", typ: "string", ptype: list, text: "a,b", parse: awstest.ParseAs(genimpl.ParseString), want: "a,b"},
		{path: "t/int", typ: "int", ptype: str, text: "42", parse: awstest.ParseAs(genimpl.ParseInt), want: 42},
		{path: "t/int64", typ: "int64", ptype: secure, text: "-9007199254740993", parse: awstest.ParseAs(genimpl.ParseInt64), want: int64(-9007199254740993)},
		{path: "t/float64", typ: "float64", ptype: str, text: "2.5", parse: awstest.ParseAs(genimpl.ParseFloat64), want: 2.5},
		{path: "t/bool", typ: "bool", ptype: str, text: "true", parse: awstest.ParseAs(genimpl.ParseBool), want: true},
		{path: "t/duration", typ: "duration", ptype: str, text: "1m30s", parse: awstest.ParseAs(genimpl.ParseDuration), want: 90 * time.Second},
		{path: "t/url", typ: "url", ptype: secure, text: "https://api.example.com:8443/v1?x=1", parse: awstest.ParseAs(func(s string) (string, error) {
			u, err := genimpl.ParseURL(s)
			if err != nil {
				return "", err
			}
			return u.Scheme + "|" + u.Host + "|" + u.Path + "|" + u.RawQuery, nil
		}), want: "https|api.example.com:8443|/v1|x=1"},
		{path: "t/bytes", typ: "bytes", ptype: secure, text: "AAEC/v94", parse: awstest.ParseAs(genimpl.ParseBytes), want: []byte{0, 1, 2, 0xfe, 0xff, 'x'}},
		{path: "t/time", typ: "time", ptype: str, text: "2026-03-01T12:30:00Z", parse: awstest.ParseAs(genimpl.ParseTime), want: time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)},
		{path: "t/enum", typ: "enum", ptype: str, text: "blue", parse: awstest.ParseAs(genimpl.ParseEnum[awstest.Color]("red", "blue")), want: awstest.Color("blue")},
		{path: "t/json", typ: "json", ptype: secure, text: `{"username":"app","password":"p\"w","port":5432}`, parse: awstest.ParseCredentials, want: awstest.DBCredentials{Username: "app", Password: `p"w`, Port: 5432}},
		{path: "t/list-stringlist", typ: "[]string", ptype: list, text: "a, b c ,d", parse: awstest.ParseAs(genimpl.ParseList(genimpl.ParseString)), want: []string{"a", "b c", "d"}},
		{path: "t/list-stringlist-bracket", typ: "[]string", ptype: list, text: "[x,y]", parse: awstest.ParseAs(genimpl.ParseList(genimpl.ParseString)), want: []string{"[x", "y]"}},
		{path: "t/list-stringlist-one", typ: "[]string", ptype: list, text: "only", parse: awstest.ParseAs(genimpl.ParseList(genimpl.ParseString)), want: []string{"only"}},
		{path: "t/list-stringlist-int", typ: "[]int", ptype: list, text: "1,2,3", parse: awstest.ParseAs(genimpl.ParseList(genimpl.ParseInt)), want: []int{1, 2, 3}},
		{path: "t/list-json", typ: "[]string", ptype: str, text: `["a","b, c"]`, parse: awstest.ParseAs(genimpl.ParseList(genimpl.ParseString)), want: []string{"a", "b, c"}},
		{path: "t/list-comma", typ: "[]string", ptype: secure, text: "a, b ,c", parse: awstest.ParseAs(genimpl.ParseList(genimpl.ParseString)), want: []string{"a", "b", "c"}},
		{path: "t/map", typ: "map[string]int", ptype: secure, text: `{"a":1,"b":"2"}`, parse: awstest.ParseAs(genimpl.ParseMap(genimpl.ParseInt)), want: map[string]int{"a": 1, "b": 2}},
	}
	refs := make([]runtime.Ref, len(tests))
	for i, tc := range tests {
		putParam(ctx, t, client, paramName(tc.path), tc.text, tc.ptype)
		refs[i] = runtime.Ref{Path: tc.path, Type: tc.typ}
	}
	p := ssm.New(client, testApp, testEnv, nil)
	parsers := make([]func(string) (any, error), len(tests))
	wants := make([]any, len(tests))
	for i, tc := range tests {
		parsers[i], wants[i] = tc.parse, tc.want
	}
	// Then Get reads the same values one at a time, with the version number.
	awstest.CheckTypes(t, ctx, p, refs, parsers, wants, func(v string) string {
		if v != "1" {
			return fmt.Sprintf("Version %q, want 1", v)
		}
		return ""
	})
}

// TestJSONKeyAndSharedSource reads several members of one JSON parameter:
// the parameter is fetched once, each member comes out as text, and a
// missing key or a value that is not a JSON object is an invalid value
// naming the key and the parameter.
func TestJSONKeyAndSharedSource(t *testing.T) {
	ctx := t.Context()
	calls := &awstest.Counter{}
	client := newClient(testenv.SharedMoto(t).Endpoint(), awstest.ClientOptions{Counter: calls})
	putParam(ctx, t, client, paramName("mail/smtp"),
		`{"host":"smtp.example.com","port":587,"password":"p\"w \u00e4","tls":true,"tags":["a","b"],"nested":{"a": 1},"unset":null}`,
		types.ParameterTypeSecureString)
	putParam(ctx, t, client, paramName("plain"), "not json at all", types.ParameterTypeString)

	src := func(path, key string) runtime.Ref {
		return runtime.Ref{Path: path, Source: "mail/smtp", Key: key, Type: "string"}
	}
	tests := []awstest.Want{
		{Ref: src("mail/host", "host"), Text: "smtp.example.com"},
		{Ref: src("mail/port", "port"), Text: "587"},
		{Ref: src("mail/password", "password"), Text: `p"w ä`},
		{Ref: src("mail/tls", "tls"), Text: "true"},
		{Ref: src("mail/tags", "tags"), Text: `["a","b"]`},
		{Ref: src("mail/nested", "nested"), Text: `{"a": 1}`},
		{Ref: src("mail/user", "username"), Kind: runtime.ErrInvalidValue,
			Msg: []string{"mail/user", `key "username" is missing`, "/dashtam/test/mail/smtp#username", "[ssm "}},
		{Ref: src("mail/unset", "unset"), Kind: runtime.ErrInvalidValue,
			Msg: []string{"mail/unset", `key "unset" is null`}},
		{Ref: runtime.Ref{Path: "plain/key", Source: "plain", Key: "k"}, Kind: runtime.ErrInvalidValue,
			Msg: []string{"plain/key", "not a JSON object", `key "k"`, "/dashtam/test/plain#k"}},
	}
	refs := awstest.Refs(tests)
	calls.Reset()
	p := ssm.New(client, testApp, testEnv, nil)
	res := runtime.GetMany(ctx, p, refs) // runtime names the path and the parameter
	awstest.CheckResults(t, tests, res)
	// Two parameters, one GetParameters call.
	if g, b := calls.Get("GetParameters"), calls.Get("GetParametersByPath"); g != 1 || b != 0 {
		t.Errorf("API calls: %d GetParameters, %d GetParametersByPath; want 1 and 0", g, b)
	}
	v, err := p.Get(ctx, src("mail/password", "password"))
	if err != nil || v.Text != `p"w ä` {
		t.Errorf("Get(mail/password): %q, %v", v.Text, err)
	}
}

// TestVersionsAndLabels pins version numbers and labels. Several selectors
// of one parameter are read in one GetMany, each answered from its own
// version, and a missing version or label is not found.
func TestVersionsAndLabels(t *testing.T) {
	ctx := t.Context()
	calls := &awstest.Counter{}
	client := newClient(testenv.SharedMoto(t).Endpoint(), awstest.ClientOptions{Counter: calls})
	name := paramName("api/key")
	for i, v := range []string{"one", "two", "three"} {
		if got := putParam(ctx, t, client, name, v, types.ParameterTypeSecureString); got != int64(i+1) {
			t.Fatalf("PutParameter: version %d, want %d", got, i+1)
		}
	}
	label(ctx, t, client, name, 1, "blue")
	label(ctx, t, client, name, 2, "green", "release-2.0")
	putParam(ctx, t, client, paramName("other"), "x", types.ParameterTypeString)

	tests := []struct {
		version  string
		text     string
		vid      string
		notFound bool
	}{
		{version: "", text: "three", vid: "3"},
		{version: "1", text: "one", vid: "1"},
		{version: "2", text: "two", vid: "2"},
		{version: "3", text: "three", vid: "3"},
		{version: "blue", text: "one", vid: "1"},
		{version: "green", text: "two", vid: "2"},
		{version: "release-2.0", text: "two", vid: "2"},
		{version: "9", notFound: true},
		{version: "red", notFound: true},
	}
	refs := []runtime.Ref{{Path: "other", Type: "string"}}
	for _, tc := range tests {
		refs = append(refs, runtime.Ref{Path: "api/key", Version: tc.version, Type: "string"})
	}
	calls.Reset()
	p := ssm.New(client, testApp, testEnv, nil)
	res := runtime.GetMany(ctx, p, refs) // runtime names the parameter
	if res[0].Err != nil || res[0].Value.Text != "x" {
		t.Errorf("other: %q, %v", res[0].Value.Text, res[0].Err)
	}
	for i, tc := range tests {
		r := res[i+1]
		if tc.notFound {
			if !errors.Is(r.Err, runtime.ErrNotFound) {
				t.Errorf("version %q: error %v, want not found", tc.version, r.Err)
			} else if msg := r.Err.Error(); !strings.Contains(msg, name+":"+tc.version) || !strings.Contains(msg, "pinned version or label") {
				t.Errorf("version %q: error %q does not name %s:%s and the pin", tc.version, msg, name, tc.version)
			}
			continue
		}
		if r.Err != nil || r.Value.Text != tc.text || r.Value.Version != tc.vid {
			t.Errorf("version %q: got %q (version %s), %v; want %q (version %s)", tc.version, r.Value.Text, r.Value.Version, r.Err, tc.text, tc.vid)
		}
	}
	// 10 targets of api/key (one name in each call) and other: 9 calls.
	if g := calls.Get("GetParameters"); g != len(tests) {
		t.Errorf("%d GetParameters calls, want %d (one selector of a name per call)", g, len(tests))
	}

	v, err := p.Get(ctx, runtime.Ref{Path: "api/key", Version: "blue"})
	if err != nil || v.Text != "one" || v.Version != "1" {
		t.Errorf("Get(blue) = %q (version %s), %v; want one (version 1)", v.Text, v.Version, err)
	}
	if _, err := p.Get(ctx, runtime.Ref{Path: "api/key", Version: "7"}); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("Get(version 7): error %v, want not found", err)
	}
}

// TestChunks loads 45 parameters, one of them missing (in InvalidParameters):
// GetParameters in calls of at most 10 names, and only the missing path
// fails.
func TestChunks(t *testing.T) {
	ctx := t.Context()
	calls := &awstest.Counter{}
	client := newClient(testenv.SharedMoto(t).Endpoint(), awstest.ClientOptions{Counter: calls})
	const n, missing = 45, 31
	refs := make([]runtime.Ref, n)
	for i := range refs {
		refs[i] = runtime.Ref{Path: fmt.Sprintf("bulk/p%02d", i), Type: "int"}
		if i != missing {
			putParam(ctx, t, client, paramName(refs[i].Path), fmt.Sprint(i*7), types.ParameterTypeSecureString)
		}
	}
	calls.Reset()

	p := ssm.New(client, testApp, testEnv, &ssm.Options{DisableByPath: true})
	if e := awstest.LoadOneMissing(t, ctx, p, refs, missing); e.Backend != "ssm" || e.Where != paramName(refs[missing].Path) {
		t.Errorf("not-found error has Backend %q, Where %q; want ssm, %s", e.Backend, e.Where, paramName(refs[missing].Path))
	}
	if g, b := calls.Get("GetParameters"), calls.Get("GetParametersByPath"); g != 5 || b != 0 {
		t.Errorf("API calls: %d GetParameters, %d GetParametersByPath; want 5 and 0", g, b)
	}
	if calls.MaxBatch() != ssm.MaxBatchSize {
		t.Errorf("largest GetParameters call sent %d names, want %d", calls.MaxBatch(), ssm.MaxBatchSize)
	}

	// A smaller BatchSize makes more, smaller calls, at most
	// MaxConcurrency at a time.
	calls.Reset()
	f := &awstest.Fault{}
	small := ssm.New(newClient(testenv.SharedMoto(t).Endpoint(), awstest.ClientOptions{Counter: calls, Transport: f}),
		testApp, testEnv, &ssm.Options{BatchSize: 7, MaxConcurrency: 2, DisableByPath: true})
	// SharedMoto reset the server: the parameters are gone, and all 45
	// names are in InvalidParameters.
	for i, r := range small.GetMany(ctx, refs) {
		if !errors.Is(r.Err, runtime.ErrNotFound) {
			t.Errorf("BatchSize 7: %s: error %v, want not found", refs[i].Path, r.Err)
		}
	}
	if g := calls.Get("GetParameters"); g != 7 || calls.MaxBatch() != 7 {
		t.Errorf("BatchSize 7: %d calls of at most %d names; want 7 of at most 7", g, calls.MaxBatch())
	}
	if f.MaxInFlight() > 2 {
		t.Errorf("%d requests in flight at once, more than MaxConcurrency 2", f.MaxInFlight())
	}
}

// TestByPathChoice checks that GetMany counts the calls of both ways and
// lists the hierarchy when that is cheaper, and learns when it is not.
func TestByPathChoice(t *testing.T) {
	ctx := t.Context()
	moto := testenv.SharedMoto(t)
	calls := &awstest.Counter{}
	client := newClient(moto.Endpoint(), awstest.ClientOptions{Counter: calls})
	// 30 names, of which 15 exist (optional entries left unset).
	const n = 30
	refs := make([]runtime.Ref, n)
	for i := range refs {
		path := fmt.Sprintf("app/k%02d", i)
		if i%3 == 0 {
			path = fmt.Sprintf("deep/er/k%02d", i) // the listing is recursive
		}
		if i%2 == 0 {
			putParam(ctx, t, client, paramName(path), fmt.Sprint("v", i), types.ParameterTypeSecureString)
		}
		refs[i] = runtime.Ref{Path: path, Type: "string"}
	}
	// Outside the environment: never listed.
	putParam(ctx, t, client, "/"+testApp+"/other/app/k00", "wrong", types.ParameterTypeString)
	putParam(ctx, t, client, "/"+testApp+"/"+testEnv+"x/app/k00", "wrong", types.ParameterTypeString)

	check := func(round string, p *ssm.Provider) {
		t.Helper()
		for i, r := range p.GetMany(ctx, refs) {
			if i%2 == 1 {
				if !errors.Is(r.Err, runtime.ErrNotFound) {
					t.Errorf("%s: %s: error %v, want not found", round, refs[i].Path, r.Err)
				}
			} else if r.Err != nil || r.Value.Text != fmt.Sprint("v", i) || r.Value.Version != "1" {
				t.Errorf("%s: %s: %q (version %s), %v", round, refs[i].Path, r.Value.Text, r.Value.Version, r.Err)
			}
		}
	}

	// 30 names: 3 GetParameters calls; 15 parameters in the hierarchy: 2
	// pages. The listing is cheaper.
	calls.Reset()
	p := ssm.New(client, testApp, testEnv, nil)
	check("small hierarchy", p)
	if g, b := calls.Get("GetParameters"), calls.Get("GetParametersByPath"); g != 0 || b != 2 {
		t.Errorf("small hierarchy: %d GetParameters, %d GetParametersByPath; want 0 and 2", g, b)
	}
	calls.Reset()
	check("small hierarchy, again", p)
	if g, b := calls.Get("GetParameters"), calls.Get("GetParametersByPath"); g != 0 || b != 2 {
		t.Errorf("small hierarchy, again: %d GetParameters, %d GetParametersByPath; want 0 and 2", g, b)
	}

	// 40 more parameters the manifest does not read: a listing would take
	// 6 pages. The first GetMany stops listing after its budget of 2 pages
	// and reads the rest with GetParameters; the next ones do not list.
	for i := range 40 {
		putParam(ctx, t, client, paramName(fmt.Sprintf("zz/unread%02d", i)), "u", types.ParameterTypeString)
	}
	calls.Reset()
	p = ssm.New(client, testApp, testEnv, nil)
	check("large hierarchy, first", p)
	if b, g := calls.Get("GetParametersByPath"), calls.Get("GetParameters"); b != 2 || g < 1 || g > 3 {
		t.Errorf("large hierarchy, first: %d GetParametersByPath, %d GetParameters; want 2 and 1 to 3", b, g)
	}
	calls.Reset()
	check("large hierarchy, second", p)
	if g, b := calls.Get("GetParameters"), calls.Get("GetParametersByPath"); g != 3 || b != 0 {
		t.Errorf("large hierarchy, second: %d GetParameters, %d GetParametersByPath; want 3 and 0", g, b)
	}

	// One chunk's worth of names: never a listing.
	calls.Reset()
	p = ssm.New(client, testApp, testEnv, nil)
	p.GetMany(ctx, refs[:10])
	if g, b := calls.Get("GetParameters"), calls.Get("GetParametersByPath"); g != 1 || b != 0 {
		t.Errorf("10 names: %d GetParameters, %d GetParametersByPath; want 1 and 0", g, b)
	}

	// A policy without ssm:GetParametersByPath: the provider falls back at
	// once and stops listing.
	deny := &awstest.Fault{Errors: map[string]string{"GetParametersByPath": "AccessDeniedException"}}
	calls.Reset()
	p = ssm.New(newClient(moto.Endpoint(), awstest.ClientOptions{Counter: calls, Transport: deny}), testApp, testEnv, nil)
	check("listing denied", p)
	check("listing denied, again", p)
	if b, g := deny.Attempts("GetParametersByPath"), calls.Get("GetParameters"); b != 1 || g != 6 {
		t.Errorf("listing denied: %d GetParametersByPath, %d GetParameters; want 1 and 6", b, g)
	}

	// A throttled listing falls back for that call only.
	throttle := &awstest.Fault{Errors: map[string]string{"GetParametersByPath": "ThrottlingException"}}
	calls.Reset()
	p = ssm.New(newClient(moto.Endpoint(), awstest.ClientOptions{Counter: calls, Transport: throttle, Retryer: awstest.FastRetries(1)}), testApp, testEnv, nil)
	check("listing throttled", p)
	check("listing throttled, again", p)
	if b := throttle.Attempts("GetParametersByPath"); b != 2 {
		t.Errorf("listing throttled: %d GetParametersByPath, want 2 (tried again)", b)
	}

	// DisableByPath never lists.
	calls.Reset()
	check("DisableByPath", ssm.New(client, testApp, testEnv, &ssm.Options{DisableByPath: true}))
	if g, b := calls.Get("GetParameters"), calls.Get("GetParametersByPath"); g != 3 || b != 0 {
		t.Errorf("DisableByPath: %d GetParameters, %d GetParametersByPath; want 3 and 0", g, b)
	}
}

// TestPinnedNeverListed: pinned reads never use the listing, which only
// sees current versions.
func TestPinnedNeverListed(t *testing.T) {
	ctx := t.Context()
	calls := &awstest.Counter{}
	client := newClient(testenv.SharedMoto(t).Endpoint(), awstest.ClientOptions{Counter: calls})
	var refs []runtime.Ref
	for i := range 25 {
		name := paramName(fmt.Sprintf("pin/p%02d", i))
		putParam(ctx, t, client, name, "old", types.ParameterTypeString)
		putParam(ctx, t, client, name, "new", types.ParameterTypeString)
		refs = append(refs, runtime.Ref{Path: fmt.Sprintf("pin/p%02d", i), Version: "1"})
	}
	calls.Reset()
	for i, r := range ssm.New(client, testApp, testEnv, nil).GetMany(ctx, refs) {
		if r.Err != nil || r.Value.Text != "old" || r.Value.Version != "1" {
			t.Errorf("%s:1 = %q (version %s), %v; want old (version 1)", refs[i].Path, r.Value.Text, r.Value.Version, r.Err)
		}
	}
	if g, b := calls.Get("GetParameters"), calls.Get("GetParametersByPath"); g != 3 || b != 0 {
		t.Errorf("%d GetParameters, %d GetParametersByPath; want 3 and 0", g, b)
	}
}

// TestRotationAfterRefresh: a value overwritten with PutParameter is
// served from the cache until Refresh, and seen after it with its new
// version number.
func TestRotationAfterRefresh(t *testing.T) {
	ctx := t.Context()
	client := newClient(testenv.SharedMoto(t).Endpoint(), awstest.ClientOptions{})
	putParam(ctx, t, client, paramName("db/password"), "old-password", types.ParameterTypeSecureString)
	cache := runtime.NewCache(ssm.New(client, testApp, testEnv, nil), nil)
	ref := runtime.Ref{Path: "db/password", Type: "string"}
	get := func() runtime.Value {
		v, err := cache.Get(ctx, ref)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		return v
	}
	if v := get(); v.Text != "old-password" || v.Version != "1" {
		t.Fatalf("first Get: %q (version %s)", v.Text, v.Version)
	}
	putParam(ctx, t, client, paramName("db/password"), "new-password", types.ParameterTypeSecureString)
	if v := get(); v.Text != "old-password" {
		t.Errorf("Get before Refresh = %q, want the cached old value", v.Text)
	}
	if err := cache.Refresh(ctx); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if v := get(); v.Text != "new-password" || v.Version != "2" {
		t.Errorf("Get after Refresh = %q (version %s), want the rotated value, version 2", v.Text, v.Version)
	}
}

// TestInjectedErrors injects AWS error responses a moto server does not
// produce and checks how each is classified after the SDK's retries, and
// that no text the server sent reaches the error.
func TestInjectedErrors(t *testing.T) {
	moto := testenv.SharedMoto(t)
	ctx := t.Context()
	putParam(ctx, t, newClient(moto.Endpoint(), awstest.ClientOptions{}), paramName("svc/token"), "value", types.ParameterTypeSecureString)
	both := func(code string) map[string]string {
		return map[string]string{"GetParameters": code, "GetParametersByPath": code}
	}
	tests := []struct {
		name     string
		fault    *awstest.Fault
		want     error // kind; nil means success
		attempts int   // GetParameters attempts seen by the transport for Get
		hint     string
		code     string // the code errors.As finds; "" means the injected one
	}{
		{name: "throttled on every attempt", fault: &awstest.Fault{Errors: both("ThrottlingException")}, want: runtime.ErrUnavailable, attempts: 3, hint: "retry"},
		{name: "throttled twice, third attempt succeeds", fault: &awstest.Fault{Errors: both("ThrottlingException"), Limit: 2}, attempts: 3},
		{name: "internal error", fault: &awstest.Fault{Status: 500, Errors: both("InternalServerError")}, want: runtime.ErrUnavailable, attempts: 3},
		{name: "unknown 503", code: "Unknown", fault: &awstest.Fault{Status: 503, Errors: both("SomethingNew")}, want: runtime.ErrUnavailable, attempts: 3},
		{name: "access denied", fault: &awstest.Fault{Errors: both("AccessDeniedException")}, want: runtime.ErrAccessDenied, attempts: 1, hint: "ssm:GetParameters"},
		{name: "KMS key", fault: &awstest.Fault{Errors: both("InvalidKeyId")}, want: runtime.ErrAccessDenied, attempts: 1, hint: "kms:Decrypt"},
		{name: "bad credentials", fault: &awstest.Fault{Errors: both("UnrecognizedClientException")}, want: runtime.ErrAccessDenied, attempts: 1, hint: "AWS_ACCESS_KEY_ID"},
		{name: "validation", fault: &awstest.Fault{Errors: both("ValidationException")}, want: runtime.ErrInvalidValue, attempts: 1, hint: "source.version"},
		{name: "unknown 400", code: "Unknown", fault: &awstest.Fault{Errors: both("SomethingNew")}, want: runtime.ErrInvalidValue, attempts: 1},
		{name: "unknown 403", code: "Unknown", fault: &awstest.Fault{Status: 403, Errors: both("SomethingNew")}, want: runtime.ErrAccessDenied, attempts: 1, hint: "ssm:GetParameters"},
		{name: "unknown 404", code: "Unknown", fault: &awstest.Fault{Status: 404, Errors: both("SomethingNew")}, want: runtime.ErrInvalidValue, attempts: 1, hint: "source.version"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := newClient(moto.Endpoint(), awstest.ClientOptions{Transport: tc.fault, Retryer: awstest.FastRetries(3)})
			p := ssm.New(client, testApp, testEnv, nil)
			ref := runtime.Ref{Path: "svc/token", Type: "string"}
			r := runtime.GetMany(ctx, p, []runtime.Ref{ref})[0] // Get's calls; runtime names the parameter
			v, err := r.Value, r.Err
			if got := tc.fault.Attempts("GetParameters"); got != tc.attempts {
				t.Errorf("Get: %d GetParameters attempts, want %d", got, tc.attempts)
			}
			if tc.want == nil {
				if err != nil || v.Text != "value" {
					t.Fatalf("Get after retries: %q, %v", v.Text, err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Get: error %v, want kind %v", err, tc.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, paramName("svc/token")) || !strings.Contains(msg, "[ssm ") {
				t.Errorf("Get: error %q does not name the backend and the parameter", msg)
			}
			if strings.Contains(msg, "server-text-zq8") || strings.Contains(msg, "injected") {
				t.Errorf("Get: error %q carries text the server sent", msg)
			}
			if !strings.Contains(msg, tc.hint) {
				t.Errorf("Get: error %q lacks the hint %q", msg, tc.hint)
			}
			if strings.Contains(msg, "SomethingNew") {
				t.Errorf("Get: error %q carries an error code the table does not know", msg)
			}
			wantCode := tc.code
			if wantCode == "" {
				wantCode = tc.fault.Errors["GetParameters"]
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != wantCode {
				t.Errorf("Get: error %v does not carry the API error code %q", err, wantCode)
			}
			refs := []runtime.Ref{ref, {Path: "svc/other"}}
			for i := range 20 { // enough names for a listing to be tried
				refs = append(refs, runtime.Ref{Path: fmt.Sprintf("svc/more%02d", i)})
			}
			for i, r := range p.GetMany(ctx, refs) {
				if !errors.Is(r.Err, tc.want) {
					t.Errorf("GetMany result %d: error %v, want kind %v", i, r.Err, tc.want)
				}
			}
		})
	}
}

// TestMissingCredentials: no credentials is a configuration problem, access
// denied with the credentials hint, not an outage.
func TestMissingCredentials(t *testing.T) {
	moto := testenv.SharedMoto(t)
	client := awsssm.New(awsssm.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(moto.Endpoint()),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errors.New("no credentials secret-provider-text-zq7")
		}),
	})
	_, err := ssm.New(client, testApp, testEnv, nil).Get(t.Context(), runtime.Ref{Path: "svc/token"})
	if !errors.Is(err, runtime.ErrAccessDenied) || !strings.Contains(err.Error(), "cannot get AWS credentials") {
		t.Errorf("Get without credentials: error %v, want access denied saying so", err)
	}
	if strings.Contains(err.Error(), "zq7") {
		t.Errorf("error %q quotes the credential provider's text", err)
	}
}

// TestSizeCap: a value beyond MaxValueSize (which no real server sends,
// hence the injected reply) is an invalid value that does not quote it.
func TestSizeCap(t *testing.T) {
	moto := testenv.SharedMoto(t)
	big := strings.Repeat("b", ssm.MaxValueSize+1)
	body := `{"Parameters":[{"Name":"` + paramName("big") + `","Type":"String","Value":"` + big + `","Version":1}],"InvalidParameters":[]}`
	f := &awstest.Fault{Status: 200, Body: body, Errors: map[string]string{"GetParameters": "x"}}
	p := ssm.New(newClient(moto.Endpoint(), awstest.ClientOptions{Transport: f}), testApp, testEnv, nil)
	v, err := p.Get(t.Context(), runtime.Ref{Path: "big"})
	if !errors.Is(err, runtime.ErrInvalidValue) || v.Text != "" || !strings.Contains(err.Error(), "65536") {
		t.Errorf("Get of a %d-byte value: %d bytes, error %v; want an invalid value naming the cap", len(big), len(v.Text), err)
	}
	if err != nil && strings.Contains(err.Error(), "bbbbbbbb") {
		t.Error("the error quotes the value")
	}

	// The largest value Parameter Store holds (8 KiB, advanced tier) loads.
	client := newClient(moto.Endpoint(), awstest.ClientOptions{})
	largest := strings.Repeat("a", 8192)
	putParam(t.Context(), t, client, paramName("largest"), largest, types.ParameterTypeSecureString)
	v, err = ssm.New(client, testApp, testEnv, nil).Get(t.Context(), runtime.Ref{Path: "largest"})
	if err != nil || v.Text != largest {
		t.Errorf("Get of an 8 KiB value: %d bytes, %v", len(v.Text), err)
	}
}

// TestMotoStoppedMidRun: when the server goes away, reads fail as
// unavailable within the caller's deadline, with the SDK's default retryer.
func TestMotoStoppedMidRun(t *testing.T) {
	moto := testenv.StartMoto(t)
	ctx := t.Context()
	client := newClient(moto.Endpoint(), awstest.ClientOptions{})
	refs := []runtime.Ref{{Path: "a/one"}, {Path: "a/two"}, {Path: "a/three", Version: "2"}}
	for _, r := range refs[:2] {
		putParam(ctx, t, client, paramName(r.Path), "v", types.ParameterTypeString)
	}
	p := ssm.New(client, testApp, testEnv, nil)
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
	putParam(ctx, t, newClient(moto.Endpoint(), awstest.ClientOptions{}), paramName("env/key"), "from-env", types.ParameterTypeSecureString)
	awstest.FromEnvSettings(t, moto.Endpoint(), "AWS_ENDPOINT_URL_SSM", fromEnv)
}
