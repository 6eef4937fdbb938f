package vault

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/hashicorp/vault/api/auth/approle"
	"github.com/hashicorp/vault/api/auth/kubernetes"

	"github.com/dashtam/secretsgen/adapters/internal/fileread"
)

// DefaultKubernetesTokenFile is where a pod's service-account token is
// mounted.
const DefaultKubernetesTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"

// AppRoleAuth returns an auth method that logs in to the AppRole auth
// method at mount ("" means "approle") with roleID and either secretID or,
// when secretIDFile is not empty, the contents of that file, read again at
// every login (so a rotated secret id is picked up).
func AppRoleAuth(mount, roleID, secretID, secretIDFile string) (api.AuthMethod, error) {
	if roleID == "" {
		return nil, errors.New("vault: approle: no role id (set VAULT_ROLE_ID)")
	}
	if secretID == "" && secretIDFile == "" {
		return nil, errors.New("vault: approle: no secret id (set VAULT_SECRET_ID or VAULT_SECRET_ID_FILE)")
	}
	var opts []approle.LoginOption
	if mount = strings.Trim(mount, "/"); mount != "" {
		opts = append(opts, approle.WithMountPath(mount))
	}
	if secretIDFile != "" {
		// Read here, bounded and without blocking on a FIFO, rather than by
		// approle's FromFile, which opens the file blocking.
		return &appRoleFileAuth{roleID: roleID, file: secretIDFile, opts: opts}, nil
	}
	a, err := approle.NewAppRoleAuth(roleID, &approle.SecretID{FromString: secretID}, opts...)
	if err != nil {
		return nil, errors.New("vault: approle: invalid login settings")
	}
	return a, nil
}

// maxCredentialFile caps a secret-id or service-account token file: 64 KiB,
// far above a UUID or a JWT.
const maxCredentialFile = 64 << 10

// readCredentialFile reads a credential file with fileread.Read. Its errors
// are *fs.PathError naming the file (configuration, not a credential) and
// wrapping the reason.
func readCredentialFile(ctx context.Context, file string) (string, error) {
	b, err := fileread.Read(ctx, file, maxCredentialFile)
	var pe *fs.PathError
	if err != nil && !errors.As(err, &pe) {
		err = &fs.PathError{Op: "read", Path: file, Err: err}
	}
	return string(b), err
}

// appRoleFileAuth logs in to AppRole with the secret id in a file, read
// again at every login (so a rotated secret id is picked up).
type appRoleFileAuth struct {
	roleID, file string
	opts         []approle.LoginOption
}

func (a *appRoleFileAuth) Login(ctx context.Context, client *api.Client) (*api.Secret, error) {
	sid, err := readCredentialFile(ctx, a.file)
	if err != nil {
		return nil, err
	}
	sid = strings.TrimSuffix(sid, "\n")
	if sid == "" {
		return nil, errEmptySecretIDFile
	}
	r, err := approle.NewAppRoleAuth(a.roleID, &approle.SecretID{FromString: sid}, a.opts...)
	if err != nil {
		return nil, errors.New("invalid login settings")
	}
	return r.Login(ctx, client)
}

// errEmptySecretIDFile is the login error for an empty secret-id file.
var errEmptySecretIDFile = errors.New("the secret id file is empty")

// KubernetesAuth returns an auth method that logs in to the Kubernetes auth
// method at mount ("" means "kubernetes") as role, with the service-account
// token in tokenFile ("" means DefaultKubernetesTokenFile). The file is read
// at every login: Kubernetes rotates projected tokens.
func KubernetesAuth(mount, role, tokenFile string) (api.AuthMethod, error) {
	if role == "" {
		return nil, errors.New("vault: kubernetes: no role (set SECRETS_VAULT_K8S_ROLE)")
	}
	if tokenFile == "" {
		tokenFile = DefaultKubernetesTokenFile
	}
	return &k8sAuth{mount: strings.Trim(mount, "/"), role: role, tokenFile: tokenFile}, nil
}

type k8sAuth struct {
	mount, role, tokenFile string
}

// Login reads the token file and logs in through api/auth/kubernetes.
func (a *k8sAuth) Login(ctx context.Context, client *api.Client) (*api.Secret, error) {
	jwt, err := readCredentialFile(ctx, a.tokenFile)
	if err != nil {
		return nil, err // an *fs.PathError: names the file only
	}
	opts := []kubernetes.LoginOption{kubernetes.WithServiceAccountToken(strings.TrimSpace(jwt))}
	if a.mount != "" {
		opts = append(opts, kubernetes.WithMountPath(a.mount))
	}
	k, err := kubernetes.NewKubernetesAuth(a.role, opts...)
	if err != nil {
		return nil, err
	}
	return k.Login(ctx, client)
}

