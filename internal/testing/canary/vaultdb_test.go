package canary_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
	"github.com/dashtam/secretsgen/runtime/health"
)

// dbSettings is what vaultDBLoad loads: a dynamic and a static credential
// of Vault's database engine, as generated code would hold them.
type dbSettings struct {
	Dynamic, Static runtime.Credential
}

const (
	pathDynamic = "database/dynamic"
	pathStatic  = "database/static"
)

// vaultDBLoad returns a load function (what a generated Load is) for the
// dynamic and the static role of db.
func vaultDBLoad(db *testenv.VaultDB) func(context.Context, runtime.Provider) (*dbSettings, error) {
	refs := []runtime.Ref{
		{Path: pathDynamic, Env: "DATABASE_DYNAMIC", Type: "credential", Database: db.Mount + "/creds/" + db.DynamicRole},
		{Path: pathStatic, Env: "DATABASE_STATIC", Type: "credential", Database: db.Mount + "/static-creds/" + db.StaticRole},
	}
	return func(ctx context.Context, p runtime.Provider) (*dbSettings, error) {
		l := genimpl.Fetch(ctx, p, refs)
		s := &dbSettings{Dynamic: genimpl.Credential(l, 0), Static: genimpl.Credential(l, 1)}
		if err := l.Err(); err != nil {
			return nil, err
		}
		return s, nil
	}
}

// secrets is the set of values that must never show: every password the
// engine handed out (dynamic and static) and Vault's root token.
type secrets struct {
	mu    sync.Mutex
	names map[string]string // value -> what it is
	forms []form
}

func newSecrets() *secrets { return &secrets{names: map[string]string{}} }

// add records v (called name) and every form it can take in a text: as
// is, case-folded, hex, spaced hex, %v of its bytes, %q and JSON
// escaping, and standard and URL base64 at each of the three alignments.
func (s *secrets) add(name, v string) {
	if len(v) < 8 {
		panic("a secret this short would match by chance: " + name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.names[v]; ok {
		return
	}
	s.names[v] = name
	s.forms = append(s.forms,
		form{name: name, text: v, fold: true},
		form{name: name + " %q", text: strings.Trim(fmt.Sprintf("%q", v), `"`)},
		form{name: name + " JSON", text: strings.Trim(jsonText(v), `"`)},
		form{name: name + " hex", text: hex.EncodeToString([]byte(v)), fold: true},
		form{name: name + " spaced hex", text: fmt.Sprintf("% x", v), fold: true},
		form{name: name + " bytes", text: strings.Trim(fmt.Sprint([]byte(v)), "[]")})
	for k := range 3 {
		sub := v[k:]
		sub = sub[:len(sub)/3*3]
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			s.forms = append(s.forms, form{name: fmt.Sprintf("%s base64 (alignment %d)", name, k), text: enc.EncodeToString([]byte(sub))})
		}
	}
}

func (s *secrets) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.names)
}

// find returns the first form of a secret that text holds, and where.
func (s *secrets) find(text string) (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lower := strings.ToLower(text)
	for _, f := range s.forms {
		at := strings.Index(text, f.text)
		if at < 0 && f.fold {
			at = strings.Index(lower, strings.ToLower(f.text))
		}
		if at >= 0 {
			return f.name, at
		}
	}
	return "", -1
}

// check fails t when text holds a secret; it shows only the secret's name
// and where it is, never the text around it.
func (s *secrets) check(t *testing.T, where, text string) {
	t.Helper()
	if name, at := s.find(text); at >= 0 {
		t.Errorf("%s: %s leaked at byte %d of %d", where, name, at, len(text))
	}
}

// printed returns v formatted every way a program shows a value: every fmt
// verb, Sprint, json.Marshal and slog's JSON and text handlers.
func printed(v any) map[string]string {
	out := map[string]string{"fmt.Sprint": fmt.Sprint(v)}
	for _, verb := range verbs {
		out["printed with "+verb] = fmt.Sprintf(verb, v)
	}
	holder := struct{ v any }{v}
	out["in an unexported field, %+v"] = fmt.Sprintf("%+v", &holder)
	if b, err := json.Marshal(v); err == nil {
		out["json.Marshal"] = string(b)
	} else {
		out["json.Marshal error"] = err.Error()
	}
	for name, text := range logOutputs(func(l *slog.Logger) { l.Info("msg", "v", v) }) {
		out["slog "+name] = text
	}
	return out
}

