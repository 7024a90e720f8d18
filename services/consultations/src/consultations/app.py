"""The consultations service's ASGI app: ``uvicorn --factory consultations.app:create_app``."""

from __future__ import annotations

from fastapi import FastAPI

from consultations.settings import ConsultationsSettings
from sawt_shared.app import create_service_app

__all__ = ["create_app"]


def create_app(settings: ConsultationsSettings | None = None) -> FastAPI:
    settings = settings or ConsultationsSettings()
    return create_service_app(
        settings,
        title="Sawt consultations",
        description="Public consultations: questionnaires, responses and result tallies.",
    )