func methodName(a api.AuthMethod) string {
	switch a.(type) {
	case nil:
		return "token"
	case *approle.AppRoleAuth, *appRoleFileAuth:
		return "approle"
	case *k8sAuth, *kubernetes.KubernetesAuth:
		return "kubernetes"
	}
	return "custom"
}

// session is the login state of a Provider with an auth method.
//
// gen counts login attempts; err is the outcome of the latest. Readers
// remember the gen they read with, so when many reads fail at once only the
// first logs in again and the rest reuse its outcome. Once a login has
// succeeded, reads keep using its token even if a later attempt fails: the
// token may well be valid still, and a read it fails for logs in again.
type session struct {
	lock chan struct{} // held while logging in; a channel so waiting honours ctx

	mu        sync.Mutex
	gen       uint64
	err       error
	ok        bool // a login succeeded: the client holds our token
	closed    bool
	stopWatch chan struct{} // closes to stop the current watcher
	checked   uint64        // gen whose token lookup-self last found valid
	checkedAt time.Time
	wg        sync.WaitGroup
}

func (s *session) init() { s.lock = make(chan struct{}, 1) }

func (s *session) state() (gen uint64, ok bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen, s.ok, s.err
}

func (s *session) close() {
	s.mu.Lock()
	s.closed = true
	if s.stopWatch != nil {
		close(s.stopWatch)
		s.stopWatch = nil
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// ensureLogin makes sure the client holds a token: with an auth method it
// logs in until a login succeeds. It returns the login generation the read
// runs with.
func (p *Provider) ensureLogin(ctx context.Context) (uint64, error) {
	if p.conn.auth == nil {
		return 0, nil
	}
	gen, ok, _ := p.session.state()
	if ok {
		return gen, nil
	}
	return p.login(ctx, gen)
}

// login logs in, unless another attempt started after generation seen: then
// that attempt's outcome is returned.
func (p *Provider) login(ctx context.Context, seen uint64) (uint64, error) {
	s := &p.session
	select {
	case s.lock <- struct{}{}:
	case <-ctx.Done():
		return seen, newLoginError(p.method, ctx.Err())
	}
	defer func() { <-s.lock }()
	if gen, _, err := s.state(); gen != seen {
		return gen, err
	}
	secret, err := p.loginOnce(ctx)

	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil && ctx.Err() != nil {
		// This caller gave up; the next caller tries with its own context.
		return s.gen, newLoginError(p.method, err)
	}
	s.gen++
	if err != nil {
		s.err = newLoginError(p.method, err)
		return s.gen, s.err
	}
	s.err, s.ok = nil, true
	p.logger.Info("vault: logged in", "auth", p.method, "ttl", time.Duration(secret.Auth.LeaseDuration)*time.Second)
	p.watchLocked(secret, s.gen)
	p.db.relogin(s.gen) // database leases read with the old token end with it
	return s.gen, nil
}

// loginOnce logs in on a clone of the client that carries no token (Vault
// may refuse a login request that presents an expired token) and gives the
// new token to the provider's client.
func (p *Provider) loginOnce(ctx context.Context) (*api.Secret, error) {
	lc, err := p.conn.client.CloneWithHeaders()
	if err != nil {
		return nil, err
	}
	lc.ClearToken()
	secret, err := p.conn.auth.Login(ctx, lc)
	if err != nil {
		return nil, err
	}
	if secret == nil || secret.Auth == nil || secret.Auth.ClientToken == "" {
		return nil, errNoToken
	}
	p.conn.client.SetToken(secret.Auth.ClientToken)
	return secret, nil
}

// errNoToken is the cause when a login answer carries no token.
var errNoToken = errors.New("the login answer holds no token")

// tokenExpired reports whether a 403 that a read with generation gen got
// may be due to the token rather than the policy: the token changed since,
// or lookup-self says it is no longer valid.
func (p *Provider) tokenExpired(ctx context.Context, gen uint64) bool {
	s := &p.session
	s.mu.Lock()
	changed := s.gen != gen
	recent := s.checked == gen && time.Since(s.checkedAt) < time.Second
	s.mu.Unlock()
	if changed {
		return true
	}
	if recent {
		return false
	}
	_, err := p.conn.client.Auth().Token().LookupSelfWithContext(ctx)
	if err == nil {
		s.mu.Lock()
		s.checked, s.checkedAt = gen, time.Now()
		s.mu.Unlock()
		return false
	}
	return isStatus(err, 403)
}

// watchLocked starts a LifetimeWatcher for a fresh login, replacing the
// previous one. Called with session.mu held.
func (p *Provider) watchLocked(secret *api.Secret, gen uint64) {
	s := &p.session
	if s.stopWatch != nil {
		close(s.stopWatch)
		s.stopWatch = nil
	}
	if s.closed || secret.Auth.LeaseDuration <= 0 {
		return // closed, or a token that never expires
	}
	// Renew on a clone that does not retry, and stop at the first failed
	// renewal: Vault refuses renewals near the max TTL, and logging in again
	// at once beats the client's retries (the token would expire meanwhile)
	// and the watcher's own error backoff (which spins without pause, for
	// the rest of the lease, when its retry interval exceeds the lease). A
	// token that is not renewable is watched until near its end.
	behavior := api.RenewBehaviorErrorOnErrors
	if !secret.Auth.Renewable {
		behavior = api.RenewBehaviorRenewDisabled
	}
	wc, err := p.conn.client.CloneWithHeaders()
	var w *api.LifetimeWatcher
	if err == nil {
		wc.SetMaxRetries(0)
		w, err = wc.NewLifetimeWatcher(&api.LifetimeWatcherInput{Secret: secret, RenewBehavior: behavior})
	}
	if err != nil {
		p.logger.Warn("vault: cannot watch the token; it will not be renewed", "auth", p.method)
		return
	}
	stop := make(chan struct{})
	s.stopWatch = stop
	s.wg.Add(1)
	go p.watch(w, stop, gen)
}

// watch runs w until renewal stops, then logs in again (retrying with
// backoff) until it succeeds or stop closes.
func (p *Provider) watch(w *api.LifetimeWatcher, stop chan struct{}, gen uint64) {
	defer p.session.wg.Done()
	started := time.Now()
	go w.Start()
	defer w.Stop()
	done, err := p.waitRenewalDone(w, stop)
	if !done {
		return
	}
	reason := "end of the token's lifetime"
	switch {
	case errors.Is(err, api.ErrLifetimeWatcherNotRenewable):
		reason = "the token is no longer renewable"
	case err != nil:
		_, cause, _ := classify(err)
		reason = "renewal failed: " + cause.Error()
	}
	p.logger.Info("vault: token renewal stopped; logging in again", "auth", p.method, "reason", reason)
	// A renewal that fails right after a login would otherwise make a loop
	// of logins; a fresh token has most of its lifetime left to wait in.
	if !sleep(stop, time.Until(started.Add(minWatch))) {
		return
	}
	// stopped is cancelled when stop closes, ending a login in progress.
	stopped, cancelStopped := context.WithCancel(context.Background())
	defer cancelStopped()
	go func() {
		select {
		case <-stop:
			cancelStopped()
		case <-stopped.Done():
		}
	}()
	delay := 250 * time.Millisecond
	for {
		ctx, cancel := context.WithTimeout(stopped, loginTimeout)
		next, err := p.login(ctx, gen)
		cancel()
		if err == nil {
			return // login started a new watcher and closed stop
		}
		select {
		case <-stop:
			return
		default:
		}
		p.logger.Warn("vault: login failed; retrying", "auth", p.method, "in", delay, "error", err)
		gen = next
		if !sleep(stop, delay) {
			return
		}
		delay = min(2*delay, time.Minute)
	}
}

// minWatch is the least time between a login and a background re-login.
const minWatch = time.Second

// sleep waits for d; it returns false early when stop closes.
func sleep(stop chan struct{}, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-stop:
		return false
	case <-t.C:
		return true
	}
}

// waitRenewalDone waits until w stops renewing (true, and why) or stop
// closes (false).
func (p *Provider) waitRenewalDone(w *api.LifetimeWatcher, stop chan struct{}) (bool, error) {
	for {
		select {
		case <-stop:
			return false, nil
		case <-w.RenewCh():
			p.logger.Debug("vault: token renewed", "auth", p.method)
		case err := <-w.DoneCh():
			return true, err
		}
	}
}
