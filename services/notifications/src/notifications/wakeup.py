"""Wake-ups by PostgreSQL ``LISTEN``/``NOTIFY``: a commit that queues work wakes the worker.

One connection listens on every channel; callbacks run in the event loop. If the
connection drops it is made again; workers also poll, so a lost notification only
delays work, never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import asyncpg

__all__ = ["Waker"]

_log = logging.getLogger("sawt.notifications.wakeup")

Callback = Callable[[str], None]


def _setter(event: asyncio.Event) -> Callable[[Any], None]:
    return lambda _conn: event.set()


class Waker:
    def __init__(self, pool: asyncpg.Pool, channels: list[str], *, retry_seconds: float = 2.0):
        self._pool = pool
        self._channels = channels
        self._retry = retry_seconds
        self._events: dict[str, asyncio.Event] = {c: asyncio.Event() for c in channels}
        self._callbacks: dict[str, list[Callback]] = defaultdict(list)

    def event(self, channel: str) -> asyncio.Event:
        return self._events[channel]

    async def wait(self, channel: str, timeout: float) -> None:
        """Until ``channel`` is notified or ``timeout`` seconds pass; clears the flag."""
        event = self._events[channel]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
        event.clear()

    def subscribe(self, channel: str, callback: Callback) -> Callable[[], None]:
        """Call ``callback(payload)`` on each notification; returns the unsubscribe function."""
        self._callbacks[channel].append(callback)
        return lambda: self._callbacks[channel].remove(callback)

    def _on_notify(self, _conn: Any, _pid: int, channel: str, payload: object) -> None:
        self._events[channel].set()
        for callback in list(self._callbacks.get(channel, ())):
            try:
                callback(str(payload))
            except Exception:
                _log.exception("wake-up callback failed")

    async def run(self) -> None:
        """Listen until cancelled, connecting again after errors."""
        while True:
            try:
                async with self._pool.acquire() as conn:
                    lost = asyncio.Event()
                    conn.add_termination_listener(_setter(lost))
                    for channel in self._channels:
                        await conn.add_listener(channel, self._on_notify)
                    # a missed notification is made up for by waking everyone once
                    for event in self._events.values():
                        event.set()
                    try:
                        await lost.wait()
                        raise OSError("the LISTEN connection closed")
                    finally:
                        if not conn.is_closed():
                            for channel in self._channels:
                                with contextlib.suppress(Exception):
                                    await conn.remove_listener(channel, self._on_notify)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                _log.warning("LISTEN connection lost, again in %s s: %s", self._retry, exc)
                await asyncio.sleep(self._retry)
