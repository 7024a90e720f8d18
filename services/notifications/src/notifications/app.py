"""The notifications service's ASGI app: ``uvicorn --factory notifications.app:create_app``."""

from __future__ import annotations

from fastapi import FastAPI

from notifications.bootstrap import make_services, start
from notifications.feed.endpoints import router as feed_router
from notifications.messages.consumers import build_consumers
from notifications.preferences.endpoints import router as preferences_router
from notifications.settings import NotificationsSettings
from notifications.webhooks.endpoints import router as webhooks_router
from sawt_shared.app import Runtime, create_service_app

__all__ = ["create_app"]


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    services = make_services(settings)

    async def on_startup(runtime: Runtime) -> None:
        await start(runtime, services)

    app = create_service_app(
        settings,
        title="Sawt notifications",
        description=(
            "Email in the reader's language, signed webhooks and an in-app feed, from the "
            "platform's events."
        ),
        routers=[feed_router, preferences_router, webhooks_router],
        consumers=build_consumers,
        on_startup=on_startup,
    )
    app.state.services = services
    return app
