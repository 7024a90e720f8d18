"""The notifications service's ASGI app: ``uvicorn --factory notifications.app:create_app``."""

from __future__ import annotations

from fastapi import FastAPI

from notifications.settings import NotificationsSettings
from sawt_shared.app import create_service_app

__all__ = ["create_app"]


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    return create_service_app(
        settings,
        title="Sawt notifications",
        description="Email, webhooks and the in-app feed, from the platform's events.",
    )
