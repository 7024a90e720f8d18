"""The development mail server as its own process, for tests and benchmarks.

:func:`running_devmail` starts ``python -m notifications.devmail`` on a free port,
waits until it accepts connections, and stops it afterwards; :class:`DevMail`
reads what it stored. Used by the notifications tests, the end-to-end tests and
the notifications benchmark; nothing in the service imports it.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import mailbox
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from sawt_shared.testing import free_port, wait_until

__all__ = ["DevMail", "running_devmail"]


@dataclass(frozen=True)
class DevMail:
    """A running development mail server: its port and the Maildir it writes."""

    port: int
    maildir: Path

    def messages(self) -> list[EmailMessage]:
        box = mailbox.Maildir(self.maildir, factory=None, create=False)
        out = []
        for key in box.iterkeys():
            with box.get_file(key) as f:
                out.append(email.message_from_bytes(f.read(), policy=email.policy.default))
        return [m for m in out if isinstance(m, EmailMessage)]

    def to(self, address: str, subject: str = "") -> list[EmailMessage]:
        """The messages to ``address`` (whose subject contains ``subject``)."""
        return [
            m
            for m in self.messages()
            if address in str(m.get("To", "")) and subject in str(m.get("Subject", ""))
        ]

    async def wait_for(
        self, address: str, count: int = 1, *, subject: str = "", timeout: float = 20
    ) -> list[EmailMessage]:
        """Wait until at least ``count`` such messages arrived; return them all."""

        async def arrived() -> list[EmailMessage] | None:
            got = self.to(address, subject)
            return got if len(got) >= count else None

        found = await wait_until(
            arrived, timeout=timeout, message=f"{count} mail(s) {subject!r} to {address}"
        )
        assert found is not None
        return found


@asynccontextmanager
async def running_devmail(maildir: Path) -> AsyncIterator[DevMail]:
    """``python -m notifications.devmail`` on a free port, listening, for the block."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "notifications.devmail",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--maildir",
        str(maildir),
        stdout=asyncio.subprocess.DEVNULL,
    )

    async def listening() -> bool:
        if process.returncode is not None:
            raise AssertionError(f"devmail exited with {process.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return False
        writer.close()
        await writer.wait_closed()
        return True

    try:
        await wait_until(listening, timeout=15, interval=0.1, message="devmail listening")
        yield DevMail(port, maildir)
    finally:
        if process.returncode is None:
            process.terminate()
            await asyncio.wait_for(process.wait(), timeout=10)
