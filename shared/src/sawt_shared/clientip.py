"""The client's IP address, trusting ``X-Forwarded-For`` only from configured proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

from fastapi import Request

__all__ = ["client_ip", "resolve_client_ip"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def _networks(trusted: tuple[str, ...]) -> tuple[_Network, ...]:
    return tuple(ipaddress.ip_network(t, strict=False) for t in trusted)


@lru_cache(maxsize=1024)  # the proxies' own addresses come back with every request
def _is_trusted(address: str, networks: tuple[_Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def resolve_client_ip(peer: str, forwarded_for: str | None, trusted: Sequence[str]) -> str:
    """The client address given the TCP peer and the ``X-Forwarded-For`` header.

    The header is read only when the peer is a trusted proxy; then the rightmost
    address that is not itself a trusted proxy is the client (the leftmost ones
    are whatever the client chose to send).
    """
    networks = _networks(tuple(trusted))
    if not forwarded_for or not _is_trusted(peer, networks):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ip = ipaddress.ip_address(hop)
        except ValueError:
            return peer
        if not any(ip in net for net in networks):
            return str(ip)
    return hops[0] if hops else peer


def client_ip(request: Request, trusted_proxies: Sequence[str]) -> str:
    """The client address of ``request`` (``trusted_proxies``: addresses or CIDR networks)."""
    peer = request.client.host if request.client else "unknown"
    return resolve_client_ip(peer, request.headers.get("x-forwarded-for"), trusted_proxies)
