"""The petitions service's ASGI app: ``uvicorn --factory petitions.app:create_app``."""

from __future__ import annotations

from fastapi import FastAPI

from petitions.settings import PetitionsSettings
from sawt_shared.app import create_service_app

__all__ = ["create_app"]


def create_app(settings: PetitionsSettings | None = None) -> FastAPI:
    settings = settings or PetitionsSettings()
    return create_service_app(
        settings,
        title="Sawt petitions",
        description="Petition channels, petitions, sponsors, signatures, counts, thresholds and official responses.",
    )
