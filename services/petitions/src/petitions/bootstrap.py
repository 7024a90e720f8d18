"""Wires the petitions service: the sign batcher, the folder and the scheduler
(closing petitions whose time is up, purging old Idempotency-Keys).

:func:`start` runs in the app's lifespan (after the shared runtime is up) and
returns :class:`Petitions`, which endpoints reach through :data:`PetitionsDep`.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from petitions.counting.service import CountFolder
from petitions.idempotency import repository as idempotency
from petitions.lifecycle.service import close_due_petitions
from petitions.settings import PetitionsSettings
from petitions.signing.service import SignatureBatcher
from sawt_shared.app import Runtime
from sawt_shared.outbox import Outbox

__all__ = ["Petitions", "PetitionsDep", "close_due", "purge_idempotency_keys", "start"]

_log = logging.getLogger("petitions")


@dataclass
class Petitions:
    """The service's parts, made once per process."""

    settings: PetitionsSettings
    runtime: Runtime
    batcher: SignatureBatcher
    folder: CountFolder

    @property
    def outbox(self) -> Outbox:
        return self.runtime.outbox


async def close_due(runtime: Runtime) -> int:
    """Close every petition whose time is up; returns how many this process closed."""
    total = 0
    while True:
        async with runtime.pool.acquire() as conn, conn.transaction():
            closed = await close_due_petitions(conn, runtime.outbox, limit=100)
        total += len(closed)
        if len(closed) < 100:
            return total


async def purge_idempotency_keys(runtime: Runtime, retention_hours: float) -> int:
    """Forget the Idempotency-Keys older than the retention; returns how many."""
    total = 0
    while True:
        async with runtime.pool.acquire() as conn:
            purged = await idempotency.purge_older_than(conn, retention_hours, limit=1000)
        total += purged
        if purged < 1000:
            return total


async def _scheduler_loop(runtime: Runtime, settings: PetitionsSettings) -> None:
    while True:
        try:
            closed = await close_due(runtime)
            if closed:
                _log.info("closed %d petitions whose time was up", closed)
            purged = await purge_idempotency_keys(runtime, settings.idempotency_retention_hours)
            if purged:
                _log.info("purged %d idempotency keys past their retention", purged)
        except Exception:
            _log.exception("a scheduled task failed; will retry")
        await asyncio.sleep(settings.close_interval)


def tune_garbage_collector() -> None:
    """Freeze what start-up allocated and collect young objects less often.

    A request allocates thousands of short-lived, acyclic objects (freed by reference
    counting); the default thresholds made the cyclic collector run every few
    requests and rescan the whole start-up heap (the app, its schemas, its clients).
    Measured on the sign path: about a fifth of the CPU of a request.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def start(runtime: Runtime, settings: PetitionsSettings) -> Petitions:
    batcher = SignatureBatcher(
        runtime.pool,
        runtime.outbox,
        window=settings.sign_batch_window,
        max_batch=settings.sign_batch_max,
        writers=settings.sign_batch_writers,
        max_pending=settings.sign_max_pending,
    )
    runtime.tasks.append(batcher.start())
    folder = CountFolder(
        runtime.pool,
        runtime.outbox,
        interval=settings.fold_interval,
        recount_interval=(
            timedelta(hours=settings.recount_interval_hours)
            if settings.recount_interval_hours > 0
            else None
        ),
    )
    if settings.run_folder:
        runtime.tasks.append(asyncio.create_task(folder.run(), name="count-folder"))
    if settings.run_scheduler:
        runtime.tasks.append(
            asyncio.create_task(_scheduler_loop(runtime, settings), name="scheduler")
        )
    if settings.tune_gc:
        tune_garbage_collector()
    return Petitions(settings=settings, runtime=runtime, batcher=batcher, folder=folder)


async def _petitions(request: Request) -> Petitions:
    # async on purpose: FastAPI runs a plain ``def`` dependency in a thread pool, which
    # on the sign path cost more than the whole token check.
    petitions: Petitions = request.app.state.petitions
    return petitions


PetitionsDep = Annotated[Petitions, Depends(_petitions)]
