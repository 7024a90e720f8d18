"""Who may sign and withdraw, without I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from petitions.channels.rules import ChannelRules
from petitions.people.rules import Citizen
from petitions.signing.rules import SignablePetition, sign_refusal, withdraw_refusal

NOW = datetime(2026, 3, 1, tzinfo=UTC)
RULES = ChannelRules(
    min_sponsors=0,
    max_sponsors=0,
    duration_days=30,
    thresholds=(),
    signer_assurance="email",
    region_restricted=True,
    excluded_subjects=frozenset(),
)


def petition(state: str = "open", closes_in: timedelta = timedelta(days=1)) -> SignablePetition:
    return SignablePetition(uuid.uuid4(), state, NOW + closes_in, "oriental", RULES)


def signer(region: str = "oriental", assurance: str = "email") -> Citizen:
    return Citizen(uuid.uuid4(), region, assurance)


def code(refusal: object) -> str | None:
    return getattr(refusal, "code", None)


def test_sign_refusals() -> None:
    assert sign_refusal(petition(), signer(), NOW) is None
    assert code(sign_refusal(None, signer(), NOW)) == "petition-not-found"
    for state in ("draft", "awaiting_moderation", "closed", "hidden", "rejected"):
        assert code(sign_refusal(petition(state), signer(), NOW)) == "petition-not-open"
    # the clock closes it even before the closing task does
    assert (
        code(sign_refusal(petition(closes_in=timedelta(0)), signer(), NOW)) == "petition-not-open"
    )
    assert code(sign_refusal(petition(), None, NOW)) == "signer-unknown"
    assert code(sign_refusal(petition(), signer("souss-massa"), NOW)) == "outside-region"
    assert code(sign_refusal(petition(), signer(assurance="none"), NOW)) == "assurance-too-low"


def test_withdraw_only_while_open() -> None:
    assert withdraw_refusal(petition(), NOW) is None
    assert code(withdraw_refusal(petition("closed"), NOW)) == "petition-not-open"
    assert code(withdraw_refusal(None, NOW)) == "petition-not-found"
