"""The folder: one process at a time turns new signatures into counts, in batches.

Why not a counter updated by each signature: every signer of a viral petition
would queue for the lock on that one row (the 2019 collapse of the UK site). Here
a sign batch only inserts: its signature rows, their outbox rows, and its deltas
summed per petition, region and hour into ``fold_queue`` (a few rows per batch, in
the same statement as the signatures). :class:`CountFolder` adds the queue up every
``interval`` seconds, holding an advisory lock so only one process folds.

Which rows a fold takes: those it can see, removed with ``DELETE … RETURNING`` in
the fold's transaction. A batch still in flight is invisible, its rows wait for the
next fold; a batch that committed is seen whole (signatures and deltas commit
together). A ``bigserial`` "last id folded" watermark would skip the rows of a
transaction that commits after a later one was folded; a watermark at the
snapshot's oldest transaction (``pg_snapshot_xmin``) would be exact but would wait
for the oldest writer of the whole cluster (an outbox relay stuck on the broker
froze the counts in the benchmark). The queue depends on nothing but its own rows.

In the fold's transaction: the counts are added to, each threshold newly reached is
recorded (one row per petition and threshold, ``ON CONFLICT DO NOTHING``, so each
fires once) with its ``petition.threshold_reached`` event in the outbox, and
``folded_at`` (the ``as_of`` readers see) is set. :func:`recount` recomputes every
count from the signatures and repairs what differs.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from prometheus_client import Counter, Gauge, Histogram

from petitions.counting import repository
from petitions.counting.repository import ThresholdRow
from petitions.counting.rules import (
    CountDelta,
    FoldedDeltas,
    fold_deltas,
    response_due_at,
    thresholds_to_fire,
)
from sawt_shared.db import Connection
from sawt_shared.events.petitions import PetitionThresholdReached
from sawt_shared.outbox import Outbox

__all__ = ["CountFolder", "FoldReport", "RecountReport", "fold", "recount"]

_log = logging.getLogger("petitions.counting")

FOLDED = Counter("petitions_folded_signatures_total", "Net signatures folded into counts")
FOLD_SECONDS = Histogram("petitions_fold_seconds", "Time of one fold")
THRESHOLDS = Counter("petitions_thresholds_reached_total", "Thresholds reached")
FOLD_AGE = Gauge("petitions_fold_age_seconds", "Seconds since the counts were last folded")


@dataclass(frozen=True)
class FoldReport:
    folded: bool
    signatures: int = 0
    petitions: int = 0
    thresholds: list[ThresholdRow] = field(default_factory=list)
    as_of: datetime | None = None
    last_recount_at: datetime | None = None


@dataclass(frozen=True)
class RecountReport:
    recounted: bool
    repairs: list[dict[str, Any]] = field(default_factory=list)
    thresholds: list[ThresholdRow] = field(default_factory=list)
    recount_id: int | None = None


async def _fire_thresholds(
    conn: Connection, outbox: Outbox, totals: dict[uuid.UUID, int], now: datetime
) -> list[ThresholdRow]:
    ids = [pid for pid, total in totals.items() if total > 0]
    if not ids:
        return []
    subjects = await repository.petitions_for_thresholds(conn, ids)
    reached = await repository.reached_thresholds(conn, ids)
    rows: list[ThresholdRow] = []
    for pid in ids:
        subject = subjects.get(pid)
        if subject is None:
            continue
        for t in thresholds_to_fire(subject.rules.thresholds, totals[pid], reached.get(pid, set())):
            rows.append(
                ThresholdRow(
                    petition_id=pid,
                    threshold=t.name,
                    required=t.signatures,
                    signatures=totals[pid],
                    triggers=t.triggers,
                    reached_at=now,
                    response_due_at=response_due_at(t, now),
                )
            )
    fresh = await repository.insert_thresholds(conn, rows)
    if fresh:
        await outbox.add(
            conn,
            *(
                PetitionThresholdReached(
                    petition_id=r.petition_id,
                    threshold=r.threshold,
                    signatures=r.signatures,
                    required=r.required,
                    triggers=r.triggers,
                    reached_at=r.reached_at,
                    response_due_at=r.response_due_at,
                    creator_id=subjects[r.petition_id].creator_id,
                    title=subjects[r.petition_id].title,
                )
                for r in fresh
            ),
        )
        THRESHOLDS.inc(len(fresh))
    return fresh


async def _apply(conn: Connection, folded: FoldedDeltas) -> dict[uuid.UUID, int]:
    totals = await repository.add_totals(conn, folded.totals)
    await repository.add_region_counts(conn, folded.regions)
    await repository.add_hour_counts(conn, folded.hours)
    return totals


async def fold(conn: Connection, outbox: Outbox, *, batch: int = 50_000) -> FoldReport:
    """Fold what the queue holds, in the caller's transaction, which holds the fold lock."""
    state = await repository.fold_state(conn, for_update=True)
    now: datetime = await conn.fetchval("SELECT now()")
    deltas: list[CountDelta] = []
    while True:
        taken, rows = await repository.take_queued(conn, batch)
        deltas += taken
        if rows < batch:
            break
    folded = fold_deltas(deltas)
    totals = await _apply(conn, folded)
    fired = await _fire_thresholds(conn, outbox, totals, now)
    net = sum(folded.totals.values())
    as_of = await repository.save_fold_state(conn, folded=net)
    FOLDED.inc(max(net, 0))
    return FoldReport(
        folded=True,
        signatures=net,
        petitions=len(folded.totals),
        thresholds=fired,
        as_of=as_of,
        last_recount_at=state.last_recount_at,
    )


