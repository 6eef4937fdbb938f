// Package policy renders least-privilege access policies for exactly the
// secrets a manifest reads: an AWS IAM policy document for Secrets Manager
// and a Vault ACL policy for KV v2. The command `secretsgen policy` prints
// them.
package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dashtam/secretsgen/internal/generator/manifest"
)

// sourcePaths returns the distinct backend paths the manifest reads, sorted.
func sourcePaths(m *manifest.Manifest) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range m.Secrets {
		p := s.Ref().SourcePath()
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

type awsStatement struct {
	Sid      string `json:"Sid"`
	Effect   string `json:"Effect"`
	Action   any    `json:"Action"`
	Resource any    `json:"Resource"`
}

type awsPolicy struct {
	Version   string         `json:"Version"`
	Statement []awsStatement `json:"Statement"`
}

// AWS returns an IAM policy document that allows reading (and describing:
// a poll describes a secret before reading it again) exactly the
// manifest's secrets in environment env, and BatchGetSecretValue (which IAM
// only authorises on "Resource": "*"; each secret in a batch is still checked
// against GetSecretValue). Secrets Manager appends six random characters to
// a secret's ARN, hence the "-??????" suffix.
func AWS(m *manifest.Manifest, env string) ([]byte, error) {
	arn := func(p string) string {
		return fmt.Sprintf("arn:aws:secretsmanager:*:*:secret:/%s/%s/%s-??????", m.App, env, p)
	}
	return iamDocument(m, env, arn, func(arns []string) []awsStatement {
		return []awsStatement{
			{Sid: "ReadManifestSecrets", Effect: "Allow", Action: []string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}, Resource: arns},
			{Sid: "BatchReadSecrets", Effect: "Allow", Action: "secretsmanager:BatchGetSecretValue", Resource: "*"},
		}
	})
}

// iamDocument renders an IAM policy document for the manifest's secrets in
// environment env: arn names the resource of one source path, and
// statements returns the document's statements given those ARNs, sorted.
func iamDocument(m *manifest.Manifest, env string, arn func(path string) string, statements func(arns []string) []awsStatement) ([]byte, error) {
	if err := backends.CheckEnvironment(env); err != nil {
		return nil, err
	}
	var arns []string
	for _, p := range sourcePaths(m) {
		arns = append(arns, arn(p))
	}
	doc := awsPolicy{Version: "2012-10-17", Statement: statements(arns)}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Vault returns a Vault ACL policy (HCL) that allows reading exactly the
// manifest's secrets in environment env from the KV v2 engine at mount.
// Reading a pinned version uses the same data path, so "read" covers it.
//
// A credential with a database: is read from Vault's database engine
// instead: the policy allows reading its role's path
// (<mount>/creds/<role> or <mount>/static-creds/<role>) and, for a dynamic
// role, renewing and revoking the leases of that role only, in the path
// form sys/leases/{renew,revoke}/<mount>/creds/<role>/* (a lease id starts
// with the path that issued it; the body form, update on sys/leases/renew
// or sys/leases/revoke, would reach every lease). When the manifest has
// any such credential, the token may also renew and look itself up
// (auth/token/renew-self, auth/token/lookup-self): Vault revokes a token's
// leases when the token expires, so the token must outlive them.
func Vault(m *manifest.Manifest, env, mount string) ([]byte, error) {
	if err := backends.CheckEnvironment(env); err != nil {
		return nil, err
	}
	mount = strings.Trim(mount, "/")
	if mount == "" {
		mount = "secret"
	}
	var b bytes.Buffer
	kv := *m
	kv.Secrets = nil
	var dbs []*manifest.Database
	for _, s := range m.Secrets {
		if s.Database != nil {
			dbs = append(dbs, s.Database)
		} else {
			kv.Secrets = append(kv.Secrets, s)
		}
	}
	grant := func(path string, caps ...string) {
		fmt.Fprintf(&b, "path %q {\n  capabilities = [%s]\n}\n", path, `"`+strings.Join(caps, `", "`)+`"`)
	}
	if paths := sourcePaths(&kv); len(paths) > 0 {
		fmt.Fprintf(&b, "# Read-only access to the %s secrets of %s/%s (KV v2 at %s/).\n", m.App, m.App, env, mount)
		for _, p := range paths {
			grant(fmt.Sprintf("%s/data/%s/%s/%s", mount, m.App, env, p), "read")
		}
	}
	if len(dbs) == 0 {
		return b.Bytes(), nil
	}
	sort.Slice(dbs, func(i, j int) bool { return dbs[i].Path() < dbs[j].Path() })
	seen := map[string]bool{}
	for _, d := range dbs {
		if seen[d.Path()] {
			continue
		}
		seen[d.Path()] = true
		if d.Static {
			fmt.Fprintf(&b, "# Database credential of static role %s (%s/): read the current password.\n", d.Role, d.Mount)
			grant(d.Path(), "read")
			continue
		}
		fmt.Fprintf(&b, "# Database credentials of role %s (%s/): read issues a login; renew and revoke its leases only.\n", d.Role, d.Mount)
		grant(d.Path(), "read")
		grant("sys/leases/renew/"+d.Path()+"/*", "update")
		grant("sys/leases/revoke/"+d.Path()+"/*", "update")
	}
	b.WriteString("# Keep the token alive past the leases it holds (its expiry revokes them).\n")
	grant("auth/token/renew-self", "update")
	grant("auth/token/lookup-self", "read")
	return b.Bytes(), nil
}
