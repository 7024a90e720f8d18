"""The sign path: group commit of concurrent signatures, and withdrawal.

A viral petition receives thousands of signatures a second. Each one is a row of
its own (no counter row is touched; see :mod:`petitions.counting`), and the rows
of concurrent requests share transactions: :class:`SignatureBatcher` gathers the
requests that arrive while its writers are busy (and for ``window`` seconds), then
writes them in one transaction: one read of the petitions and signers concerned,
one multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING``, their outbox rows and
idempotency keys. Each request is then answered from its own row's fate, and only
once the transaction committed: 201, 409 for a second signature, or the rule that
refused it. When the transaction fails, every request of the batch gets a 503 and
nothing of it was written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from prometheus_client import Counter, Histogram

from petitions.idempotency import repository as idempotency
from petitions.idempotency.repository import StoredResponse
from petitions.lifecycle.rules import RuleViolation
from petitions.people import repository as people
from petitions.problems import sign_unavailable
from petitions.signing import repository
from petitions.signing.repository import NewSignature, StoredSignature
from petitions.signing.rules import sign_refusal, withdraw_refusal
from petitions.signing.schemas import SignatureRead
from sawt_shared.db import Connection
from sawt_shared.events.petitions import PetitionSignatureWithdrawn, PetitionSigned
from sawt_shared.outbox import Outbox

__all__ = [
    "SIGN_OPERATION",
    "SIGN_SECONDS",
    "Duplicate",
    "Refused",
    "SignCommand",
    "SignOutcome",
    "SignatureBatcher",
    "Signed",
    "signature_location",
    "withdraw_signature",
    "write_batch",
]

_log = logging.getLogger("petitions.signing")

SIGN_OPERATION = "sign"

BATCH_SIZE = Histogram(
    "petitions_sign_batch_size",
    "Signatures written per group-committed transaction",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
BATCH_SECONDS = Histogram(
    "petitions_sign_batch_seconds",
    "Time to write and commit one batch of signatures",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
SIGN_SECONDS = Histogram(
    "petitions_sign_request_seconds",
    "Time from a sign request's arrival to its outcome: written, duplicate or refused",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5),
)
OUTCOMES = Counter("petitions_sign_outcomes_total", "Sign requests by outcome", ["outcome"])


@dataclass(frozen=True)
class SignCommand:
    petition_id: uuid.UUID
    signer_id: uuid.UUID
    public: bool = False
    wants_updates: bool = False
    request_id: str | None = None
    #: ``(Idempotency-Key, request hash)`` when the request carries a key.
    idempotency: tuple[str, str] | None = None


@dataclass(frozen=True)
class Signed:
    signature: SignatureRead
    #: False when another request with the same Idempotency-Key stored its answer first.
    key_stored: bool = True


@dataclass(frozen=True)
class Duplicate:
    """The signer had signed already (a unique row exists)."""


@dataclass(frozen=True)
class Refused:
    violation: RuleViolation


SignOutcome = Signed | Duplicate | Refused


async def write_batch(
    conn: Connection, outbox: Outbox, commands: Sequence[SignCommand]
) -> list[SignOutcome]:
    """Write ``commands`` in the caller's transaction; one outcome per command, in order."""
    now, petitions = await repository.signable_petitions(
        conn, list({c.petition_id for c in commands})
    )
    citizens = await people.get_citizens(conn, list({c.signer_id for c in commands}))
    outcomes: list[SignOutcome | None] = [None] * len(commands)
    rows: list[NewSignature] = []
    row_of: dict[int, NewSignature] = {}
    for i, cmd in enumerate(commands):
        petition = petitions.get(cmd.petition_id)
        signer = citizens.get(cmd.signer_id)
        refusal = sign_refusal(petition, signer, now)
        if refusal is not None:
            outcomes[i] = Refused(refusal)
            continue
        assert signer is not None
        row = NewSignature(
            id=uuid.uuid4(),
            petition_id=cmd.petition_id,
            signer_id=cmd.signer_id,
            region=signer.region,
            public_name=signer.display_name if cmd.public else None,
            wants_updates=cmd.wants_updates,
        )
        rows.append(row)
        row_of[i] = row
    inserted = await repository.insert_signatures(conn, rows)

    events: list[PetitionSigned] = []
    request_ids: list[str | None] = []
    keys: list[tuple[uuid.UUID, str, StoredResponse]] = []
    for i, row in row_of.items():
        signed_at = inserted.get(row.id)
        if signed_at is None:
            outcomes[i] = Duplicate()
            continue
        cmd = commands[i]
        read = SignatureRead(
            signature_id=row.id,
            petition_id=row.petition_id,
            signed_at=signed_at,
            region=row.region,
            public=row.public_name is not None,
        )
        outcomes[i] = Signed(read)
        events.append(
            PetitionSigned(
                petition_id=row.petition_id,
                signature_id=row.id,
                signer_id=row.signer_id,
                region=row.region,
                signed_at=signed_at,
                wants_updates=row.wants_updates,
            )
        )
        request_ids.append(cmd.request_id)
        if cmd.idempotency is not None:
            key, digest = cmd.idempotency
            keys.append(
                (
                    cmd.signer_id,
                    key,
                    StoredResponse(
                        SIGN_OPERATION,
                        digest,
                        201,
                        read.model_dump(mode="json"),
                        signature_location(row.petition_id),
                    ),
                )
            )
    if events:
        await outbox.add(conn, *events, request_ids=request_ids)
    if keys:
        stored = await idempotency.save_many(conn, keys)
        for i, outcome in enumerate(outcomes):
            cmd = commands[i]
            if (
                isinstance(outcome, Signed)
                and cmd.idempotency is not None
                and (cmd.signer_id, cmd.idempotency[0]) not in stored
            ):
                outcomes[i] = Signed(outcome.signature, key_stored=False)
    assert all(o is not None for o in outcomes)
    return [o for o in outcomes if o is not None]


