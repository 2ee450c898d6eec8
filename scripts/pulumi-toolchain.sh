#!/usr/bin/env bash
# Makes the Pulumi toolchain available: the `pulumi` CLI, a Node.js language host and the
# dynamic-provider plugin, at the version pinned in package.json (@pulumi/pulumi).
#
# The CLI cannot be downloaded on our machines, so when no recent-enough `pulumi` is on PATH
# it is built from its Go modules, version-stamped, and cached outside the clone
# (PULUMI_IGNITE_CACHE, default ~/.cache/pulumi-ignite) keyed by version: a cold build takes
# many minutes on 2 cores, a warm one is instant.
#
# Prints, as its last line, the directory to put first on PATH.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${PULUMI_VERSION:-$(node -p "require('$here/package.json').devDependencies['@pulumi/pulumi'] || require('$here/package.json').dependencies['@pulumi/pulumi']" | tr -d '^~')}"
cache="${PULUMI_IGNITE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-ignite}"
bin="$cache/pulumi-v$version/bin"
log() { printf '[pulumi-toolchain] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

mkdir -p "$bin"

# 1. The CLI: from PATH when it is the same minor line or newer, else built and cached.
have_cli() {
  local p v
  p="$(command -v pulumi 2>/dev/null)" || return 1
  [ "$p" = "$bin/pulumi" ] && return 1
  v="$(pulumi version 2>/dev/null | tr -d v)" || return 1
  node -e "const [a,b]=[process.argv[1],process.argv[2]].map(s=>s.split('.').map(Number));process.exit(a[0]>b[0]||(a[0]===b[0]&&a[1]>=b[1])?0:1)" "$v" "$version"
}

if [ -x "$bin/pulumi" ] && "$bin/pulumi" version >/dev/null 2>&1; then
  log "pulumi v$version: cached at $bin"
elif have_cli; then
  log "using pulumi $(pulumi version) from PATH"
  ln -sf "$(command -v pulumi)" "$bin/pulumi"
else
  command -v go >/dev/null || die "no 'pulumi' on PATH and no Go toolchain to build it; install Go >= 1.24 or the Pulumi CLI v$version"
  info="$(curl -fsS "$(go env GOPROXY | cut -d, -f1)/github.com/pulumi/pulumi/pkg/v3/@v/v$version.mod" 2>/dev/null)" \
    || die "the Go module proxy does not serve github.com/pulumi/pulumi/pkg/v3@v$version"
  work="$cache/build-v$version"
  rm -rf "$work"; mkdir -p "$work"
  # pkg/v3's go.mod has replace lines, so `go install pkg@version` refuses it: build it from
  # a wrapper module that requires pkg and sdk at the same version and copies pkg's
  # non-local replace lines.
  {
    echo "module pulumiignite/toolchain"
    echo
    echo "go 1.24"
    echo
    echo "require ("
    echo "  github.com/pulumi/pulumi/pkg/v3 v$version"
    echo "  github.com/pulumi/pulumi/sdk/v3 v$version"
    echo ")"
    printf '%s\n' "$info" | grep -E '^replace .* => [^.]' | grep -v '=> \.' || true
  } > "$work/go.mod"
  log "building pulumi v$version from its Go modules (cold: 10-25 minutes on 2 cores)…"
  (
    cd "$work"
    # The checksum database does not know every version the module proxy serves here; the
    # proxy is the trust anchor for this build.
    export GOSUMDB=off GOFLAGS=-mod=mod
    go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$version" 2>&1 | sed 's/^/[pulumi-toolchain] go: /' >&2
    # progress: one line every 30s while the compiler runs
    ( while sleep 30; do log "…still building pulumi ($(date +%T))"; done ) & ticker=$!
    trap 'kill $ticker 2>/dev/null || true' EXIT
    go build -trimpath -o "$bin/pulumi.tmp" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
    kill $ticker 2>/dev/null || true
  ) || die "building pulumi v$version failed (see the go output above)"
  mv "$bin/pulumi.tmp" "$bin/pulumi"
  log "built $("$bin/pulumi" version)"
fi
echo "$bin"
