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

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/internal/testing/awstest"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
)

// describeRefs creates n secrets under prefix on moto and returns their
// refs, the setup client and the provider's call counter and provider.
func describeRefs(t *testing.T, prefix string, n int, o *awssm.Options) ([]runtime.Ref, *secretsmanager.Client, *awstest.Counter, *awssm.Provider, *testenv.Moto) {
	t.Helper()
	moto := testenv.SharedMoto(t)
	setup := newClient(moto.Endpoint(), awstest.ClientOptions{})
	refs := make([]runtime.Ref, n)
	for i := range refs {
		refs[i] = runtime.Ref{Path: fmt.Sprintf("%s/s%02d", prefix, i)}
		putSecret(t.Context(), t, setup, secretID(refs[i].Path), fmt.Sprint("v", i))
	}
	calls := &awstest.Counter{}
	p := awssm.New(newClient(moto.Endpoint(), awstest.ClientOptions{Counter: calls}), testApp, testEnv, o)
	return refs, setup, calls, p, moto
}

func wantCalls(t *testing.T, round string, calls *awstest.Counter, batch, get, describe int) {
	t.Helper()
	if b, g, d := calls.Get("BatchGetSecretValue"), calls.Get("GetSecretValue"), calls.Get("DescribeSecret"); b != batch || g != get || d != describe {
		t.Errorf("%s: %d BatchGetSecretValue, %d GetSecretValue, %d DescribeSecret calls; want %d, %d and %d", round, b, g, d, batch, get, describe)
	}
	calls.Reset()
}

// TestDescribeReadsOnlyWhatChanged is a Live's poll on a real server
// (moto): the first read batches; later reads describe every secret and
// read only the one whose AWSCURRENT moved, with its new VersionId, and
// answer the others with the values read last (same text, same version).
func TestDescribeReadsOnlyWhatChanged(t *testing.T) {
	const n = 30
	refs, setup, calls, p, _ := describeRefs(t, "describe", n, nil)
	ctx := t.Context()
	first := p.GetMany(ctx, refs)
	for i, r := range first {
		if r.Err != nil || r.Value.Text != fmt.Sprint("v", i) || r.Value.Version == "" {
			t.Fatalf("first read of %s: %v (version %q)", refs[i].Path, r.Err, r.Value.Version)
		}
	}
	wantCalls(t, "first read", calls, 2, 0, 0)

	for i, r := range p.GetMany(ctx, refs) {
		if r.Err != nil || r.Value != first[i].Value {
			t.Errorf("unchanged %s: %v, version %q, want %q", refs[i].Path, r.Err, r.Value.Version, first[i].Value.Version)
		}
	}
	wantCalls(t, "nothing changed", calls, 0, 0, n)

	const rotated = 7
	newVersion := putSecret(ctx, t, setup, secretID(refs[rotated].Path), "rotated")
	for i, r := range p.GetMany(ctx, refs) {
		want := first[i].Value
		if i == rotated {
			want = runtime.Value{Text: "rotated", Version: newVersion}
		}
		if r.Err != nil || r.Value != want {
			t.Errorf("after a rotation, %s: %v, version %q, want %q", refs[i].Path, r.Err, r.Value.Version, want.Version)
		}
	}
	wantCalls(t, "one rotated", calls, 0, 1, n)

	// Get describes too.
	v, err := p.Get(ctx, refs[rotated])
	if err != nil || v.Text != "rotated" || v.Version != newVersion {
		t.Errorf("Get after the rotation: %v, version %q", err, v.Version)
	}
	wantCalls(t, "Get", calls, 0, 0, 1)

	s := p.Stats()
	if !s.Describing || s.DescribeCalls != 2*n+1 || s.Unchanged != 2*n || s.DescribeThrottles != 0 {
		t.Errorf("stats %+v: want describing, %d DescribeSecret calls, %d unchanged", s, 2*n+1, 2*n)
	}

	// Close forgets the values: the next read reads them all.
	_ = p.Close()
	p.GetMany(ctx, refs)
	wantCalls(t, "after Close", calls, 2, 0, 0)
}

