package awscore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/dashtam/secretsgen/adapters/internal/fileread"
)

// maxSharedFile is the most configError reads of a shared config or
// credentials file to find the values it must leave out: 1 MiB.
const maxSharedFile = 1 << 20

// configError describes a failure of config.LoadDefaultConfig without the
// contents of the shared config and credentials files. The SDK's message
// for a bad setting quotes the setting's value ("failed to load
// defaults_mode from shared config, invalid value: ..."), and in a
// malformed file that value can hold another line, an
// aws_secret_access_key say. The SDK's typed errors give the file, the
// profile and the role ARN, which are configuration, not credentials, and
// are shown; any other text is cut where it first quotes a value from the
// shared files or an AWS_* variable.
func configError(err error) string {
	var (
		assume   config.SharedConfigAssumeRoleError
		noProf   config.SharedConfigProfileNotExistError
		load     config.SharedConfigLoadError
		needsARN config.CredentialRequiresARNError
	)
	switch {
	case errors.As(err, &assume):
		// Profile is the source_profile that should give the credentials.
		msg := fmt.Sprintf("cannot assume role %s with source_profile %q", assume.RoleARN, assume.Profile)
		if assume.Err == nil {
			return msg + ": the profile has no credentials"
		}
		return msg + ": " + configError(assume.Err)
	case errors.As(err, &noProf):
		return fmt.Sprintf("profile %q is not in %s", noProf.Profile, strings.Join(sharedFiles(), " or "))
	case errors.As(err, &load):
		reason := "cannot be read"
		switch {
		case errors.Is(load.Err, fs.ErrNotExist):
			reason = "no such file"
		case errors.Is(load.Err, fs.ErrPermission):
			reason = "permission denied"
		case load.Err != nil:
			reason = withoutConfigValues(load.Err.Error())
		}
		return fmt.Sprintf("shared config file %s: %s", load.Filename, reason)
	case errors.As(err, &needsARN):
		return fmt.Sprintf("profile %q: credential type %s requires role_arn", needsARN.Profile, needsARN.Type)
	}
	return withoutConfigValues(err.Error())
}

// leftOut replaces what withoutConfigValues cuts.
const leftOut = "[value from the AWS configuration left out]"

// minQuoted is the length from which a configuration value counts as
// possibly secret. AWS access key ids have 20 characters, secret access
// keys 40, session tokens hundreds; shorter values ("3", "legacy") are
// settings, and leaving them in keeps the SDK's messages readable.
const minQuoted = 8

// withoutConfigValues returns text up to the first place it quotes a
// value of the shared config or credentials file, or of an AWS_* variable
// other than the ones naming a profile, region or file. When a shared
// file cannot be read here (too large, not a regular file), nothing of
// text after its first line is kept: its values are unknown.
func withoutConfigValues(text string) string {
	values, complete := configValues()
	cut := -1
	for _, v := range values {
		if i := strings.Index(text, v); i >= 0 && (cut < 0 || i < cut) {
			cut = i
		}
	}
	if cut < 0 && !complete {
		if i := strings.IndexAny(text, "\n:="); i >= 0 {
			cut = i
		}
	}
	if cut < 0 {
		return text
	}
	return text[:cut] + leftOut
}

// sharedFiles returns the shared config and credentials files the SDK
// reads, as it picks them.
func sharedFiles() []string {
	var files []string
	if f := os.Getenv("AWS_CONFIG_FILE"); f != "" {
		files = append(files, f)
	} else {
		files = append(files, config.DefaultSharedConfigFiles...)
	}
	if f := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
		files = append(files, f)
	} else {
		files = append(files, config.DefaultSharedCredentialsFiles...)
	}
	return files
}

// notSecret are the AWS_* variables that name things rather than hold
// credentials; their values are left in messages.
var notSecret = map[string]bool{
	"AWS_PROFILE": true, "AWS_DEFAULT_PROFILE": true, "AWS_REGION": true, "AWS_DEFAULT_REGION": true,
	"AWS_CONFIG_FILE": true, "AWS_SHARED_CREDENTIALS_FILE": true,
}

// configValues returns every value (of at least minQuoted characters) of
// the shared files and the AWS_* variables: each line's text after "="
// or ":", a line without either whole (a continuation line or junk),
// comments included, each also split into words. Section names are not
// values: messages name profiles. The files are read with fileread (at
// most 1 MiB, regular files only, so a FIFO or device named by
// AWS_CONFIG_FILE cannot block or exhaust memory); complete is false when
// a file exists that the SDK may read but this does not.
func configValues() (values []string, complete bool) {
	complete = true
	names := map[string]bool{}
	add := func(v string) {
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			values = append(values, v) // quoted, as written
			v = v[1 : len(v)-1]
		}
		values = append(values, v)
		values = append(values, strings.Fields(v)...)
	}
	for _, file := range sharedFiles() {
		b, err := fileread.Read(context.Background(), file, maxSharedFile)
		if err != nil {
			// A file the SDK could read but this may not (too large, a
			// device or FIFO) hides its values; one that cannot be read
			// at all (missing, a directory, no permission) has none the
			// SDK could quote.
			if errors.Is(err, fileread.ErrTooLarge) || errors.Is(err, fileread.ErrNotRegular) {
				complete = false
			}
			continue
		}
		for line := range strings.Lines(string(b)) {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
				inner := strings.TrimSpace(line[1 : len(line)-1])
				names[inner] = true
				for _, w := range strings.Fields(inner) {
					names[w] = true
				}
				continue
			}
			line = strings.TrimLeft(line, "#; \t")
			_, afterEq, eq := strings.Cut(line, "=")
			_, afterColon, colon := strings.Cut(line, ":")
			switch {
			case eq:
				add(afterEq)
				if colon {
					add(afterColon)
				}
			case colon:
				add(afterColon)
			default:
				add(line)
			}
		}
	}
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_") && !notSecret[name] {
			add(value)
		}
	}
	long := values[:0]
	for _, v := range values {
		if len(v) >= minQuoted && !names[v] {
			long = append(long, v)
		}
	}
	return long, complete
}
