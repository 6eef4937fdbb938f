package genimpl

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dashtam/secretsgen/runtime"
)

// The credential parse errors; none contains the text.
var (
	errCredential         = errors.New(`expected a JSON object with "username" and "password", such as {"username":"app","password":"..."}`)
	errCredentialUsername = errors.New(`member "username" must be a non-empty JSON string`)
	errCredentialPassword = errors.New(`member "password" must be a non-empty JSON string`)
)

// ParseCredential reads the text of a credential, a JSON object whose
// members "username" and "password" are non-empty strings, into a
// runtime.Credential without a lease. Other members are kept as their text
// (a number as its JSON text: "5432"); a member that is an object, a list
// or null is left out. The error names what is wrong, never the text.
func ParseCredential(text string) (runtime.Credential, error) {
	return ParseCredentialValue(runtime.Value{Text: text})
}

// ParseCredentialValue is ParseCredential of v.Text, and the credential
// carries v.Lease.
func ParseCredentialValue(v runtime.Value) (runtime.Credential, error) {
	m, err := decodeObject(strings.TrimSpace(v.Text))
	if err != nil {
		return runtime.Credential{}, errCredential
	}
	str := func(key string, bad error) (string, error) {
		raw, ok := m[key]
		if !ok || len(raw) == 0 || raw[0] != '"' {
			return "", bad
		}
		s, err := scalarText(raw)
		if err != nil || s == "" {
			return "", bad
		}
		return s, nil
	}
	user, err := str("username", errCredentialUsername)
	if err != nil {
		return runtime.Credential{}, err
	}
	pass, err := str("password", errCredentialPassword)
	if err != nil {
		return runtime.Credential{}, err
	}
	var members map[string]string
	for k, raw := range m {
		if k == "username" || k == "password" {
			continue
		}
		if t, err := scalarText(raw); err == nil {
			if members == nil {
				members = make(map[string]string, len(m)-2)
			}
			members[k] = t
		}
	}
	return runtime.NewCredential(user, pass, members, v.Lease), nil
}

// FormatCredential writes the text of c: a JSON object of its username,
// its password and its other members (their texts), with sorted keys.
// ParseCredential reads it back.
func FormatCredential(c runtime.Credential) string {
	kv := []string{"username", c.Username, "password", c.Password.Reveal()}
	for k, v := range c.Members() {
		if k != "username" && k != "password" {
			kv = append(kv, k, v)
		}
	}
	return FormatObject(kv...)
}

// Credential returns the Loader's i-th ref, a required credential, parsed
// by ParseCredentialValue: the credential carries the lease its backend
// gave. Failures are recorded as Field records them.
func Credential(l *Loader, i int) runtime.Credential {
	if l.errs[i] != nil {
		return runtime.Credential{}
	}
	v := l.results[i].Value
	return parseAt(l, i, v.Text, false, func(string) (runtime.Credential, error) { return ParseCredentialValue(v) })
}

// OptionalCredential is Credential for an optional credential: when it is
// absent (runtime.ErrNotFound) it returns the zero Credential and records
// nothing.
func OptionalCredential(l *Loader, i int) runtime.Credential {
	if l.dropNotFound(i) {
		return runtime.Credential{}
	}
	return Credential(l, i)
}

// CredentialValue is the value a generated Fake serves for c: its text
// (FormatCredential) and c's lease, or lease when c has none.
func CredentialValue(c runtime.Credential, lease *runtime.Lease) runtime.Value {
	if c.Lease() != nil {
		lease = c.Lease()
	}
	return runtime.Value{Text: FormatCredential(c), Lease: lease}
}

// FakeExpire ends the lease of the credential m serves at path, as when
// its backend's lease runs out: it expires now, cannot be renewed and the
// next action is a replacement. It panics when path has no leased value
// (a test that forgot to set the credential).
func FakeExpire(m *runtime.Memory, path string) {
	fakeLease(m, path).Update(func(st *runtime.LeaseStatus) {
		now := time.Now()
		st.Expires, st.Renewable, st.NextAction, st.NextAt = now, false, "replace", now
	})
}

// FakeRenew renews the lease of the credential m serves at path for d:
// it expires d from now, was renewed now and has no error.
func FakeRenew(m *runtime.Memory, path string, d time.Duration) {
	fakeLease(m, path).Update(func(st *runtime.LeaseStatus) {
		now := time.Now()
		st.Expires, st.LastRenewal, st.Err = now.Add(d), now, nil
		st.NextAction, st.NextAt = "renew", now.Add(d*2/3)
	})
}

// FakeFailRenew records err as the failure of a renewal of the lease of
// the credential m serves at path; its expiry does not move. err must not
// contain a secret value.
func FakeFailRenew(m *runtime.Memory, path string, err error) {
	fakeLease(m, path).Update(func(st *runtime.LeaseStatus) {
		st.Err = err
		st.NextAction, st.NextAt = "renew", time.Now()
	})
}

func fakeLease(m *runtime.Memory, path string) *runtime.Lease {
	l := m.Lease(path)
	if l == nil {
		panic(fmt.Sprintf("fake: no leased credential is served at %s; set one first", path))
	}
	return l
}
