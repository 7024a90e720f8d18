"""The petitions service's ASGI app: ``uvicorn --factory petitions.app:create_app``."""

from __future__ import annotations

from fastapi import FastAPI

from petitions import bootstrap
from petitions.channels.endpoints import router as channels_router
from petitions.counting.endpoints import router as counting_router
from petitions.lifecycle.endpoints import router as lifecycle_router
from petitions.people.consumers import identity_consumer
from petitions.public.endpoints import router as public_router
from petitions.responses.endpoints import router as responses_router
from petitions.settings import PetitionsSettings
from petitions.signing.endpoints import SIGN_ROUTE
from petitions.signing.endpoints import router as signing_router
from sawt_shared.app import Runtime, create_service_app
from sawt_shared.hotroutes import hot_route

__all__ = ["create_app"]

DESCRIPTION = """
Petition channels (rules as data), petitions from draft to response, sponsors and
moderation, signatures written by group commit, counts folded in batches with an
`as_of` time, thresholds that fire once, official responses and overdue lists,
and open data (lists, search, time series, CSV and JSON exports).

Every error is an RFC 9457 problem document with a stable `type`; problems a
citizen may see also carry `title_i18n` (Arabic, French, English).
"""


def create_app(settings: PetitionsSettings | None = None) -> FastAPI:
    settings = settings or PetitionsSettings()

    async def on_startup(runtime: Runtime) -> None:
        app.state.petitions = bootstrap.start(runtime, settings)

    app = create_service_app(
        settings,
        title="Sawt petitions",
        description=DESCRIPTION,
        routers=[
            signing_router,  # first: routes are matched in order, signing is the hot path
            channels_router,
            public_router,
            lifecycle_router,
            responses_router,
            counting_router,
        ],
        consumers=lambda runtime: [identity_consumer(runtime)],
        on_startup=on_startup,
        # the sign route: served ahead of the middleware stack (docs/petitions.md)
        hot_routes=[hot_route(signing_router, SIGN_ROUTE, "POST")],
    )
    return app
