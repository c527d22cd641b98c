#!/usr/bin/env bash
# The API contract check (issue 16): starts `warroom serve` on a free
# loopback port with a throwaway SQLite database, the switch-2017 scenario
# (so the fleet routes have data) and the three role tokens the tests use,
# then
#   1. validates GET /v1/openapi.json with openapi-spec-validator, and
#   2. runs schemathesis against it: every check, all four phases (examples,
#      coverage, fuzzing, stateful), zero failures allowed.
# The server is stopped on every exit, failure included. Both tools are
# installed with pip, pinned, into a virtualenv under target/.
#
#   scripts/contract.sh                 # as CI runs it
#   CONTRACT_MAX_EXAMPLES=500 CONTRACT_SEED=7 scripts/contract.sh   # longer, another seed
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
SPEC_VALIDATOR_VERSION=0.9.0
# 100 examples per operation: about 100 s of schemathesis on 2 cores.
MAX_EXAMPLES=${CONTRACT_MAX_EXAMPLES:-100}
VENV=target/contract-venv

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep "$SCHEMATHESIS_VERSION" >/dev/null \
  || ! "$VENV/bin/pip" show openapi-spec-validator 2>/dev/null | grep "^Version: $SPEC_VALIDATOR_VERSION$" >/dev/null; then
  # Debian's python3 makes virtualenvs only with python3-venv.
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    echo "contract.sh: python3-venv is missing; installing it"
    if [ "$(id -u)" -eq 0 ]; then
      apt-get update -qq && apt-get install -y -qq python3-venv
    else
      sudo apt-get update -qq && sudo apt-get install -y -qq python3-venv
    fi
  fi
  echo "contract.sh: installing schemathesis $SCHEMATHESIS_VERSION and openapi-spec-validator $SPEC_VALIDATOR_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "schemathesis==$SCHEMATHESIS_VERSION" "openapi-spec-validator==$SPEC_VALIDATOR_VERSION"
fi

cargo build --locked --quiet --bin warroom

work=$(mktemp -d)
server_pid=""
stop() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop EXIT

# The tokens of tests/support/tokens.rs.
export WARROOM_CONTRACT_COMMANDER=commander-token-0123456789
cat >"$work/tokens.toml" <<TOKENS
[[token]]
name = "commander"
role = "commander"
token = "$WARROOM_CONTRACT_COMMANDER"
[[token]]
name = "responder"
role = "responder"
token = "responder-token-0123456789"
[[token]]
name = "viewer"
role = "viewer"
token = "viewer-token-0123456789abcd"
TOKENS

: >"$work/serve.out"
target/debug/warroom serve --listen 127.0.0.1:0 --db "sqlite://$work/warroom.db" \
  --tokens "$work/tokens.toml" --scenario switch-2017 >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!

# Wait (up to 30 s) for the line that says where it listens.
url=""
for _ in $(seq 300); do
  url=$(sed -n 's/^warroom serve: listening on \(http:\/\/[^ ]*\).*/\1/p' "$work/serve.out")
  [ -n "$url" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "contract.sh: warroom serve exited:" >&2
    cat "$work/serve.err" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "contract.sh: warroom serve did not say where it listens in 30 s" >&2
  cat "$work/serve.err" >&2
  exit 1
fi
export WARROOM_CONTRACT_URL=$url

python3 -c 'import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1]).read())' \
  "$url/v1/openapi.json" >"$work/openapi.json"
"$VENV/bin/openapi-spec-validator" "$work/openapi.json"

# Hooks: test data the schema cannot state (see the file).
export SCHEMATHESIS_HOOKS=contract_hooks
export PYTHONPATH="$PWD/scripts/contract${PYTHONPATH:+:$PYTHONPATH}"
start=$(date +%s)
status=0
"$VENV/bin/schemathesis" --config-file scripts/contract/schemathesis.toml --no-color run \
  "$url/v1/openapi.json" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$MAX_EXAMPLES" \
  --seed "${CONTRACT_SEED:-16}" \
  --workers 2 \
  --generation-database none \
  --report-dir "$work/report" || status=$?
echo "contract.sh: schemathesis took $(( $(date +%s) - start )) s"
if [ "$status" -ne 0 ]; then
  echo "contract.sh: schemathesis found failures; the server's log:" >&2
  tail -n 50 "$work/serve.err" >&2
  exit "$status"
fi
echo "contract.sh: the contract holds"
