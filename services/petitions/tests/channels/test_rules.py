"""Channel rules as data: their checks and their round trip through JSON."""

from __future__ import annotations

import uuid

from petitions.channels.rules import (
    ChannelRules,
    Threshold,
    assurance_satisfies,
    rule_problems,
)


def test_rule_problems() -> None:
    ok = [Threshold("a", 10, "response", 30), Threshold("b", 20, "debate", 60)]
    assert rule_problems(min_sponsors=5, max_sponsors=20, duration_days=180, thresholds=ok) == []
    problems = rule_problems(
        min_sponsors=5,
        max_sponsors=2,
        duration_days=0,
        thresholds=[
            Threshold("a", 20, "response", None),
            Threshold("a", 10, "none", None),
        ],
    )
    assert "max_sponsors must be at least min_sponsors" in problems
    assert "duration_days must be at least 1" in problems
    assert "threshold names must be unique" in problems
    assert any("increasing" in p for p in problems)
    assert any("response_days" in p for p in problems)


def test_assurance_levels_are_ordered() -> None:
    assert assurance_satisfies("eid", "email")
    assert assurance_satisfies("email", "email")
    assert not assurance_satisfies("email", "eid")
    assert not assurance_satisfies("none", "email")
    assert not assurance_satisfies("unheard-of", "email")


def test_rules_round_trip_through_json() -> None:
    rules = ChannelRules(
        min_sponsors=5,
        max_sponsors=20,
        duration_days=182,
        thresholds=(Threshold("response", 10_000, "response", 30, {"en": "Response"}),),
        signer_assurance="email",
        region_restricted=True,
        excluded_subjects=frozenset({"monarchy"}),
        target_organization_id=uuid.uuid4(),
    )
    assert ChannelRules.from_json(rules.to_json()) == rules
    assert rules.threshold("response") is rules.thresholds[0]
    assert rules.threshold("nope") is None
