"""JSON structured logging, with the request id that follows a request into its events.

The request id comes from the ``X-Request-ID`` header (or is made up) by
asgi-correlation-id's middleware; the outbox writes it into the event's
``ce_requestid`` header, and the consumer puts it back in the same context
variable while it handles the event, so one id links the HTTP request and every
log line it causes in every service.
"""

from __future__ import annotations

import logging
import sys

import structlog
from asgi_correlation_id import correlation_id
from structlog.types import EventDict, WrappedLogger

__all__ = ["configure_logging", "current_request_id"]


def current_request_id() -> str | None:
    """The request id of the request or event being handled, if any."""
    return correlation_id.get()


def _add_request_id(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    rid = correlation_id.get()
    if rid:
        event_dict.setdefault("request_id", rid)
    return event_dict


def configure_logging(service: str, level: str = "INFO", *, json: bool = True) -> None:
    """Send the standard library's and structlog's records through one JSON renderer."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_request_id,
        lambda _, __, ed: {**ed, "service": service},
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("aiokafka").setLevel(max(logging.WARNING, root.level))
