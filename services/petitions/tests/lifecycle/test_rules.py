"""The petition's transitions, without I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from petitions.channels.rules import ChannelRules, Threshold
from petitions.lifecycle.rules import Petition, RuleViolation, State, signer_refusal
from petitions.people.rules import Citizen, Organization, Responder
from sawt_shared.events.petitions import (
    PetitionClosed,
    PetitionCreated,
    PetitionHidden,
    PetitionPublished,
    PetitionRejected,
    PetitionResponded,
    PetitionSponsored,
    PetitionSubmitted,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
REGION = "casablanca-settat"


def rules(**overrides: object) -> ChannelRules:
    values: dict[str, object] = {
        "min_sponsors": 2,
        "max_sponsors": 3,
        "duration_days": 30,
        "thresholds": (Threshold("response", 10, "response", 30),),
        "signer_assurance": "email",
        "region_restricted": False,
        "excluded_subjects": frozenset({"monarchy"}),
    }
    values.update(overrides)
    return ChannelRules(**values)  # type: ignore[arg-type]


def citizen(region: str | None = REGION, assurance: str = "email") -> Citizen:
    return Citizen(uuid.uuid4(), region, assurance, "Amina")


BODY = Organization(uuid.uuid4(), "Ministère", "public_body", True)


def create(**overrides: object) -> Petition:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "channel": "open-petition",
        "channel_active": True,
        "rules": rules(),
        "creator": citizen(),
        "target_id": BODY.organization_id,
        "target": BODY,
        "language": "fr",
        "title": {"fr": "Eau potable"},
        "body": {"fr": "Pour l'eau potable dans les villages."},
        "subject": "water",
        "region": None,
        "now": NOW,
    }
    values.update(overrides)
    return Petition.create(**values)  # type: ignore[arg-type]


def state(p: Petition) -> State:
    """The petition's state, read afresh (mypy would keep an earlier assertion's)."""
    return p.state


def refused(code: str, action: object, *args: object, **kwargs: object) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        action(*args, **kwargs)  # type: ignore[operator]
    assert caught.value.code == code, caught.value
    return caught.value


def test_a_new_petition_is_a_draft_with_its_event_and_audit() -> None:
    p = create()
    assert state(p) is State.DRAFT
    assert isinstance(p.events[0], PetitionCreated)
    assert p.audit[0].action == "created"
    assert p.audit[0].actor_role == "creator"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"subject": "monarchy"}, "subject-not-receivable"),
        ({"language": "ar"}, "language-missing"),
        ({"target_id": None, "target": None}, "target-authority-required"),
        ({"target": None}, "target-not-public-body"),
        (
            {"target": Organization(uuid.uuid4(), "Association", "association", True)},
            "target-not-public-body",
        ),
        (
            {"target": Organization(uuid.uuid4(), "Wizara", "public_body", False)},
            "target-not-public-body",
        ),
        ({"rules": rules(region_restricted=True)}, "region-required"),
        ({"creator": citizen(assurance="none")}, "assurance-too-low"),
        ({"creator": None}, "signer-unknown"),
        ({"channel_active": False}, "channel-closed"),
        (
            {"rules": rules(region_restricted=True), "region": "souss-massa"},
            "outside-region",
        ),
    ],
)
def test_creation_refusals(overrides: dict[str, object], code: str) -> None:
    refused(code, create, **overrides)


def test_submit_goes_to_sponsors_then_moderation_when_enough_sponsor() -> None:
    p = create()
    p.submit(p.creator_id, NOW)
    assert state(p) is State.COLLECTING_SPONSORS
    assert isinstance(p.events[-1], PetitionSubmitted)
    p.add_sponsor(citizen(), already=False, now=NOW)
    assert state(p) is State.COLLECTING_SPONSORS
    p.add_sponsor(citizen(), already=False, now=NOW)
    assert state(p) is State.AWAITING_MODERATION
    assert p.moderation_requested_at == NOW
    last = p.events[-1]
    assert isinstance(last, PetitionSponsored)
    assert last.sponsors == 2
    assert last.awaiting_moderation
    # more sponsors are welcome up to the maximum
    p.add_sponsor(citizen(), already=False, now=NOW)
    refused("sponsors-full", p.add_sponsor, citizen(), already=False, now=NOW)


def test_submit_without_sponsors_goes_straight_to_moderation() -> None:
    p = create(rules=rules(min_sponsors=0))
    p.submit(p.creator_id, NOW)
    assert state(p) is State.AWAITING_MODERATION


def test_only_the_creator_edits_and_submits_and_only_a_draft() -> None:
    p = create()
    refused("not-creator", p.submit, uuid.uuid4(), NOW)
    refused("not-creator", p.edit, uuid.uuid4(), title={"fr": "Autre"})
    p.edit(p.creator_id, title={"fr": "Eau potable pour tous", "ar": "الماء للجميع"})
    assert p.title["ar"] == "الماء للجميع"
    refused("language-missing", p.edit, p.creator_id, title={"ar": "بدون فرنسية"})
    refused("subject-not-receivable", p.edit, p.creator_id, subject="monarchy")
    p.submit(p.creator_id, NOW)
    refused("not-a-draft", p.submit, p.creator_id, NOW)
    refused("not-editable", p.edit, p.creator_id, title={"fr": "Trop tard"})


def test_sponsor_refusals() -> None:
    p = create(rules=rules(region_restricted=True), region=REGION)
    refused("not-collecting-sponsors", p.add_sponsor, citizen(), already=False, now=NOW)
    p.submit(p.creator_id, NOW)
    creator = Citizen(p.creator_id, REGION, "email")
    refused("creator-cannot-sponsor", p.add_sponsor, creator, already=False, now=NOW)
    refused("outside-region", p.add_sponsor, citizen("oriental"), already=False, now=NOW)
    refused("assurance-too-low", p.add_sponsor, citizen(assurance="none"), already=False, now=NOW)
    refused("already-sponsored", p.add_sponsor, citizen(), already=True, now=NOW)
    assert p.sponsors == 0


def awaiting() -> Petition:
    p = create(rules=rules(min_sponsors=0))
    p.submit(p.creator_id, NOW)
    return p


def test_publish_opens_for_the_channel_duration() -> None:
    p = awaiting()
    moderator = uuid.uuid4()
    p.publish(moderator, NOW)
    assert state(p) is State.OPEN
    assert p.closes_at == NOW + timedelta(days=30)
    event = p.events[-1]
    assert isinstance(event, PetitionPublished)
    assert event.closes_at == p.closes_at
    assert p.audit[-1].actor_id == moderator
    refused("not-awaiting-moderation", p.publish, moderator, NOW)


def test_reject_with_a_reason_only_before_opening() -> None:
    p = awaiting()
    p.reject(uuid.uuid4(), "duplicate", "See the earlier petition.", NOW)
    assert state(p) is State.REJECTED
    event = p.events[-1]
    assert isinstance(event, PetitionRejected)
    assert event.reason == "duplicate"
    opened = awaiting()
    opened.publish(uuid.uuid4(), NOW)
    refused("not-awaiting-moderation", opened.reject, uuid.uuid4(), "offensive", None, NOW)
    refused("not-awaiting-moderation", create().reject, uuid.uuid4(), "offensive", None, NOW)


def test_hide_from_any_state_but_draft() -> None:
    refused("cannot-hide", create().hide, uuid.uuid4(), None, NOW)
    p = awaiting()
    p.publish(uuid.uuid4(), NOW)
    p.hide(uuid.uuid4(), "abuse", NOW)
    assert state(p) is State.HIDDEN
    assert p.hidden_from == "open"
    assert isinstance(p.events[-1], PetitionHidden)
    refused("cannot-hide", p.hide, uuid.uuid4(), None, NOW)


def opened() -> Petition:
    p = awaiting()
    p.publish(uuid.uuid4(), NOW)
    return p


def test_close_only_when_time_is_up() -> None:
    p = opened()
    refused("not-due", p.close, NOW + timedelta(days=29), signatures=5, response_kinds=set())
    later = NOW + timedelta(days=30)
    assert p.is_due_to_close(later)
    p.close(later, signatures=5, response_kinds=set())
    assert state(p) is State.CLOSED
    event = p.events[-1]
    assert isinstance(event, PetitionClosed)
    assert event.signatures == 5
    assert p.audit[-1].actor_role == "system"


def test_an_answered_petition_closes_as_responded_or_debated() -> None:
    p = opened()
    p.close(NOW + timedelta(days=31), signatures=5, response_kinds={"response"})
    assert state(p) is State.RESPONDED
    q = opened()
    q.close(NOW + timedelta(days=31), signatures=5, response_kinds={"response", "debate"})
    assert state(q) is State.DEBATED


def test_only_the_target_body_responds_and_the_petition_moves_on() -> None:
    p = opened()
    stranger = Responder(uuid.uuid4(), frozenset({uuid.uuid4()}))
    args: dict[str, Any] = {
        "response_id": uuid.uuid4(),
        "kind": "response",
        "decision": None,
        "summary": {"fr": "Réponse"},
        "response_kinds": set(),
        "now": NOW,
    }
    refused("not-target-authority", p.respond, stranger, **args)
    official = Responder(uuid.uuid4(), frozenset({BODY.organization_id}))
    p.respond(official, **args)
    assert state(p) is State.OPEN  # an open petition keeps collecting
    assert isinstance(p.events[-1], PetitionResponded)
    p.close(NOW + timedelta(days=30), signatures=12, response_kinds={"response"})
    assert state(p) is State.RESPONDED
    p.respond(official, **{**args, "kind": "debate", "response_kinds": {"response"}})
    assert state(p) is State.DEBATED


def test_response_refusals() -> None:
    official = Responder(uuid.uuid4(), frozenset({BODY.organization_id}))
    base: dict[str, Any] = {
        "response_id": uuid.uuid4(),
        "decision": None,
        "summary": {"fr": "Réponse"},
        "response_kinds": set(),
        "now": NOW,
    }
    refused("not-respondable", awaiting().respond, official, kind="response", **base)
    p = opened()
    refused(
        "decision-required",
        p.respond,
        official,
        kind="admissibility",
        **base,
    )
    refused(
        "decision-not-allowed",
        p.respond,
        official,
        kind="response",
        **{**base, "decision": "admissible"},
    )
    refused(
        "admissibility-not-applicable",
        p.respond,
        official,
        kind="admissibility",
        **{**base, "decision": "admissible"},
    )
    motion = create(
        rules=rules(min_sponsors=0, thresholds=(Threshold("a", 5, "admissibility", 60),))
    )
    motion.submit(motion.creator_id, NOW)
    motion.publish(uuid.uuid4(), NOW)
    motion.respond(official, kind="admissibility", **{**base, "decision": "inadmissible"})
    event = motion.events[-1]
    assert isinstance(event, PetitionResponded)
    assert event.decision == "inadmissible"


def test_signer_refusals() -> None:
    r = rules(region_restricted=True, signer_assurance="eid")
    assert signer_refusal(r, REGION, None) is not None
    deleted = Citizen(uuid.uuid4(), REGION, "eid", deleted=True)
    assert signer_refusal(r, REGION, deleted).code == "signer-deleted"  # type: ignore[union-attr]
    low = signer_refusal(r, REGION, citizen(assurance="email"))
    assert low is not None
    assert low.code == "assurance-too-low"
    away = signer_refusal(r, REGION, citizen("oriental", "eid"))
    assert away is not None
    assert away.code == "outside-region"
    assert signer_refusal(r, REGION, citizen(REGION, "eid")) is None
