"""Counting rules without I/O: folding deltas, thresholds, deadlines, trending."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from petitions.channels.rules import Threshold
from petitions.counting.rules import (
    CountDelta,
    days_overdue,
    fold_deltas,
    hour_bucket,
    response_due_at,
    thresholds_to_fire,
    trending_score,
)

T = (
    Threshold("response", 10, "response", 30),
    Threshold("debate", 100, "debate", 90),
)


def test_a_threshold_fires_once_when_reached_and_never_again() -> None:
    assert thresholds_to_fire(T, 9, set()) == []
    assert [t.name for t in thresholds_to_fire(T, 10, set())] == ["response"]
    assert thresholds_to_fire(T, 11, {"response"}) == []
    # a fold that jumps over both fires both, lowest first
    assert [t.name for t in thresholds_to_fire(T, 250, set())] == ["response", "debate"]
    # withdrawals then new signers: no second firing
    assert thresholds_to_fire(T, 10, {"response"}) == []


def test_deadlines_and_days_overdue() -> None:
    reached = datetime(2026, 1, 1, 10, tzinfo=UTC)
    due = response_due_at(T[0], reached)
    assert due == reached + timedelta(days=30)
    assert response_due_at(Threshold("info", 5, "none", None), reached) is None
    assert days_overdue(due, due - timedelta(hours=1)) == 0
    assert days_overdue(due, due + timedelta(hours=23)) == 0
    assert days_overdue(due, due + timedelta(days=3, hours=2)) == 3


def test_fold_deltas_sums_per_petition_region_and_hour_and_drops_zeros() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    h1 = datetime(2026, 1, 1, 10, tzinfo=UTC)
    h2 = h1 + timedelta(hours=1)
    folded = fold_deltas(
        [
            CountDelta(a, "oriental", h1, 3),
            CountDelta(a, "", h2, 2),
            CountDelta(a, "oriental", h2, -1),
            CountDelta(b, "souss-massa", h1, 1),
            CountDelta(b, "souss-massa", h1, -1),
        ]
    )
    assert folded.totals == {a: 4}
    assert folded.regions == {(a, "oriental"): 2, (a, ""): 2}
    assert folded.hours == {(a, h1): 3, (a, h2): 1}


def test_hour_bucket_is_utc() -> None:
    moment = datetime(2026, 1, 1, 10, 59, 59, tzinfo=UTC)
    assert hour_bucket(moment) == datetime(2026, 1, 1, 10, tzinfo=UTC)


def test_trending_counts_the_last_sixty_minutes() -> None:
    at_20_past = datetime(2026, 1, 1, 14, 20, tzinfo=UTC)
    assert trending_score(30, 60, at_20_past) == 30 + 60 * (40 / 60)
    on_the_hour = datetime(2026, 1, 1, 14, 0, tzinfo=UTC)
    assert trending_score(0, 60, on_the_hour) == 60
