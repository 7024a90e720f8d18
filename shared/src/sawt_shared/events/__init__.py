"""The event catalogue and CloudEvents envelope.

Every event type is a pydantic model in one of the domain modules
(``sawt_shared.events.identity``, ``.petitions``, ``.consultations``,
``.notifications``); :func:`catalogue` lists them, :mod:`.asyncapi` documents them.
"""

from sawt_shared.events._base import (
    CE_SPECVERSION,
    Event,
    EventEnvelope,
    MalformedEvent,
    event_class,
)
from sawt_shared.events.catalogue import catalogue

__all__ = [
    "CE_SPECVERSION",
    "Event",
    "EventEnvelope",
    "MalformedEvent",
    "catalogue",
    "event_class",
]
