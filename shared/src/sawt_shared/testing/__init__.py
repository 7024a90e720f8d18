"""Helpers for Sawt's tests: the local stack's coordinates, waiting with a deadline,
reading events from Kafka. The pytest plugin is :mod:`sawt_shared.testing.plugin`."""

from sawt_shared.testing._kafka import consume_until, kafka_records
from sawt_shared.testing._serve import free_port, serve_asgi
from sawt_shared.testing._stack import StackEnv, load_stack_env
from sawt_shared.testing._wait import wait_until

__all__ = [
    "StackEnv",
    "consume_until",
    "free_port",
    "kafka_records",
    "load_stack_env",
    "serve_asgi",
    "wait_until",
]
