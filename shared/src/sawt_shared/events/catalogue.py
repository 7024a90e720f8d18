"""The event catalogue: every event type Sawt publishes, in one place."""

from __future__ import annotations

from sawt_shared.events import consultations, identity, notifications, petitions
from sawt_shared.events._base import Event

__all__ = ["catalogue"]

_MODULES = (identity, petitions, consultations, notifications)


def catalogue() -> list[type[Event]]:
    """Every concrete event model of the catalogue modules, ordered by type."""
    found: dict[str, type[Event]] = {}
    for module in _MODULES:
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Event)
                and "event_type" in value.__dict__
                and value.__module__ == module.__name__
            ):
                found[value.event_type] = value
    return [found[t] for t in sorted(found)]
