"""Who may sign or withdraw, and when (values only, no I/O)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from petitions.channels.rules import ChannelRules
from petitions.lifecycle.rules import RuleViolation, State, signer_refusal
from petitions.people.rules import Citizen

__all__ = ["SignablePetition", "sign_refusal", "withdraw_refusal"]


@dataclass(frozen=True)
class SignablePetition:
    """What the sign path needs to know of a petition."""

    id: uuid.UUID
    state: str
    closes_at: datetime | None
    region: str | None
    rules: ChannelRules

    def is_open(self, now: datetime) -> bool:
        return (
            self.state == State.OPEN.value and self.closes_at is not None and now < self.closes_at
        )


def _not_open() -> RuleViolation:
    return RuleViolation(
        "petition-not-open", "This petition is not open for signatures.", "conflict"
    )


def sign_refusal(
    petition: SignablePetition | None, signer: Citizen | None, now: datetime
) -> RuleViolation | None:
    """Why this signer may not sign this petition now, or ``None`` when they may."""
    if petition is None:
        return RuleViolation("petition-not-found", "No petition with this id.", "not_found")
    if not petition.is_open(now):
        return _not_open()
    return signer_refusal(petition.rules, petition.region, signer)


def withdraw_refusal(petition: SignablePetition | None, now: datetime) -> RuleViolation | None:
    """A signature may be withdrawn while its petition is open."""
    if petition is None:
        return RuleViolation("petition-not-found", "No petition with this id.", "not_found")
    if not petition.is_open(now):
        return RuleViolation(
            "petition-not-open",
            "A signature can be withdrawn only while the petition is open.",
            "conflict",
        )
    return None
