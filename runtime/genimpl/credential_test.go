package genimpl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/runtime"
)

func TestParseCredential(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		user, pass string
		members    map[string]string
		err        string // a part of the error; "" for success
	}{
		{name: "two members", text: `{"username":"app","password":"pw"}`, user: "app", pass: "pw"},
		{name: "rds rotation format", text: `{"engine":"postgres","host":"db","port":5432,"username":"app","password":"pw","dbname":"x","ssl":true}`,
			user: "app", pass: "pw", members: map[string]string{"engine": "postgres", "host": "db", "port": "5432", "dbname": "x", "ssl": "true"}},
		{name: "white space", text: " {\"username\":\"a\",\"password\":\"b\"}\n", user: "a", pass: "b"},
		{name: "nested members left out", text: `{"username":"a","password":"b","x":{"y":1},"l":[1],"n":null}`, user: "a", pass: "b"},
		{name: "escaped", text: `{"username":"a\u00e9","password":"p\"w"}`, user: "aé", pass: `p"w`},
		{name: "not json", text: `zq9app:zq9pw`, err: "expected a JSON object"},
		{name: "list", text: `["zq9app","zq9pw"]`, err: "expected a JSON object"},
		{name: "broken", text: `{"username":"zq9app","password":`, err: "expected a JSON object"},
		{name: "no username", text: `{"user":"app","password":"pw"}`, err: `"username" must be`},
		{name: "empty username", text: `{"username":"","password":"pw"}`, err: `"username" must be`},
		{name: "number username", text: `{"username":5,"password":"pw"}`, err: `"username" must be`},
		{name: "no password", text: `{"username":"app"}`, err: `"password" must be`},
		{name: "empty password", text: `{"username":"app","password":""}`, err: `"password" must be`},
		{name: "null password", text: `{"username":"app","password":null}`, err: `"password" must be`},
		{name: "number password", text: `{"username":"app","password":1234}`, err: `"password" must be`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCredential(tt.text)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "zq9") {
					t.Fatalf("error %q contains the text", err)
				}
				if !c.IsZero() {
					t.Fatalf("got %v with an error", c)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Username != tt.user || c.Password.Reveal() != tt.pass || c.Lease() != nil {
				t.Fatalf("got %q %q lease %v", c.Username, c.Password.Reveal(), c.Lease())
			}
			for k, v := range tt.members {
				if got, ok := c.Member(k); !ok || got != v {
					t.Errorf("Member(%q) = %q, %v; want %q", k, got, ok, v)
				}
			}
			for _, k := range []string{"username", "password", "x", "l", "n"} {
				if _, ok := c.Member(k); ok {
					t.Errorf("Member(%q) is set", k)
				}
			}
		})
	}
}

func TestParseCredentialValueKeepsLease(t *testing.T) {
	t.Parallel()
	lease := runtime.NewLease(runtime.LeaseStatus{Renewable: true})
	c, err := ParseCredentialValue(Value{Text: `{"username":"a","password":"b"}`, Lease: lease})
	if err != nil {
		t.Fatal(err)
	}
	if c.Lease() != lease {
		t.Fatalf("lease %v, want the value's", c.Lease())
	}
}

func TestFormatCredential(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		c    runtime.Credential
		want string
	}{
		{runtime.NewCredential("app", `p"w`, nil, nil), `{"password":"p\"w","username":"app"}`},
		{runtime.NewCredential("app", `p"w`, map[string]string{"port": "5432", "host": "db"}, nil), `{"host":"db","password":"p\"w","port":"5432","username":"app"}`},
	} {
		got := FormatCredential(tt.c)
		if got != tt.want {
			t.Errorf("FormatCredential(%v) = %s, want %s", tt.c, got, tt.want)
		}
		back, err := ParseCredential(got)
		if err != nil || !back.Equal(tt.c) {
			t.Errorf("ParseCredential(%s) = %v, %v", got, back, err)
		}
	}
}

