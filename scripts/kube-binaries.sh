#!/usr/bin/env bash
# Builds the pinned kube-apiserver and etcd (the real Kubernetes control plane the kube suite runs
# against) from the Go module proxy into a cache folder outside the repository, and prints that folder.
#
#   bash scripts/kube-binaries.sh          build when missing or stale, then print the folder
#   bash scripts/kube-binaries.sh --check  print the folder when the cache is current, else exit 1
#
# Versions are pinned by tools/kube/{apiserver,etcd}/go.mod and go.sum. The cache folder is
# ${ZEROKEY_CACHE_DIR:-$HOME/.cache/zerokey}/kube-<kubernetes version>/; a stamp (versions, Go version
# and a hash of the module files) decides whether the binaries there are reused.
set -euo pipefail
cd "$(dirname "$0")/.."

module_version() { # module path, go.mod file
  awk -v m="$1" '$1 == "require" && $2 == m { print $3; exit } $1 == m && $2 ~ /^v/ { print $2; exit }' "$2"
}

KUBE_VERSION="$(module_version k8s.io/kubernetes tools/kube/apiserver/go.mod)"
ETCD_VERSION="$(module_version go.etcd.io/etcd/server/v3 tools/kube/etcd/go.mod)"
[ -n "$KUBE_VERSION" ] && [ -n "$ETCD_VERSION" ] || { echo "kube-binaries: cannot read the pinned versions from tools/kube/*/go.mod" >&2; exit 1; }
command -v go >/dev/null || { echo "kube-binaries: Go is not installed (needed to build kube-apiserver and etcd)" >&2; exit 1; }

CACHE="${ZEROKEY_CACHE_DIR:-$HOME/.cache/zerokey}/kube-${KUBE_VERSION}"
# The stamp names what the binaries were built from; any change to it rebuilds.
STAMP="kubernetes ${KUBE_VERSION}
etcd ${ETCD_VERSION}
$(go env GOVERSION) $(go env GOOS)/$(go env GOARCH)
modules $(cat tools/kube/apiserver/go.mod tools/kube/apiserver/go.sum tools/kube/apiserver/main.go \
  tools/kube/etcd/go.mod tools/kube/etcd/go.sum tools/kube/etcd/main.go | sha256sum | cut -d' ' -f1)"

current() {
  [ -x "$CACHE/kube-apiserver" ] && [ -x "$CACHE/etcd" ] && [ -f "$CACHE/stamp" ] && [ "$(cat "$CACHE/stamp")" = "$STAMP" ]
}

if current; then
  echo "kube-binaries: reusing kube-apiserver ${KUBE_VERSION} and etcd ${ETCD_VERSION} in $CACHE" >&2
  echo "$CACHE"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "kube-binaries: no current build in $CACHE: run bash scripts/kube-binaries.sh" >&2
  exit 1
fi

mkdir -p "$CACHE"
rm -f "$CACHE/stamp"
# Never fetch another Go toolchain, never rewrite go.mod/go.sum: the pins are what gets built.
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0
start=$SECONDS

# The version variables are what `kube-apiserver --version` and GET /version report.
minor="$(echo "$KUBE_VERSION" | cut -d. -f2)"
ldflags="-s -w"
for kv in "gitVersion=${KUBE_VERSION}" "gitMajor=1" "gitMinor=${minor}" "gitTreeState=clean" "buildDate=1970-01-01T00:00:00Z"; do
  ldflags="$ldflags -X k8s.io/component-base/version.${kv}"
done
echo "kube-binaries: building kube-apiserver ${KUBE_VERSION} (several minutes from a cold cache)" >&2
(cd tools/kube/apiserver && nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$CACHE/kube-apiserver.tmp" .)
mv "$CACHE/kube-apiserver.tmp" "$CACHE/kube-apiserver"

echo "kube-binaries: building etcd ${ETCD_VERSION}" >&2
(cd tools/kube/etcd && nice -n 10 go build -trimpath -ldflags "-s -w" -o "$CACHE/etcd.tmp" .)
mv "$CACHE/etcd.tmp" "$CACHE/etcd"

printf '%s\n' "$STAMP" > "$CACHE/stamp"
echo "kube-binaries: built in $((SECONDS - start)) s into $CACHE" >&2
echo "$CACHE"
