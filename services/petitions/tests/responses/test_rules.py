"""Which obligations a response meets, and what is overdue, without I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from petitions.responses.rules import ReachedThreshold, overdue, satisfied_by

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
PID = uuid.uuid4()


def reached(
    name: str, triggers: str, due_in: timedelta | None, satisfied: bool = False
) -> ReachedThreshold:
    return ReachedThreshold(
        PID,
        name,
        triggers,
        NOW - timedelta(days=40),
        NOW + due_in if due_in is not None else None,
        NOW if satisfied else None,
    )


def test_a_response_meets_the_obligations_of_its_kind() -> None:
    items = [
        reached("response", "response", timedelta(days=-3)),
        reached("debate", "debate", timedelta(days=10)),
        reached("info", "none", None),
        reached("old", "response", timedelta(days=-30), satisfied=True),
    ]
    assert satisfied_by("response", items) == ["response"]
    assert satisfied_by("debate", items) == ["debate"]
    assert satisfied_by("admissibility", items) == []


def test_overdue_counts_whole_days_past_the_deadline() -> None:
    assert overdue(reached("r", "response", timedelta(days=-3, hours=-5)), NOW) == 3
    assert overdue(reached("r", "response", timedelta(hours=-5)), NOW) == 0
    assert overdue(reached("r", "response", timedelta(days=2)), NOW) is None
    assert overdue(reached("r", "response", timedelta(days=-3), satisfied=True), NOW) is None
    assert overdue(reached("i", "none", None), NOW) is None
