package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

// TestVersion: "secretsgen version" and "secretsgen -version" print the
// module's version on stdout and exit 0, like go version; -h of the
// command prints its usage.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"-version"}, {"--version"}} {
		r := runArgs(t, args...)
		if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "secretsgen version ") || strings.Count(r.stdout, "\n") != 1 {
			t.Errorf("secretsgen %s: %+v; want exit 0 and one line 'secretsgen version ...'", strings.Join(args, " "), r)
		}
	}
	if r := runArgs(t, "version", "-h"); r.code != 0 || !strings.HasPrefix(r.stdout, "usage of secretsgen version") {
		t.Errorf("version -h: %+v", r)
	}
	if r := runArgs(t, "version", "extra"); r.code != 2 {
		t.Errorf("version extra: exit %d, want 2", r.code)
	}
	if r := runArgs(t, "-h"); !strings.Contains(r.stdout, "\n  version ") {
		t.Errorf("usage does not list version:\n%s", r.stdout)
	}
}

// TestModuleVersion: the version is secretsgen's module's, whether it is
// the main module (go install) or a dependency (go tool in a user's
// module), through a replace, and "(devel)" when nothing says.
func TestModuleVersion(t *testing.T) {
	dep := func(path, version string, replace *debug.Module) *debug.Module {
		return &debug.Module{Path: path, Version: version, Replace: replace}
	}
	tests := []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"no build info", nil, "(devel)"},
		{"main module", &debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "v1.4.0"}}, "v1.4.0"},
		{"main module, devel", &debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "(devel)"}}, "(devel)"},
		{"main module, no version", &debug.BuildInfo{Main: debug.Module{Path: modulePath}}, "(devel)"},
		{"tool of another module", &debug.BuildInfo{
			Main: debug.Module{Path: "example.com/myservice", Version: "(devel)"},
			Deps: []*debug.Module{dep("gopkg.in/yaml.v3", "v3.0.1", nil), dep(modulePath, "v1.3.2", nil)},
		}, "v1.3.2"},
		{"replaced by a directory", &debug.BuildInfo{
			Main: debug.Module{Path: "example.com/myservice"},
			Deps: []*debug.Module{dep(modulePath, "v1.3.2", dep("../secretsgen", "", nil))},
		}, "(devel)"},
		{"replaced by a fork", &debug.BuildInfo{
			Main: debug.Module{Path: "example.com/myservice"},
			Deps: []*debug.Module{dep(modulePath, "v1.3.2", dep("example.com/fork", "v1.3.3-fix", nil))},
		}, "v1.3.3-fix"},
		{"not in the build", &debug.BuildInfo{Main: debug.Module{Path: "example.com/other", Version: "v9.9.9"}}, "(devel)"},
	}
	for _, tt := range tests {
		if got := moduleVersion(tt.info); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestPolicyHelp: policy -h (before the backend) prints the usage with
// every flag on stdout and exits 0, as policy aws -h does; a missing
// backend is a usage error pointing at -h.
func TestPolicyHelp(t *testing.T) {
	for _, args := range [][]string{{"policy", "-h"}, {"policy", "-help"}, {"policy", "--help"}} {
		r := runArgs(t, args...)
		if r.code != 0 || r.stderr != "" || !strings.HasPrefix(r.stdout, "usage: secretsgen policy aws|ssm|vault -env NAME") {
			t.Errorf("%s: %+v; want the usage on stdout, exit 0", strings.Join(args, " "), r)
		}
		for _, flag := range []string{"-env", "-manifest", "-mount"} {
			if !strings.Contains(r.stdout, "  "+flag+" ") {
				t.Errorf("%s: usage lacks %s:\n%s", strings.Join(args, " "), flag, r.stdout)
			}
		}
	}
	if r := runArgs(t, "policy", "aws", "-h"); r.code != 0 || !strings.HasPrefix(r.stdout, "usage of secretsgen policy aws") {
		t.Errorf("policy aws -h: %+v", r)
	}
	if r := runArgs(t, "policy"); r.code != 2 || !strings.Contains(r.stderr, "run 'secretsgen policy -h' for usage") {
		t.Errorf("policy: %+v; want exit 2 pointing at -h", r)
	}
}
