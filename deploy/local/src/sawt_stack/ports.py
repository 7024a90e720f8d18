"""Is a loopback port free to listen on?

The stack's default ports (55432, 59092, 59093) lie inside Linux's ephemeral
range, so an unrelated outgoing connection can hold one for a while (and for a
minute more in TIME_WAIT once it closes). A server then fails with "Address
already in use"; waiting that out is the fix. The test is the server's own:
bind the port with ``SO_REUSEADDR``, as PostgreSQL and Kafka do.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable

from sawt_stack.config import HOST

__all__ = ["PortBusy", "can_bind", "port_answers", "wait_port_free"]


class PortBusy(RuntimeError):
    """A port the stack needs is taken; the message says by what and what to do."""


def port_answers(port: int, host: str = HOST) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def can_bind(port: int, host: str = HOST) -> bool:
    """Whether a server could listen on ``host:port`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def wait_port_free(ports: Iterable[int], *, env_var: str, deadline: float = 75.0) -> None:
    """Wait until each of ``ports`` can be listened on; fail at once if a server has it."""
    until = time.monotonic() + deadline
    told = False
    for port in ports:
        while not can_bind(port):
            if port_answers(port):
                raise PortBusy(
                    f"port {port} is taken by another program; stop it or choose other "
                    f"ports with {env_var}"
                )
            if time.monotonic() >= until:
                raise PortBusy(
                    f"port {port} is still held by another connection; try again in a "
                    f"minute, or choose other ports with {env_var}"
                )
            if not told:
                print(
                    f"  port {port} is held by a connection of another program; waiting for "
                    "it to be released (up to a minute)…",
                    flush=True,
                )
                told = True
            time.sleep(1.0)
