// Command secretsgen turns a secrets manifest (secrets.yaml) into a typed Go
// settings package and helps operate it.
//
// Usage:
//
//	secretsgen generate -manifest secrets.yaml -out gen [-check]
//
// generate writes the package (it is the go:generate step); with -check it
// writes nothing and fails when the package is stale. secretsgen version (or
// -version) prints the module's version. Run secretsgen -h for every
// command, and secretsgen COMMAND -h for its flags.
//
// Exit status: 0 on success, 1 when the command failed (an invalid manifest,
// stale files), 2 for a usage or configuration error.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err))
}
