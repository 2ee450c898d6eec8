#!/usr/bin/env bash
# Makes the Pulumi toolchain available for one `@pulumi/pulumi` SDK:
#   pulumi                          the CLI (engine), at the SDK's version or newer
#   pulumi-language-nodejs          the Node.js language host (tools/pulumi-language-nodejs)
#   pulumi-resource-pulumi-nodejs   the dynamic-provider plugin (shipped in @pulumi/pulumi)
#
# Environment:
#   PULUMI_IGNITE_SDK        the npm project whose package.json pins @pulumi/pulumi and whose
#                            node_modules holds it (default: this repository; the test lines
#                            under test/lines/ pass their own)
#   PULUMI_VERSION           the CLI version to provide (default: the SDK's pinned version)
#   PULUMI_IGNITE_CLI_MATCH  which `pulumi` already on PATH is used instead of building one:
#                            "newer" (default: the same version or newer) or "minor" (the same
#                            minor line only, for the oldest supported line)
#   PULUMI_IGNITE_CACHE      where built tools are kept (default ~/.cache/pulumi-ignite)
#
# The CLI cannot be downloaded on our machines: it is built from its Go modules, version
# stamped, and cached outside the clone in a folder named after the version it holds
# (pulumi-v3.X.Y/bin): a cold build takes minutes, a warm one nothing. A `pulumi` from PATH
# gets a folder named after its own version, holding a link to it.
#
# Progress goes to stderr; the last line on stdout is the directory to put first on PATH.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf '[pulumi-toolchain] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v node >/dev/null || die "node is not on PATH; install Node.js 20 or newer"
sdk="$(cd "${PULUMI_IGNITE_SDK:-$here}" && pwd)"
# The SDK's version: the installed one, else the one package.json pins.
# shellcheck disable=SC2016
sdk_version="$(node -e '
  const path = require("path"), dir = process.argv[1];
  try { console.log(require(path.join(dir, "node_modules/@pulumi/pulumi/package.json")).version); process.exit(0); } catch {}
  const p = require(path.join(dir, "package.json"));
  const v = (p.dependencies || {})["@pulumi/pulumi"] || (p.devDependencies || {})["@pulumi/pulumi"];
  if (!v || !/^[\^~=]?\d+\.\d+\.\d+$/.test(v)) process.exit(1);
  console.log(v.replace(/^[\^~=]/, ""));' "$sdk")" \
  || die "no @pulumi/pulumi installed in $sdk/node_modules, and its package.json pins no version of it"
version="${PULUMI_VERSION:-$sdk_version}"
match="${PULUMI_IGNITE_CLI_MATCH:-newer}"
cache="${PULUMI_IGNITE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-ignite}"
mkdir -p "$cache"
# One run at a time per cache: a cold build must not race another run's build of the same
# version, and test workers call this script concurrently.
if command -v flock >/dev/null; then
  exec 9>"$cache/.toolchain.lock"
  flock 9
fi

