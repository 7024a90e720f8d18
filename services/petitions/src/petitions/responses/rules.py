"""Which reached thresholds a response satisfies, and what is overdue (no I/O)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from petitions.counting.rules import days_overdue

__all__ = ["ReachedThreshold", "overdue", "satisfied_by"]


@dataclass(frozen=True)
class ReachedThreshold:
    petition_id: UUID
    name: str
    triggers: str
    reached_at: datetime
    response_due_at: datetime | None
    satisfied_at: datetime | None = None


def satisfied_by(kind: str, reached: Iterable[ReachedThreshold]) -> list[str]:
    """Names of the open obligations a response of ``kind`` fulfils.

    A ``response`` answers thresholds that trigger a response, an ``admissibility``
    decision those that trigger one, a ``debate`` those that trigger a debate.
    """
    return [
        r.name
        for r in reached
        if r.satisfied_at is None and r.response_due_at is not None and r.triggers == kind
    ]


def overdue(reached: ReachedThreshold, now: datetime) -> int | None:
    """Days overdue for an unanswered threshold past its deadline; ``None`` if not overdue."""
    if reached.satisfied_at is not None or reached.response_due_at is None:
        return None
    if reached.response_due_at >= now:
        return None
    return days_overdue(reached.response_due_at, now)
