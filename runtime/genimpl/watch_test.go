package genimpl

import (
	"testing"
	"time"

	"github.com/dashtam/secretsgen/runtime"
)

// TestWatchOptions: the generated Watch reads SECRETS_POLL_INTERVAL when
// opts is nil or leaves PollInterval zero, keeps every other option, never
// modifies the caller's opts, and keeps a PollInterval the caller set
// (negative included) without reading the variable.
func TestWatchOptions(t *testing.T) {
	getenv := func(v string) func(string) string {
		return func(k string) string {
			if k == "SECRETS_POLL_INTERVAL" {
				return v
			}
			return ""
		}
	}
	tests := []struct {
		name string
		env  string
		opts *runtime.LiveOptions
		want time.Duration
		err  string
	}{
		{name: "nil opts, variable set", env: "7s", want: 7 * time.Second},
		{name: "nil opts, variable unset", want: 0},
		{name: "zero interval, variable set", env: "1m", opts: &runtime.LiveOptions{CloseProvider: true, CoolDown: time.Second}, want: time.Minute},
		{name: "caller's interval wins", env: "1m", opts: &runtime.LiveOptions{PollInterval: time.Hour}, want: time.Hour},
		{name: "negative interval keeps the TTL", env: "1m", opts: &runtime.LiveOptions{PollInterval: -1}, want: -1},
		{name: "caller's interval: a bad variable is not read", env: "soon", opts: &runtime.LiveOptions{PollInterval: time.Hour}, want: time.Hour},
		{name: "bad variable", env: "soon", err: "SECRETS_POLL_INTERVAL: expected a positive duration in Go syntax, such as 5m or 30s"},
		{name: "zero variable", env: "0s", err: "SECRETS_POLL_INTERVAL: expected a positive duration in Go syntax, such as 5m or 30s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before runtime.LiveOptions
			if tt.opts != nil {
				before = *tt.opts
			}
			got, err := WatchOptions(getenv(tt.env), tt.opts)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.PollInterval != tt.want {
				t.Errorf("PollInterval %v, want %v", got.PollInterval, tt.want)
			}
			if tt.opts != nil {
				if got == tt.opts {
					t.Error("WatchOptions returned the caller's opts, want a copy")
				}
				if got.CloseProvider != before.CloseProvider || got.CoolDown != before.CoolDown {
					t.Errorf("options changed: %+v, had %+v", got, before)
				}
				if tt.opts.PollInterval != before.PollInterval {
					t.Error("the caller's opts were modified")
				}
			}
		})
	}
}

func TestLayered(t *testing.T) {
	for _, tt := range []struct {
		c    Config
		want bool
	}{
		{Config{Backend: "env", Layers: []string{"env"}}, false},
		{Config{Backend: "env,aws", Layers: []string{"env", "aws"}}, true},
		{Config{Backend: "env,aws"}, true},
		{Config{Backend: "aws"}, false},
	} {
		if got := tt.c.Layered(); got != tt.want {
			t.Errorf("%+v.Layered() = %v, want %v", tt.c, got, tt.want)
		}
	}
}
