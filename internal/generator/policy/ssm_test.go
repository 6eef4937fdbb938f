package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dashtam/secretsgen/internal/generator/manifest"
)

func TestSSM(t *testing.T) {
	pinned := testManifest()
	pinned.Secrets = append(pinned.Secrets,
		&manifest.Secret{Path: "api/key_previous", Source: manifest.Source{Path: "api/key", Version: "3"}},
		&manifest.Secret{Path: "api/key_blue", Source: manifest.Source{Path: "api/key", Version: "blue"}},
		&manifest.Secret{Path: "api/key"},
	)
	tests := []struct {
		name string
		m    *manifest.Manifest
		env  string
		want string
	}{
		{
			name: "keys share their parameter",
			m:    testManifest(),
			env:  "production",
			want: `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadManifestParameters",
      "Effect": "Allow",
      "Action": [
        "ssm:GetParameters"
      ],
      "Resource": [
        "arn:aws:ssm:*:*:parameter/dashtam/production/app/secret_key",
        "arn:aws:ssm:*:*:parameter/dashtam/production/database/url",
        "arn:aws:ssm:*:*:parameter/dashtam/production/mail/smtp"
      ]
    },
    {
      "Sid": "ListEnvironmentParameters",
      "Effect": "Allow",
      "Action": [
        "ssm:GetParametersByPath"
      ],
      "Resource": [
        "arn:aws:ssm:*:*:parameter/dashtam/production"
      ]
    }
  ]
}
`,
		},
		{
			name: "versions and labels are authorised on the parameter",
			m:    pinned,
			env:  "staging",
			want: `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadManifestParameters",
      "Effect": "Allow",
      "Action": [
        "ssm:GetParameters"
      ],
      "Resource": [
        "arn:aws:ssm:*:*:parameter/dashtam/staging/api/key",
        "arn:aws:ssm:*:*:parameter/dashtam/staging/app/secret_key",
        "arn:aws:ssm:*:*:parameter/dashtam/staging/database/url",
        "arn:aws:ssm:*:*:parameter/dashtam/staging/mail/smtp"
      ]
    },
    {
      "Sid": "ListEnvironmentParameters",
      "Effect": "Allow",
      "Action": [
        "ssm:GetParametersByPath"
      ],
      "Resource": [
        "arn:aws:ssm:*:*:parameter/dashtam/staging"
      ]
    }
  ]
}
`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SSM(tc.m, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("SSM policy (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSSMBadEnvironment(t *testing.T) {
	for _, env := range []string{"", "Prod", "a/b", "../x", "-x"} {
		want := backends.CheckEnvironment(env)
		if _, err := SSM(testManifest(), env); want == nil || err == nil || err.Error() != want.Error() {
			t.Errorf("SSM(env=%q) error = %v, want %v", env, err, want)
		}
	}
}
