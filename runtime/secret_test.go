package runtime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// secretCanary is a value that must never be printed.
const secretCanary = "zq9canary-s3cr3t"

type holder struct {
	Name   string
	Token  Secret[string]
	URL    Secret[*url.URL]
	Nested struct{ Key Secret[[]byte] }
}

type unexportedHolder struct {
	token Secret[string]
}

// TestSecretNeverPrinted feeds the canary through every printing path.
func TestSecretNeverPrinted(t *testing.T) {
	s := NewSecret(secretCanary)
	u := NewSecret(&url.URL{Scheme: "postgres", User: url.UserPassword("app", secretCanary), Host: "db"})
	h := holder{Name: "visible", Token: s, URL: u}
	h.Nested.Key = NewSecret([]byte(secretCanary))
	values := map[string]any{
		"Secret":              s,
		"*Secret":             &s,
		"Secret[*url.URL]":    u,
		"Secret[int]":         NewSecret(7373737373),
		"struct":              h,
		"*struct":             &h,
		"[]Secret":            []Secret[string]{s, s},
		"map[string]Secret":   map[string]Secret[string]{"k": s},
		"[]*struct":           []*holder{&h},
		"unexported field":    unexportedHolder{token: s},
		"*unexported field":   &unexportedHolder{token: s},
		"[]unexported fields": []unexportedHolder{{token: s}},
	}
	canaries := []string{secretCanary, "7373737373", fmt.Sprintf("%x", secretCanary)}
	check := func(t *testing.T, what, out string) {
		t.Helper()
		for _, c := range canaries {
			if strings.Contains(strings.ToLower(out), strings.ToLower(c)) {
				t.Errorf("%s leaks the value: %s", what, out)
			}
		}
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T", "%10.3v", "%-8s", "%#x", "% x", "%p"}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			for _, verb := range verbs {
				check(t, verb, fmt.Sprintf(verb, v))
			}
			check(t, "Sprint", fmt.Sprint(v))
			check(t, "Sprintln", fmt.Sprintln(v))
			if b, err := json.Marshal(v); err == nil {
				check(t, "json.Marshal", string(b))
			} else {
				t.Errorf("json.Marshal: %v", err)
			}
			if b, err := json.MarshalIndent(v, "", " "); err == nil {
				check(t, "json.MarshalIndent", string(b))
			}
			for _, handler := range []struct {
				name string
				new  func(*bytes.Buffer) slog.Handler
			}{
				{"JSON", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
				{"text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
			} {
				var b bytes.Buffer
				l := slog.New(handler.new(&b))
				l.Info("msg", "value", v)
				l.Info("msg", slog.Any("any", v))
				l.With("with", v).Info("msg")
				l.Info("msg", slog.Group("g", slog.Any("v", v)))
				check(t, "slog "+handler.name, b.String())
				if b.Len() == 0 {
					t.Errorf("slog %s wrote nothing", handler.name)
				}
			}
			check(t, "fmt.Errorf", fmt.Errorf("failed with %v", v).Error())
		})
	}
	if b, err := s.MarshalText(); err != nil || string(b) != Redacted {
		t.Errorf("MarshalText = %q, %v", b, err)
	}
	if got := fmt.Sprintf("%v|%s|%q|%#v|%d", s, s, s, s, s); got != strings.Repeat(Redacted+"|", 4)+Redacted {
		t.Errorf("verbs print %q", got)
	}
	if got, _ := json.Marshal(h); !strings.Contains(string(got), `"Token":"[REDACTED]"`) {
		t.Errorf("json.Marshal(struct) = %s", got)
	}
}

func TestSecretReveal(t *testing.T) {
	if got := NewSecret(secretCanary).Reveal(); got != secretCanary {
		t.Errorf("Reveal() = %q", got)
	}
	var zero Secret[int]
	if got := zero.Reveal(); got != 0 {
		t.Errorf("zero Reveal() = %d", got)
	}
}

func TestSecretEqual(t *testing.T) {
	t1 := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	t2 := t1.In(time.FixedZone("", 3600)) // same instant, another zone
	tests := []struct {
		name string
		eq   bool
		got  bool
	}{
		{"strings", true, NewSecret("a").Equal(NewSecret("a"))},
		{"different strings", false, NewSecret("a").Equal(NewSecret("b"))},
		{"zero and zero value", true, Secret[string]{}.Equal(NewSecret(""))},
		{"bytes", true, NewSecret([]byte("x")).Equal(NewSecret([]byte("x")))},
		{"times by instant", true, NewSecret(t1).Equal(NewSecret(t2))},
		{"urls", true, NewSecret(mustURL("https://h/p")).Equal(NewSecret(mustURL("https://h/p")))},
	}
	for _, tt := range tests {
		if tt.got != tt.eq {
			t.Errorf("%s: Equal = %v, want %v", tt.name, tt.got, tt.eq)
		}
	}
	// go-cmp uses Equal, and its report prints String (redacted).
	diff := cmp.Diff(holder{Token: NewSecret(secretCanary)}, holder{Token: NewSecret("other")})
	if diff == "" || strings.Contains(diff, secretCanary) {
		t.Errorf("cmp.Diff = %q, want a difference without the value", diff)
	}
}
