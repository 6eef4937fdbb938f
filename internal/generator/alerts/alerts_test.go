package alerts_test

import (
	"errors"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/dashtam/secretsgen/internal/generator/alerts"
	"github.com/dashtam/secretsgen/internal/generator/manifest"
)

func parseManifest(t *testing.T, backends string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Parse("secrets.yaml", []byte(`
version: 1
app: payments
backends: [`+backends+`]
secrets:
  database/password:
    type: string
  api/key:
    type: string
`))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// parseRules parses out with Prometheus's own rule file parser, which also
// parses every expression and template, and fails the test on any error.
func parseRules(t *testing.T, out []byte) *rulefmt.RuleGroups {
	t.Helper()
	var warnings strings.Builder
	groups, errs := rulefmt.Parse(out, false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.NewTextHandler(&warnings, nil)))
	if warnings.Len() > 0 {
		t.Errorf("rulefmt.Parse warned: %s", warnings.String())
	}
	for _, err := range errs {
		t.Errorf("rulefmt.Parse: %v", err)
	}
	if len(errs) > 0 {
		t.Fatalf("output:\n%s", out)
	}
	return groups
}

func TestRulesParse(t *testing.T) {
	t.Parallel()
	all := []string{"SecretsgenSecretStale", "SecretsgenRotationRejected", "SecretsgenCallbackPanics", "SecretsgenLeaseExpiring", "SecretsgenBackendThrottled"}
	tests := []struct {
		backends string
		selector string
		want     []string
		wantSel  string
	}{
		{"env, aws, ssm, vault, files", "", all, `job="payments"`},
		{"aws", `namespace="prod", service=~"pay.*"`, []string{"SecretsgenSecretStale", "SecretsgenRotationRejected", "SecretsgenCallbackPanics", "SecretsgenBackendThrottled"}, `namespace="prod", service=~"pay.*"`},
		{"vault", `{job!="x"}`, all, `job!="x"`},
		{"ssm", ` job = "a" , pod !~ "b\"c" `, []string{"SecretsgenSecretStale", "SecretsgenRotationRejected", "SecretsgenCallbackPanics", "SecretsgenBackendThrottled"}, `job="a", pod!~"b\"c"`},
		// Neither throttles nor leases: no rule would ever match.
		{"env, files", "", []string{"SecretsgenSecretStale", "SecretsgenRotationRejected", "SecretsgenCallbackPanics"}, `job="payments"`},
	}
	for _, tt := range tests {
		t.Run(tt.backends, func(t *testing.T) {
			t.Parallel()
			out, err := alerts.Rules(parseManifest(t, tt.backends), "production", &alerts.Options{Selector: tt.selector})
			if err != nil {
				t.Fatal(err)
			}
			groups := parseRules(t, out)
			if len(groups.Groups) != 1 || groups.Groups[0].Name != "secretsgen-payments-production" {
				t.Fatalf("groups = %+v", groups.Groups)
			}
			var names []string
			p := parser.NewParser(parser.Options{})
			for _, r := range groups.Groups[0].Rules {
				names = append(names, r.Alert)
				if r.Labels["app"] != "payments" || r.Labels["env"] != "production" || r.Labels["severity"] == "" {
					t.Errorf("%s: labels %v", r.Alert, r.Labels)
				}
				if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
					t.Errorf("%s: annotations %v", r.Alert, r.Annotations)
				}
				if !strings.Contains(r.Annotations["summary"], "payments (production)") && !strings.Contains(r.Annotations["summary"], "payments (production)'s") {
					t.Errorf("%s: summary %q names neither app nor env", r.Alert, r.Annotations["summary"])
				}
				// Every selector of every metric carries the service's matchers.
				expr, err := p.ParseExpr(r.Expr)
				if err != nil {
					t.Fatal(err)
				}
				sels := 0
				parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
					if vs, ok := n.(*parser.VectorSelector); ok {
						sels++
						if !strings.Contains(vs.String(), tt.wantSel) && !containsMatchers(t, vs.String(), tt.wantSel) {
							t.Errorf("%s: selector %s lacks %s", r.Alert, vs, tt.wantSel)
						}
					}
					return nil
				})
				if sels == 0 {
					t.Errorf("%s: no selector in %s", r.Alert, r.Expr)
				}
			}
			if !slices.Equal(names, tt.want) {
				t.Errorf("alerts %v, want %v", names, tt.want)
			}
		})
	}
}

// containsMatchers reports whether every matcher of want appears in the
// printed selector sel (the printer may reorder them).
func containsMatchers(t *testing.T, sel, want string) bool {
	t.Helper()
	for _, m := range regexp.MustCompile(`\s*,\s*`).Split(want, -1) {
		if !strings.Contains(sel, m) {
			return false
		}
	}
	return true
}

