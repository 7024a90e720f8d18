"""Counting rules: buckets, thresholds, deadlines and trending (values only, no I/O)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from uuid import UUID

from petitions.channels.rules import Threshold

__all__ = [
    "UNKNOWN_REGION",
    "CountDelta",
    "FoldedDeltas",
    "days_overdue",
    "fold_deltas",
    "hour_bucket",
    "response_due_at",
    "thresholds_to_fire",
    "trending_score",
]

#: The region key of signatures whose signer had no region on record.
UNKNOWN_REGION: Final = ""


def hour_bucket(moment: datetime) -> datetime:
    """The UTC hour a moment falls in."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class CountDelta:
    """``delta`` signatures (negative for withdrawals) of one petition, region and hour."""

    petition_id: UUID
    region: str
    hour: datetime
    delta: int


@dataclass(frozen=True)
class FoldedDeltas:
    """Deltas summed per petition, per (petition, region) and per (petition, hour)."""

    totals: dict[UUID, int]
    regions: dict[tuple[UUID, str], int]
    hours: dict[tuple[UUID, datetime], int]


def fold_deltas(deltas: Iterable[CountDelta]) -> FoldedDeltas:
    totals: dict[UUID, int] = defaultdict(int)
    regions: dict[tuple[UUID, str], int] = defaultdict(int)
    hours: dict[tuple[UUID, datetime], int] = defaultdict(int)
    for d in deltas:
        totals[d.petition_id] += d.delta
        regions[(d.petition_id, d.region)] += d.delta
        hours[(d.petition_id, d.hour)] += d.delta
    return FoldedDeltas(
        totals={k: v for k, v in totals.items() if v},
        regions={k: v for k, v in regions.items() if v},
        hours={k: v for k, v in hours.items() if v},
    )


def thresholds_to_fire(
    thresholds: Sequence[Threshold], total: int, reached: Collection[str]
) -> list[Threshold]:
    """The thresholds ``total`` signatures reach that have not fired yet, lowest first.

    A threshold fires once: when withdrawals take the count below it and signers
    take it back over, it does not fire again (``reached`` remembers it).
    """
    return [t for t in thresholds if total >= t.signatures and t.name not in reached]


def response_due_at(threshold: Threshold, reached_at: datetime) -> datetime | None:
    """When the target authority must have answered a threshold reached at ``reached_at``."""
    if threshold.triggers == "none" or threshold.response_days is None:
        return None
    return reached_at + timedelta(days=threshold.response_days)


def days_overdue(due_at: datetime, now: datetime) -> int:
    """Whole days since ``due_at`` (0 on the day it falls due, and before)."""
    late = (now - due_at).total_seconds()
    return max(0, math.floor(late / 86400))


def trending_score(this_hour: int, previous_hour: int, now: datetime) -> float:
    """Signatures in the 60 minutes before ``now``, estimated from two hourly buckets.

    The current bucket counts whole; the previous one for the part of it that is
    still within the last hour (at 14:20, 40 of its 60 minutes).
    """
    start = hour_bucket(now)
    elapsed = (now - start).total_seconds() / 3600.0
    return this_hour + previous_hour * max(0.0, 1.0 - elapsed)
