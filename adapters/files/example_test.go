package files_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dashtam/secretsgen/adapters/files"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// New over a directory such as Docker's /run/secrets, read, and picking up
// a change. Programs call FromEnv, which reads SECRETS_FILES_DIR.
func Example() {
	dir, err := os.MkdirTemp("", "secrets")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	write := func(name, text string) {
		tmp := filepath.Join(dir, "."+name+".tmp")
		err := os.WriteFile(tmp, []byte(text), 0o600)
		if err == nil {
			err = os.Rename(tmp, filepath.Join(dir, name))
		}
		if err != nil {
			fmt.Println(err)
		}
	}
	write("DATABASE_URL", "postgres://app@db:5432/app\n")
	write("HTTP_TIMEOUT", "soon\n")

	p, err := files.New(dir, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	ctx := context.Background()

	v, err := p.Get(ctx, runtime.Ref{Path: "database/url", Env: "DATABASE_URL"})
	fmt.Printf("%q %v\n", v.Text, err)

	// The errors users see come through runtime (a Cache, Load), which
	// adds the path, the backend and the file name to what the adapter
	// says.
	r := runtime.GetMany(ctx, p, []runtime.Ref{{Path: "schwab/api_key", Env: "SCHWAB_API_KEY"}})
	fmt.Println(r[0].Err)

	// Generated Load functions read through genimpl.Fetch and Field, which
	// report every problem at once, never with a value.
	l := genimpl.Fetch(ctx, p, []runtime.Ref{{Path: "http/timeout", Env: "HTTP_TIMEOUT", Type: "duration"}})
	genimpl.Field(l, 0, genimpl.ParseDuration)
	fmt.Println(l.Err())

	// A rotation: Changed fires once the directory is quiet again.
	write("DATABASE_URL", "postgres://app@db2:5432/app\n")
	select {
	case <-p.Changed():
		v, err = p.Get(ctx, runtime.Ref{Path: "database/url", Env: "DATABASE_URL"})
		fmt.Printf("changed: %q %v\n", v.Text, err)
	case <-time.After(time.Minute):
		fmt.Println("no change event")
	}
	// Output:
	// "postgres://app@db:5432/app" <nil>
	// schwab/api_key: not found [files SCHWAB_API_KEY]: no such file; create the file SCHWAB_API_KEY in the directory SECRETS_FILES_DIR names (a key of the Kubernetes Secret, a Docker secret or a Vault Agent template of that name)
	// secrets: 1 of 1 secrets failed to load from backend "files":
	//	http/timeout: invalid value (expected duration) [files HTTP_TIMEOUT]: expected a duration in Go syntax, such as 30s or 1h30m
	// changed: "postgres://app@db2:5432/app" <nil>
}
