"""The producer's partitioner puts every key where Kafka's default partitioner does."""

from __future__ import annotations

import uuid

from aiokafka.partitioner import DefaultPartitioner

from sawt_shared.kafka import KeyPartitioner


def test_keys_go_to_the_default_partitions_whether_remembered_or_not() -> None:
    ours, default = KeyPartitioner(cached_keys=8), DefaultPartitioner()
    partitions = list(range(12))
    keys = [str(uuid.uuid4()).encode() for _ in range(200)] + [b"", b"a", b"petition"]
    for _ in range(2):  # the second pass is answered from the remembered hashes
        for key in keys:
            assert ours(key, partitions, partitions) == default(key, partitions, partitions)
    # Kafka's own test vectors (UtilsTest.testMurmur2): (murmur2 & 0x7fffffff) % 12
    for key, java_murmur2 in [(b"21", -973932308), (b"foobar", -790332482), (b"abc", 479470107)]:
        expected = (java_murmur2 & 0x7FFFFFFF) % 12
        assert ours(key, partitions, partitions) == expected


def test_messages_without_a_key_go_to_an_available_partition() -> None:
    ours = KeyPartitioner()
    assert {ours(None, [0, 1, 2, 3], [2]) for _ in range(20)} == {2}
