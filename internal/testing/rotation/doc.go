// Package rotation holds the tests that prove rotation without restarts
// against real servers: a small service keeps a pgx pool on a real
// PostgreSQL whose password comes from a runtime.Live of the generated
// settings (package gen), and serves queries while the password is rotated
// the RDS way with the vault CLI and with Secrets Manager's PutSecretValue
// (moto). Other tests take a Live through rotations, outages and garbage on
// those servers. The package has no code of its own; see docs/rotation.md.
package rotation
