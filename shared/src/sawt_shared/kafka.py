"""Kafka clients with Sawt's settings made explicit, and topic names.

aiokafka's defaults are weaker than Kafka's own: its producer runs without
idempotence and with ``acks=1``, its consumer auto-commits offsets. Sawt never
relies on them: :func:`create_producer` turns idempotence on (which implies
``acks=all``), :func:`create_consumer` turns auto-commit off so offsets are
committed by hand after an event's effects are durable.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.partitioner import DefaultPartitioner, murmur2

__all__ = [
    "DLQ_SUFFIX",
    "DOMAINS",
    "KeyPartitioner",
    "all_topics",
    "create_consumer",
    "create_producer",
    "dlq_topic",
    "domain_topic",
    "ensure_topics",
]

_log = logging.getLogger("sawt.kafka")

#: One topic per producing domain (``identity.events``, …).
DOMAINS: tuple[str, ...] = ("identity", "petitions", "consultations", "notifications")
DLQ_SUFFIX = ".dlq"


def domain_topic(domain: str, prefix: str = "") -> str:
    """The topic a domain publishes on: ``{prefix}{domain}.events``."""
    return f"{prefix}{domain}.events"


def dlq_topic(topic: str) -> str:
    """The dead-letter twin of ``topic``."""
    return topic + DLQ_SUFFIX


def all_topics(prefix: str = "") -> list[str]:
    """Every topic Sawt uses, each domain topic followed by its dead-letter twin."""
    out: list[str] = []
    for domain in DOMAINS:
        topic = domain_topic(domain, prefix)
        out += [topic, dlq_topic(topic)]
    return out


async def ensure_topics(bootstrap: str, topics: Iterable[str], partitions: int = 12) -> None:
    """Create the topics that do not exist yet (replication factor 1 on one broker)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if not missing:
            return
        try:
            await admin.create_topics(
                [NewTopic(name=t, num_partitions=partitions, replication_factor=1) for t in missing]
            )
        except TopicAlreadyExistsError:
            _log.info("some topics were created concurrently")
        _log.info("created topics %s", missing)
    finally:
        await admin.close()


class KeyPartitioner:
    """Kafka's default partitioning of keyed messages, each key's hash remembered.

    aiokafka's :class:`~aiokafka.partitioner.DefaultPartitioner` computes the Java
    client's murmur2 in pure Python for every message; the keys are aggregate ids,
    and a viral petition sends thousands of events a second under one key. Same
    partitions as every other Kafka client (the hash is aiokafka's own ``murmur2``).
    """

    def __init__(self, cached_keys: int = 65_536) -> None:
        self._hash: Callable[[bytes], int] = functools.lru_cache(maxsize=cached_keys)(murmur2)

    def __call__(self, key: bytes | None, all_partitions: list[int], available: list[int]) -> int:
        if key is None:
            partition: int = DefaultPartitioner()(key, all_partitions, available)
            return partition
        return all_partitions[(self._hash(key) & 0x7FFFFFFF) % len(all_partitions)]


def create_producer(bootstrap: str, *, client_id: str = "sawt") -> AIOKafkaProducer:
    """An idempotent producer: ``acks=all``, idempotence on, no reordering on retry."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        partitioner=KeyPartitioner(),
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        request_timeout_ms=30_000,
    )


def create_consumer(
    bootstrap: str, *, group_id: str, client_id: str = "sawt", max_poll_records: int = 200
) -> AIOKafkaConsumer:
    """A consumer in ``group_id`` that never commits by itself.

    It starts from the earliest offset when the group has none, so a new consumer
    group sees every event still retained.
    """
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_records=max_poll_records,
    )
