// Package alerts writes the Prometheus alerting rules of a manifest's
// service: `secretsgen alerts`. The rules read the metrics a Live and the
// adapters record (docs/operations.md, "Metrics"), under the names the
// OpenTelemetry Prometheus exporter gives them.
package alerts

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dashtam/secretsgen/internal/generator/manifest"
)

// ErrBadOption is wrapped by the errors of Rules about its options.
var ErrBadOption = errors.New("bad option")

// The thresholds of the rules (docs/operations.md says why each).
const (
	// StaleIntervals: a secret not confirmed current for more than this
	// many poll intervals has missed at least one whole poll.
	StaleIntervals = 2
	// LeaseMarginDivisor: a lease with less than duration/3 left has
	// passed the point where the adapter renews it.
	LeaseMarginDivisor = 3
	// ThrottleRatio: the share of a backend's requests that may be
	// throttled before the alert fires (after ThrottleFor).
	ThrottleRatio = 0.05
	ThrottleFor   = "15m"
	// Window is the range of the increase() and rate() of the rules.
	Window = "15m"
)

// remoteBackends are the backends that throttle requests and lease
// credentials: the throttling rule is written when the manifest uses one.
var remoteBackends = []string{"aws", "ssm", "vault"}

// Options are the optional settings of Rules; nil means the defaults.
type Options struct {
	// Selector is the PromQL label matchers that pick the service's series
	// out of everything the Prometheus scrapes, without braces: e.g.
	// `namespace="payments", service="api"`. Default `job="<app>"`; "{}"
	// picks every series (a Prometheus that scrapes only this service).
	Selector string
}

