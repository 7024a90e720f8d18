"""Notifications benchmark (see run.sh and docs/notifications.md).

1. Fan-out: 10,000 signers who opted in, an official response published on Kafka;
   measures the time until the SMTP server (devmail, its own process) has stored
   every mail, and so messages per second.
2. Latency: petition.signed events published one by one; for each, the time from
   the publish to the moment devmail stored the receipt (the file's mtime); p50, p99.

Runs against a fresh database and topic prefix of its own, removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import shutil
import socket
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient
from asgi_lifespan import LifespanManager

from notifications.app import create_app
from notifications.settings import NotificationsSettings
from notifications.testing import running_devmail
from sawt_shared.events import EventEnvelope
from sawt_shared.events.petitions import PetitionCreated, PetitionResponded, PetitionSigned
from sawt_shared.kafka import all_topics, create_producer, ensure_topics
from sawt_shared.migrations import upgrade_to_head
from sawt_shared.testing import load_stack_env, wait_until

TITLE = {"ar": "نقل عمومي ليلي", "fr": "Des bus de nuit", "en": "Night buses"}


def count_mail(maildir: Path) -> int:
    return len(os.listdir(maildir / "new"))


async def wait_for_count(maildir: Path, target: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while count_mail(maildir) < target:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {count_mail(maildir)} of {target} mails after {timeout} s")
        await asyncio.sleep(0.05)
    return time.monotonic()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def with_devmail(args: argparse.Namespace, maildir: Path) -> None:
    """The benchmark, with the development mail server running as its own process."""
    async with running_devmail(maildir) as devmail:
        await run(args, devmail.port, maildir)


async def run(args: argparse.Namespace, port: int, maildir: Path) -> None:
    stack = load_stack_env()
    run_id = secrets.token_hex(4)
    prefix = f"bench-{run_id}."
    db_name = f"bench_{run_id}_notifications"
    base, _, _ = stack.pg_admin_dsn.rpartition("/")
    db_url = f"{base}/{db_name}"
    admin = await asyncpg.connect(stack.pg_admin_dsn)
    await admin.execute(f'CREATE DATABASE "{db_name}"')
    try:
        await asyncio.to_thread(upgrade_to_head, "notifications", db_url)
        await ensure_topics(stack.kafka_bootstrap, all_topics(prefix))
        while True:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            await asyncio.sleep(0.05)
        settings = NotificationsSettings(
            database_url=db_url,
            kafka_bootstrap_servers=stack.kafka_bootstrap,
            topic_prefix=prefix,
            consumer_group_prefix=prefix,
            smtp_port=port,
            email_rate_per_second=args.rate,
            email_concurrency=args.concurrency,
            email_batch_size=500,
            database_pool_max=20,
            log_level="WARNING",
        )
        app = create_app(settings)
        producer = create_producer(stack.kafka_bootstrap, client_id="bench")
        await producer.start()

        async def publish(event: PetitionCreated | PetitionResponded | PetitionSigned) -> None:
            env = EventEnvelope.wrap(event, source="petitions-bench")
            await producer.send_and_wait(
                type(event).topic(prefix),
                value=env.data,
                key=env.key.encode(),
                headers=env.headers(),
            )

        async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
            pool = app.state.runtime.pool
            petition_id, creator_id = uuid.uuid4(), uuid.uuid4()
            users = [uuid.uuid4() for _ in range(args.recipients + args.signatures)]
            languages = ("ar", "fr", "en")
            async with pool.acquire() as conn:
                await conn.copy_records_to_table(
                    "recipients",
                    records=[
                        (u, f"{u.hex[:16]}@bench.test", f"Signer {i}", languages[i % 3], True)
                        for i, u in enumerate([creator_id, *users])
                    ],
                    columns=["user_id", "email", "display_name", "language", "email_verified"],
                )
                await conn.copy_records_to_table(
                    "petition_followers",
                    records=[(petition_id, u, True) for u in users[: args.recipients]],
                    columns=["petition_id", "user_id", "wants_updates"],
                )
            await publish(
                PetitionCreated(
                    petition_id=petition_id,
                    channel="national",
                    creator_id=creator_id,
                    title=TITLE,
                    language="ar",
                )
            )

            # 1. fan-out of an official response
            print(
                f"fan-out: official response to {args.recipients} signers who opted in ...",
                flush=True,
            )
            started = time.monotonic()
            await publish(
                PetitionResponded(
                    petition_id=petition_id,
                    kind="response",
                    organization_id=uuid.uuid4(),
                    summary={"ar": "نعم", "fr": "Oui", "en": "Yes"},
                    responded_at=datetime.now(UTC),
                    creator_id=creator_id,
                    title=TITLE,
                )
            )
            total = args.recipients + 1  # and the creator

            async def queued() -> bool:
                async with pool.acquire() as conn:
                    return bool(
                        await conn.fetchval("SELECT done_at IS NOT NULL FROM fanouts LIMIT 1")
                    )

            await wait_until(queued, timeout=300, message="fan-out queued")
            queued_at = time.monotonic()
            first_at = await wait_for_count(maildir, 1, 60)
            done_at = await wait_for_count(maildir, total, 600)
            elapsed = done_at - started
            print(f"  queued in the database:       {queued_at - started:7.2f} s")
            print(f"  first mail stored after:      {first_at - started:7.2f} s")
            print(f"  all {total} mails stored after: {elapsed:7.2f} s")
            print(f"  throughput:                   {total / elapsed:7.0f} messages/s (end to end)")
            print(
                f"  sending rate:                 {(total - 1) / (done_at - first_at):7.0f} messages/s (first to last mail)"
            )

            # 2. latency from petition.signed to the receipt at the SMTP server
            print(f"latency: {args.signatures} signatures, one every 20 ms ...", flush=True)
            before = set(os.listdir(maildir / "new"))
            published: dict[str, float] = {}
            for signer in users[args.recipients :]:
                published[f"{signer.hex[:16]}@bench.test"] = time.time()
                await publish(
                    PetitionSigned(
                        petition_id=petition_id,
                        signature_id=uuid.uuid4(),
                        signer_id=signer,
                        region="MA-01",
                        signed_at=datetime.now(UTC),
                    )
                )
                await asyncio.sleep(0.02)
            await wait_for_count(maildir, total + args.signatures, 120)
            parser_ = BytesHeaderParser()
            latencies = []
            for name in set(os.listdir(maildir / "new")) - before:
                path = maildir / "new" / name
                with path.open("rb") as f:
                    to = str(parser_.parse(f)["To"])
                latencies.append(path.stat().st_mtime - published[to])
            print(f"  p50: {percentile(latencies, 50) * 1000:7.1f} ms")
            print(f"  p99: {percentile(latencies, 99) * 1000:7.1f} ms")
            print(
                f"  max: {max(latencies) * 1000:7.1f} ms   mean: {statistics.mean(latencies) * 1000:.1f} ms"
            )
        await producer.stop()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        await admin.close()
        kafka = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap)
        await kafka.start()
        try:
            await kafka.delete_topics(
                [t for t in await kafka.list_topics() if t.startswith(prefix)]
            )
        finally:
            await kafka.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--signatures", type=int, default=300)
    parser.add_argument("--rate", type=float, default=10_000.0, help="email_rate_per_second")
    parser.add_argument("--concurrency", type=int, default=8, help="SMTP connections")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sawt-bench-notifications-"))
    try:
        asyncio.run(with_devmail(args, workdir / "maildir"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
