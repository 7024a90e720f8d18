"""Hot routes: a few routes served ahead of the middleware stack and the router.

A route that takes a flood of small requests (signing a viral petition) spends
about as much CPU in the framework as in its own work: the per-request HTTP
metrics, FastAPI's routing through included routers, the dependency solver and
the exit stack. :class:`HotRoutes` is the outermost user middleware of a service
app; a request that fully matches one of its routes goes straight to the route's
endpoint through a short lane that keeps what every request must get:

* the request id (the same ``CorrelationIdMiddleware``, so logs and events carry it);
* problem documents (Starlette's ``ExceptionMiddleware`` with the app's own problem
  handlers; unexpected errors still reach the app's outer 500 handler).

Everything else goes down the full stack. A hot route is declared like any other
FastAPI route (so OpenAPI documents it, from one declaration) and named to
:func:`hot_route`, which serves the same endpoint; its endpoint must take only the
``Request`` (nothing would solve other parameters) and keep metrics of its own
(the HTTP instrumentation never sees it).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["REQUEST_ID_HEADER", "HotRoutes", "hot_route"]

#: The header carrying the request id, in and out (one name for both stacks).
REQUEST_ID_HEADER = "X-Request-ID"


def hot_route(router: APIRouter, path: str, method: str) -> Route:
    """The plain route serving ``router``'s route ``method path`` from the same endpoint.

    :raises ValueError: when the router has no such route, or its endpoint takes
        anything but the ``Request``.
    """
    for route in router.routes:
        if isinstance(route, APIRoute) and route.path == path and method in (route.methods or ()):
            _check_endpoint(route.endpoint, f"{method} {path}")
            return Route(path, route.endpoint, methods=[method], name=route.name)
    raise ValueError(f"no route {method} {path} to serve as a hot route")


def _check_endpoint(endpoint: Callable[..., Any], name: str) -> None:
    params = list(inspect.signature(endpoint, eval_str=True).parameters.values())
    if len(params) != 1 or params[0].annotation is not Request:
        raise ValueError(
            f"the endpoint of hot route {name} must take only the Request; "
            "nothing solves other parameters on the hot lane"
        )


class HotRoutes:
    """ASGI middleware: serves ``routes`` through a short lane, the rest through ``app``.

    ``exception_handlers`` is the app's mapping (read when the first request comes,
    so handlers installed before start-up all count).
    """

    def __init__(
        self,
        app: ASGIApp,
        routes: Sequence[Route],
        exception_handlers: Mapping[Any, Callable[..., Any]],
    ) -> None:
        self.app = app
        handlers = {k: h for k, h in exception_handlers.items() if k not in (500, Exception)}
        self._lanes = [
            (
                route,
                CorrelationIdMiddleware(
                    ExceptionMiddleware(route.handle, handlers), header_name=REQUEST_ID_HEADER
                ),
            )
            for route in routes
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for route, lane in self._lanes:
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.update(child_scope)
                    await lane(scope, receive, send)
                    return
        await self.app(scope, receive, send)
