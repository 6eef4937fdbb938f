package manifest

import (
	"go/token"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGoName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		// Plain words, snake and kebab case.
		{"database", "Database"},
		{"secret_key", "SecretKey"},
		{"secret-key", "SecretKey"},
		{"allowed_hosts", "AllowedHosts"},
		{"a", "A"},
		{"a_b_c", "ABC"},
		// Initialisms, alone, first, middle and last.
		{"url", "URL"},
		{"api_key", "APIKey"},
		{"http_timeout", "HTTPTimeout"},
		{"http-timeout", "HTTPTimeout"},
		{"endpoint_url", "EndpointURL"},
		{"client_id", "ClientID"},
		{"user_uuid_v4", "UserUUIDV4"},
		{"tls_cert_ttl", "TLSCertTTL"},
		{"json", "JSON"},
		{"sql_dsn", "SQLDsn"},
		{"https_proxy", "HTTPSProxy"},
		{"utf8_name", "UTF8Name"},
		{"ssh_key", "SSHKey"},
		{"smtp", "SMTP"},
		{"xsrf_token", "XSRFToken"},
		{"acl", "ACL"},
		{"ascii", "ASCII"},
		{"cpu", "CPU"},
		{"css", "CSS"},
		{"dns", "DNS"},
		{"eof", "EOF"},
		{"guid", "GUID"},
		{"html", "HTML"},
		{"ip", "IP"},
		{"lhs_rhs", "LHSRHS"},
		{"qps", "QPS"},
		{"ram", "RAM"},
		{"rpc", "RPC"},
		{"sla", "SLA"},
		{"tcp_udp", "TCPUDP"},
		{"ui", "UI"},
		{"uid", "UID"},
		{"uri", "URI"},
		{"vm", "VM"},
		{"xml", "XML"},
		{"xmpp", "XMPP"},
		{"xss", "XSS"},
		// Added to golint's list: staticcheck's and common in secrets.
		{"db", "DB"},
		{"db_host", "DBHost"},
		{"replica_db", "ReplicaDB"},
		{"cors_origins", "CORSOrigins"},
		{"jwt_signing_key", "JWTSigningKey"},
		{"otp_secret", "OTPSecret"},
		{"totp", "TOTP"},
		{"aws_region", "AWSRegion"},
		{"ca_cert", "CACert"},
		{"csrf-key", "CSRFKey"},
		{"hmac_key", "HMACKey"},
		{"kms_key_id", "KMSKeyID"},
		{"oidc_client_secret", "OIDCClientSecret"},
		{"saml_cert_pem", "SAMLCertPEM"},
		{"sso", "SSO"},
		{"ssl_mode", "SSLMode"},
		{"amqp_url", "AMQPURL"},
		// Not initialisms: only whole words count.
		{"oauth", "Oauth"},
		{"ids", "Ids"},
		{"idle", "Idle"},
		{"urls", "Urls"},
		{"dbs", "Dbs"},
		{"database", "Database"},
		{"cors2", "Cors2"},
		// Digits.
		{"oauth2_token", "Oauth2Token"},
		{"v2", "V2"},
		{"2fa", "X2fa"},
		{"2fa_secret", "X2faSecret"},
		{"123", "X123"},
		{"s3_bucket", "S3Bucket"},
		{"key_2", "Key2"},
		// Separators: repeated, leading, trailing, dots.
		{"a__b", "AB"},
		{"a-_b", "AB"},
		{"_id", "ID"},
		{"a-", "A"},
		{"v1.2", "V12"},
		{"us-east-1", "UsEast1"},
		// Case of the rest of a word is kept (enum values).
		{"DEBUG", "DEBUG"},
		{"Info", "Info"},
		{"camelCase", "CamelCase"},
		// Nothing usable.
		{"", "X"},
		{"_", "X"},
		{"--", "X"},
		// Letters without case cannot start an exported name.
		{"名前", "X名前"},
		{"élan", "Élan"},
	}
	for _, tt := range tests {
		got := GoName(tt.in)
		if got != tt.want {
			t.Errorf("GoName(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !token.IsIdentifier(got) || !token.IsExported(got) {
			t.Errorf("GoName(%q) = %q is not an exported identifier", tt.in, got)
		}
	}
}

func TestSecretNames(t *testing.T) {
	t.Parallel()
	s := &Secret{GoPath: []string{"App", "LogLevel"}, Type: Type{Kind: Enum}, Values: []string{"debug", "us-east-1", "WARN"}}
	if got := s.GoName(); got != "AppLogLevel" {
		t.Errorf("GoName = %q", got)
	}
	want := []string{"AppLogLevelDebug", "AppLogLevelUsEast1", "AppLogLevelWARN"}
	if diff := cmp.Diff(want, newLeaf(s).EnumConsts); diff != "" {
		t.Errorf("EnumConsts (-want +got):\n%s", diff)
	}
}
