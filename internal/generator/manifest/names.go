package manifest

import (
	"maps"
	"slices"
	"strings"
	"unicode"
)

// commonInitialisms are the words written in upper case in Go names when a
// path segment, JSON field key or enum value has them as a whole word,
// ignoring case ("api_key" -> "APIKey", "db_host" -> "DBHost"; "dbs" and
// "idle" are not whole words). The list is staticcheck's (ST1003: golint's
// list plus AMQP, DB, GID, RTP, SIP, TS) and initialisms common in secrets
// and settings (AWS, CORS, CSRF, JWT, OTP, ...). docs/manifest.md, "Names",
// prints it: TestInitialismsDocumented keeps the two the same. Adding a word
// renames the generated fields of manifests that use it, so add with care.
var commonInitialisms = map[string]bool{
	// golint
	"ACL": true, "API": true, "ASCII": true, "CPU": true, "CSS": true, "DNS": true,
	"EOF": true, "GUID": true, "HTML": true, "HTTP": true, "HTTPS": true, "ID": true,
	"IP": true, "JSON": true, "LHS": true, "QPS": true, "RAM": true, "RHS": true,
	"RPC": true, "SLA": true, "SMTP": true, "SQL": true, "SSH": true, "TCP": true,
	"TLS": true, "TTL": true, "UDP": true, "UI": true, "UID": true, "UUID": true,
	"URI": true, "URL": true, "UTF8": true, "VM": true, "XML": true, "XMPP": true,
	"XSRF": true, "XSS": true,
	// staticcheck's additions
	"AMQP": true, "DB": true, "GID": true, "RTP": true, "SIP": true, "TS": true,
	// secrets and settings
	"AWS": true, "CA": true, "CORS": true, "CSRF": true, "GCP": true, "HMAC": true,
	"IAM": true, "JWT": true, "KMS": true, "LDAP": true, "MFA": true, "OIDC": true,
	"OTP": true, "PEM": true, "RSA": true, "SAML": true, "SFTP": true, "SMS": true,
	"SSL": true, "SSO": true, "TOTP": true,
}

// Initialisms returns the words GoName writes in upper case, sorted.
func Initialisms() []string {
	return slices.Sorted(maps.Keys(commonInitialisms))
}

// GoName turns one path segment, JSON field key or enum value into an
// exported Go identifier: words separated by anything other than a letter or
// digit ("_", "-", ".") are joined in CamelCase, and words in the list of
// initialisms (Initialisms) are upper-cased: "api_key" -> "APIKey", "http-timeout" ->
// "HTTPTimeout", "url" -> "URL". The rest of each word keeps its case
// ("DEBUG" -> "DEBUG").
//
// A name that would start with a digit gets the prefix "X" ("2fa" -> "X2fa");
// a segment with no letter or digit at all becomes "X". The result is always
// an exported identifier, so it can never be a Go keyword.
//
// Different inputs can give the same name ("http-timeout", "http_timeout");
// the manifest reports such collisions instead of renaming.
func GoName(segment string) string {
	words := strings.FieldsFunc(segment, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	var b strings.Builder
	for _, w := range words {
		if up := strings.ToUpper(w); commonInitialisms[up] {
			b.WriteString(up)
			continue
		}
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	name := b.String()
	if name == "" || !unicode.IsUpper([]rune(name)[0]) {
		// Empty, or starts with a digit or a letter without case: Go
		// exports only names that start with an upper-case letter.
		name = "X" + name
	}
	return name
}
