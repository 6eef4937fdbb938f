// Package rotation holds the tests that prove rotation without restarts
// against real servers: a small service keeps a pgx pool on a real
// PostgreSQL whose password comes from a runtime.Live of the generated
// settings (package gen), and serves queries while the password is rotated
// the RDS way with the vault CLI and with Secrets Manager's PutSecretValue
// (moto). Other tests take a Live through rotations, outages and garbage on
// those servers. The credential proofs (TestCreds*, over package creds
// generated from creds/secrets.yaml) run a runtime/pgxcred pool on Vault's
// database engine (dynamic and static roles, under the policy secretsgen
// prints) and on Secrets Manager's RDS rotation formats; make creds runs
// them longer. The package has no code of its own; see docs/rotation.md
// and docs/credentials.md.
package rotation
