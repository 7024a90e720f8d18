"""The rules a channel sets, as plain values, and the checks on them (no I/O)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from sawt_shared.i18n import LocalizedText

__all__ = [
    "ASSURANCE_RANK",
    "TRIGGERS",
    "AssuranceLevel",
    "ChannelRules",
    "Threshold",
    "Trigger",
    "assurance_satisfies",
    "rule_problems",
]

AssuranceLevel = Literal["none", "email", "eid"]
#: What reaching a threshold asks of the target authority. ``none`` asks nothing.
Trigger = Literal["response", "admissibility", "debate", "none"]
TRIGGERS: Final[tuple[str, ...]] = ("response", "admissibility", "debate", "none")

ASSURANCE_RANK: Final[Mapping[str, int]] = {"none": 0, "email": 1, "eid": 2}


def assurance_satisfies(held: str, required: str) -> bool:
    """Whether an account at assurance ``held`` meets a channel asking ``required``."""
    return ASSURANCE_RANK.get(held, 0) >= ASSURANCE_RANK[required]


@dataclass(frozen=True)
class Threshold:
    """A signature count that triggers something, once, with a response deadline."""

    name: str
    signatures: int
    triggers: Trigger
    response_days: int | None
    label: LocalizedText = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "signatures": self.signatures,
            "triggers": self.triggers,
            "response_days": self.response_days,
            "label": dict(self.label),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Threshold:
        return cls(
            name=str(data["name"]),
            signatures=int(data["signatures"]),
            triggers=data.get("triggers", "none"),
            response_days=data.get("response_days"),
            label=dict(data.get("label") or {}),
        )


@dataclass(frozen=True)
class ChannelRules:
    """What a channel asks of a petition and its signers.

    A petition keeps a copy of its channel's rules from the moment it is created:
    an admin changing a figure later does not change the rules of petitions
    already under way.
    """

    min_sponsors: int
    max_sponsors: int
    duration_days: int
    thresholds: tuple[Threshold, ...]
    signer_assurance: Literal["email", "eid"]
    region_restricted: bool
    excluded_subjects: frozenset[str]
    target_organization_id: uuid.UUID | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "min_sponsors": self.min_sponsors,
            "max_sponsors": self.max_sponsors,
            "duration_days": self.duration_days,
            "thresholds": [t.to_json() for t in self.thresholds],
            "signer_assurance": self.signer_assurance,
            "region_restricted": self.region_restricted,
            "excluded_subjects": sorted(self.excluded_subjects),
            "target_organization_id": (
                str(self.target_organization_id) if self.target_organization_id else None
            ),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChannelRules:
        target = data.get("target_organization_id")
        return cls(
            min_sponsors=int(data["min_sponsors"]),
            max_sponsors=int(data["max_sponsors"]),
            duration_days=int(data["duration_days"]),
            thresholds=tuple(Threshold.from_json(t) for t in data["thresholds"]),
            signer_assurance=data["signer_assurance"],
            region_restricted=bool(data["region_restricted"]),
            excluded_subjects=frozenset(data.get("excluded_subjects") or ()),
            target_organization_id=uuid.UUID(str(target)) if target else None,
        )

    def threshold(self, name: str) -> Threshold | None:
        return next((t for t in self.thresholds if t.name == name), None)


def rule_problems(
    *,
    min_sponsors: int,
    max_sponsors: int,
    duration_days: int,
    thresholds: Sequence[Threshold],
) -> list[str]:
    """What is wrong with a channel's figures (empty when they make sense)."""
    problems: list[str] = []
    if min_sponsors < 0:
        problems.append("min_sponsors must not be negative")
    if max_sponsors < min_sponsors:
        problems.append("max_sponsors must be at least min_sponsors")
    if duration_days < 1:
        problems.append("duration_days must be at least 1")
    names = [t.name for t in thresholds]
    if len(set(names)) != len(names):
        problems.append("threshold names must be unique")
    counts = [t.signatures for t in thresholds]
    if any(c < 1 for c in counts):
        problems.append("every threshold needs at least 1 signature")
    if counts != sorted(counts) or len(set(counts)) != len(counts):
        problems.append("thresholds must be listed by strictly increasing signature count")
    for t in thresholds:
        if t.triggers not in TRIGGERS:
            problems.append(f"threshold {t.name!r}: unknown trigger {t.triggers!r}")
        if t.triggers != "none" and (t.response_days is None or t.response_days < 1):
            problems.append(f"threshold {t.name!r} triggers {t.triggers}: set response_days >= 1")
    return problems
