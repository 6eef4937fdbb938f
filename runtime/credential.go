package runtime

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"
)

// Credential is a username and password that are read, swapped and used as
// one value: a Live never holds the username of one version beside the
// password of another. A manifest entry of type credential becomes a
// Credential field (docs/credentials.md says where each backend keeps the
// two parts).
//
// The password is a Secret; printing a Credential with any fmt verb,
// encoding/json or log/slog shows the username and [REDACTED], never the
// password or the other members.
//
// When the backend hands the credential out for a limited time (Vault's
// database secrets engine), Lease returns its lifecycle; pools that open
// connections with the credential Hold it while a connection lives, so
// that the lease is not revoked under a running query.
type Credential struct {
	Username string
	Password Secret[string]
	// extra is two pointers away: where fmt cannot call Format (a
	// Credential in an unexported field) it prints through reflection,
	// which follows one pointer at most, so it shows an address and never
	// the members.
	extra **credExtra
}

type credExtra struct {
	members map[string]string
	lease   *Lease
}

// NewCredential returns a Credential. members are the other members of the
// backend's value (an AWS RDS secret's host, port, dbname, engine); lease is
// nil when the backend gives no lease. NewCredential copies members.
func NewCredential(username, password string, members map[string]string, lease *Lease) Credential {
	c := Credential{Username: username, Password: NewSecret(password)}
	if len(members) > 0 || lease != nil {
		e := &credExtra{members: maps.Clone(members), lease: lease}
		c.extra = &e
	}
	return c
}

func (c Credential) members() map[string]string {
	if c.extra == nil {
		return nil
	}
	return (*c.extra).members
}

// Member returns another member of the backend's value by name ("host",
// "port", "dbname", ...), and false when the value has none. Numbers are
// given in their JSON text ("5432").
func (c Credential) Member(name string) (string, bool) {
	v, ok := c.members()[name]
	return v, ok
}

// Members returns a copy of the other members of the backend's value
// (nil when there are none).
func (c Credential) Members() map[string]string { return maps.Clone(c.members()) }

// Lease returns the credential's lease, or nil when the backend gave none
// (a KV or Secrets Manager secret, a variable, a file).
func (c Credential) Lease() *Lease {
	if c.extra == nil {
		return nil
	}
	return (*c.extra).lease
}

// Hold marks the credential as in use (a connection opened with it is
// open) until release is called: a lease is not revoked while held, until
// its drain time is over. Without a lease it does nothing. Call release
// exactly once.
func (c Credential) Hold() (release func()) {
	if c.Lease() == nil {
		return func() {}
	}
	return c.Lease().hold()
}

// IsZero reports whether c holds no credential (an optional credential that
// is absent).
func (c Credential) IsZero() bool {
	return c.Username == "" && c.Password.Reveal() == "" && c.extra == nil
}

// Equal reports whether c and o hold the same username, password, members
// and lease. It lets github.com/google/go-cmp compare settings.
func (c Credential) Equal(o Credential) bool {
	return c.Username == o.Username && c.Password.Equal(o.Password) && maps.Equal(c.members(), o.members()) && c.Lease() == o.Lease()
}

// String implements fmt.Stringer: the username and [REDACTED].
func (c Credential) String() string {
	return fmt.Sprintf("{Username:%s Password:%s}", c.Username, Redacted)
}

// GoString implements fmt.GoStringer (the %#v verb).
func (c Credential) GoString() string {
	return fmt.Sprintf("runtime.Credential{Username:%q, Password:%s}", c.Username, Redacted)
}

// Format implements fmt.Formatter so that every verb prints String.
func (c Credential) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(c.GoString()))
		return
	}
	_, _ = f.Write([]byte(c.String()))
}

// MarshalJSON implements json.Marshaler: {"username": ..., "password": "[REDACTED]"}.
func (c Credential) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}{c.Username, Redacted})
}

// LogValue implements slog.LogValuer: the username and [REDACTED].
func (c Credential) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", c.Username), slog.String("password", Redacted))
}

// Lease is the lifecycle of a credential that its backend hands out for a
// limited time: a Vault database lease (dynamic credentials) or a static
// role's rotation period. The adapter that read the credential creates it
// (NewLease) and keeps it current (Set); the Live reports it in Status;
// connection pools read its expiry and Hold it while a connection lives.
// A Lease holds no secret and no lease id. It is safe for concurrent use.
type Lease struct {
	mu    sync.Mutex
	st    LeaseStatus
	holds atomic.Int64
}

// LeaseStatus is what a Lease says of itself; it holds no secret and no
// lease id.
type LeaseStatus struct {
	// Expires is when the credential stops working: the lease's end, or
	// a static role's next rotation. Zero when unknown.
	Expires time.Time
	// Renewable is true when the backend can extend the lease.
	Renewable bool
	// LastRenewal is when the lease was last renewed; zero when never.
	LastRenewal time.Time
	// NextAction is what the adapter will do next ("renew", "replace",
	// "read again", "revoke") and NextAt when.
	NextAction string
	NextAt     time.Time
	// Revoked is true once the backend revoked the lease (after a
	// replacement, on Close, or by an operator).
	Revoked bool
	// Err is the last renewal's or replacement's failure (never a value),
	// nil after a success.
	Err error
	// Holds counts the connections that hold the credential now.
	Holds int
	// Rotation is true when Expires is a static role's next password
	// rotation, not the end of a lease: after it new logins need the new
	// password, while sessions already open keep working (the database
	// role stays). Connection pools neither close connections nor refuse
	// logins as it nears; they close connections once the credential in
	// use is a newer one.
	Rotation bool
}

// NewLease returns a Lease in state st (st.Holds is ignored).
func NewLease(st LeaseStatus) *Lease {
	l := &Lease{}
	l.Set(st)
	return l
}

// Set replaces the lease's state (st.Holds is ignored): adapters call it
// after each renewal, failure and revocation.
func (l *Lease) Set(st LeaseStatus) {
	st.Holds = 0
	l.mu.Lock()
	l.st = st
	l.mu.Unlock()
}

// Update changes the lease's state with fn under the lease's lock.
func (l *Lease) Update(fn func(*LeaseStatus)) {
	l.mu.Lock()
	fn(&l.st)
	l.st.Holds = 0
	l.mu.Unlock()
}

// Status returns the lease's state.
func (l *Lease) Status() LeaseStatus {
	l.mu.Lock()
	st := l.st
	l.mu.Unlock()
	st.Holds = int(l.holds.Load())
	return st
}

// Expires returns when the credential stops working (zero when unknown).
func (l *Lease) Expires() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st.Expires
}

// Holds returns how many holders hold the lease now.
func (l *Lease) Holds() int { return int(l.holds.Load()) }

// Format implements fmt.Formatter: a Lease prints its status fields that
// say when, never an id.
func (l *Lease) Format(f fmt.State, _ rune) {
	st := l.Status()
	fmt.Fprintf(f, "runtime.Lease{Expires:%s Renewable:%t Holds:%d}", st.Expires.Format(time.RFC3339), st.Renewable, st.Holds)
}

func (l *Lease) hold() func() {
	l.holds.Add(1)
	var once sync.Once
	return func() { once.Do(func() { l.holds.Add(-1) }) }
}
