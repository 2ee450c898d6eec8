#!/usr/bin/env bash
# Makes the Pulumi toolchain available at the version of @pulumi/pulumi in package.json:
#   pulumi                          the CLI (engine)
#   pulumi-language-nodejs          the Node.js language host (tools/pulumi-language-nodejs)
#   pulumi-resource-pulumi-nodejs   the dynamic-provider plugin (shipped in @pulumi/pulumi)
#
# The CLI cannot be downloaded on our machines. A `pulumi` on PATH of the same minor line or
# newer is used as is; otherwise the pinned version is built from its Go modules, version
# stamped, and cached outside the clone (PULUMI_IGNITE_CACHE, default
# ~/.cache/pulumi-ignite) keyed by version: a cold build takes minutes, a warm one nothing.
#
# Progress goes to stderr; the last line on stdout is the directory to put first on PATH.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[pulumi-toolchain] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v node >/dev/null || die "node is not on PATH; install Node.js 20 or newer"
version="${PULUMI_VERSION:-$(node -p "require('$here/package.json').devDependencies['@pulumi/pulumi']" | tr -d '^~')}"
cache="${PULUMI_IGNITE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-ignite}"
bin="$cache/pulumi-v$version/bin"
mkdir -p "$bin"

need_go() {
  command -v go >/dev/null || die "$1 must be built from Go modules, but no Go toolchain is on PATH; install Go >= 1.25 (or put pulumi v$version and its Node.js language host on PATH)"
}

# A ticker so a long, silent `go build` still shows it is alive.
with_progress() {
  local what="$1"; shift
  ( while sleep 30; do log "…still building $what ($(date +%T))"; done ) &
  local ticker=$!
  local rc=0
  "$@" || rc=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  return "$rc"
}

# The module proxy here serves versions the checksum database does not know; the proxy is
# the trust anchor for these builds.
export GOSUMDB=off GOFLAGS=-mod=mod GOTOOLCHAIN=local

# ---- 1. the CLI ----------------------------------------------------------------------------
path_cli_ok() {
  local p v
  p="$(command -v pulumi 2>/dev/null)" || return 1
  case "$p" in "$cache"/*) return 1 ;; esac
  v="$(pulumi version 2>/dev/null | tr -d v)" || return 1
  node -e 'const [a,b]=process.argv.slice(1).map(s=>s.split(".").map(Number));process.exit(a[0]>b[0]||(a[0]===b[0]&&a[1]>=b[1])?0:1)' "$v" "$version"
}

if [ -x "$bin/pulumi" ] && "$bin/pulumi" version >/dev/null 2>&1; then
  log "pulumi $("$bin/pulumi" version): cached in $bin"
elif path_cli_ok; then
  log "using pulumi $(pulumi version) from PATH ($(command -v pulumi))"
  ln -sf "$(command -v pulumi)" "$bin/pulumi"
else
  need_go "pulumi v$version"
  work="$cache/build-cli-v$version"
  rm -rf "$work" && mkdir -p "$work"
  gomod="$(curl -fsS "$(go env GOPROXY | cut -d, -f1)/github.com/pulumi/pulumi/pkg/v3/@v/v$version.mod")" \
    || die "the Go module proxy does not serve github.com/pulumi/pulumi/pkg/v3@v$version"
  # pkg/v3's go.mod has replace lines, so `go install pkg@version` refuses it: build from a
  # wrapper module that requires pkg and sdk at the same version and copies pkg's non-local
  # replace lines (recent releases: the clipboard fork).
  {
    printf 'module pulumiignite/toolchain\n\ngo 1.24\n\nrequire (\n'
    printf '\tgithub.com/pulumi/pulumi/pkg/v3 v%s\n\tgithub.com/pulumi/pulumi/sdk/v3 v%s\n)\n\n' "$version" "$version"
    printf '%s\n' "$gomod" | grep -E '^replace ' | grep -vE '=> \.\.?/' || true
  } > "$work/go.mod"
  log "building pulumi v$version from its Go modules (a cold build takes 5-25 minutes on 2 cores)…"
  (
    cd "$work"
    go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$version" 2>&1 | grep -v '^go: downloading' >&2 || true
    with_progress "pulumi v$version" go build -trimpath -o "$bin/pulumi.tmp" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  ) || die "building pulumi v$version failed (see the go output above)"
  mv "$bin/pulumi.tmp" "$bin/pulumi"
  log "built pulumi $("$bin/pulumi" version)"
fi

# ---- 2. the Node.js language host ------------------------------------------------------------
src="$here/tools/pulumi-language-nodejs"
stamp="$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-16)"
if [ -x "$bin/pulumi-language-nodejs" ] && [ "$(cat "$bin/.language-host-stamp" 2>/dev/null)" = "$stamp" ]; then
  log "pulumi-language-nodejs: cached in $bin"
elif command -v pulumi-language-nodejs >/dev/null && [ "$(readlink -f "$(command -v pulumi-language-nodejs)")" != "$(readlink -f "$bin/pulumi-language-nodejs")" ]; then
  log "using pulumi-language-nodejs from PATH ($(command -v pulumi-language-nodejs))"
  ln -sf "$(command -v pulumi-language-nodejs)" "$bin/pulumi-language-nodejs"
else
  need_go "the Node.js language host"
  log "building pulumi-language-nodejs (tools/pulumi-language-nodejs)…"
  (cd "$src" && with_progress "pulumi-language-nodejs" go build -trimpath -o "$bin/pulumi-language-nodejs.tmp" \
      -ldflags "-s -w -X main.version=v$version" .) || die "building the Node.js language host failed"
  mv "$bin/pulumi-language-nodejs.tmp" "$bin/pulumi-language-nodejs"
  echo "$stamp" > "$bin/.language-host-stamp"
  log "built pulumi-language-nodejs"
fi

# ---- 3. the dynamic-provider plugin -----------------------------------------------------------
plugin="$here/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
[ -f "$plugin" ] || die "node_modules/@pulumi/pulumi is missing; run npm ci first"
# The script resolves @pulumi/pulumi from the provider's working directory (the project), so
# one copy serves every project.
install -m 0755 "$plugin" "$bin/pulumi-resource-pulumi-nodejs"

echo "$bin"
