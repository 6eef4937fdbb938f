package vault

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/dashtam/secretsgen/adapters/internal/neterr"
	"github.com/dashtam/secretsgen/runtime"
)

// Start-up bounds of a client FromEnv builds. A wrong VAULT_ADDR must fail
// a Load within a few seconds, not after the Vault client's defaults (two
// retries 1 to 1.5 s and 2 to 3 s apart, a 30 s dial timeout, each of
// them per read).
const (
	// StartupMinRetryWait and StartupMaxRetryWait bound the wait before a
	// retry (the client waits n times a random time between them before
	// the n-th retry). The number of retries stays the client's: 2, or
	// VAULT_MAX_RETRIES. A 429 is not retried by the client but by the
	// provider, while the read's context has time (RateLimitPolicy).
	StartupMinRetryWait = 100 * time.Millisecond
	StartupMaxRetryWait = 400 * time.Millisecond
	// DialTimeout bounds opening a connection to Vault; a dial that timed
	// out is not retried (an address that drops packets would otherwise
	// cost three dial timeouts per read).
	DialTimeout = 5 * time.Second
)

// boundRetries applies the start-up bounds to cfg, a config from
// api.DefaultConfig, before api.NewClient.
func boundRetries(cfg *api.Config) {
	cfg.MinRetryWait = StartupMinRetryWait
	cfg.MaxRetryWait = StartupMaxRetryWait
	if tr, ok := cfg.HttpClient.Transport.(*http.Transport); ok {
		tr.DialContext = (&net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}).DialContext
	}
	cfg.CheckRetry = checkRetry
}

// checkRetry is api.DefaultRetryPolicy, except that a dial that timed out
// is not tried again.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" && op.Timeout() {
		return false, err
	}
	return api.DefaultRetryPolicy(ctx, resp, err)
}

// address says which Vault the provider talks to, for a backend-wide
// failure: the client's address without any user:password part, and where
// it came from when FromEnv built the client.
func (p *Provider) address() string {
	addr := p.conn.client.Address()
	if u, err := url.Parse(addr); err == nil {
		u.User = nil
		u.RawQuery, u.Fragment = "", ""
		addr = u.String()
	}
	switch p.addrFrom {
	case addrFromEnv:
		return "VAULT_ADDR=" + addr
	case addrDefault:
		return addr + ", the default when VAULT_ADDR is unset"
	}
	return addr
}

// Where the client's address came from (Provider.addrFrom).
const (
	addrGiven   = iota // New: the caller's client
	addrFromEnv        // FromEnv with VAULT_ADDR set
	addrDefault        // FromEnv with VAULT_ADDR unset
)

// wide reports whether err, from reading one secret, is about Vault as a
// whole: it cannot be reached (neterr.Unreachable: connection, DNS, TLS
// certificate), answers in plain HTTP on an https:// address, is sealed,
// or the login failed. Every other read would fail the same way.
func wide(err error) bool {
	var (
		lf *loginError
		re *api.ResponseError
	)
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.As(err, &lf), notTLS(err):
		return true
	case errors.As(err, &re):
		return re.StatusCode == http.StatusServiceUnavailable && mentions(re.Errors, "sealed")
	}
	return neterr.Unreachable(err)
}

// notTLS reports whether err says that the server did not answer a TLS
// handshake (net/http's ErrSchemeMismatch, or the TLS record header it
// comes from): VAULT_ADDR says https:// for a Vault that serves http://,
// such as a dev server or VAULT_ADDR left unset.
func notTLS(err error) bool {
	var rh tls.RecordHeaderError
	return errors.Is(err, http.ErrSchemeMismatch) || errors.As(err, &rh)
}

// notVaultError is the cause for every read from an address that answers
// but is not Vault: a web server, a UI route, a proxy's error page. It is
// backend-wide, so a load reports it once (runtime.BackendError).
type notVaultError struct{ what string }

func (e *notVaultError) Error() string { return e.what }

// suspect reports whether err, from a read, may mean that the server is
// not Vault: an answer whose body is not Vault's JSON (an error page, a
// page answered with 200), any other failure classify does not know, or
// such a failure of the login. A missing secret is not suspect on its own
// (see diagnose).
func suspect(err error) bool {
	var lf *loginError
	switch {
	case errors.As(err, &lf):
		return lf.odd
	case errors.Is(err, errBadVersion), errors.Is(err, api.ErrSecretNotFound):
		return false
	case notVaultAnswer(err):
		return true
	}
	_, _, ok := classify(err)
	return !ok
}

