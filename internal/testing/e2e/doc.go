// Package e2e holds the end-to-end test of secretsgen: it does what a user
// does, in a Go module of its own that requires this one, and checks what
// the docs claim of every backend (env, aws, vault, ssm, files) and of
// layers at once.
//
// TestEndToEnd copies testdata/secrets.yaml (every type of the manifest,
// a default, an optional entry, plain settings, an env override and a
// source.key entry) into a temporary module, runs
//
//	go run github.com/dashtam/secretsgen/cmd/secretsgen generate -manifest secrets.yaml -out gen
//
// there, builds testdata/main.go.txt (a program that calls gen.NewProvider
// and gen.Load and prints every field's Go type and value) and secretsgen
// itself (for check) once, and runs that program against each backend, in
// parallel:
//
//   - env: variables named as docs/design.md ("Backend naming") says, one of them through a
//     NAME_FILE file;
//   - aws: a real moto_server whose secrets testdata/aws_secrets.py created
//     with boto3 (SecretBinary for bytes, a JSON secret for source.key);
//   - vault: a real Vault dev server whose secrets were written with the
//     vault CLI (the json secret as separate fields), read once with a token
//     and once with AppRole from environment variables alone, under the
//     policy that `secretsgen policy vault` prints;
//   - ssm: a real moto_server whose parameters testdata/aws_secrets.py put
//     with boto3 (SecureString and String, a StringList for a list, base64
//     text for bytes, JSON parameters for json and source.key);
//   - files: a directory laid out exactly as the kubelet lays out a
//     Kubernetes Secret volume (timestamped directory, ..data link, one
//     KEY -> ..data/KEY link per entry), broken by one atomic update;
//   - layers (SECRETS_BACKEND=env,aws): two secrets only in the env layer,
//     one in both (the env layer wins), the rest in moto; secretsgen check
//     -json must name the layer that served each path, and the broken run
//     must name the layer of each failure.
//
// Every successful run must print the same typed values. Then each backend
// gets one required secret removed and one made invalid with a canary
// value: the program must exit 1 with one error naming both paths, the
// backend, where each one lives and its expected type, and no secret value.
//
// The servers come from internal/testing/testenv: a server that cannot start (no
// moto_server, no bin/vault: run make vault) fails the test; only go test
// -short skips it. The package has no non-test code.
package e2e
