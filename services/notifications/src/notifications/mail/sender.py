"""The email sender: claims due deliveries, renders and sends them, records the outcome.

Each pass claims a batch (``FOR UPDATE SKIP LOCKED`` with a lease), sends its mails
concurrently over the transport's connections at no more than the configured rate,
then records every outcome in one transaction. A crash after sending and before
recording leaves the rows leased: they come due again when the lease ends and are
sent once more with the same ``Message-ID`` (the one unavoidable retry).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

import asyncpg
from aiolimiter import AsyncLimiter
from prometheus_client import Counter, Gauge, Histogram

from notifications.mail.compose import build_email
from notifications.mail.rendering import MailRenderer
from notifications.mail.transport import MailTransport, is_permanent
from notifications.messages import repository
from notifications.messages.categories import Category, may_switch_off
from notifications.messages.keys import delivery_key
from notifications.messages.repository import ClaimedMail
from notifications.messages.service import decide, retry_delay
from notifications.preferences.tokens import UnsubscribeToken, UnsubscribeTokens
from notifications.settings import NotificationsSettings
from notifications.wakeup import Waker

__all__ = ["EMAILS", "MailSender", "SendOutcome"]

_log = logging.getLogger("sawt.notifications.mail")

EMAILS = Counter(
    "sawt_notifications_emails_total", "Email deliveries by outcome", ["outcome", "category"]
)
SEND_SECONDS = Histogram(
    "sawt_notifications_email_send_seconds", "Time to hand one mail to the SMTP server"
)
PENDING = Gauge("sawt_notifications_emails_pending", "Email deliveries waiting to be sent")


@dataclass
class SendOutcome:
    sent: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    retry: list[tuple[int, str, float]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.sent) + len(self.skipped) + len(self.failed) + len(self.retry)


class MailSender:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        settings: NotificationsSettings,
        renderer: MailRenderer,
        transport: MailTransport,
        waker: Waker | None = None,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._renderer = renderer
        self._transport = transport
        self._waker = waker
        self._limiter = AsyncLimiter(settings.email_rate_per_second, 1.0)
        self._tokens = UnsubscribeTokens(settings.secret_key.get_secret_value())

    def unsubscribe_url(self, mail: ClaimedMail) -> str | None:
        if not may_switch_off(Category(mail.category)):
            return None
        if mail.user_id is not None and not mail.addressed:
            token = UnsubscribeToken(mail.category, user_id=mail.user_id)
        else:
            token = UnsubscribeToken(mail.category, address=mail.address)
        base = self._settings.public_base_url.rstrip("/")
        return f"{base}/api/v1/unsubscribe/{self._tokens.make(token)}"

    async def send_due(self) -> SendOutcome:
        """One pass: claim a batch, send it, record the outcomes."""
        async with self._pool.acquire() as conn:
            mails = await repository.claim_due_mail(
                conn,
                limit=self._settings.email_batch_size,
                lease_seconds=self._settings.email_lease_seconds,
            )
        outcome = SendOutcome()
        if not mails:
            return outcome
        await asyncio.gather(*(self._send_one(mail, outcome) for mail in mails))
        async with self._pool.acquire() as conn, conn.transaction():
            await repository.mark_mail_sent(conn, outcome.sent)
            await repository.mark_mail_skipped(conn, outcome.skipped)
            await repository.mark_mail_failed(conn, outcome.failed)
            await repository.mark_mail_retry(conn, outcome.retry)
        return outcome

    async def _send_one(self, mail: ClaimedMail, outcome: SendOutcome) -> None:
        skip = decide(mail)
        if skip is not None:
            outcome.skipped.append((mail.id, skip.reason))
            EMAILS.labels("skipped", mail.category).inc()
            return
        assert mail.address is not None
        try:
            unsubscribe_url = self.unsubscribe_url(mail)
            rendered = self._renderer.render(
                mail.kind,
                mail.language,
                mail.params,
                display_name=mail.display_name,
                unsubscribe_url=unsubscribe_url,
            )
            message = build_email(
                rendered,
                to=mail.address,
                from_address=self._settings.mail_from,
                from_name=self._settings.mail_from_name,
                key=delivery_key(mail.event_id, mail.recipient, "email"),
                mail_domain=self._settings.mail_domain,
                category=mail.category,
                unsubscribe_url=unsubscribe_url,
            )
        except Exception as exc:  # a bug or bad data: retrying will not help
            _log.exception("cannot write mail %s", mail.id)
            outcome.failed.append((mail.id, f"render: {exc!r}"[:1000]))
            EMAILS.labels("failed", mail.category).inc()
            return
        try:
            async with self._limiter:
                started = time.perf_counter()
                await self._transport.send(
                    message, sender=self._settings.mail_from, recipient=mail.address
                )
                SEND_SECONDS.observe(time.perf_counter() - started)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:1000]
            if is_permanent(exc) or mail.attempts >= self._settings.email_max_attempts:
                outcome.failed.append((mail.id, error))
                EMAILS.labels("failed", mail.category).inc()
            else:
                delay = retry_delay(
                    mail.attempts,
                    base=self._settings.email_retry_base_seconds,
                    cap=self._settings.email_retry_max_seconds,
                )
                outcome.retry.append((mail.id, error, delay))
                EMAILS.labels("retried", mail.category).inc()
            _log.warning("mail %s to %s failed: %s", mail.id, mail.recipient, error)
            return
        outcome.sent.append(mail.id)
        EMAILS.labels("sent", mail.category).inc()

    async def run(self) -> None:
        """Send until cancelled: after each full batch go on at once, else wait for a wake-up."""
        last_gauge = 0.0
        while True:
            try:
                outcome = await self.send_due()
                now = time.monotonic()
                if now - last_gauge > 5:
                    async with self._pool.acquire() as conn:
                        PENDING.set(await repository.pending_mail_count(conn))
                    last_gauge = now
                if outcome.total >= self._settings.email_batch_size:
                    continue
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                _log.warning("mail pass failed, retrying: %s", exc)
            except Exception:
                _log.exception("mail pass failed, retrying")
            if self._waker is not None:
                await self._waker.wait(
                    repository.EMAIL_CHANNEL, self._settings.sender_poll_interval
                )
            else:
                await asyncio.sleep(self._settings.sender_poll_interval)