func (s *secrets) checkPrinted(t *testing.T, where string, v any) {
	t.Helper()
	for how, text := range printed(v) {
		s.check(t, where+" "+how, text)
	}
}

// checkError checks err and every error in its tree, printed every way.
func (s *secrets) checkError(t *testing.T, where string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	s.check(t, where+" Error()", err.Error())
	walk(err, func(e error) { s.checkPrinted(t, fmt.Sprintf("%s: %T in the error tree", where, e), e) })
}

// checkStatus checks a Live's Status, each SecretStatus, its LeaseStatus
// and errors.
func (s *secrets) checkStatus(t *testing.T, where string, st runtime.Status) {
	t.Helper()
	s.checkPrinted(t, where+": Status", st)
	for _, sec := range st.Secrets {
		w := where + ": " + sec.Path
		s.checkPrinted(t, w+" SecretStatus", sec)
		s.checkError(t, w+" error", sec.Err)
		if sec.Lease != nil {
			s.checkPrinted(t, w+" LeaseStatus", *sec.Lease)
			s.checkError(t, w+" LeaseStatus.Err", sec.Lease.Err)
		}
	}
}

// TestSecretsFind is the sweep's self-check: it finds a password in every
// form it looks for, in a longer text, and nothing in clean text.
func TestSecretsFind(t *testing.T) {
	t.Parallel()
	s := newSecrets()
	const pw = "A1a-Xy7Zq2Wv9Ur5"
	s.add("password", pw)
	for name, text := range map[string]string{
		"raw":          "login failed for pw " + pw + " at db",
		"upper":        strings.ToUpper(pw),
		"%q":           fmt.Sprintf("%q", pw),
		"%x":           fmt.Sprintf("%x", pw),
		"%X":           fmt.Sprintf("%X", pw),
		"% x":          fmt.Sprintf("% x", pw),
		"JSON":         jsonText(pw),
		"JSON []byte":  jsonText([]byte("u:" + pw)),
		"%v of []byte": fmt.Sprintf("%v", []byte(pw)),
		"URL base64":   base64.RawURLEncoding.EncodeToString([]byte("xy" + pw + "tail")),
	} {
		if _, at := s.find(text); at < 0 {
			t.Errorf("%s: the password was not found", name)
		}
	}
	if name, at := s.find("username v-token-app-abc, password [REDACTED], lease ends 2031-07-19"); at >= 0 {
		t.Errorf("clean text: found %s", name)
	}
}

