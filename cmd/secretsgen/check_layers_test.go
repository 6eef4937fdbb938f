package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/google/go-cmp/cmp"

	"github.com/dashtam/secretsgen/internal/testing/testenv"
)

// layersManifest is checkManifest readable from env, aws and ssm.
var layersManifest = strings.Replace(checkManifest, "backends: [env]", "backends: [env, aws, ssm]", 1)

// layersEnv writes layersManifest and a .env holding envText, points AWS
// at endpoint, and sets SECRETS_BACKEND to backend.
func layersEnv(t *testing.T, backend, envText, endpoint string) string {
	t.Helper()
	mf := checkEnv(t, envText)
	writeTestFile(t, mf, layersManifest)
	for k, v := range map[string]string{
		"SECRETS_BACKEND": backend, "ENVIRONMENT": "staging",
		"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_PROFILE": "", "AWS_MAX_ATTEMPTS": "1",
	} {
		t.Setenv(k, v)
	}
	return mf
}

// TestCheckLayers: SECRETS_BACKEND=env,aws on moto: the .env override is
// served by env, the rest by aws, a secret in neither is missing from
// env,aws, and the table and -json say so; no value is printed.
func TestCheckLayers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no moto")
	}
	moto := testenv.StartMoto(t)
	mf := layersEnv(t, "env,aws", "DATABASE_URL=postgres://u:zq9canary-env@localhost/dev\n", moto.Endpoint())
	cfg, err := config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	sm := secretsmanager.NewFromConfig(cfg)
	for name, value := range map[string]string{
		"/demo/staging/database/url": "postgres://u:zq9canary-aws@staging/db",
		"/demo/staging/http/timeout": "5s",
	} {
		if _, err := sm.CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}); err != nil {
			t.Fatal(err)
		}
	}

	r := runArgs(t, "check", "-manifest", mf)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (api/key is missing)\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "zq9canary") {
		t.Fatalf("check printed a value:\n%s%s", r.stdout, r.stderr)
	}
	lines := strings.Split(r.stdout, "\n")
	want := []string{
		"backend env,aws, environment staging",
		"ok       database/url    url       env",
		"missing  api/key         string    env,aws  api/key: not found (expected string) [env,aws env API_KEY, aws /demo/staging/api/key]: no layer of env,aws has it;",
		"ok       http/timeout    duration  aws",
		"ok       features/hosts  []string  -",
		"3 ok, 1 missing, 0 denied, 0 invalid, 0 unavailable",
	}
	for i, w := range want {
		if i >= len(lines) || !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d:\n got %q\nwant %q...", i, lines[min(i, len(lines)-1)], w)
		}
	}

	r = runArgs(t, "check", "-manifest", mf, "-json")
	var rep checkReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("-json: %v\n%s", err, r.stdout)
	}
	var got []string
	for _, s := range rep.Secrets {
		got = append(got, s.Path+" "+s.Status+" "+s.Layer)
	}
	if diff := cmp.Diff([]string{"database/url ok env", "api/key missing env,aws", "http/timeout ok aws", "features/hosts ok "}, got); diff != "" {
		t.Errorf("-json (-want +got):\n%s", diff)
	}
	if rep.Backend != "env,aws" || !cmp.Equal(rep.Layers, []string{"env", "aws"}) {
		t.Errorf("-json header: backend %q layers %v", rep.Backend, rep.Layers)
	}
}

// TestCheckTimeout: a layer that never answers is unavailable once
// -timeout has passed, naming that layer; the layer above still serves.
func TestCheckTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accept and never answer
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	mf := layersEnv(t, "env,ssm", "DATABASE_URL=postgres://u:zq9canary@localhost/dev\n", "http://"+ln.Addr().String())
	start := time.Now()
	r := runArgs(t, "check", "-manifest", mf, "-json", "-timeout", "500ms")
	// The message checked below says the deadline ended the read; the
	// time only guards against a hang (a busy machine takes seconds).
	if took := time.Since(start); took > time.Minute {
		t.Errorf("check took %s with -timeout 500ms", took)
	}
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	var rep checkReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("-json: %v\n%s", err, r.stdout)
	}
	for _, s := range rep.Secrets {
		switch s.Path {
		case "database/url":
			if s.Status != "ok" || s.Layer != "env" {
				t.Errorf("%+v; want ok from env", s)
			}
		default:
			if s.Status != "unavailable" || s.Layer != "ssm" || !strings.Contains(s.Message, "deadline exceeded") {
				t.Errorf("%+v; want unavailable from ssm, deadline exceeded", s)
			}
		}
	}
	if r := runArgs(t, "check", "-manifest", mf, "-timeout", "0s"); r.code != 2 || !strings.Contains(r.stderr, "-timeout must be a positive duration") {
		t.Errorf("-timeout 0s: %+v", r)
	}
}

