package runtime

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ExitOnError is for a program's main function: when err is not nil it
// prints "program: " and the error to standard error and exits with status
// 1, as the go command and log.Fatal do; when err is nil it does nothing.
// The errors of NewProvider, Load and Watch never hold a secret value, so
// printing them is safe, and unlike the panic of MustLoad the output is
// the message alone, without a goroutine trace:
//
//	p, err := gen.NewProvider(ctx)
//	runtime.ExitOnError(err)
//	defer p.Close()
//	settings, err := gen.Load(ctx, p)
//	runtime.ExitOnError(err)
//
// Like os.Exit it does not run deferred calls; a process that exits this
// early has nothing to close yet but the provider, whose connections the
// exit ends.
func ExitOnError(err error) {
	exitOnError(err, os.Stderr, os.Exit)
}

func exitOnError(err error, w io.Writer, exit func(int)) {
	if err == nil {
		return
	}
	fmt.Fprintf(w, "%s: %v\n", filepath.Base(os.Args[0]), err)
	exit(1)
}
