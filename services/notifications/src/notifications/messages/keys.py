"""Delivery keys: one per (event, recipient, channel), the same every time it is computed.

The key names a delivery outside the database: it is the email ``Message-ID`` and
the ``webhook-id``, so a receiver that sees a message twice (the one unavoidable
retry after a crash between sending and recording) can tell it is the same one.
"""

from __future__ import annotations

import uuid
from typing import Final, Literal

__all__ = ["Channel", "delivery_key"]

Channel = Literal["email", "webhook"]
_NAMESPACE: Final = uuid.UUID("6f1c52a4-5d0f-4d8e-9a3b-5a77a0e1d001")


def delivery_key(event_id: uuid.UUID, recipient: str, channel: Channel) -> str:
    """A stable, opaque key: UUIDv5 of the event id, the recipient and the channel."""
    return uuid.uuid5(_NAMESPACE, f"{event_id}|{recipient}|{channel}").hex
