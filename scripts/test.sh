#!/usr/bin/env bash
# The test command: installs what the tests need (tmux for the terminal
# end-to-end tests, the PostgreSQL server for the store's conformance suite,
# haproxy and python3 for the HAProxy runbooks, memcached for the lab,
# Alertmanager for its webhook), then
# runs every test, then checks the API contract (scripts/contract.sh).
# README and .ci/run both call it.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v tmux >/dev/null 2>&1; then
  echo "test.sh: tmux is missing; installing it (the terminal end-to-end tests need it)"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && apt-get install -y -qq tmux
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq tmux
  fi
fi

# The tests start their own throwaway cluster with initdb/pg_ctl (found with
# pg_config --bindir or under /usr/lib/postgresql/*/bin); no server is run here.
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "test.sh: initdb is missing; installing postgresql (the store's tests run on PostgreSQL too)"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && apt-get install -y -qq postgresql
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq postgresql
  fi
fi

# The HAProxy runbook tests run the real haproxy (in /usr/sbin, often not on
# a user's PATH) and the runbooks, which are Python 3.
if ! { command -v haproxy || [ -x /usr/sbin/haproxy ]; } >/dev/null 2>&1 \
  || ! command -v python3 >/dev/null 2>&1; then
  echo "test.sh: haproxy or python3 is missing; installing them (the HAProxy runbook tests need them)"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && apt-get install -y -qq haproxy python3
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq haproxy python3
  fi
fi

# The lab's end-to-end test (tests/e2e/lab.rs) runs memcached too, beside
# haproxy and PostgreSQL.
if ! { command -v memcached || [ -x /usr/bin/memcached ]; } >/dev/null 2>&1; then
  echo "test.sh: memcached is missing; installing it (the lab's end-to-end test needs it)"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && apt-get install -y -qq memcached
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq memcached
  fi
fi

# Alertmanager's webhook is tested against the real Alertmanager
# (tests/api/alertmanager.rs), Debian's prometheus-alertmanager package.
if ! command -v prometheus-alertmanager >/dev/null 2>&1 && ! command -v alertmanager >/dev/null 2>&1; then
  echo "test.sh: alertmanager is missing; installing prometheus-alertmanager (the Alertmanager test fires through it)"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-alertmanager
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-alertmanager
  fi
fi

cargo test --locked --all-targets "$@"

# The API contract: openapi-spec-validator and schemathesis (pinned, with
# pip, into target/contract-venv) against a live `warroom serve`.
scripts/contract.sh
