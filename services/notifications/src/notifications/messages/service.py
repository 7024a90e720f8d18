"""Turning events into recorded deliveries, and the rules of sending them.

:func:`queue_messages` runs in the consumer's transaction (with the inbox row), so
an event's deliveries are recorded once: before any of them is attempted, and never
again when Kafka redelivers the event. :func:`decide` and :func:`retry_delay` are the
sender's rules, plain functions of values.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from notifications.messages import repository
from notifications.messages.categories import Category, in_feed, may_switch_off
from notifications.messages.repository import ClaimedMail
from notifications.messages.rules import PlannedMessage
from sawt_shared.db import Connection

__all__ = ["Queued", "Skip", "decide", "queue_messages", "retry_delay"]


@dataclass
class Queued:
    emails: int = 0
    feed_users: list[uuid.UUID] | None = None
    fanouts: int = 0


async def queue_messages(
    conn: Connection, *, event_id: uuid.UUID, event_type: str, planned: list[PlannedMessage]
) -> Queued:
    """Record the messages of one event: deliveries, feed items and fan-outs; then NOTIFY
    (delivered at commit) so the workers and feed streams wake up."""
    queued = Queued(feed_users=[])
    assert queued.feed_users is not None
    for message in planned:
        message_id = await repository.save_message(
            conn,
            event_id=event_id,
            event_type=event_type,
            kind=message.kind,
            category=message.category.value,
            params=message.params,
        )
        for recipient in message.recipients:
            if await repository.queue_email(
                conn, message_id=message_id, event_id=event_id, recipient=recipient
            ):
                queued.emails += 1
            if (
                in_feed(message.category)
                and recipient.user_id is not None
                and await repository.add_feed_item(
                    conn,
                    message_id=message_id,
                    event_id=event_id,
                    user_id=recipient.user_id,
                    category=message.category.value,
                )
            ):
                queued.feed_users.append(recipient.user_id)
        if message.followers_of is not None and await repository.create_fanout(
            conn, message_id=message_id, petition_id=message.followers_of
        ):
            queued.fanouts += 1
    if queued.emails:
        await conn.execute(f"NOTIFY {repository.EMAIL_CHANNEL}")
    if queued.fanouts:
        await conn.execute(f"NOTIFY {repository.FANOUT_CHANNEL}")
    for user_id in queued.feed_users:
        await conn.execute("SELECT pg_notify($1, $2)", repository.FEED_CHANNEL, str(user_id))
    return queued


@dataclass(frozen=True)
class Skip:
    """A claimed delivery that is not to be sent, and why (kept in ``last_error``)."""

    reason: str


def decide(mail: ClaimedMail) -> Skip | None:
    """Whether a claimed delivery is sent (``None``) or skipped, at the moment of sending.

    Transactional mail goes to the address its event names, always. Other mail is not
    sent to a deleted account, to an address nobody verified, or to someone who
    unsubscribed from its category (checked now, so unsubscribing stops queued mail too).
    """
    category = Category(mail.category)
    if mail.deleted and not mail.addressed:
        return Skip("account deleted")
    if not mail.address:
        return Skip("no address")
    if not may_switch_off(category):
        return None
    if not mail.addressed and not mail.email_verified:
        return Skip("address not verified")
    if mail.opted_out:
        return Skip("unsubscribed")
    return None


def retry_delay(attempts: int, *, base: float, cap: float, jitter: float = 0.1) -> float:
    """Seconds before the next try after ``attempts`` failed ones: exponential, capped, with
    a little jitter so a failed batch does not come back all at once."""
    delay = min(cap, base * 2.0 ** max(0, attempts - 1))
    return float(delay * (1 + random.uniform(0, jitter)))  # noqa: S311 - spreading retries, not a secret
