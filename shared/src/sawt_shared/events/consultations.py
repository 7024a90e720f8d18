"""Events the consultations service publishes on `consultations.events`."""

from __future__ import annotations

from typing import ClassVar

from sawt_shared.events._base import Event

__all__ = ["ConsultationsEvent"]


class ConsultationsEvent(Event):
    """Base of every event the consultations service publishes."""

    domain: ClassVar[str] = "consultations"