// TestDescribeMembersAndBytes: members of one JSON secret and a binary
// secret come back from the value read last, decoded as a read decodes
// them.
func TestDescribeMembersAndBytes(t *testing.T) {
	moto := testenv.SharedMoto(t)
	ctx := t.Context()
	setup := newClient(moto.Endpoint(), awstest.ClientOptions{})
	putSecret(ctx, t, setup, secretID("describe/db"), `{"user":"app","port":5432}`)
	putBinary(ctx, t, setup, secretID("describe/bin"), []byte{0, 1, 2, 255})
	refs := []runtime.Ref{
		{Path: "db/user", Source: "describe/db", Key: "user"},
		{Path: "db/port", Source: "describe/db", Key: "port"},
		{Path: "describe/bin", Type: "bytes"},
	}
	calls := &awstest.Counter{}
	p := awssm.New(newClient(moto.Endpoint(), awstest.ClientOptions{Counter: calls}), testApp, testEnv, nil)
	want := []string{"app", "5432", "AAEC/w=="}
	for round := range 3 {
		for i, r := range p.GetMany(ctx, refs) {
			if r.Err != nil || r.Value.Text != want[i] {
				t.Errorf("round %d: %s: %q, %v", round, refs[i].Path, r.Value.Text, r.Err)
			}
		}
	}
	if d, b := calls.Get("DescribeSecret"), calls.Get("BatchGetSecretValue"); d != 4 || b != 1 {
		t.Errorf("%d DescribeSecret, %d BatchGetSecretValue calls; want 4 (2 secrets x 2 rounds) and 1", d, b)
	}
}

// TestDescribePending: during a rotation (a version staged AWSPENDING)
// the current value stays what describing says it is, and the pending
// version (runtime.Pender) is read as before; when AWSCURRENT moves to
// it, the next read returns it.
func TestDescribePending(t *testing.T) {
	refs, setup, calls, p, _ := describeRefs(t, "describe-pending", 1, nil)
	ctx := t.Context()
	ref := refs[0]
	first := p.GetMany(ctx, refs)[0]
	pend, err := setup.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(secretID(ref.Path)), SecretString: aws.String("next"), VersionStages: []string{"AWSPENDING"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := p.GetMany(ctx, refs)[0]; r.Err != nil || r.Value != first.Value {
		t.Errorf("current during the rotation: %v, version %q, want %q", r.Err, r.Value.Version, first.Value.Version)
	}
	pr, ok := p.Pending(ref)
	if !ok {
		t.Fatal("no pending ref")
	}
	if r := p.GetMany(ctx, []runtime.Ref{pr})[0]; r.Err != nil || r.Value.Text != "next" || r.Value.Version != aws.ToString(pend.VersionId) {
		t.Errorf("pending: %v, version %q, want %q", r.Err, r.Value.Version, aws.ToString(pend.VersionId))
	}
	wantCalls(t, "during the rotation", calls, 1, 1, 1)
	// The rotation finishes: AWSCURRENT moves to the pending version.
	if _, err := setup.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String(secretID(ref.Path)), VersionStage: aws.String("AWSCURRENT"),
		MoveToVersionId: pend.VersionId, RemoveFromVersionId: aws.String(first.Value.Version),
	}); err != nil {
		t.Fatal(err)
	}
	if r := p.GetMany(ctx, refs)[0]; r.Err != nil || r.Value.Text != "next" || r.Value.Version != aws.ToString(pend.VersionId) {
		t.Errorf("after the rotation: %v, version %q, want %q", r.Err, r.Value.Version, aws.ToString(pend.VersionId))
	}
	wantCalls(t, "after the rotation", calls, 0, 1, 1)
}

