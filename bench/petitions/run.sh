#!/usr/bin/env bash
# Petitions benchmark: the sign endpoint of ONE petition under wrk, against two
# baselines measured on the same machine (pgbench one-row inserts, a bare FastAPI +
# asyncpg endpoint). Needs the dev stack's PostgreSQL and Kafka (`./sawt up`, or
# SAWT_PG_ADMIN_DSN and SAWT_KAFKA_BOOTSTRAP set). Not part of the test suite.
# Options: see `bench/petitions/run.sh --help` (e.g. --signatures 40000 --profile).
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench: wrk is missing; install it: sudo apt-get install -y wrk" >&2
    exit 1
  fi
  echo "bench: installing wrk (Debian package)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk </dev/null >/dev/null ||
    { apt-get update -q </dev/null >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk </dev/null >/dev/null; }
fi
if ! command -v pgbench >/dev/null 2>&1; then
  echo "bench: pgbench is missing (Debian package postgresql-client or postgresql)" >&2
  exit 1
fi
exec uv run python bench/petitions/bench.py "$@"
