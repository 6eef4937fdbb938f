package e2e

import (
	"encoding/base64"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// kubeletUpdate writes payload (file name to contents) into dir as the
// kubelet updates a Secret volume: a new timestamped directory holding
// every file, a ..data_tmp link to it renamed over ..data, a KEY ->
// ..data/KEY link for each new key, the links of dropped keys removed,
// the old directory removed.
func kubeletUpdate(t *testing.T, dir string, payload map[string]string) {
	t.Helper()
	old, _ := os.Readlink(filepath.Join(dir, "..data"))
	ts, err := os.MkdirTemp(dir, time.Now().UTC().Format("..2006_01_02_15_04_05."))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(ts, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range slices.Sorted(maps.Keys(payload)) {
		if err := os.WriteFile(filepath.Join(ts, name), []byte(payload[name]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tmp := filepath.Join(dir, "..data_tmp")
	if err := os.Symlink(filepath.Base(ts), tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	links := map[string]bool{}
	for _, e := range entries {
		if name := e.Name(); name[0] != '.' {
			links[name] = true
		}
	}
	for name := range payload {
		if !links[name] {
			if err := os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name := range links {
		if _, ok := payload[name]; !ok {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if old != "" {
		if err := os.RemoveAll(filepath.Join(dir, old)); err != nil {
			t.Fatal(err)
		}
	}
}

// testFiles: a directory laid out exactly as the kubelet lays out a
// Kubernetes Secret volume, one file per entry named by its env name (the
// manifest's env: override included, MAIL_PASSWORD its own file: the files
// backend ignores source), values in their text forms (bytes as base64),
// some with the trailing newline a `kubectl create secret --from-file`
// keeps. The broken run is one atomic kubelet update.
func testFiles(t *testing.T, b built) {
	dir := t.TempDir()
	payload := map[string]string{
		"DATABASE_URL":         dbURL + "\n",
		"E2E_SERVICE_KEY":      apiKey,
		"POOL_MAX_CONNS":       "25",
		"STORAGE_QUOTA":        "10737418240",
		"SAMPLING_RATE":        "0.125",
		"FEATURES_BETA":        "true",
		"HTTP_RETRIES":         "5",
		"APP_SIGNING_KEY":      base64.StdEncoding.EncodeToString(signingKey) + "\n",
		"LICENSE_EXPIRES_AT":   expiresAt,
		"LOG_LEVEL":            "warn",
		"DATABASE_CREDENTIALS": credentialsJSON,
		"CORS_ORIGINS":         "https://a.example, https://b.example",
		"LIMITS_PER_USER":      `{"alice":10,"bob":20}`,
		"MAIL_PASSWORD":        mailPassword + "\n",
	}
	kubeletUpdate(t, dir, payload)
	vars := map[string]string{"SECRETS_BACKEND": "files", "SECRETS_FILES_DIR": dir}
	checkLoad(t, b, "files", vars)

	broken := maps.Clone(payload)
	delete(broken, "POOL_MAX_CONNS")
	broken["DATABASE_URL"] = badURL
	kubeletUpdate(t, dir, broken)
	checkBroken(t, b, "files", vars, nil, brokenFailures(envName, "create the file POOL_MAX_CONNS"))
}