// TestDescribeDeletedAndDenied: a secret scheduled for deletion is read
// (and reported not found as before), and a policy that denies
// DescribeSecret turns describing off: every read reads.
func TestDescribeDeletedAndDenied(t *testing.T) {
	refs, setup, calls, p, moto := describeRefs(t, "describe-deleted", 2, nil)
	ctx := t.Context()
	p.GetMany(ctx, refs)
	calls.Reset()
	if _, err := setup.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(secretID(refs[0].Path)), RecoveryWindowInDays: aws.Int64(7)}); err != nil {
		t.Fatal(err)
	}
	res := p.GetMany(ctx, refs)
	if !errors.Is(res[0].Err, runtime.ErrNotFound) || res[1].Err != nil {
		t.Errorf("after scheduling %s for deletion: %v, %v; want not found, then a value", refs[0].Path, res[0].Err, res[1].Err)
	}
	wantCalls(t, "deleted", calls, 0, 1, 2)

	deny := &awstest.Fault{Errors: map[string]string{"DescribeSecret": "AccessDeniedException"}}
	denied := awssm.New(newClient(moto.Endpoint(), awstest.ClientOptions{Counter: calls, Transport: deny}), testApp, testEnv, nil)
	one := refs[1:]
	for range 3 {
		if r := denied.GetMany(ctx, one)[0]; r.Err != nil || r.Value.Text != "v1" {
			t.Errorf("describe denied: %q, %v", r.Value.Text, r.Err)
		}
	}
	// Batch, then describe (denied) and read what it could not settle, then
	// batch again without describing.
	wantCalls(t, "describe denied", calls, 2, 1, 1)
	if s := denied.Stats(); s.Describing {
		t.Errorf("stats %+v: still describing after a denial", s)
	}

	// DisableDescribe never describes.
	off := awssm.New(newClient(moto.Endpoint(), awstest.ClientOptions{Counter: calls}), testApp, testEnv, &awssm.Options{DisableDescribe: true})
	off.GetMany(ctx, one)
	off.GetMany(ctx, one)
	wantCalls(t, "DisableDescribe", calls, 2, 0, 0)
	if s := off.Stats(); s.Describing {
		t.Errorf("stats %+v: describing with DisableDescribe", s)
	}
}

// TestDescribeOverLive: a runtime.Live over a Cache over the provider
// sees a rotation on RefreshNow after describing, and its errors and
// Status never name a value.
func TestDescribeOverLive(t *testing.T) {
	refs, setup, calls, p, _ := describeRefs(t, "describe-live", 5, nil)
	ctx := t.Context()
	load := func(ctx context.Context, pr runtime.Provider) (*[]string, error) {
		res := pr.(runtime.BatchProvider).GetMany(ctx, refs)
		out := make([]string, len(res))
		for i, r := range res {
			if r.Err != nil {
				return nil, r.Err
			}
			out[i] = r.Value.Text
		}
		return &out, nil
	}
	l, err := runtime.NewLive(ctx, runtime.NewCache(p, nil), load, &runtime.LiveOptions{PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	calls.Reset()
	putSecret(ctx, t, setup, secretID(refs[2].Path), "rotated-live")
	if err := l.RefreshNow(ctx); err != nil {
		t.Fatal(err)
	}
	if got := (*l.Settings())[2]; got != "rotated-live" {
		t.Errorf("after RefreshNow: secret 2 is not the rotated value")
	}
	if g, b, d := calls.Get("GetSecretValue"), calls.Get("BatchGetSecretValue"), calls.Get("DescribeSecret"); b != 0 || d != 5 || g < 1 {
		t.Errorf("RefreshNow: %d BatchGetSecretValue, %d GetSecretValue, %d DescribeSecret; want 0, at least 1 (the rotated one; pending versions are asked with GetSecretValue) and 5", b, g, d)
	}
	if s := fmt.Sprint(l.Status()); strings.Contains(s, "rotated-live") {
		t.Errorf("Status prints a value: %s", s)
	}
}

// readOnlyClient is a Client without DescribeSecret.
type readOnlyClient struct{ c *secretsmanager.Client }

func (r readOnlyClient) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, o ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return r.c.GetSecretValue(ctx, in, o...)
}

func (r readOnlyClient) BatchGetSecretValue(ctx context.Context, in *secretsmanager.BatchGetSecretValueInput, o ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error) {
	return r.c.BatchGetSecretValue(ctx, in, o...)
}

// TestDescribeNeedsDescriber: a Client that does not implement Describer
// reads every value on every read.
func TestDescribeNeedsDescriber(t *testing.T) {
	refs, _, calls, _, moto := describeRefs(t, "describe-client", 3, nil)
	p := awssm.New(readOnlyClient{newClient(moto.Endpoint(), awstest.ClientOptions{Counter: calls})}, testApp, testEnv, nil)
	for range 2 {
		for i, r := range p.GetMany(t.Context(), refs) {
			if r.Err != nil || r.Value.Text != fmt.Sprint("v", i) {
				t.Errorf("%s: %q, %v", refs[i].Path, r.Value.Text, r.Err)
			}
		}
	}
	wantCalls(t, "no Describer", calls, 2, 0, 0)
	if s := p.Stats(); s.Describing || s.DescribeCalls != 0 {
		t.Errorf("stats %+v: want no describing", s)
	}
}