# The Go toolchain, checked against the `go` line of the module being built (pulumi's go.mod
# asks for Go >= 1.26.6 from 3.260 on), so an old Go fails with a sentence, not a build log.
need_go() { # what, minimum Go version
  command -v go >/dev/null || die "$1 must be built from Go modules, but no Go toolchain is on PATH; install Go >= $2 (or put $1 on PATH)"
  local have
  have="$(go env GOVERSION | sed 's/^go//')"
  node -e 'const [a,b]=process.argv.slice(1).map(s=>s.split(/[.a-z]/).map(Number));for(let i=0;i<3;i++){if((a[i]||0)!==(b[i]||0))process.exit((a[i]||0)>(b[i]||0)?0:1)}' "$have" "$2" \
    || die "$1 needs Go >= $2 (its go.mod), but $(command -v go) is go$have; install a newer Go"
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

# "a >= b" and "a has b's major.minor" for versions x.y.z.
version_ge() { node -e 'const [a,b]=process.argv.slice(1).map(s=>s.split(".").map(Number));for(let i=0;i<3;i++){if(a[i]!==b[i])process.exit(a[i]>b[i]?0:1)}' "$1" "$2"; }
same_minor() { [ "$(echo "$1" | cut -d. -f1-2)" = "$(echo "$2" | cut -d. -f1-2)" ]; }

# The module proxy here serves versions the checksum database does not know; the proxy is
# the trust anchor for these builds.
export GOSUMDB=off GOFLAGS=-mod=mod GOTOOLCHAIN=local

# ---- 1. the CLI ----------------------------------------------------------------------------
# A `pulumi` on PATH that is not one of our cached ones, if it is new enough: its version.
path_cli_version() {
  local p v
  p="$(command -v pulumi 2>/dev/null)" || return 1
  case "$(readlink -f "$p")" in "$(readlink -f "$cache")"/*) return 1 ;; esac
  v="$(pulumi version 2>/dev/null | tr -d v)" || return 1
  [[ "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || return 1
  version_ge "$v" "$version" || return 1
  if [ "$match" = minor ]; then same_minor "$v" "$version" || return 1; fi
  echo "$v"
}

cached_cli_ok() { [ -x "$1/pulumi" ] && [ "$("$1/pulumi" version 2>/dev/null)" = "v$2" ]; }

bin="$cache/pulumi-v$version/bin"
if cached_cli_ok "$bin" "$version"; then
  log "pulumi v$version: cached in $bin"
elif held="$(path_cli_version)"; then
  bin="$cache/pulumi-v$held/bin"
  mkdir -p "$bin"
  cached_cli_ok "$bin" "$held" || ln -sfn "$(command -v pulumi)" "$bin/pulumi"
  log "using pulumi v$held from PATH ($(command -v pulumi)) for the SDK's v$version"
else
  mkdir -p "$bin"
  work="$cache/build-cli-v$version"
  rm -rf "$work" && mkdir -p "$work"
  command -v go >/dev/null || die "pulumi v$version must be built from Go modules, but no Go toolchain is on PATH; install Go >= 1.26.6 (or put pulumi v$version on PATH)"
  command -v curl >/dev/null || die "curl is needed to read pulumi's go.mod from the Go module proxy"
  proxy="$(go env GOPROXY | cut -d, -f1)"
  case "$proxy" in http*) ;; *) proxy=https://proxy.golang.org ;; esac
  gomod="$(curl -fsS "$proxy/github.com/pulumi/pulumi/pkg/v3/@v/v$version.mod")" \
    || die "the Go module proxy does not serve github.com/pulumi/pulumi/pkg/v3@v$version"
  need_go "pulumi v$version" "$(printf '%s\n' "$gomod" | awk '$1 == "go" { print $2; exit }')"
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
  rm -rf "$work"
  log "built pulumi $("$bin/pulumi" version)"
fi

# ---- 2. the Node.js language host ------------------------------------------------------------
# Pulumi's own host is preferred when one is on PATH (outside our cache); otherwise ours,
# whose go.mod requires the Go SDK at the npm SDK's version (they move together).
src="$here/tools/pulumi-language-nodejs"
stamp="$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-16)-$version"
path_host="$(command -v pulumi-language-nodejs 2>/dev/null || true)"
case "$(readlink -f "${path_host:-/}")" in "$(readlink -f "$cache")"/*) path_host="" ;; esac
if [ -n "$path_host" ]; then
  log "using pulumi-language-nodejs from PATH ($path_host)"
  ln -sfn "$path_host" "$bin/pulumi-language-nodejs"
  rm -f "$bin/.language-host-stamp"
elif [ -x "$bin/pulumi-language-nodejs" ] && [ ! -L "$bin/pulumi-language-nodejs" ] && [ "$(cat "$bin/.language-host-stamp" 2>/dev/null)" = "$stamp" ]; then
  log "pulumi-language-nodejs: cached in $bin"
else
  need_go "the Node.js language host" "$(awk '$1 == "go" { print $2; exit }' "$src/go.mod")"
  log "building pulumi-language-nodejs (tools/pulumi-language-nodejs)…"
  (cd "$src" && with_progress "pulumi-language-nodejs" go build -trimpath -o "$bin/pulumi-language-nodejs.tmp" \
      -ldflags "-s -w -X main.version=v$version" .) || die "building the Node.js language host failed"
  mv -f "$bin/pulumi-language-nodejs.tmp" "$bin/pulumi-language-nodejs"
  echo "$stamp" > "$bin/.language-host-stamp"
  log "built pulumi-language-nodejs"
fi

# ---- 3. the dynamic-provider plugin -----------------------------------------------------------
plugin="$sdk/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
[ -f "$plugin" ] || die "$sdk/node_modules/@pulumi/pulumi is missing; run npm ci there first"
# The script resolves @pulumi/pulumi from the provider's working directory (the project), so
# one copy serves every project. Replaced atomically: other runs may be using this folder.
if ! cmp -s "$plugin" "$bin/pulumi-resource-pulumi-nodejs"; then
  install -m 0755 "$plugin" "$bin/pulumi-resource-pulumi-nodejs.tmp.$$"
  mv -f "$bin/pulumi-resource-pulumi-nodejs.tmp.$$" "$bin/pulumi-resource-pulumi-nodejs"
fi

echo "$bin"
