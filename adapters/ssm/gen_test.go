package ssm_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dashtam/secretsgen/adapters/ssm"
	"github.com/dashtam/secretsgen/gen"
	"github.com/dashtam/secretsgen/internal/testing/awstest"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
)

// TestGeneratedLoad loads the repository's generated package (gen, from
// secrets.yaml) from Parameter Store on moto: the parameters hold the
// backend form of the settings, written by the generated Fake (the same
// encoders), the allowed hosts as a StringList, and two settings with
// defaults are left unset so that their defaults apply.
func TestGeneratedLoad(t *testing.T) {
	ctx := t.Context()
	calls := &awstest.Counter{}
	client := newClient(testenv.SharedMoto(t).Endpoint(), awstest.ClientOptions{Counter: calls})

	want := gen.SampleSettings()
	want.Schwab.APISecret = runtime.NewSecret(`s3cr3t, "quoted" ✓`)
	want.App.SecretKey = runtime.NewSecret([]byte{0, 1, 2, 0xfe, 0xff})
	want.App.LogLevel = gen.AppLogLevelWarn
	want.HTTP.Timeout = 45 * time.Second
	fake := gen.NewFake(want)
	stored := map[string]types.ParameterType{
		gen.PathDatabaseURL:       types.ParameterTypeSecureString,
		gen.PathSchwabAPIKey:      types.ParameterTypeSecureString,
		gen.PathSchwabAPISecret:   types.ParameterTypeSecureString,
		gen.PathSchwabRedirectURI: types.ParameterTypeString,
		gen.PathAppSecretKey:      types.ParameterTypeSecureString,
		gen.PathAppLogLevel:       types.ParameterTypeString,
		gen.PathHTTPTimeout:       types.ParameterTypeString,
		// database/max_conns and http/port are left unset: defaults 10 and 8080.
	}
	for path, typ := range stored {
		v, err := fake.Get(ctx, runtime.Ref{Path: path})
		if err != nil {
			t.Fatalf("Fake.Get(%s): %v", path, err)
		}
		putParam(ctx, t, client, paramName(path), v.Text, typ)
	}
	want.Features.AllowedHosts = []string{"api.example.com", "admin.example.com"}
	putParam(ctx, t, client, paramName(gen.PathFeaturesAllowedHosts), "api.example.com, admin.example.com", types.ParameterTypeStringList)

	calls.Reset()
	got, err := gen.Load(ctx, ssm.New(client, testApp, testEnv, nil))
	if err != nil {
		t.Fatalf("gen.Load from SSM: %v", err)
	}
	// runtime.Secret's Equal compares the values; URLs compare by text.
	opts := cmp.Options{cmp.Comparer(func(a, b *url.URL) bool { return a.String() == b.String() }), cmpopts.EquateEmpty()}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("gen.Load from SSM (-want +got):\n%s", diff)
	}
	other := *got
	other.Schwab.APISecret = runtime.NewSecret("different")
	if cmp.Equal(want, &other, opts) {
		t.Error("the comparison does not see secret values")
	}
	if g := calls.Total(); g != 1 {
		t.Errorf("gen.Load made %d calls, want 1 GetParameters call for 10 entries", g)
	}
}