// TestSummariesNameThePath: the alerts about one secret name it by its
// path label; no template reads anything but labels and the value.
func TestSummariesNameThePath(t *testing.T) {
	t.Parallel()
	out, err := alerts.Rules(parseManifest(t, "aws, vault"), "staging", nil)
	if err != nil {
		t.Fatal(err)
	}
	perSecret := []string{"SecretsgenSecretStale", "SecretsgenRotationRejected", "SecretsgenLeaseExpiring"}
	tmpl := regexp.MustCompile(`\{\{[^}]*\}\}`)
	allowed := regexp.MustCompile(`^\{\{ (\$labels\.[a-z_]+|\$value( \| humanize(Duration|Percentage))?) \}\}$`)
	for _, r := range parseRules(t, out).Groups[0].Rules {
		if slices.Contains(perSecret, r.Alert) && !strings.Contains(r.Annotations["summary"], "{{ $labels.path }}") {
			t.Errorf("%s: summary %q does not name the path", r.Alert, r.Annotations["summary"])
		}
		for _, a := range r.Annotations {
			for _, x := range tmpl.FindAllString(a, -1) {
				if !allowed.MatchString(x) {
					t.Errorf("%s: template %s", r.Alert, x)
				}
			}
		}
	}
}

func TestRulesBadOptions(t *testing.T) {
	t.Parallel()
	m := parseManifest(t, "aws")
	for _, tt := range []struct{ env, selector string }{
		{"", ""},
		{"Production", ""},
		{"prod", `job=api`},
		{"prod", `job="api" pod="x"`},
		{"prod", `job="api"}`},
		{"prod", `1job="api"`},
		{"prod", `job=="api"`},
		{"prod", `job="api`},
		{"prod", "job=\"a\nb\""},
		{"prod", `job="api"} or vector(1) or {x="y"`},
		{"prod", "job=\"a\x00\""},
		{"prod", `job="\q"`},
	} {
		_, err := alerts.Rules(m, tt.env, &alerts.Options{Selector: tt.selector})
		if !errors.Is(err, alerts.ErrBadOption) {
			t.Errorf("env %q selector %q: err = %v, want ErrBadOption", tt.env, tt.selector, err)
		}
	}
}

func FuzzSelector(f *testing.F) {
	for _, s := range []string{`job="api"`, `{a!~"b", c=~"d.*"}`, `a="\"}"`, `a="b",`, `x="y"} or vector(1)`} {
		f.Add(s)
	}
	m, err := manifest.Parse("secrets.yaml", []byte("version: 1\napp: payments\nbackends: [aws, vault]\nsecrets:\n  a/b:\n    type: string\n"))
	if err != nil {
		f.Fatal(err)
	}
	p := parser.NewParser(parser.Options{})
	f.Fuzz(func(t *testing.T, sel string) {
		out, err := alerts.Rules(m, "prod", &alerts.Options{Selector: sel})
		if err != nil {
			if !errors.Is(err, alerts.ErrBadOption) {
				t.Fatalf("error %v is not ErrBadOption", err)
			}
			return
		}
		// An accepted selector always makes a valid rule file whose
		// selectors are exactly the matchers given, nothing injected.
		var warnings strings.Builder
		groups, errs := rulefmt.Parse(out, false, model.UTF8Validation, p, slog.New(slog.NewTextHandler(&warnings, nil)))
		if warnings.Len() > 0 {
			t.Fatalf("selector %q: rulefmt.Parse warned: %s", sel, warnings.String())
		}
		if len(errs) > 0 {
			t.Fatalf("selector %q: %v", sel, errs)
		}
		trimmed := strings.TrimSpace(sel)
		if !strings.HasPrefix(trimmed, "{") {
			trimmed = "{" + trimmed + "}"
		}
		want, err := p.ParseMetricSelector(trimmed)
		if err != nil {
			t.Fatalf("selector %q accepted by Rules, rejected by Prometheus: %v", sel, err)
		}
		for _, r := range groups.Groups[0].Rules {
			expr, err := p.ParseExpr(r.Expr)
			if err != nil {
				t.Fatal(err)
			}
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				vs, ok := n.(*parser.VectorSelector)
				if !ok {
					return nil
				}
				var got []string
				for _, lm := range vs.LabelMatchers {
					if lm.Name != "__name__" && lm.Name != "outcome" {
						got = append(got, lm.String())
					}
				}
				for _, w := range want {
					if !slices.Contains(got, w.String()) {
						t.Errorf("selector %q: %s has matchers %v, lacks %s", sel, vs, got, w)
					}
				}
				return nil
			})
		}
	})
}
