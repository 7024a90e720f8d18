"""Wiring: the service's objects, and the background workers started with the app.

:class:`Services` holds what the endpoints share (the renderer, the unsubscribe
token signer, the feed broker). :func:`start` runs at start-up: one ``LISTEN``
connection for wake-ups and, unless ``run_senders`` is off, the email sender, the
fan-out worker and the webhook sender, each safe to run in several processes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import Depends, Request

from notifications.feed.stream import FeedBroker
from notifications.mail.rendering import MailRenderer
from notifications.mail.sender import MailSender
from notifications.mail.transport import MailTransport, SmtpTransport
from notifications.messages.fanout import FanoutWorker
from notifications.messages.repository import EMAIL_CHANNEL, FANOUT_CHANNEL, FEED_CHANNEL
from notifications.preferences.tokens import UnsubscribeTokens
from notifications.settings import NotificationsSettings
from notifications.wakeup import Waker
from notifications.webhooks.repository import WEBHOOK_CHANNEL
from notifications.webhooks.sender import WebhookSender
from sawt_shared.app import Runtime

__all__ = ["Services", "ServicesDep", "make_services", "smtp_transport", "start"]


@dataclass
class Services:
    settings: NotificationsSettings
    renderer: MailRenderer
    tokens: UnsubscribeTokens
    broker: FeedBroker


def make_services(settings: NotificationsSettings) -> Services:
    return Services(
        settings=settings,
        renderer=MailRenderer(settings.web_base_url),
        tokens=UnsubscribeTokens(settings.secret_key.get_secret_value()),
        broker=FeedBroker(),
    )


def smtp_transport(settings: NotificationsSettings) -> SmtpTransport:
    return SmtpTransport(
        host=settings.smtp_host,
        port=settings.smtp_port,
        concurrency=settings.email_concurrency,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        start_tls=settings.smtp_starttls,
        use_tls=settings.smtp_use_tls,
        timeout=settings.smtp_timeout,
    )


async def start(runtime: Runtime, services: Services) -> None:
    settings = services.settings
    waker = Waker(runtime.pool, [EMAIL_CHANNEL, FANOUT_CHANNEL, FEED_CHANNEL, WEBHOOK_CHANNEL])
    waker.subscribe(FEED_CHANNEL, services.broker.notify)
    runtime.tasks.append(asyncio.create_task(waker.run(), name="notifications-waker"))
    if settings.run_senders:
        runtime.tasks.append(
            asyncio.create_task(
                run_workers(runtime, services, waker, smtp_transport(settings)),
                name="notifications-workers",
            )
        )


async def run_workers(
    runtime: Runtime, services: Services, waker: Waker, transport: MailTransport
) -> None:
    """The email sender, fan-out worker and webhook sender, until cancelled."""
    settings = services.settings
    http = httpx.AsyncClient(
        timeout=settings.webhook_timeout,
        follow_redirects=False,
        limits=httpx.Limits(max_connections=settings.webhook_concurrency * 2),
    )
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(
                MailSender(
                    pool=runtime.pool,
                    settings=settings,
                    renderer=services.renderer,
                    transport=transport,
                    waker=waker,
                ).run()
            )
            group.create_task(
                FanoutWorker(
                    runtime.pool,
                    batch_size=settings.fanout_batch_size,
                    waker=waker,
                    poll_interval=settings.sender_poll_interval,
                ).run()
            )
            group.create_task(
                WebhookSender(
                    pool=runtime.pool,
                    settings=settings,
                    http=http,
                    outbox=runtime.outbox,
                    waker=waker,
                ).run()
            )
    finally:
        await http.aclose()
        await transport.close()


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(_services)]
