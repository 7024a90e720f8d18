"""Events the identity service publishes on `identity.events`."""

from __future__ import annotations

from typing import ClassVar

from sawt_shared.events._base import Event

__all__ = ["IdentityEvent"]


class IdentityEvent(Event):
    """Base of every event the identity service publishes."""

    domain: ClassVar[str] = "identity"