// TestProgress: the line names each layer's answered count and is erased
// at the end; it is drawn only on a terminal.
func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&syncWriter{w: &buf}, 3, []string{"env", "aws"})
	if got := p.line(); !strings.HasPrefix(got, "checking 3 secrets: env connecting, aws connecting (") {
		t.Errorf("line before reads: %q", got)
	}
	p.layers[0].asked.Store(3)
	p.layers[0].answered.Store(3)
	p.layers[1].asked.Store(2)
	if got := p.line(); !strings.HasPrefix(got, "checking 3 secrets: env 3/3, aws 0/2 (") {
		t.Errorf("line: %q", got)
	}
	p.stop()
	p.stop()
	if out := buf.String(); !strings.HasPrefix(out, "\r\033[Kchecking 3 secrets") || !strings.HasSuffix(out, "\r\033[K") {
		t.Errorf("drawn %q; want lines that end erased", out)
	}
	var none *progress
	none.stop()
	if newProgress(nil, 1, nil) != nil {
		t.Error("a progress without a terminal")
	}

	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if terminal(f) != nil || terminal(&buf) != nil {
		t.Error("a file or a buffer taken for a terminal")
	}
	if ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0); err == nil {
		defer ptmx.Close()
		if terminal(ptmx) == nil {
			t.Error("a pseudo-terminal not taken for a terminal")
		}
	}
}

// syncWriter serializes writes (the drawing goroutine writes while the
// test reads only after stop).
type syncWriter struct{ w *bytes.Buffer }

func (s *syncWriter) Write(b []byte) (int, error) { return s.w.Write(b) }

// TestCheckLayersEmptyVariable: in a chain (SECRETS_BACKEND=env,files) an
// empty variable, in the process environment or the .env file, counts as
// unset, so the files layer serves the secret and check names it; alone,
// env serves the empty value (an invalid url, an empty string). No value
// is printed.
func TestCheckLayersEmptyVariable(t *testing.T) {
	mf := checkEnv(t, "API_KEY=\n")
	writeTestFile(t, mf, strings.Replace(checkManifest, "backends: [env]", "backends: [env, files]", 1))
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "DATABASE_URL"), "postgres://u:zq9canary-files@db/x")
	writeTestFile(t, filepath.Join(dir, "API_KEY"), "zq9canary-files")
	t.Setenv("SECRETS_FILES_DIR", dir)
	t.Setenv("DATABASE_URL", "")

	layers := func(backend string) []string {
		t.Helper()
		t.Setenv("SECRETS_BACKEND", backend)
		r := runArgs(t, "check", "-manifest", mf, "-json")
		if strings.Contains(r.stdout+r.stderr, "zq9canary") {
			t.Fatalf("check printed a value:\n%s%s", r.stdout, r.stderr)
		}
		var rep checkReport
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("-json: %v\n%s%s", err, r.stdout, r.stderr)
		}
		var got []string
		for _, s := range rep.Secrets {
			got = append(got, s.Path+" "+s.Status+" "+s.Layer)
		}
		return got
	}
	if diff := cmp.Diff([]string{"database/url ok files", "api/key ok files", "http/timeout ok default", "features/hosts ok "}, layers("env,files")); diff != "" {
		t.Errorf("env,files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"database/url invalid env", "api/key ok env", "http/timeout ok default", "features/hosts ok "}, layers("env")); diff != "" {
		t.Errorf("env alone (-want +got):\n%s", diff)
	}
}