// vaultClient is a Vault API client with the root token.
func vaultClient(t *testing.T, v *testenv.Vault) *api.Client {
	t.Helper()
	c, err := api.NewClient(&api.Config{Address: v.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(v.RootToken())
	return c
}

// TestVaultDatabaseCanary reads credentials of the REAL Vault database
// engine (Vault v1.14.1 dev, PostgreSQL 15) through the vault adapter, a
// Cache and a Live with Telemetry (slog JSON and text handlers, an SDK
// ManualReader), and drives them through a load, a renewal, a forced
// replacement after an operator revoked the lease, Vault stopped (failed
// renewals, LeaseStatus.Err) and Close. At each step the passwords the
// engine created (every dynamic one, the static role's), the dynamic
// leases' ids and the root token must not show in any error, Status (printed and JSON), LeaseStatus, log
// record, metric attribute, health response body or printed
// provider, credential or lease. A second Live, closed while Vault is up,
// shows that Close revokes its lease.
func TestVaultDatabaseCanary(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pg := testenv.StartPostgres(t)
	v := testenv.StartVault(t)
	db := testenv.ConfigureVaultDB(t, v, pg, testenv.VaultDBOptions{DefaultTTL: 6 * time.Second, MaxTTL: time.Minute, RotationPeriod: time.Hour})
	root := vaultClient(t, v)
	sec := newSecrets()
	sec.add("Vault's root token", v.RootToken())

	log := newTee()
	logger := slog.New(log)
	rd := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd))
	defer mp.Shutdown(context.Background())

	vp, err := vault.New(vaultClient(t, v), "canary", "dev", &vault.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	cache := runtime.NewCache(vp, nil)
	live, err := runtime.NewLive(ctx, cache, vaultDBLoad(db), &runtime.LiveOptions{
		PollInterval: time.Second, CoolDown: -1, CloseProvider: true,
		Telemetry: runtime.Telemetry{MeterProvider: mp, Logger: logger},
	})
	if err != nil {
		sec.checkError(t, "the first load", err)
		t.Fatalf("the first load failed: %v", err)
	}
	defer live.Close()
	srv := httptest.NewServer(health.Handler(live))
	defer srv.Close()

	// record adds the passwords in use and checks that they are real: the
	// database takes them.
	record := func(where string) *dbSettings {
		t.Helper()
		s := live.Settings()
		sec.add("a dynamic password", s.Dynamic.Password.Reveal())
		sec.add("the static role's password", s.Static.Password.Reveal())
		for _, c := range []runtime.Credential{s.Dynamic, s.Static} {
			if err := pg.Login(c.Username, c.Password.Reveal()); err != nil {
				sec.checkError(t, where+": login error", err)
				t.Fatalf("%s: the database refused %s: the test would check a password the engine did not create", where, c.Username)
			}
		}
		return s
	}
	// addLeaseIDs adds the ids of the dynamic role's leases Vault holds now
	// (the random part, which identifies a lease): a lease id must not show
	// either.
	addLeaseIDs := func() {
		t.Helper()
		sl, err := root.Logical().ListWithContext(ctx, "sys/leases/lookup/"+db.Mount+"/creds/"+db.DynamicRole)
		if err != nil || sl == nil {
			t.Fatalf("listing the dynamic role's leases: %v", err)
		}
		keys, _ := sl.Data["keys"].([]any)
		if len(keys) == 0 {
			t.Fatal("Vault lists no lease of the dynamic role")
		}
		for _, k := range keys {
			sec.add("a lease id", fmt.Sprint(k))
		}
	}
	leaseOf := func(path string) *runtime.LeaseStatus {
		for _, s := range live.Status().Secrets {
			if s.Path == path {
				return s.Lease
			}
		}
		return nil
	}
	healthBody := func(where string) string {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		sec.check(t, where+": health body", string(body))
		return string(body)
	}
	sweep := func(where string) {
		t.Helper()
		s := live.Settings()
		sec.checkStatus(t, where, live.Status())
		for name, c := range map[string]runtime.Credential{"dynamic": s.Dynamic, "static": s.Static} {
			sec.checkPrinted(t, where+": the "+name+" Credential", c)
			if l := c.Lease(); l != nil {
				sec.checkPrinted(t, where+": the "+name+" *Lease", l)
				sec.checkPrinted(t, where+": the "+name+" Lease.Status()", l.Status())
			}
		}
		sec.checkPrinted(t, where+": *dbSettings", s)
		sec.checkPrinted(t, where+": *vault.Provider", vp)
		sec.checkPrinted(t, where+": *runtime.Cache", cache)
		sec.checkPrinted(t, where+": *runtime.Live", live)
		healthBody(where)
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		if !waitUntil(cond) {
			t.Fatalf("after a minute: %s", what)
		}
	}

	// Load.
	first := record("load")
	addLeaseIDs()
	if first.Dynamic.Lease() == nil || first.Static.Lease() == nil {
		t.Fatalf("credentials without a Lease: dynamic %v, static %v", first.Dynamic.Lease(), first.Static.Lease())
	}
	sweep("after the load")

	// Renewal: at about two thirds of the 6 s lease.
	waitFor("the dynamic lease was not renewed", func() bool {
		l := leaseOf(pathDynamic)
		return l != nil && !l.LastRenewal.IsZero()
	})
	waitFor("no lease.renewed event after the renewal (a poll sees it)", func() bool {
		return strings.Contains(log.outputs()["JSON handler"], runtime.EventLeaseRenewed)
	})
	sweep("after a renewal")

	// An operator revokes the dynamic leases; the database drops the user,
	// the service's forced refresh reads a new credential.
	if err := root.Sys().RevokePrefixWithContext(ctx, db.Mount+"/creds/"+db.DynamicRole); err != nil {
		t.Fatalf("revoke-prefix: %v", err)
	}
	waitFor("the revoked user can still log in", func() bool {
		return pg.Login(first.Dynamic.Username, first.Dynamic.Password.Reveal()) != nil
	})
	if err := pg.Login(first.Dynamic.Username, first.Dynamic.Password.Reveal()); err != nil {
		sec.checkError(t, "the refused login's error", err)
	}
	if err := live.RefreshNow(ctx, pathDynamic); err != nil {
		sec.checkError(t, "RefreshNow after the revocation", err)
		t.Fatalf("RefreshNow after the revocation failed")
	}
	waitFor("no new dynamic credential after RefreshNow", func() bool {
		return live.Settings().Dynamic.Username != first.Dynamic.Username
	})
	record("the forced replacement")
	addLeaseIDs()
	sweep("after the forced replacement")

	// A second Live on its own provider, closed while Vault is up: Close
	// revokes its lease and says so in the LeaseStatus.
	users, err := db.DynamicUsers()
	if err != nil {
		t.Fatal(err)
	}
	vp2, err := vault.New(vaultClient(t, v), "canary", "dev", &vault.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	live2, err := runtime.NewLive(ctx, runtime.NewCache(vp2, nil), vaultDBLoad(db), &runtime.LiveOptions{
		PollInterval: time.Hour, CloseProvider: true, Telemetry: runtime.Telemetry{MeterProvider: mp, Logger: logger},
	})
	if err != nil {
		sec.checkError(t, "the second Live's load", err)
		t.Fatal("the second Live's load failed")
	}
	c2 := live2.Settings().Dynamic
	addLeaseIDs()
	sec.add("the second Live's dynamic password", c2.Password.Reveal())
	if err := live2.Close(); err != nil {
		sec.checkError(t, "the second Live's Close", err)
		t.Fatal("the second Live's Close failed")
	}
	if st := c2.Lease().Status(); !st.Revoked {
		t.Errorf("after Close, the second Live's lease is not revoked")
	}
	sec.checkPrinted(t, "the second Live's revoked Lease.Status()", c2.Lease().Status())
	sec.checkPrinted(t, "the second Live after Close", live2)
	waitFor("the user of the second Live's revoked lease still exists", func() bool {
		n, err := db.DynamicUsers()
		return err == nil && n <= users
	})
	if pg.Login(c2.Username, c2.Password.Reveal()) == nil {
		t.Error("the second Live's user logs in after Close revoked its lease")
	}

	// Vault stopped: renewals fail, the LeaseStatus says why, reads fail.
	before := live.Settings().Dynamic
	v.Stop()
	waitFor("no renewal failure in the dynamic LeaseStatus", func() bool {
		l := before.Lease().Status()
		return l.Err != nil
	})
	sec.checkError(t, "LeaseStatus.Err with Vault stopped", before.Lease().Status().Err)
	if err := live.RefreshNow(ctx); err != nil {
		sec.checkError(t, "RefreshNow with Vault stopped", err)
	} else {
		t.Error("RefreshNow with Vault stopped succeeded")
	}
	staticRef := runtime.Ref{Path: pathStatic, Type: "credential", Database: db.Mount + "/static-creds/" + db.StaticRole}
	if _, err := vp.Get(ctx, staticRef); err != nil {
		sec.checkError(t, "Get of the static role with Vault stopped", err)
	} else {
		t.Error("Get of the static role with Vault stopped succeeded")
	}
	waitFor("the Status does not report the static role's read failure", func() bool {
		for _, s := range live.Status().Secrets {
			if s.Path == pathStatic && s.Err != nil {
				return true
			}
		}
		return false
	})
	sweep("with Vault stopped")

	// Close: the revocations fail (Vault is down); the error names what,
	// never a password.
	if err := live.Close(); err != nil {
		sec.checkError(t, "Close with Vault stopped", err)
	}
	sweep("after Close")

	// The logs and the metrics of the whole run.
	for name, out := range log.outputs() {
		for _, ev := range []string{runtime.EventLeaseRenewed, runtime.EventLeaseReplaced, runtime.EventOutageBegun} {
			if !strings.Contains(out, ev) {
				t.Errorf("%s: no %s event: the test proves less than it says", name, ev)
			}
		}
		sec.check(t, "log records ("+name+")", out)
	}
	var rm metricdata.ResourceMetrics
	if err := rd.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	var attrs bytes.Buffer
	emit := func(set attribute.Set) {
		for _, kv := range set.ToSlice() {
			fmt.Fprintf(&attrs, "%s=%s\n", kv.Key, kv.Value.String())
		}
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					emit(p.Attributes)
				}
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					emit(p.Attributes)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					emit(p.Attributes)
				}
			default:
				t.Errorf("%s: data %T not checked", m.Name, m.Data)
			}
		}
	}
	if !strings.Contains(attrs.String(), "path="+pathDynamic) {
		t.Errorf("no metric names %s: the test proves less than it says", pathDynamic)
	}
	sec.check(t, "metric attributes", attrs.String())
	for _, verb := range verbs {
		sec.check(t, "the metrics printed with "+verb, fmt.Sprintf(verb, rm))
	}
	if n := sec.count(); n < 8 { // root token, 3 dynamic passwords, static, 3 lease ids
		t.Errorf("%d secrets checked, want at least 8", n)
	}
}
