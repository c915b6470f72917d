#!/usr/bin/env bash
# Installs Debian's chromium when it is missing, for the admin console's browser tests
# (`npm run test:console`; playwright-core drives it and never downloads a browser). `.ci/run`
# runs it; so does a developer, once:
#
#   sudo bash scripts/chromium.sh
#
# Prints the binary's path and version; fails loudly when no chromium can be had.
set -euo pipefail

say() { printf 'chromium: %s\n' "$*"; }
fatal() { printf 'chromium: FATAL: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

binary="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$binary" ]; then
  command -v apt-get >/dev/null || fatal "$binary is missing and there is no apt-get to install chromium"
  say "installing chromium from Debian"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  [ -x "$binary" ] || fatal "chromium installed but $binary is not there"
fi
say "$binary: $("$binary" --version 2>/dev/null | tail -1)"
