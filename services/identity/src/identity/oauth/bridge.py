"""Authlib's authorization server under FastAPI and asyncpg: the one bridge.

Authlib ships server integrations for Flask and Django only, and its server core is
synchronous: it calls ``query_client``, ``query_authorization_code``, ``save_token``…
deep inside its validation, and which of them it calls depends on the grant and on
the request. So rather than guess in advance what to load, the bridge runs each
Authlib call in a worker thread (``anyio.to_thread``), and every database access
Authlib's hooks make is sent back to the event loop (``anyio.from_thread.run``) on
the request's own connection and transaction. Authlib's validation order stays
exactly as written and tested upstream; all I/O stays async, on one connection,
committed by the request only after the response is built.

What the bridge does:

- :func:`oauth2_request` turns a Starlette request (query string or form, already
  read asynchronously) into Authlib's :class:`OAuth2Request`, with the URI rebuilt
  from the configured issuer so that a TLS-terminating proxy does not matter;
- :class:`BridgedServer` is Authlib's framework-agnostic ``AuthorizationServer``
  with ``handle_response`` producing Starlette responses and ``query_client`` and
  ``save_token`` going through :meth:`BridgedServer.call`;
- :meth:`BridgedServer.run` runs one synchronous Authlib entry point in a thread.
"""

from __future__ import annotations

import functools
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar

import anyio.from_thread
import anyio.to_thread
from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Request  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.requests import OAuth2Payload  # type: ignore[import-untyped]
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

__all__ = ["BridgedServer", "StarletteOAuth2Request", "oauth2_request"]

T = TypeVar("T")
_log = logging.getLogger("identity.oauth")


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._data: dict[str, str] = {}
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            self._data.setdefault(key, value)
            self._datalist[key].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):  # type: ignore[misc]
    """An Authlib request built from values already read from Starlette."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        query: list[tuple[str, str]],
        form: list[tuple[str, str]],
    ) -> None:
        super().__init__(method=method, uri=uri, headers=Headers(headers=dict(headers)))
        self._query = dict(query)
        self._form = dict(form)
        self.payload = _Payload(query + form)

    @property
    def args(self) -> dict[str, str]:
        return self._query

    @property
    def form(self) -> dict[str, str]:
        return self._form


async def oauth2_request(
    request: Request, issuer: str, *, form: list[tuple[str, str]] | None = None
) -> StarletteOAuth2Request:
    """Authlib's view of ``request``. ``form`` overrides the body (for the consent form,
    which re-posts the authorization parameters next to its own fields)."""
    if form is None:
        form = []
        content_type = request.headers.get("content-type", "")
        if request.method == "POST" and content_type.startswith(
            "application/x-www-form-urlencoded"
        ):
            body = await request.form()
            form = [(k, v) for k, v in body.multi_items() if isinstance(v, str)]
    query = list(request.query_params.multi_items())
    uri = issuer.rstrip("/") + request.url.path
    if request.url.query:
        uri += "?" + request.url.query
    return StarletteOAuth2Request(request.method, uri, request.headers, query, form)


class BridgedServer(AuthorizationServer):  # type: ignore[misc]
    """Authlib's ``AuthorizationServer`` answering with Starlette responses.

    Subclasses implement ``query_client`` and ``save_token`` with :meth:`call`.
    Make one per request: it holds the request's connection.
    """

    def call(self, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any, **kwargs: Any) -> T:
        """Run ``await fn(*args, **kwargs)`` on the event loop, from Authlib's worker thread."""
        return anyio.from_thread.run(functools.partial(fn, *args, **kwargs))

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a synchronous Authlib entry point in a worker thread."""
        return await anyio.to_thread.run_sync(fn, *args)

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        raise TypeError("build the request with oauth2_request() first")

    def create_json_request(self, request: Any) -> Any:
        raise NotImplementedError("no JSON endpoints are served through Authlib")

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]] | dict[str, str]
    ) -> Response:
        header_map = dict(headers)
        if 300 <= status < 400 and "Location" in header_map:
            location = header_map.pop("Location")
            return RedirectResponse(location, status_code=status, headers=header_map)
        header_map.pop("Content-Type", None)
        if isinstance(body, str):
            body = json.loads(body) if body else {}
        return JSONResponse(body, status_code=status, headers=header_map)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        _log.debug("authlib signal %s", name)
