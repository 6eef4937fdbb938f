package awssm

import "github.com/dashtam/secretsgen/adapters/internal/awssdk"

// configError describes a failure of config.LoadDefaultConfig without the
// contents of the shared config and credentials files (see
// awssdk.ConfigError, shared with adapters/ssm).
func configError(err error) string { return awssdk.ConfigError(err) }
