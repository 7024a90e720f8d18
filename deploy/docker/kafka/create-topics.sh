#!/usr/bin/env bash
# Creates Sawt's topics once the broker answers: one per producing domain and
# its dead-letter twin, 12 partitions each. Safe to run again (--if-not-exists).
# Used by the one-shot `kafka-init` service in docker-compose.yml.
set -euo pipefail

bootstrap="${KAFKA_BOOTSTRAP:-kafka:9092}"
partitions="${SAWT_TOPIC_PARTITIONS:-12}"
replication="${SAWT_TOPIC_REPLICATION:-1}"
prefix="${SAWT_TOPIC_PREFIX:-}"

for domain in identity petitions consultations notifications; do
    for topic in "${prefix}${domain}.events" "${prefix}${domain}.events.dlq"; do
        /opt/kafka/bin/kafka-topics.sh --bootstrap-server "${bootstrap}" \
            --create --if-not-exists --topic "${topic}" \
            --partitions "${partitions}" --replication-factor "${replication}"
    done
done

/opt/kafka/bin/kafka-topics.sh --bootstrap-server "${bootstrap}" --list