def _diff(
    what: str, stored: dict[Any, int], actual: dict[Any, int]
) -> tuple[dict[Any, int], list[dict[str, Any]]]:
    fixes: dict[Any, int] = {}
    repairs: list[dict[str, Any]] = []
    for key in stored.keys() | actual.keys():
        was, should = stored.get(key, 0), actual.get(key, 0)
        if was != should:
            fixes[key] = should
            pid, detail = (key, None) if what == "total" else key
            repairs.append(
                {
                    "petition_id": str(pid),
                    "count": what,
                    "key": detail.isoformat() if isinstance(detail, datetime) else detail,
                    "stored": was,
                    "actual": should,
                }
            )
    return fixes, repairs


async def recount(conn: Connection, outbox: Outbox) -> RecountReport:
    """Fold, then recompute every count from the signatures and repair what differs.

    In the caller's transaction, which must hold the fold lock.
    """
    report = await fold(conn, outbox)
    started = report.as_of or datetime.now().astimezone()
    truth = fold_deltas(await repository.true_counts(conn))
    totals, regions, hours = await repository.stored_counts(conn)
    total_fixes, repairs = _diff("total", totals, truth.totals)
    region_fixes, region_repairs = _diff("region", regions, truth.regions)
    hour_fixes, hour_repairs = _diff("hour", hours, truth.hours)
    await repository.set_totals(conn, total_fixes)
    await repository.set_region_counts(conn, region_fixes)
    await repository.set_hour_counts(conn, hour_fixes)
    repairs += region_repairs + hour_repairs
    fired = await _fire_thresholds(conn, outbox, dict(truth.totals), started)
    recount_id = await repository.record_recount(conn, started, repairs)
    await repository.save_fold_state(conn, folded=0, recounted=True)
    if repairs:
        _log.warning("recount repaired %d counts", len(repairs), extra={"repairs": repairs[:50]})
    return RecountReport(True, repairs, fired, recount_id)


class CountFolder:
    """Folds every ``interval`` seconds while this process holds the fold lock;
    recounts every ``recount_interval`` (``None``: only on demand)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        outbox: Outbox,
        *,
        interval: float = 0.5,
        recount_interval: timedelta | None = timedelta(hours=24),
    ) -> None:
        self._pool = pool
        self._outbox = outbox
        self._interval = interval
        self._recount_interval = recount_interval

    async def fold_once(self) -> FoldReport:
        """One fold, if no other process is folding (then ``folded`` is False)."""
        with FOLD_SECONDS.time():
            async with self._pool.acquire() as conn, conn.transaction():
                if not await repository.try_fold_lock(conn):
                    return FoldReport(folded=False)
                report = await fold(conn, self._outbox)
        FOLD_AGE.set(0)
        return report

    async def recount(self, *, wait: bool = True) -> RecountReport:
        """Recount now; ``wait``: wait for the folding process's lock rather than give up."""
        async with self._pool.acquire() as conn, conn.transaction():
            if wait:
                await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", *repository.FOLD_LOCK)
            elif not await repository.try_fold_lock(conn):
                return RecountReport(False)
            return await recount(conn, self._outbox)

    async def run(self) -> None:
        """Fold until cancelled; errors are logged and the next fold tries again."""
        while True:
            try:
                report = await self.fold_once()
                if report.folded and self._recount_due(report):
                    await self.recount(wait=False)
            except (asyncpg.PostgresError, OSError, TimeoutError) as exc:
                _log.warning("fold failed, will retry: %s", exc)
            except Exception:
                _log.exception("fold failed, will retry")
            await asyncio.sleep(self._interval)

    def _recount_due(self, report: FoldReport) -> bool:
        if self._recount_interval is None or report.as_of is None:
            return False
        if report.last_recount_at is None:
            return True
        return report.as_of - report.last_recount_at >= self._recount_interval
