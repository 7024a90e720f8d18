"""A development mail server: ``python -m notifications.devmail --port 8025 --maildir DIR``.

aiosmtpd, run as its own process, accepts every message over SMTP and keeps it in a
Maildir (``DIR/new/``, one file per message, written atomically), where a developer
or a test reads what was sent. Never expose it beyond the loopback interface.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP

__all__ = ["main"]


async def serve(host: str, port: int, maildir: Path) -> None:
    handler = Mailbox(maildir)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="devmail.sawt.local", enable_SMTPUTF8=True),
        host=host,
        port=port,
    )
    bound = server.sockets[0].getsockname()
    print(
        f"devmail: SMTP on {bound[0]}:{bound[1]}, mail kept in {maildir}/new",
        flush=True,
    )
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m notifications.devmail",
        description="Development SMTP server that keeps every message in a Maildir.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
    parser.add_argument("--port", type=int, default=8025, help="Port (default 8025).")
    parser.add_argument("--maildir", type=Path, required=True, help="Maildir to keep mail in.")
    args = parser.parse_args(argv)
    maildir = args.maildir.resolve()
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(args.host, args.port, maildir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
