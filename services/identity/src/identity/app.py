"""The identity service's ASGI app: ``uvicorn --factory identity.app:create_app``."""

from __future__ import annotations

from fastapi import FastAPI

from identity.settings import IdentitySettings
from sawt_shared.app import create_service_app

__all__ = ["create_app"]


def create_app(settings: IdentitySettings | None = None) -> FastAPI:
    settings = settings or IdentitySettings()
    return create_service_app(
        settings,
        title="Sawt identity",
        description="Who everyone is: accounts, organisations, roles, and the OAuth 2.0 / OpenID Connect provider that issues every token.",
    )
