"""Rate limits with the ``limits`` library, answered with a 429 problem and ``Retry-After``.

Limits are strings such as ``"10/minute"``. The storage is a ``limits`` storage
URI. The default, ``async+sawt-memory://`` (:mod:`sawt_shared._ratelimit_storage`),
counts per process with upkeep that does not grow with the number of keys; a
deployment with several replicas points every replica at one shared store
(``async+redis://…``) through the service's ``RATE_LIMIT_STORAGE`` setting.
"""

from __future__ import annotations

import functools
import math
import time

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from sawt_shared import _ratelimit_storage
from sawt_shared.errors import TooManyRequests

__all__ = ["RateLimiter"]


@functools.lru_cache(maxsize=256)
def _parsed(limit: str) -> RateLimitItem:
    """``limit`` parsed once: limits come from settings and are reused on every hit."""
    return parse(limit)


class RateLimiter:
    """Counts hits per (limit, identifiers) and refuses past the limit."""

    def __init__(self, storage_uri: str = f"{_ratelimit_storage.SCHEME}://") -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    @staticmethod
    def _item(limit: str | RateLimitItem) -> RateLimitItem:
        return _parsed(limit) if isinstance(limit, str) else limit

    async def hit(
        self, limit: str | RateLimitItem, *identifiers: str, what: str = "requests"
    ) -> None:
        """Count one hit; raise :class:`TooManyRequests` when the limit is passed."""
        item = self._item(limit)
        if await self._limiter.hit(item, *identifiers):
            return
        stats = await self._limiter.get_window_stats(item, *identifiers)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise TooManyRequests(
            retry_after,
            f"Too many {what}; try again in {retry_after} seconds.",
        )

    async def test(self, limit: str | RateLimitItem, *identifiers: str) -> bool:
        """Whether one more hit would be allowed, without counting it."""
        return await self._limiter.test(self._item(limit), *identifiers)

    async def clear(self, limit: str | RateLimitItem, *identifiers: str) -> None:
        """Forget the hits (for example an account's failed logins after a success)."""
        await self._limiter.clear(self._item(limit), *identifiers)