// diagnose looks at the server as a whole after reads that all found
// nothing (allMissing) or of which one answered in a way that may mean the
// server is not Vault (suspicious). It returns the error that replaces
// every read's, the same for each so that a load states it once: a
// *notVaultError when the server is not Vault, a *mountError when the
// mount is missing or not KV version 2; nil when the reads' own errors
// stand.
func (p *Provider) diagnose(ctx context.Context, allMissing, suspicious bool) error {
	if !allMissing && !suspicious {
		return nil
	}
	if err := p.checkVault(ctx); err != nil {
		return err
	}
	if allMissing {
		if err := p.checkMount(ctx); err != nil {
			return err
		}
	}
	return nil
}

// checkVault asks sys/health, which Vault answers to anyone with a JSON
// object naming its version and its clock, whether the server is Vault.
// It returns a *notVaultError when the server answered as something else
// (a page, an error page, JSON without those fields), and nil when it is
// Vault (its health, or one of its JSON errors, as a namespace may
// answer) or could not be asked (the reads' own errors stand then). Only
// the status and the shape of the answer are used, never its text.
func (p *Provider) checkVault(ctx context.Context) error {
	if p.vaultOK.Load() {
		return nil
	}
	const is = "the server answers, but is not Vault (or a proxy in front of Vault answered): "
	h, err := p.conn.client.Sys().HealthWithContext(ctx)
	var (
		re  *api.ResponseError
		ue  *url.Error
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case ctx.Err() != nil, errors.As(err, &ue):
		return nil // the request itself failed: connection, TLS, deadline
	case err == nil && (h.Version != "" || h.ServerTimeUTC != 0):
		p.vaultOK.Store(true)
		return nil
	case err == nil:
		return &notVaultError{is + "/v1/sys/health gave JSON that is not Vault's"}
	case errors.As(err, &re) && re.RawError:
		return &notVaultError{fmt.Sprintf("%s/v1/sys/health gave HTTP %d and a body that is not Vault's JSON", is, re.StatusCode)}
	case errors.As(err, &re):
		p.vaultOK.Store(true) // one of Vault's JSON errors
		return nil
	case errors.As(err, &syn), errors.As(err, &typ), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		// The body of an answer (an empty one is io.EOF) did not decode.
		return &notVaultError{is + "/v1/sys/health gave a body that is not Vault's JSON"}
	}
	return nil
}

// mountError is the cause for a read that found nothing because the KV
// mount itself is missing or is not KV version 2.
type mountError struct {
	mount string
	what  string
}

func (e *mountError) Error() string { return e.what }

// checkMount asks Vault about the KV mount after reads that found nothing
// (the KV v2 preflight the vault CLI makes: sys/internal/ui/mounts, which
// any token may call). It returns a *mountError when the mount does not
// exist (Vault answers 403 then, to any token, so that mounts cannot be
// probed: a token whose policy allows the secrets' paths sees its mount)
// or is not a KV version 2 engine, and nil when the mount is fine or Vault
// could not be asked (the reads' own errors stand then).
func (p *Provider) checkMount(ctx context.Context) error {
	if p.mountOK.Load() {
		return nil
	}
	s, err := p.conn.client.Logical().ReadWithContext(ctx, "sys/internal/ui/mounts/"+p.mount)
	switch {
	case isStatus(err, http.StatusForbidden):
		return &mountError{mount: p.mount, what: fmt.Sprintf("Vault has no secrets engine mounted at %s/ (or the token's policies reach nothing in it)", p.mount)}
	case err != nil || s == nil || s.Data == nil:
		return nil
	}
	typ, _ := s.Data["type"].(string)
	version := ""
	if opts, ok := s.Data["options"].(map[string]any); ok {
		version, _ = opts["version"].(string)
	}
	switch {
	case typ != "kv":
		return &mountError{mount: p.mount, what: fmt.Sprintf("the secrets engine at %s/ is %q, not KV version 2", p.mount, typ)}
	case version != "2":
		return &mountError{mount: p.mount, what: fmt.Sprintf("the KV secrets engine at %s/ is version 1; secretsgen reads KV version 2 (vault kv enable-versioning %s/)", p.mount, p.mount)}
	}
	p.mountOK.Store(true)
	return nil
}

// mountHint says what to do about a *mountError.
func (p *Provider) mountHint() string {
	return fmt.Sprintf("check SECRETS_VAULT_MOUNT (now %q; default %q): it must name the KV version 2 mount that holds the secrets (vault secrets list shows the mounts)", p.mount, DefaultMount)
}

// wideError wraps cause, the classified cause of a backend-wide failure,
// in a *runtime.BackendError naming the address tried.
func (p *Provider) wideError(cause error) error {
	return &runtime.BackendError{Address: p.address(), Err: cause}
}
