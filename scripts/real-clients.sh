#!/usr/bin/env bash
# Real clients against a running Zerokey (dist/, SQLite) and the Kubernetes simulator:
#   1. the Infisical Go SDK's Kubernetes login (clients/go-sdk; github.com/infisical/go-sdk from the
#      Go module proxy, pinned by the committed go.sum);
#   2. schemathesis (from PyPI, in a venv cached outside the repository) against GET /api/docs-json:
#      no 5xx, and every answer matches the documented status codes, headers and schemas.
# Either failing fails the script; neither is ever skipped (a missing go or python3 is an error).
#
#   bash scripts/real-clients.sh            # both
#   bash scripts/real-clients.sh go-sdk     # or one of them: go-sdk | schemathesis
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
WHAT="${1:-all}"
CACHE="${ZEROKEY_CACHE_DIR:-$HOME/.cache/zerokey}"
SCHEMATHESIS_VERSION=4.32.5
SCHEMATHESIS_VENV="$CACHE/schemathesis-$SCHEMATHESIS_VERSION"

fail() { echo "real-clients: FAIL: $*" >&2; exit 1; }
step() { printf '\n--- %s ---\n' "$*"; }

eval "$(bash scripts/node24.sh --env)"
command -v go >/dev/null || fail "go is not installed (the Go SDK test needs it)"
command -v python3 >/dev/null || fail "python3 is not installed (schemathesis needs it)"
node scripts/ensure-built.js

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

step "Kubernetes simulator"
SIM_PORT="$(free_port)"
node dist/test/support/kubernetes-simulator/main.js --port "$SIM_PORT" --ca-out "$work/k8s-ca.pem" --control >"$work/sim.json" 2>"$work/sim.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/sim.json" ] && break; sleep 0.1; done
[ -s "$work/sim.json" ] || fail "the simulator did not start: $(cat "$work/sim.log")"
echo "simulator on https://127.0.0.1:$SIM_PORT"

step "Zerokey"
ZK_PORT="$(free_port)"
export ZEROKEY_URL="http://127.0.0.1:$ZK_PORT"
mkdir -p "$work/data"
PORT="$ZK_PORT" HOST=127.0.0.1 DATA_DIR="$work/data" DB_TYPE=sqlite DB_PATH="$work/data/zerokey.sqlite" LOG_LEVEL=warn \
  ENCRYPTION_KEY="$(node -p 'require("crypto").randomBytes(32).toString("base64")')" \
  node dist/src/main.js >"$work/zerokey.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do curl -fsS "$ZEROKEY_URL/api/status/ready" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "$ZEROKEY_URL/api/status/ready" >/dev/null || fail "Zerokey did not become ready: $(tail -20 "$work/zerokey.log")"
echo "Zerokey on $ZEROKEY_URL"

step "fixture: admin, identity with Kubernetes auth, a projected service-account token"
# Prints KEY=VALUE lines; the tokens go to files, never to the output.
NODE_EXTRA_CA_CERTS="$work/k8s-ca.pem" WORK="$work" node --input-type=module -e '
  import { readFileSync, writeFileSync } from "node:fs";
  const sim = JSON.parse(readFileSync(`${process.env.WORK}/sim.json`, "utf8"));
  const api = process.env.ZEROKEY_URL;
  const post = async (url, body, token) => {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    const json = await res.json();
    if (!res.ok) throw new Error(`${url}: ${res.status} ${json.error}`);
    return json;
  };
  const admin = await post(`${api}/api/v1/admin/bootstrap`, { email: "ci@example.com", password: "real-clients-password", organization: "Real Clients" });
  const identity = (await post(`${api}/api/v1/identities`, { name: "go-sdk", organizationId: admin.organization.id }, admin.accessToken)).identity;
  await post(`${api}/api/v1/auth/kubernetes-auth/identities/${identity.id}`, { kubernetesHost: sim.url, caCert: readFileSync(sim.caFile, "utf8"), tokenReviewerJwt: sim.reviewerToken, allowedNamespaces: "shop", allowedAudience: "zerokey", accessTokenTTL: 600 }, admin.accessToken);
  const { token } = await post(`${sim.url}/_sim/mint`, { namespace: "shop", serviceAccount: "checkout", pod: "checkout-7d9f", audience: "zerokey" });
  writeFileSync(`${process.env.WORK}/sa-token`, token, { mode: 0o600 });
  writeFileSync(`${process.env.WORK}/admin-token`, admin.accessToken, { mode: 0o600 });
  console.log(`ZEROKEY_IDENTITY_ID=${identity.id}`);
  console.log(`ZEROKEY_ORGANIZATION_SLUG=${admin.organization.slug}`);
' >"$work/fixture.env" || fail "the fixture could not be set up: $(tail -20 "$work/zerokey.log")"
set -a; . "$work/fixture.env"; set +a
export ZEROKEY_SA_TOKEN_PATH="$work/sa-token"
echo "identity $ZEROKEY_IDENTITY_ID in organization $ZEROKEY_ORGANIZATION_SLUG"

if [ "$WHAT" = all ] || [ "$WHAT" = go-sdk ]; then
  step "Infisical Go SDK: Kubernetes login against Zerokey"
  (cd clients/go-sdk && GOFLAGS=-mod=readonly go test -count=1 -v ./...) || fail "the Infisical Go SDK could not log in to Zerokey"
fi

if [ "$WHAT" = all ] || [ "$WHAT" = schemathesis ]; then
  step "schemathesis $SCHEMATHESIS_VERSION against /api/docs-json"
  if [ ! -x "$SCHEMATHESIS_VENV/bin/schemathesis" ]; then
    python3 -m venv "$SCHEMATHESIS_VENV"
    "$SCHEMATHESIS_VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" || { rm -rf "$SCHEMATHESIS_VENV"; fail "schemathesis could not be installed from PyPI"; }
  fi
  # logout and changePassword would end the admin session the run authenticates with.
  if ! "$SCHEMATHESIS_VENV/bin/schemathesis" run "$ZEROKEY_URL/api/docs-json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --header "Authorization: Bearer $(cat "$work/admin-token")" \
    --exclude-operation-id logout --exclude-operation-id changePassword \
    --phases examples,coverage,fuzzing --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-25}" --seed "${SCHEMATHESIS_SEED:-1}" \
    --workers 2 --request-timeout 10 --no-color --output-sanitize true 2>&1 | tee "$work/schemathesis.txt"; then
    fail "schemathesis found problems (a 5xx, or an answer the OpenAPI document does not describe)"
  fi
  grep -Eq '^ *Tested: *[1-9][0-9]*' "$work/schemathesis.txt" || fail "schemathesis tested no operation"
fi

echo
echo "real-clients: OK ($WHAT)"