def signature_location(petition_id: uuid.UUID) -> str:
    """Where a signer reads their signature of ``petition_id``."""
    return f"/api/v1/petitions/{petition_id}/signatures/mine"


class SignatureBatcher:
    """Group commit of sign requests in one process.

    ``window``: seconds a batch waits for company once a writer is free;
    ``max_batch``: most requests per transaction; ``writers``: transactions in flight
    at once; ``max_pending``: requests held before new ones are turned away (503).
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        outbox: Outbox,
        *,
        window: float = 0.002,
        max_batch: int = 500,
        writers: int = 3,
        max_pending: int = 20_000,
    ) -> None:
        self._pool = pool
        self._outbox = outbox
        self._window = window
        self._max_batch = max_batch
        self._writers = asyncio.Semaphore(writers)
        self._max_pending = max_pending
        self._pending: deque[tuple[SignCommand, asyncio.Future[SignOutcome]]] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._closed = False

    async def sign(self, command: SignCommand) -> SignOutcome:
        """The outcome of ``command``, once the transaction that wrote it committed."""
        if self._closed or self._task is None:
            raise sign_unavailable("The service is stopping; nothing was recorded. Try again.")
        if len(self._pending) >= self._max_pending:
            OUTCOMES.labels("overloaded").inc()
            raise sign_unavailable("Too many signatures are waiting; nothing was recorded.")
        future: asyncio.Future[SignOutcome] = asyncio.get_running_loop().create_future()
        self._pending.append((command, future))
        self._wake.set()
        return await future

    def start(self) -> asyncio.Task[None]:
        self._task = asyncio.create_task(self._run(), name="sign-batcher")
        return self._task

    async def _run(self) -> None:
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._pending:
                    await self._writers.acquire()
                    if self._window > 0:
                        await asyncio.sleep(self._window)
                    batch = [
                        self._pending.popleft()
                        for _ in range(min(self._max_batch, len(self._pending)))
                    ]
                    if not batch:
                        self._writers.release()
                        break
                    task = asyncio.create_task(self._write(batch))
                    self._in_flight.add(task)
                    task.add_done_callback(self._written)
        finally:
            self._closed = True
            if self._in_flight:
                with contextlib.suppress(Exception):
                    await asyncio.wait(self._in_flight, timeout=10)
            while self._pending:
                _, future = self._pending.popleft()
                if not future.done():
                    future.set_exception(
                        sign_unavailable("The service is stopping; nothing was recorded.")
                    )

    def _written(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._writers.release()

    async def _write(self, batch: list[tuple[SignCommand, asyncio.Future[SignOutcome]]]) -> None:
        commands = [c for c, _ in batch]
        try:
            with BATCH_SECONDS.time():
                async with self._pool.acquire() as conn, conn.transaction():
                    outcomes = await write_batch(conn, self._outbox, commands)
        except Exception as exc:
            _log.exception("a batch of %d signatures failed; none was written", len(batch))
            OUTCOMES.labels("failed").inc(len(batch))
            for _, future in batch:
                if not future.done():
                    future.set_exception(
                        sign_unavailable(
                            "The signature could not be recorded; nothing was written. "
                            f"Try again. ({type(exc).__name__})"
                        )
                    )
            return
        BATCH_SIZE.observe(len(batch))
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            OUTCOMES.labels(type(outcome).__name__.lower()).inc()
            if not future.done():
                future.set_result(outcome)


async def withdraw_signature(
    conn: Connection, outbox: Outbox, petition_id: uuid.UUID, signer_id: uuid.UUID
) -> StoredSignature:
    """Withdraw a signer's signature while the petition is open (in the caller's transaction)."""
    now, petitions = await repository.signable_petitions(conn, [petition_id])
    refusal = withdraw_refusal(petitions.get(petition_id), now)
    if refusal is not None:
        raise refusal
    removed = await repository.delete_signature(conn, petition_id, signer_id)
    if removed is None:
        raise RuleViolation("not-signed", "You have not signed this petition.", "not_found")
    await outbox.add(
        conn,
        PetitionSignatureWithdrawn(
            petition_id=petition_id,
            signature_id=removed.id,
            signer_id=signer_id,
            region=removed.region,
            withdrawn_at=now,
        ),
    )
    return removed
