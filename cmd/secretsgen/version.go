package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
)

// modulePath is secretsgen's module, whose version `secretsgen version`
// prints.
const modulePath = "github.com/dashtam/secretsgen"

// runVersion is "secretsgen version" (and "secretsgen -version"): it
// prints the version of the secretsgen module this binary was built from.
func runVersion(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	info, _ := debug.ReadBuildInfo()
	fmt.Fprintf(stdout, "secretsgen version %s\n", moduleVersion(info))
	return nil
}

// moduleVersion is the version of secretsgen's module in info: the main
// module's when secretsgen is built in its own module (go install
// ...@v1.2.0), the dependency's when it is a tool of another module (go
// tool secretsgen), a replacement's version when the module is replaced,
// and "(devel)" when there is none (no build information, a build in the
// repository without version control, a replace with a directory).
func moduleVersion(info *debug.BuildInfo) string {
	const devel = "(devel)"
	if info == nil {
		return devel
	}
	mod := &info.Main
	if mod.Path != modulePath {
		mod = nil
		for _, d := range info.Deps {
			if d.Path == modulePath {
				mod = d
				break
			}
		}
	}
	if mod == nil {
		return devel
	}
	if mod.Replace != nil {
		mod = mod.Replace
	}
	if mod.Version == "" {
		return devel
	}
	return mod.Version
}
