"""End-to-end fixtures: Sawt's services run as real uvicorn processes against this
run's databases and topics, and tests talk to them over HTTP and Kafka."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest_asyncio

from sawt_shared.testing import StackEnv, free_port, wait_until
from sawt_stack.services import service_argv, service_env

REPO = Path(__file__).resolve().parents[1]


@dataclass
class RunningService:
    name: str
    url: str
    process: asyncio.subprocess.Process
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=10.0)

    async def stop(self, timeout: float = 15.0) -> int:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                async with asyncio.timeout(timeout):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        code = self.process.returncode
        assert code is not None
        return code


StartService = Callable[..., Awaitable[RunningService]]


@pytest_asyncio.fixture(scope="module")
async def start_service(
    stack: StackEnv,
    database_url: Callable[[str], Awaitable[str]],
    kafka_topics: list[str],
) -> AsyncIterator[StartService]:
    """``await start_service("petitions", extra_env={...})``: a service process, ready.

    ``identity_url`` says where tokens come from (the JWKS and issuer); by default
    the identity service this module started last, if any. The processes a test
    module started are stopped when the module ends, so no module's services
    outlive the databases or settings it gave them.
    """
    started: list[RunningService] = []
    logs = REPO / ".stack" / "logs" / f"test-{stack.run_id}"
    logs.mkdir(parents=True, exist_ok=True)

    async def start(
        name: str,
        *,
        extra_env: dict[str, str] | None = None,
        identity_url: str | None = None,
        ready_timeout: float = 60.0,
    ) -> RunningService:
        port = free_port()
        if name == "identity":
            identity_url = f"http://127.0.0.1:{port}"
        elif identity_url is None:
            identity = next((s for s in reversed(started) if s.name == "identity"), None)
            identity_url = identity.url if identity else "http://127.0.0.1:9"
        env = {
            **os.environ,
            **service_env(
                name,
                await database_url(name),
                stack.kafka_bootstrap,
                stack.topic_prefix,
                identity_url=identity_url,
            ),
            **(extra_env or {}),
        }
        log = logs / f"{name}-{port}.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                *service_argv(sys.executable, name, port),
                env=env,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                cwd=REPO,
            )
        service = RunningService(name, f"http://127.0.0.1:{port}", process, log, env)
        started.append(service)

        async def ready() -> bool:
            if process.returncode is not None:
                raise AssertionError(f"{name} exited:\n{log.read_text()[-3000:]}")
            try:
                async with service.client() as client:
                    return (await client.get("/readyz")).status_code == 200
            except httpx.TransportError:
                return False

        try:
            await wait_until(ready, timeout=ready_timeout, interval=0.2, message=f"{name} ready")
        except AssertionError:
            raise AssertionError(f"{name} not ready; log:\n{log.read_text()[-3000:]}") from None
        return service

    yield start
    for service in reversed(started):
        await service.stop()
