"""Events the petitions service publishes on `petitions.events`."""

from __future__ import annotations

from typing import ClassVar

from sawt_shared.events._base import Event

__all__ = ["PetitionsEvent"]


class PetitionsEvent(Event):
    """Base of every event the petitions service publishes."""

    domain: ClassVar[str] = "petitions"
