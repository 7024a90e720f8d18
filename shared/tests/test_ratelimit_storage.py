"""The rate-limit storage behind the shared RateLimiter, exercised through it."""

from __future__ import annotations

import time

import pytest

from sawt_shared._ratelimit_storage import SweptMemoryStorage
from sawt_shared.errors import TooManyRequests
from sawt_shared.ratelimit import RateLimiter

pytestmark = pytest.mark.asyncio


async def test_the_shared_limiter_counts_and_refuses_with_retry_after() -> None:
    limiter = RateLimiter("async+sawt-memory://")
    for _ in range(3):
        await limiter.hit("3/minute", "sign", "alice")
    with pytest.raises(TooManyRequests) as caught:
        await limiter.hit("3/minute", "sign", "alice")
    assert 1 <= int(caught.value.headers["Retry-After"]) <= 60
    await limiter.hit("3/minute", "sign", "bob")  # another key is not affected
    assert not await limiter.test("3/minute", "sign", "alice")
    await limiter.clear("3/minute", "sign", "alice")
    assert await limiter.test("3/minute", "sign", "alice")


async def test_windows_move_and_idle_keys_are_swept() -> None:
    storage = SweptMemoryStorage(sweep_interval=0.0)
    assert await storage.acquire_entry("k", 2, 1)
    assert await storage.acquire_entry("k", 2, 1)
    assert not await storage.acquire_entry("k", 2, 1)
    start, count = await storage.get_moving_window("k", 2, 1)
    assert count == 2
    assert start <= time.time()
    storage._windows["k"][0].clear()  # as if the entries had aged out
    assert await storage.acquire_entry("other", 2, 1)
    assert "k" not in storage._windows
    assert await storage.incr("c", 10) == 1
    assert await storage.incr("c", 10, 2) == 3
    assert await storage.get("c") == 3
    assert await storage.get_expiry("c") > time.time()
    assert await storage.reset() == 2
