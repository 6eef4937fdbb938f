package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/dashtam/secretsgen/internal/generator/k8s"
)

// k8sUsage is the usage line of the k8s command.
const k8sUsage = "k8s external-secret -env ENV -store NAME [-store-kind SecretStore|ClusterSecretStore] [-backend aws|vault] [-manifest secrets.yaml] [-name NAME] [-refresh 1h] [-skip-optional] [-allow-missing]"

// runK8s prints Kubernetes manifests for the manifest's secrets. Its one
// subcommand, external-secret, prints an External Secrets Operator
// ExternalSecret that syncs the secrets of one environment into one
// Kubernetes Secret keyed by env names.
func runK8s(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprintf(stdout, "usage: secretsgen %s\n\nRun 'secretsgen k8s external-secret -h' for its flags.\n", k8sUsage)
		return flag.ErrHelp
	}
	if len(args) == 0 || args[0] != "external-secret" {
		return usagef("k8s: want '%s'", k8sUsage)
	}
	fs := flag.NewFlagSet("k8s external-secret", flag.ContinueOnError)
	file := fs.String("manifest", "secrets.yaml", "the manifest `file`")
	envName := fs.String("env", "", "the environment `name` (the {environment} segment of backend names), e.g. production; required")
	store := fs.String("store", "", "the `name` of the ESO SecretStore or ClusterSecretStore to read through; required")
	storeKind := fs.String("store-kind", "SecretStore", "the store's `kind`: SecretStore or ClusterSecretStore")
	backend := fs.String("backend", "aws", "the store's `provider`: aws (Secrets Manager) or vault (KV v2)")
	name := fs.String("name", "", "`name` of the ExternalSecret and of the Secret it creates (default the manifest's app)")
	refresh := fs.String("refresh", "1h", "ESO's refreshInterval, a Go `duration` (0 syncs once)")
	apiVersion := fs.String("api-version", "v1", "`version` of external-secrets.io: v1 (ESO v0.16.2 and later) or v1beta1 (ESO before v0.17)")
	mount := fs.String("vault-mount", "secret", "the KV v2 `mount`, which must be the Vault store's spec.provider.vault.path (vault only)")
	awsBytes := fs.String("aws-bytes", "binary", "`how` type: bytes secrets are stored in AWS: binary (SecretBinary, re-encoded as base64 in the Secret) or base64 (base64 text in SecretString)")
	skipOptional := fs.Bool("skip-optional", false, "leave out entries that are optional or have a default (by default all are synced, and ESO's sync fails while one is absent from the backend)")
	allowMissing := fs.Bool("allow-missing", false, "deletionPolicy Merge: a secret absent from the backend is left out of the Secret instead of failing ESO's sync (optional entries take their default, Load reports required ones)")
	if err := parseFlags(fs, args[1:], stdout); err != nil {
		return err
	}
	switch {
	case *envName == "":
		return usagef("k8s external-secret: -env is required, e.g. -env production")
	case *store == "":
		return usagef("k8s external-secret: -store is required: the name of the SecretStore (or, with -store-kind ClusterSecretStore, the ClusterSecretStore) ESO reads through")
	}
	m, err := loadManifest(*file)
	if err != nil {
		return err
	}
	out, err := k8s.ExternalSecret(m, *envName, *store, &k8s.Options{
		Backend:      *backend,
		StoreKind:    *storeKind,
		Name:         *name,
		Refresh:      *refresh,
		APIVersion:   "external-secrets.io/" + *apiVersion,
		VaultMount:   *mount,
		AWSBytes:     *awsBytes,
		SkipOptional: *skipOptional,
		AllowMissing: *allowMissing,
	})
	switch {
	case errors.Is(err, k8s.ErrBadOption):
		return usageError{fmt.Errorf("k8s external-secret: %w", err)}
	case err != nil: // entries the backend cannot address, "file:line:col: ..." each
		return usageError{err}
	}
	if !slices.Contains(m.Backends, "files") && !slices.Contains(m.Backends, "env") {
		fmt.Fprintf(stderr, "secretsgen: note: %s lists neither files nor env in backends, so the generated code cannot read the Kubernetes Secret; add files (volume) or env (envFrom)\n", m.File)
	}
	_, err = stdout.Write(out)
	return err
}