// TestCredentialLoader reads credentials through a Loader: the lease of the
// provider's value reaches the credential, an optional absent one is zero,
// and a broken one is an invalid value whose message holds no text.
func TestCredentialLoader(t *testing.T) {
	t.Parallel()
	m := NewMemory("fake")
	lease := runtime.NewLease(runtime.LeaseStatus{Renewable: true})
	m.SetValue("db/app", Value{Text: `{"username":"app","password":"s3cret-pw"}`, Lease: lease})
	m.Set("db/bad", `{"username":"app","password":"s3cret-pw"`)
	refs := []Ref{{Path: "db/app", Type: "credential"}, {Path: "db/absent", Type: "credential"}, {Path: "db/bad", Type: "credential"}, {Path: "db/missing", Type: "credential"}}
	l := Fetch(context.Background(), m, refs)
	c := Credential(l, 0)
	absent := OptionalCredential(l, 1)
	bad := Credential(l, 2)
	missing := Credential(l, 3)
	if c.Username != "app" || c.Password.Reveal() != "s3cret-pw" || c.Lease() != lease {
		t.Fatalf("credential %v lease %v", c, c.Lease())
	}
	if !absent.IsZero() || !bad.IsZero() || !missing.IsZero() {
		t.Fatalf("absent %v bad %v missing %v", absent, bad, missing)
	}
	err := l.Err()
	var le *LoadError
	if !errors.As(err, &le) || len(le.Errors) != 2 {
		t.Fatalf("err %v", err)
	}
	if le.Errors[0].Path != "db/bad" || !errors.Is(le.Errors[0], ErrInvalidValue) || le.Errors[0].Type != "credential" {
		t.Errorf("first error %v", le.Errors[0])
	}
	if le.Errors[1].Path != "db/missing" || !errors.Is(le.Errors[1], ErrNotFound) {
		t.Errorf("second error %v", le.Errors[1])
	}
	if msg := fmt.Sprintf("%v %+v", err, err); strings.Contains(msg, "s3cret") {
		t.Errorf("error shows the password: %s", msg)
	}
}

// TestFakeLease drives a lease as a generated Fake does.
func TestFakeLease(t *testing.T) {
	t.Parallel()
	m := NewMemory("fake")
	m.SetValue("db/app", CredentialValue(runtime.NewCredential("a", "b", nil, nil), runtime.NewLease(runtime.LeaseStatus{Renewable: true})))
	lease := m.Lease("db/app")
	before := time.Now()
	FakeRenew(m, "db/app", time.Hour)
	if st := lease.Status(); st.Expires.Before(before.Add(time.Hour)) || st.LastRenewal.Before(before) || st.Err != nil || !st.Renewable {
		t.Fatalf("after renew: %+v", st)
	}
	boom := errors.New("permission denied")
	FakeFailRenew(m, "db/app", boom)
	if st := lease.Status(); st.Err != boom || st.Expires.Before(before.Add(time.Hour)) {
		t.Fatalf("after failed renew: %+v", st)
	}
	FakeExpire(m, "db/app")
	if st := lease.Status(); st.Renewable || st.Expires.After(time.Now()) || st.NextAction != "replace" {
		t.Fatalf("after expire: %+v", st)
	}
	own := runtime.NewLease(runtime.LeaseStatus{})
	if v := CredentialValue(runtime.NewCredential("a", "b", nil, own), lease); v.Lease != own {
		t.Error("CredentialValue did not keep the credential's own lease")
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "db/none") {
			t.Errorf("recover() = %v, want a panic naming db/none", r)
		}
	}()
	FakeExpire(m, "db/none")
}

func FuzzParseCredential(f *testing.F) {
	for _, s := range []string{`{"username":"a","password":"b"}`, `{"username":"` + canary + `","password":"` + canary + `","port":5432}`,
		`{"username":"a"}`, `{"password":"` + canary + `"}`, canary, `{"username":` + canary + `}`, `{"username":"a","password":"b","x":{"y":"` + canary + `"}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCredential(s)
		if err != nil {
			if strings.Contains(err.Error(), canary) {
				t.Fatalf("error %q contains the input", err)
			}
			return
		}
		if c.Username == "" || c.Password.Reveal() == "" {
			t.Fatalf("accepted %q with an empty username or password", s)
		}
		if out := fmt.Sprintf("%v %+v %#v %s", c, c, c, c); strings.Contains(out, c.Password.Reveal()) && !strings.Contains("{Username:"+c.Username+" Password:[REDACTED]} runtime.Credential", c.Password.Reveal()) && !strings.Contains(c.Username, c.Password.Reveal()) {
			t.Fatalf("printing shows the password: %s", out)
		}
		back, err := ParseCredential(FormatCredential(c))
		if err != nil || back.Username != c.Username || !back.Password.Equal(c.Password) {
			t.Fatalf("round trip of %q: %v, %v", s, back, err)
		}
	})
}

// BenchmarkParseCredential: the RDS rotation format read by
// ParseCredential, beside the naive way (json.Unmarshal into a struct of
// the two members, which keeps no other member and no lease).
func BenchmarkParseCredential(b *testing.B) {
	text := `{"engine":"postgres","host":"db.internal","port":5432,"username":"app","password":"pw-0123456789abcdef","dbname":"app"}`
	b.Run("ParseCredential", func(b *testing.B) {
		for b.Loop() {
			if _, err := ParseCredential(text); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("naive json.Unmarshal", func(b *testing.B) {
		for b.Loop() {
			var c struct{ Username, Password string }
			if err := json.Unmarshal([]byte(text), &c); err != nil {
				b.Fatal(err)
			}
		}
	})
}