// Rules returns a Prometheus rule file (one rule group) with the alerts of
// the manifest's service in environment env.
func Rules(m *manifest.Manifest, env string, opts *Options) ([]byte, error) {
	if err := backends.CheckEnvironment(env); err != nil {
		return nil, fmt.Errorf("%w: -env: %v", ErrBadOption, err)
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if strings.TrimSpace(o.Selector) == "" {
		o.Selector = fmt.Sprintf("job=%q", m.App)
	}
	sel, err := normalizeSelector(o.Selector)
	if err != nil {
		return nil, fmt.Errorf("%w: selector %q: %v", ErrBadOption, o.Selector, err)
	}
	// metric selects the series of name with the selector's matchers and
	// extra ones.
	metric := func(name string, extra ...string) string {
		ms := extra
		if sel != "" {
			ms = append([]string{sel}, extra...)
		}
		if len(ms) == 0 {
			return name
		}
		return name + "{" + strings.Join(ms, ", ") + "}"
	}
	g := group{Name: "secretsgen-" + m.App + "-" + env}
	labels := func(severity string) map[string]string {
		return map[string]string{"app": m.App, "env": env, "severity": severity}
	}
	who := m.App + " (" + env + ")"
	g.Rules = append(g.Rules,
		rule{
			Alert: "SecretsgenSecretStale",
			Expr: fmt.Sprintf("%s\n  > ignoring(path, backend) group_left()\n"+
				"  %d * max without(backend) (%s)", metric("secretsgen_secret_staleness_seconds"), StaleIntervals, metric("secretsgen_poll_interval_seconds")),
			For:    "1m",
			Labels: labels("warning"),
			Annotations: map[string]string{
				"summary":     "Secret {{ $labels.path }} of " + who + " not confirmed current for more than two poll intervals",
				"description": "{{ $labels.instance }} has not confirmed secret {{ $labels.path }} (backend {{ $labels.backend }}) for {{ $value | humanizeDuration }}: its refreshes fail or its rotated value was rejected, and the last good value is still in use. Its health endpoint names the error; docs/operations.md, \"Stale secrets\".",
			},
		},
		rule{
			Alert:  "SecretsgenRotationRejected",
			Expr:   increased(metric("secretsgen_rotations_total", `outcome="rejected"`)),
			Labels: labels("warning"),
			Annotations: map[string]string{
				"summary":     "A rotated value of secret {{ $labels.path }} of " + who + " was rejected",
				"description": "{{ $labels.instance }} fetched a new version of {{ $labels.path }} that does not parse as its manifest type and keeps the previous value. Fix the value in the backend; the health endpoint shows the parse error (never the value). docs/operations.md, \"Rejected rotations\".",
			},
		},
		rule{
			Alert:  "SecretsgenCallbackPanics",
			Expr:   increased(metric("secretsgen_callback_panics_total")),
			Labels: labels("warning"),
			Annotations: map[string]string{
				"summary":     "An OnChange callback of " + who + " panicked",
				"description": "{{ $labels.instance }}: a callback registered with Live.OnChange panicked ({{ $value }} in " + Window + "); what it should have done with the new settings (reconnect, re-sign) may not have happened. The panic value is never recorded; see the service's own logs. docs/operations.md, \"Callback panics\".",
			},
		},
	)
	if slices.Contains(m.Backends, "vault") {
		g.Rules = append(g.Rules, rule{
			Alert: "SecretsgenLeaseExpiring",
			Expr: fmt.Sprintf("%s\n  < %s / %d",
				metric("secretsgen_lease_remaining_seconds"), metric("secretsgen_lease_duration_seconds"), LeaseMarginDivisor),
			Labels: labels("critical"),
			Annotations: map[string]string{
				"summary":     "The lease of credential {{ $labels.path }} of " + who + " expires in {{ $value | humanizeDuration }}",
				"description": "{{ $labels.instance }} did not renew or replace the lease of {{ $labels.path }} in time; when it expires the credential stops working and the health endpoint answers 503. Check Vault and the token's policy (sys/leases/renew). docs/operations.md, \"Leases\".",
			},
		})
	}
	if slices.ContainsFunc(m.Backends, func(b string) bool { return slices.Contains(remoteBackends, b) }) {
		g.Rules = append(g.Rules, rule{
			Alert: "SecretsgenBackendThrottled",
			Expr: fmt.Sprintf("sum by (backend, operation) (rate(%s[%s]))\n"+
				"  / sum by (backend, operation) (rate(%s[%s]))\n  > %g",
				metric("secretsgen_backend_throttled_total"), Window, metric("secretsgen_backend_request_duration_seconds_count"), Window, ThrottleRatio),
			For:    ThrottleFor,
			Labels: labels("warning"),
			Annotations: map[string]string{
				"summary":     "{{ $labels.backend }} throttles {{ $value | humanizePercentage }} of " + who + "'s {{ $labels.operation }} requests",
				"description": "For " + ThrottleFor + " more than " + fmt.Sprintf("%g%%", ThrottleRatio*100) + " of {{ $labels.operation }} requests to {{ $labels.backend }} were throttled; refreshes are late and secrets go stale. Raise the poll interval or the quota; docs/operations.md, \"Throttling\" and docs/fleet.md.",
			},
		})
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "# Prometheus alerting rules for %s, environment %s, generated by `secretsgen alerts` from %s.\n", m.App, env, m.File)
	if sel == "" {
		fmt.Fprintf(&b, "# Every series of these metrics is the service's (selector {}); docs/operations.md describes each metric and alert.\n")
	} else {
		fmt.Fprintf(&b, "# Series are picked by {%s}; docs/operations.md describes each metric and alert.\n", sel)
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(file{Groups: []group{g}}); err != nil {
		return nil, fmt.Errorf("alerts: encoding the rules: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("alerts: encoding the rules: %w", err)
	}
	return b.Bytes(), nil
}

// increased is the expression of "counter went up in the last Window".
// A counter series is born at its first increment (the OpenTelemetry SDK
// exports an attribute set once it was added to), and increase() needs two
// samples, so a series that appeared within the window counts too.
func increased(counter string) string {
	return fmt.Sprintf("increase(%s[%s]) > 0\n  or (%s unless %s offset %s)", counter, Window, counter, counter, Window)
}

type file struct {
	Groups []group `yaml:"groups"`
}

type group struct {
	Name  string `yaml:"name"`
	Rules []rule `yaml:"rules"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// matcherRE is one PromQL label matcher: a label name, an operator and a
// double-quoted string (backslash escapes allowed).
var matcherRE = regexp.MustCompile(`^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\\n]|\\.)*")\s*(?:,|$)`)

// normalizeSelector checks that s is a comma-separated list of PromQL
// label matchers (name="value", !=, =~, !~; braces optional) and returns
// it as "name=\"value\", ...".
func normalizeSelector(s string) (string, error) {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
		return "", errors.New("control characters and invalid UTF-8 are not allowed; write them escaped inside the quotes")
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	var out []string
	for s != "" {
		m := matcherRE.FindStringSubmatchIndex(s)
		if m == nil {
			return "", fmt.Errorf(`want label matchers such as job="api", namespace=~"prod-.*", near %q`, truncate(s))
		}
		v, err := strconv.Unquote(s[m[6]:m[7]])
		if err != nil {
			return "", fmt.Errorf("the value %s is not a valid quoted string", s[m[6]:m[7]])
		}
		if op := s[m[4]:m[5]]; op == "=~" || op == "!~" {
			if _, err := regexp.Compile("^(?s:" + v + ")$"); err != nil {
				return "", fmt.Errorf("the regular expression %s does not compile: %v", s[m[6]:m[7]], err)
			}
		}
		out = append(out, s[m[2]:m[3]]+s[m[4]:m[5]]+s[m[6]:m[7]])
		s = strings.TrimSpace(s[m[1]:])
	}
	return strings.Join(out, ", "), nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
