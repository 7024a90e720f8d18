#!/usr/bin/env bash
# Notifications benchmark: fan-out throughput to the local SMTP server and the latency
# from petition.signed on Kafka to the receipt stored by the SMTP server.
# Needs the dev stack's PostgreSQL and Kafka (`./sawt up`, or SAWT_PG_ADMIN_DSN and
# SAWT_KAFKA_BOOTSTRAP set). Options: --recipients N (10000), --signatures N (300).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec uv run python bench/notifications/bench.py "$@"
