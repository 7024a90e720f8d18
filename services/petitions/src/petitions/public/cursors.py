"""Opaque cursors for keyset pagination: a base64url JSON list of the last row's keys."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from petitions.problems import coded
from sawt_shared.errors import BadRequest

__all__ = ["decode_cursor", "encode_cursor"]


def encode_cursor(*values: Any) -> str:
    raw = json.dumps([str(v) if not isinstance(v, int | float) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != arity:
        raise coded(BadRequest, "invalid-cursor", "This cursor was not made by this list.")
    return values
