"""The webhook sender: signed POSTs per the Standard Webhooks spec, retried over a day.

Each try is signed afresh (``webhook-timestamp`` is the time of the try) with every
active secret of the endpoint: during a rotation the receiver sees two ``v1,``
signatures and accepts either. ``webhook-id`` is the delivery key, the same on every
try, so a receiver can drop a duplicate. A 2xx answer is success; 410 disables the
endpoint at once; other failures are retried on the schedule, and an endpoint that
has failed for longer than the limit is disabled, with a ``WebhookEndpointDisabled``
event as the notice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

import asyncpg
import httpx
from prometheus_client import Counter
from standardwebhooks.webhooks import Webhook

from notifications.messages.keys import delivery_key
from notifications.settings import NotificationsSettings
from notifications.wakeup import Waker
from notifications.webhooks import repository
from notifications.webhooks.rules import next_retry_delay, should_disable
from notifications.webhooks.ssrf import UnsafeDestination, check_destination
from sawt_shared.events.notifications import WebhookEndpointDisabled
from sawt_shared.outbox import Outbox

__all__ = ["WEBHOOKS", "WebhookSender", "sign"]

_log = logging.getLogger("sawt.notifications.webhooks")

WEBHOOKS = Counter("sawt_notifications_webhooks_total", "Webhook tries by outcome", ["outcome"])
USER_AGENT = "Sawt-Webhooks/1.0"


def sign(secrets: list[str], msg_id: str, timestamp: datetime, body: str) -> str:
    """The ``webhook-signature`` header: one ``v1,<base64>`` per secret, space-separated."""
    return " ".join(Webhook(s).sign(msg_id, timestamp, body) for s in secrets)


class WebhookSender:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        settings: NotificationsSettings,
        http: httpx.AsyncClient,
        outbox: Outbox,
        waker: Waker | None = None,
        batch_size: int = 100,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._http = http
        self._outbox = outbox
        self._waker = waker
        self._batch_size = batch_size
        self._slots = asyncio.Semaphore(settings.webhook_concurrency)

    async def send_due(self) -> int:
        async with self._pool.acquire() as conn:
            rows = await repository.claim_due_deliveries(
                conn, limit=self._batch_size, lease_seconds=self._settings.webhook_timeout + 60
            )
        await asyncio.gather(*(self._deliver(row) for row in rows))
        return len(rows)

    async def _deliver(self, row: asyncpg.Record) -> None:
        async with self._slots:
            status_code, error, duration_ms = await self._post(row)
        ok = status_code is not None and 200 <= status_code < 300
        now = datetime.now(UTC)
        async with self._pool.acquire() as conn, conn.transaction():
            if ok:
                outcome, retry_in = "succeeded", None
            else:
                retry_in = next_retry_delay(row["attempts"], self._settings.webhook_retry_schedule)
                outcome = "failed" if retry_in is None or status_code == 410 else "pending"
            failing_since = await repository.record_attempt(
                conn,
                delivery_id=row["id"],
                endpoint_id=row["endpoint_id"],
                status_code=status_code,
                error=error,
                duration_ms=duration_ms,
                outcome=outcome,
                retry_in=retry_in,
            )
            WEBHOOKS.labels(outcome).inc()
            if ok:
                return
            reason = should_disable(
                status_code=status_code,
                failing_since=failing_since,
                now=now,
                disable_after=self._settings.webhook_disable_after_seconds,
            )
            if reason is not None:
                disabled = await repository.disable_endpoint(conn, row["endpoint_id"], reason)
                if disabled is not None:
                    _log.warning("webhook endpoint %s disabled (%s)", row["endpoint_id"], reason)
                    await self._outbox.add(
                        conn,
                        WebhookEndpointDisabled(
                            endpoint_id=disabled["id"],
                            owner=disabled["owner"],
                            url=disabled["url"],
                            reason="gone" if reason == "gone" else "failing",
                            failing_since=failing_since,
                            disabled_at=disabled["disabled_at"],
                        ),
                    )

    async def _post(self, row: asyncpg.Record) -> tuple[int | None, str | None, int]:
        started = time.perf_counter()

        def elapsed() -> int:
            return int((time.perf_counter() - started) * 1000)

        if not row["enabled"]:
            return None, "endpoint disabled", 0
        if not row["secrets"]:
            return None, "endpoint has no secret", 0
        try:
            await check_destination(
                row["url"],
                allow_private=self._settings.webhook_allow_private_addresses,
                allow_http=self._settings.webhook_allow_http,
            )
        except UnsafeDestination as exc:
            return None, f"refused destination: {exc}", elapsed()
        msg_id = "msg_" + delivery_key(row["event_id"], str(row["endpoint_id"]), "webhook")
        timestamp = datetime.now(UTC)
        body: str = row["payload"]
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": sign(list(row["secrets"]), msg_id, timestamp, body),
        }
        try:
            response = await self._http.post(
                row["url"],
                content=body.encode(),
                headers=headers,
                timeout=self._settings.webhook_timeout,
                follow_redirects=False,
            )
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:1000], elapsed()
        error = None if response.is_success else f"HTTP {response.status_code}"
        return response.status_code, error, elapsed()

    async def run(self) -> None:
        while True:
            try:
                if await self.send_due() >= self._batch_size:
                    continue
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                _log.warning("webhook pass failed, retrying: %s", exc)
            except Exception:
                _log.exception("webhook pass failed, retrying")
            if self._waker is not None:
                await self._waker.wait(
                    repository.WEBHOOK_CHANNEL, self._settings.sender_poll_interval
                )
            else:
                await asyncio.sleep(self._settings.sender_poll_interval)
