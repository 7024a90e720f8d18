"""RFC 9457 problem documents: one error base, one handler.

Every error a Sawt service means to show a client derives from :class:`Problem`.
It carries its HTTP status and a stable problem ``type`` (a URI that never changes
once published, so clients may branch on it). The handler installed by
:func:`install_problem_handlers` renders it as ``application/problem+json``.

    Problem
    ├── BadRequest (400)
    │   └── InvalidInput (422)
    ├── Unauthorized (401)
    ├── Forbidden (403)
    ├── NotFound (404)
    ├── Conflict (409)
    ├── Gone (410)
    ├── PreconditionFailed (412)
    ├── TooManyRequests (429, with Retry-After)
    └── ServiceUnavailable (503)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = [
    "PROBLEM_BASE",
    "PROBLEM_MEDIA_TYPE",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "Gone",
    "InvalidInput",
    "NotFound",
    "PayloadTooLarge",
    "PreconditionFailed",
    "Problem",
    "ProblemDocument",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "install_problem_handlers",
    "problem_response",
    "problem_responses",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://sawt.ma/problems/"

_log = logging.getLogger("sawt.errors")


class Problem(Exception):
    """An error with an HTTP status and a stable problem type.

    Subclasses set ``status``, ``type_slug`` and ``title``; an instance may
    override ``type_slug`` to name a more precise problem (``"petition-closed"``)
    and add ``detail`` and extension members.
    """

    status: int = 400
    type_slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        type_slug: str | None = None,
        title: str | None = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title or self.title)
        self.detail = detail
        if type_slug is not None:
            self.type_slug = type_slug
        if title is not None:
            self.title = title
        if status is not None:
            self.status = status
        self.headers: dict[str, str] = dict(headers or {})
        self.extensions = extensions

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.type_slug

    def to_document(self, instance: str | None = None) -> dict[str, Any]:
        doc: dict[str, Any] = {"type": self.type_uri, "title": self.title, "status": self.status}
        if self.detail:
            doc["detail"] = self.detail
        if instance:
            doc["instance"] = instance
        doc.update(self.extensions)
        return doc


class BadRequest(Problem):
    status = 400
    type_slug = "bad-request"
    title = "Bad request"


class InvalidInput(BadRequest):
    status = 422
    type_slug = "invalid-input"
    title = "The request is not valid"


class Unauthorized(Problem):
    status = 401
    type_slug = "unauthorized"
    title = "Authentication is required"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("WWW-Authenticate", 'Bearer error="invalid_token"')
        super().__init__(detail, headers=headers, **kwargs)


class Forbidden(Problem):
    status = 403
    type_slug = "forbidden"
    title = "You may not do this"


class NotFound(Problem):
    status = 404
    type_slug = "not-found"
    title = "Not found"


class Conflict(Problem):
    status = 409
    type_slug = "conflict"
    title = "Conflict with the current state"


class Gone(Problem):
    status = 410
    type_slug = "gone"
    title = "Gone"


class PreconditionFailed(Problem):
    status = 412
    type_slug = "precondition-failed"
    title = "Precondition failed"


class PayloadTooLarge(Problem):
    status = 413
    type_slug = "payload-too-large"
    title = "The request body is too large"


class TooManyRequests(Problem):
    status = 429
    type_slug = "too-many-requests"
    title = "Too many requests"

    def __init__(self, retry_after: int, detail: str | None = None, **kwargs: Any) -> None:
        headers = dict(kwargs.pop("headers", None) or {})
        headers["Retry-After"] = str(max(1, int(retry_after)))
        super().__init__(detail, headers=headers, retry_after=max(1, int(retry_after)), **kwargs)


class ServiceUnavailable(Problem):
    status = 503
    type_slug = "service-unavailable"
    title = "Service unavailable"


class ProblemDocument(dict[str, Any]):
    """Marker type for OpenAPI: the body of every error response."""


_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "required": ["type", "title", "status"],
    "additionalProperties": True,
}


def problem_responses(*problems: type[Problem] | tuple[int, str]) -> dict[int | str, Any]:
    """``responses=`` for a route: each status it may answer with a problem document.

    Pass Problem classes, or ``(status, description)`` pairs.
    """
    out: dict[int | str, Any] = {}
    for p in problems:
        status, description = (p.status, p.title) if isinstance(p, type) else p
        out[status] = {
            "description": description,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_SCHEMA}},
        }
    return out


def problem_response(problem: Problem, instance: str | None = None) -> JSONResponse:
    """``problem`` as its ``application/problem+json`` response."""
    return JSONResponse(
        problem.to_document(instance=instance),
        status_code=problem.status,
        headers=problem.headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def _render(problem: Problem, request: Request) -> JSONResponse:
    return problem_response(problem, request.url.path)


def _validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ())]
        out.append(
            {
                "pointer": "/" + "/".join(loc[1:] if loc[:1] == ["body"] else loc),
                "location": loc[0] if loc else "",
                "detail": err.get("msg", ""),
            }
        )
    return out


_STATUS_SLUGS = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    412: PreconditionFailed,
    413: PayloadTooLarge,
    503: ServiceUnavailable,
}


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error of ``app`` as an RFC 9457 problem document."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return _render(exc, request)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problem = InvalidInput(
            "Some fields are missing or not valid.", errors=_validation_errors(exc.errors())
        )
        return _render(problem, request)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        cls = _STATUS_SLUGS.get(exc.status_code)
        if cls is not None:
            problem: Problem = cls(str(exc.detail) if exc.detail else None)
        else:
            problem = Problem(
                str(exc.detail),
                type_slug=f"http-{exc.status_code}",
                title=str(exc.detail),
                status=exc.status_code,
            )
        problem.headers.update(exc.headers or {})
        return _render(problem, request)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.exception("unhandled error", exc_info=exc)
        problem = Problem(
            "An unexpected error occurred; it has been logged.",
            type_slug="internal-error",
            title="Internal error",
            status=500,
        )
        return _render(problem, request)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
