"""Refusing webhook destinations inside our own network (server-side request forgery).

A URL is checked when it is registered and again before every delivery (its name
may resolve elsewhere by then): every address the host resolves to must be public.
Tests and local development allow private addresses and plain http by settings.
"""

from __future__ import annotations

import asyncio
import socket

import httpx

from notifications.webhooks.rules import is_public_address

__all__ = ["UnsafeDestination", "check_destination"]


class UnsafeDestination(ValueError):
    """The URL may not receive webhooks; the message says why."""


async def check_destination(url: str, *, allow_private: bool, allow_http: bool) -> None:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise UnsafeDestination(f"not a URL: {exc}") from None
    if parsed.scheme not in ("https", "http") or (parsed.scheme == "http" and not allow_http):
        raise UnsafeDestination("the URL must use https")
    if not parsed.host:
        raise UnsafeDestination("the URL has no host")
    if parsed.userinfo:
        raise UnsafeDestination("the URL may not carry a user name or password")
    if allow_private:
        return
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parsed.host, port, type=socket.SOCK_STREAM
        )
    except OSError:
        raise UnsafeDestination(f"the host {parsed.host} does not resolve") from None
    addresses = {str(info[4][0]) for info in infos}
    if not addresses:
        raise UnsafeDestination(f"the host {parsed.host} does not resolve")
    for address in sorted(addresses):
        if not is_public_address(address):
            raise UnsafeDestination(
                f"the host {parsed.host} resolves to {address}, which is not a public address"
            )
