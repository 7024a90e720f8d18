"""Rate limits and the client address, without I/O."""

from __future__ import annotations

import pytest

from sawt_shared.clientip import resolve_client_ip
from sawt_shared.errors import TooManyRequests
from sawt_shared.ratelimit import RateLimiter


@pytest.mark.asyncio
async def test_the_hit_past_the_limit_is_refused_with_retry_after() -> None:
    limiter = RateLimiter()
    for _ in range(3):
        await limiter.hit("3/minute", "login", "a@example.org")
    with pytest.raises(TooManyRequests) as refused:
        await limiter.hit("3/minute", "login", "a@example.org")
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 60
    await limiter.hit("3/minute", "login", "b@example.org")  # another key is not affected


@pytest.mark.asyncio
async def test_clear_forgets_the_hits() -> None:
    limiter = RateLimiter()
    for _ in range(2):
        await limiter.hit("2/minute", "k")
    assert not await limiter.test("2/minute", "k")
    await limiter.clear("2/minute", "k")
    assert await limiter.test("2/minute", "k")


@pytest.mark.parametrize(
    ("peer", "header", "trusted", "expected"),
    [
        ("203.0.113.9", "1.2.3.4", [], "203.0.113.9"),  # no proxy trusted: header ignored
        ("203.0.113.9", "1.2.3.4", ["10.0.0.0/8"], "203.0.113.9"),  # peer is not our proxy
        ("10.0.0.5", "198.51.100.7", ["10.0.0.0/8"], "198.51.100.7"),
        ("10.0.0.5", "6.6.6.6, 198.51.100.7, 10.0.0.9", ["10.0.0.0/8"], "198.51.100.7"),
        ("10.0.0.5", None, ["10.0.0.0/8"], "10.0.0.5"),
        ("10.0.0.5", "not-an-ip", ["10.0.0.0/8"], "10.0.0.5"),
    ],
)
def test_client_ip_trusts_forwarded_for_only_from_proxies(
    peer: str, header: str | None, trusted: list[str], expected: str
) -> None:
    assert resolve_client_ip(peer, header, trusted) == expected
