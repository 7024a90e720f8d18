"""Wakes a user's open streams when their feed grows (by ``NOTIFY``, see :mod:`wakeup`).

The payload is a user id, or ``*`` after a fan-out batch (which may concern anyone):
streams then look in the database for items newer than the last one they sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Iterator

__all__ = ["FeedBroker"]


class FeedBroker:
    def __init__(self) -> None:
        self._listeners: dict[str, set[asyncio.Event]] = defaultdict(set)

    def notify(self, payload: str) -> None:
        if payload == "*":
            targets = [e for events in self._listeners.values() for e in events]
        else:
            targets = list(self._listeners.get(payload, ()))
        for event in targets:
            event.set()

    @contextlib.contextmanager
    def listen(self, user_id: str) -> Iterator[asyncio.Event]:
        event = asyncio.Event()
        self._listeners[user_id].add(event)
        try:
            yield event
        finally:
            self._listeners[user_id].discard(event)
            if not self._listeners[user_id]:
                del self._listeners[user_id]
