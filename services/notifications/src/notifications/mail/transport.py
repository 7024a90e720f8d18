"""Handing mail to an SMTP server with aiosmtplib, over a few kept-open connections.

:class:`MailTransport` is the interface the sender uses; :class:`SmtpTransport`
holds up to ``concurrency`` connections, each sending one message at a time, and
connects again when the server closed one. :func:`is_permanent` tells a refusal that
retrying cannot fix (5xx) from one worth retrying (4xx, network trouble).
"""

from __future__ import annotations

import asyncio
import contextlib
from email.message import Message
from typing import Protocol

import aiosmtplib

from notifications.mail.compose import to_bytes

__all__ = ["MailTransport", "SmtpTransport", "is_permanent"]


class MailTransport(Protocol):
    async def send(self, message: Message, *, sender: str, recipient: str) -> None: ...

    async def close(self) -> None: ...


class SmtpTransport:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        concurrency: int = 4,
        username: str | None = None,
        password: str | None = None,
        start_tls: bool = False,
        use_tls: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self._options = {
            "hostname": host,
            "port": port,
            "username": username,
            "password": password,
            "start_tls": start_tls,
            "use_tls": use_tls,
            "timeout": timeout,
        }
        self._all = [
            aiosmtplib.SMTP(**self._options)  # type: ignore[arg-type]
            for _ in range(max(1, concurrency))
        ]
        self._idle: asyncio.Queue[aiosmtplib.SMTP] = asyncio.Queue()
        for client in self._all:
            self._idle.put_nowait(client)

    async def send(self, message: Message, *, sender: str, recipient: str) -> None:
        client = await self._idle.get()
        try:
            if not client.is_connected:
                await client.connect()
            data = to_bytes(message)
            try:
                await client.sendmail(sender, [recipient], data)
            except aiosmtplib.SMTPServerDisconnected:
                # the server closed an idle connection: once more on a fresh one
                with contextlib.suppress(Exception):
                    client.close()
                await client.connect()
                await client.sendmail(sender, [recipient], data)
        except BaseException:
            with contextlib.suppress(Exception):
                client.close()
            raise
        finally:
            self._idle.put_nowait(client)

    async def close(self) -> None:
        for client in self._all:
            if client.is_connected:
                with contextlib.suppress(Exception):
                    await client.quit()


def is_permanent(exc: BaseException) -> bool:
    """Whether retrying cannot help: the server refused with a 5xx code."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(r.code >= 500 for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return exc.code >= 500
    return False
