"""Events the notifications service publishes on `notifications.events`."""

from __future__ import annotations

from typing import ClassVar

from sawt_shared.events._base import Event

__all__ = ["NotificationsEvent"]


class NotificationsEvent(Event):
    """Base of every event the notifications service publishes."""

    domain: ClassVar[str] = "notifications"
