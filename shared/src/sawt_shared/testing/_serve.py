from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp

from sawt_shared.testing._wait import wait_until

__all__ = ["free_port", "serve_asgi"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@asynccontextmanager
async def serve_asgi(app: ASGIApp, port: int = 0) -> AsyncIterator[str]:
    """Serve ``app`` with a real uvicorn server on 127.0.0.1 (a free port unless given)
    for the duration of the block; yields its base URL (``http://127.0.0.1:PORT``).

    For the parts a test plays that lie outside Sawt: a JWKS endpoint, an eID
    provider, a third-party app's redirect endpoint, a webhook receiver.
    """
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        ws="none",
        log_config=None,
        access_log=False,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        if task.done():
            task.result()  # surfaces the start-up error
        return bool(server.started)

    await wait_until(started, timeout=10, message="HTTP server started")
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{bound}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
