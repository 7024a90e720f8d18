"""An in-process storage for the ``limits`` library whose upkeep does not grow with use.

The sign path counts one key per account and one per client address: a viral
petition makes hundreds of thousands of keys. ``limits``' own ``async+memory``
storage expires its moving windows by visiting every key, one thread hop each
(``asyncio.to_thread``), and starts the next visit as soon as one ends, so on the
sign path it cost more CPU than checking the access token. This storage keeps each
moving window as a deque of timestamps trimmed when the key is used (amortised
O(1)), and forgets idle keys in one sweep per ``sweep_interval`` seconds.

It registers the scheme ``async+sawt-memory://`` with ``limits`` when imported
(by :mod:`sawt_shared.ratelimit`); it is every service's default
(``<SVC>_RATE_LIMIT_STORAGE``). Like ``async+memory://``
it counts per process; replicas share limits through ``async+redis://``.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from limits.aio.storage import MovingWindowSupport, Storage

__all__ = ["SCHEME", "SweptMemoryStorage"]

SCHEME = "async+sawt-memory"


class SweptMemoryStorage(Storage, MovingWindowSupport):
    """Moving windows and fixed counters in dictionaries, swept now and then."""

    STORAGE_SCHEME = [SCHEME]  # noqa: RUF012 - the attribute limits registers schemes by

    def __init__(
        self,
        uri: str | None = None,
        wrap_exceptions: bool = False,
        sweep_interval: float = 60.0,
        **options: Any,
    ) -> None:
        #: key -> (timestamps of the entries in the window, oldest first; window length)
        self._windows: dict[str, tuple[deque[float], int]] = {}
        #: key -> [count, expires at]
        self._counters: dict[str, list[float]] = {}
        self._sweep_interval = float(sweep_interval)
        self._next_sweep = time.time() + self._sweep_interval
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    # ------------------------------------------------------------------ upkeep

    def _maybe_sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + self._sweep_interval
        idle = [k for k, (w, expiry) in self._windows.items() if not w or w[-1] <= now - expiry]
        for key in idle:
            del self._windows[key]
        expired = [k for k, (_, until) in self._counters.items() if until <= now]
        for key in expired:
            del self._counters[key]

    @staticmethod
    def _trim(window: deque[float], cutoff: float) -> None:
        while window and window[0] <= cutoff:
            window.popleft()

    # ------------------------------------------------------------------ moving window

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = time.time()
        self._maybe_sweep(now)
        held = self._windows.get(key)
        if held is None:
            window: deque[float] = deque()
            self._windows[key] = (window, expiry)
        else:
            window = held[0]
            self._trim(window, now - expiry)
        if len(window) + amount > limit:
            return False
        window.extend([now] * amount)
        return True

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        held = self._windows.get(key)
        if held is None:
            return now, 0
        window = held[0]
        self._trim(window, now - expiry)
        if not window:
            return now, 0
        return window[0], len(window)

    # ------------------------------------------------------------------ fixed window

    async def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        self._maybe_sweep(now)
        counter = self._counters.get(key)
        if counter is None or counter[1] <= now:
            counter = self._counters[key] = [0, now + expiry]
        counter[0] += amount
        return int(counter[0])

    async def decr(self, key: str, amount: int = 1) -> int:
        counter = self._counters.get(key)
        if counter is None:
            return 0
        counter[0] = max(0, counter[0] - amount)
        return int(counter[0])

    async def get(self, key: str) -> int:
        counter = self._counters.get(key)
        if counter is None or counter[1] <= time.time():
            return 0
        return int(counter[0])

    async def get_expiry(self, key: str) -> float:
        counter = self._counters.get(key)
        return counter[1] if counter is not None else time.time()

    # ------------------------------------------------------------------ administration

    async def check(self) -> bool:
        return True

    async def reset(self) -> int | None:
        count = len(self._windows) + len(self._counters)
        self._windows.clear()
        self._counters.clear()
        return count

    async def clear(self, key: str) -> None:
        self._windows.pop(key, None)
        self._counters.pop(key, None)
