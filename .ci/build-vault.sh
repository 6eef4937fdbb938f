#!/usr/bin/env bash
# build-vault.sh OUT: put a Vault v1.14.1 server binary at OUT (e.g. bin/vault).
#
# The adapter tests run the real Vault server in -dev mode. Vault v1.14.1
# (MPL-2.0) is built from its module source on the Go module proxy, once:
# the binary is cached in ${SECRETSGEN_CACHE:-$HOME/.cache/secretsgen} and
# later runs only copy it. The build takes several minutes and ~250 MB.
#
# Recipe (see issue 4):
#   1. go mod download -json github.com/hashicorp/vault@v1.14.1, copy its Dir
#      to a writable temp folder;
#   2. go mod edit -dropreplace for the nested modules the zip leaves out
#      (api, api/auth/*, sdk); go.mod already names released versions;
#   3. remove the pki and transit builtin plugins from
#      helper/builtinplugins/registry.go (they need a newer sdk; tests need
#      neither);
#   4. GOFLAGS=-mod=mod go build -trimpath.
set -euo pipefail

VERSION=1.14.1
OUT=${1:?usage: build-vault.sh OUT}
case $OUT in /*) ;; *) OUT=$PWD/$OUT ;; esac
CACHE_DIR=${SECRETSGEN_CACHE:-$HOME/.cache/secretsgen}
CACHED=$CACHE_DIR/vault-$VERSION

log() { echo "build-vault: $*"; }

works() { [ -x "$1" ] && "$1" version 2>/dev/null | grep -q "Vault v$VERSION"; }

# install_out puts the cached binary at OUT: a hard link when both are on
# one file system, else a copy.
install_out() {
	mkdir -p "$(dirname "$OUT")"
	rm -f "$OUT.tmp.$$"
	if ln "$CACHED" "$OUT.tmp.$$" 2>/dev/null; then
		log "linking $CACHED to $OUT"
	else
		log "copying $CACHED to $OUT"
		cp "$CACHED" "$OUT.tmp.$$"
		chmod +x "$OUT.tmp.$$"
	fi
	mv -f "$OUT.tmp.$$" "$OUT"
	touch "$OUT" # newer than this script, so make sees it up to date
}

if works "$OUT"; then
	log "$OUT is already Vault v$VERSION; nothing to do"
	touch "$OUT"
	exit 0
fi

if works "$CACHED"; then
	log "using cached $CACHED"
	install_out
	exit 0
fi

# One build at a time per cache: concurrent make runs (several work trees,
# parallel CI jobs) wait for the first build and then reuse its binary.
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/build-vault.lock"
if command -v flock >/dev/null; then
	log "waiting for the build lock $CACHE_DIR/build-vault.lock"
	flock 9
	if works "$CACHED"; then
		log "another build finished meanwhile; using cached $CACHED"
		install_out
		exit 0
	fi
fi

command -v go >/dev/null || { echo "build-vault: go is not on PATH" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/build-vault.XXXXXX")
trap 'chmod -R u+w "$WORK" 2>/dev/null || true; rm -rf "$WORK"' EXIT
log "building Vault v$VERSION from the Go module proxy in $WORK (takes several minutes)"

# 1. Fetch the module source into the module cache (read-only) and copy it.
mkdir -p "$WORK/dl"
(
	cd "$WORK/dl"
	go mod init build-vault-scratch >/dev/null 2>&1
	go mod download -json "github.com/hashicorp/vault@v$VERSION" >"$WORK/download.json"
)
DIR=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' "$WORK/download.json" | head -n1)
if [ -z "$DIR" ] || [ ! -d "$DIR" ]; then
	echo "build-vault: go mod download gave no source folder:" >&2
	cat "$WORK/download.json" >&2
	exit 1
fi
log "source: $DIR"
SRC=$WORK/src
cp -R "$DIR" "$SRC"
chmod -R u+w "$SRC"
cd "$SRC"

# 2. Drop replace directives that point at nested modules missing from the zip.
for m in \
	github.com/hashicorp/vault/api \
	github.com/hashicorp/vault/api/auth/approle \
	github.com/hashicorp/vault/api/auth/kubernetes \
	github.com/hashicorp/vault/api/auth/userpass \
	github.com/hashicorp/vault/sdk; do
	log "go mod edit -dropreplace=$m"
	go mod edit -dropreplace="$m"
done

# 3. Remove the pki and transit builtin plugins.
REG=helper/builtinplugins/registry.go
log "removing pki and transit from $REG"
perl -0pi -e '
	s/^\s*logicalPki\s+"[^"]*"\s*\n//m or die "pki import not found\n";
	s/^\s*logicalTransit\s+"[^"]*"\s*\n//m or die "transit import not found\n";
	s/^\s*"pki":\s*\{\s*Factory:\s*logicalPki\.Factory\s*\},?\s*\n//m or die "pki entry not found\n";
	s/^\s*"transit":\s*\{\s*Factory:\s*logicalTransit\.Factory\s*\},?\s*\n//m or die "transit entry not found\n";
' "$REG"
if grep -nE 'logicalPki|logicalTransit' "$REG"; then
	echo "build-vault: $REG still names pki or transit" >&2
	exit 1
fi
gofmt -l "$REG" >/dev/null # syntax check; the build below checks the rest

# 4. Build.
log "go build -trimpath (GOFLAGS=-mod=mod, GOWORK=off)"
GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" go build -trimpath -o "$WORK/vault" .
works "$WORK/vault" || { echo "build-vault: the built binary does not report Vault v$VERSION" >&2; exit 1; }

mkdir -p "$CACHE_DIR"
cp -f "$WORK/vault" "$CACHED.tmp.$$"
mv -f "$CACHED.tmp.$$" "$CACHED"
log "cached $CACHED"
install_out
log "done: $("$OUT" version)"
