"""The petition aggregate: every transition of its life is a rule here, tested without I/O.

    draft ─submit─▶ collecting_sponsors ─(min sponsors)─▶ awaiting_moderation
      └──────submit (no sponsors needed)──────────────────▶ awaiting_moderation
    awaiting_moderation ─publish─▶ open ─close (time is up)─▶ closed
    open/closed ─respond─▶ responded (an open petition stays open until it closes)
    closed/responded ─respond(debate)─▶ debated
    collecting_sponsors/awaiting_moderation ─reject(reason)─▶ rejected
    any state but draft ─hide─▶ hidden

Each method checks who acts and from which state, changes the petition, and
records the event and the audit entry the change makes. A refusal is a
:class:`RuleViolation` and changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final, Literal

from petitions.channels.rules import ChannelRules, assurance_satisfies
from petitions.people.rules import Citizen, Organization, Responder
from sawt_shared.events import Event
from sawt_shared.events.petitions import (
    PetitionClosed,
    PetitionCreated,
    PetitionHidden,
    PetitionPublished,
    PetitionRejected,
    PetitionResponded,
    PetitionSponsored,
    PetitionSubmitted,
    RejectionReason,
)
from sawt_shared.i18n import Language, LocalizedText

__all__ = [
    "LISTED_STATES",
    "PUBLIC_STATES",
    "REJECTION_REASONS",
    "AuditEntry",
    "Petition",
    "ResponseKind",
    "RuleViolation",
    "State",
    "signer_refusal",
]


class State(StrEnum):
    DRAFT = "draft"
    COLLECTING_SPONSORS = "collecting_sponsors"
    AWAITING_MODERATION = "awaiting_moderation"
    OPEN = "open"
    CLOSED = "closed"
    RESPONDED = "responded"
    DEBATED = "debated"
    REJECTED = "rejected"
    HIDDEN = "hidden"


#: States anyone may read; the others are seen by the creator and moderators only.
PUBLIC_STATES: Final = frozenset(
    {State.OPEN, State.CLOSED, State.RESPONDED, State.DEBATED, State.REJECTED}
)
#: States the public lists show by default (a rejected petition is readable, not listed).
LISTED_STATES: Final = frozenset({State.OPEN, State.CLOSED, State.RESPONDED, State.DEBATED})
#: States in which the target authority may publish a response.
RESPONDABLE_STATES: Final = frozenset({State.OPEN, State.CLOSED, State.RESPONDED, State.DEBATED})

REJECTION_REASONS: Final[dict[str, LocalizedText]] = {
    "duplicate": {
        "ar": "توجد عريضة مماثلة",
        "fr": "Une pétition semblable existe déjà",
        "en": "A similar petition already exists",
    },
    "offensive": {
        "ar": "محتوى مسيء",
        "fr": "Contenu offensant",
        "en": "Offensive content",
    },
    "out_of_scope": {
        "ar": "خارج اختصاص الجهة المعنية",
        "fr": "Hors du champ de l'autorité visée",
        "en": "Outside the scope of the authority addressed",
    },
    "not_receivable": {
        "ar": "غير مقبولة قانونا",
        "fr": "Non recevable en droit",
        "en": "Not receivable in law",
    },
    "unclear": {
        "ar": "الطلب غير واضح",
        "fr": "La demande n'est pas claire",
        "en": "The request is not clear",
    },
    "other": {"ar": "سبب آخر", "fr": "Autre motif", "en": "Other reason"},
}

ResponseKind = Literal["response", "admissibility", "debate"]
ViolationKind = Literal["conflict", "forbidden", "invalid", "not_found"]


class RuleViolation(Exception):
    """A rule refused an action. ``code`` is the stable problem slug, ``kind`` its family."""

    def __init__(self, code: str, detail: str, kind: ViolationKind = "conflict") -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.kind = kind


@dataclass(frozen=True)
class AuditEntry:
    action: str
    actor_id: uuid.UUID | None
    actor_role: str
    from_state: str | None
    to_state: str | None
    detail: dict[str, Any] = field(default_factory=dict)


def signer_refusal(
    rules: ChannelRules, region: str | None, citizen: Citizen | None
) -> RuleViolation | None:
    """Why ``citizen`` may not sign (or sponsor) a petition with these rules, if they may not."""
    if citizen is None:
        return RuleViolation(
            "signer-unknown",
            "Your account is not known to the petitions service yet; try again in a minute.",
            "forbidden",
        )
    if citizen.deleted:
        return RuleViolation("signer-deleted", "This account was deleted.", "forbidden")
    if not assurance_satisfies(citizen.assurance, rules.signer_assurance):
        how = "a national eID" if rules.signer_assurance == "eid" else "a verified email address"
        return RuleViolation(
            "assurance-too-low",
            f"Signing this petition needs {how}.",
            "forbidden",
        )
    if rules.region_restricted and citizen.region != region:
        return RuleViolation(
            "outside-region",
            f"Only people living in region {region} may sign this petition.",
            "forbidden",
        )
    return None


@dataclass
class Petition:
    """A petition and the events and audit entries its changes recorded."""

    id: uuid.UUID
    channel: str
    rules: ChannelRules
    creator_id: uuid.UUID
    target_organization_id: uuid.UUID | None
    state: State
    language: Language
    title: LocalizedText
    body: LocalizedText
    subject: str
    region: str | None
    created_at: datetime
    sponsors: int = 0
    submitted_at: datetime | None = None
    moderation_requested_at: datetime | None = None
    opened_at: datetime | None = None
    closes_at: datetime | None = None
    closed_at: datetime | None = None
    responded_at: datetime | None = None
    rejection_reason: str | None = None
    rejection_explanation: str | None = None
    hidden_at: datetime | None = None
    hidden_from: str | None = None
    events: list[Event] = field(default_factory=list, repr=False, compare=False)
    audit: list[AuditEntry] = field(default_factory=list, repr=False, compare=False)

    # ------------------------------------------------------------------ creation

    @classmethod
    def create(
        cls,
        *,
        id: uuid.UUID,
        channel: str,
        channel_active: bool,
        rules: ChannelRules,
        creator: Citizen | None,
        target_id: uuid.UUID | None,
        target: Organization | None,
        language: Language,
        title: LocalizedText,
        body: LocalizedText,
        subject: str,
        region: str | None,
        now: datetime,
    ) -> Petition:
        if not channel_active:
            raise RuleViolation(
                "channel-closed", f"Channel {channel} takes no new petitions.", "invalid"
            )
        if language not in title or language not in body:
            raise RuleViolation(
                "language-missing",
                f"The title and the text must be given in the petition's language ({language}).",
                "invalid",
            )
        if subject in rules.excluded_subjects:
            raise RuleViolation(
                "subject-not-receivable",
                f"Petitions on the subject {subject!r} are not receivable on channel {channel}.",
                "invalid",
            )
        if rules.region_restricted and not region:
            raise RuleViolation(
                "region-required", f"A petition on channel {channel} names its region.", "invalid"
            )
        if target_id is None:
            raise RuleViolation(
                "target-authority-required",
                "Name the public body the petition is addressed to (target_organization_id).",
                "invalid",
            )
        if target is None or not target.is_verified_public_body:
            raise RuleViolation(
                "target-not-public-body",
                "A petition is addressed to a verified public body.",
                "invalid",
            )
        refusal = signer_refusal(rules, region if rules.region_restricted else None, creator)
        if refusal is not None:
            raise refusal
        assert creator is not None
        assert target is not None
        petition = cls(
            id=id,
            channel=channel,
            rules=rules,
            creator_id=creator.user_id,
            target_organization_id=target.organization_id,
            state=State.DRAFT,
            language=language,
            title=dict(title),
            body=dict(body),
            subject=subject,
            region=region,
            created_at=now,
        )
        petition.events.append(
            PetitionCreated(
                petition_id=id,
                channel=channel,
                creator_id=creator.user_id,
                title=petition.title,
                language=language,
                region=region,
            )
        )
        petition._audit("created", creator.user_id, "creator", None, State.DRAFT)
        return petition

    # ------------------------------------------------------------------ creator

    def _require_creator(self, actor_id: uuid.UUID) -> None:
        if actor_id != self.creator_id:
            raise RuleViolation(
                "not-creator", "Only the petition's creator may do this.", "forbidden"
            )

    def edit(
        self,
        actor_id: uuid.UUID,
        *,
        title: LocalizedText | None = None,
        body: LocalizedText | None = None,
        subject: str | None = None,
    ) -> None:
        self._require_creator(actor_id)
        if self.state is not State.DRAFT:
            raise RuleViolation(
                "not-editable", "A petition can be edited only while it is a draft."
            )
        new_title = dict(title) if title is not None else self.title
        new_body = dict(body) if body is not None else self.body
        if self.language not in new_title or self.language not in new_body:
            raise RuleViolation(
                "language-missing",
                f"The title and the text must keep the petition's language ({self.language}).",
                "invalid",
            )
        if subject is not None and subject in self.rules.excluded_subjects:
            raise RuleViolation(
                "subject-not-receivable",
                f"Petitions on the subject {subject!r} are not receivable on channel "
                f"{self.channel}.",
                "invalid",
            )
        self.title, self.body = new_title, new_body
        if subject is not None:
            self.subject = subject
        self._audit("edited", actor_id, "creator", self.state, self.state)

    def submit(self, actor_id: uuid.UUID, now: datetime) -> None:
        self._require_creator(actor_id)
        if self.state is not State.DRAFT:
            raise RuleViolation("not-a-draft", "Only a draft can be submitted.")
        before = self.state
        self.submitted_at = now
        if self.rules.min_sponsors > 0:
            self.state = State.COLLECTING_SPONSORS
        else:
            self.state = State.AWAITING_MODERATION
            self.moderation_requested_at = now
        self.events.append(
            PetitionSubmitted(
                petition_id=self.id,
                creator_id=self.creator_id,
                title=self.title,
                state=self.state.value,
                submitted_at=now,
            )
        )
        self._audit("submitted", actor_id, "creator", before, self.state)

    def add_sponsor(self, sponsor: Citizen | None, *, already: bool, now: datetime) -> None:
        """``already``: whether this person sponsors the petition already."""
        if self.state not in (State.COLLECTING_SPONSORS, State.AWAITING_MODERATION):
            raise RuleViolation(
                "not-collecting-sponsors", "This petition does not collect sponsors now."
            )
        if sponsor is not None and sponsor.user_id == self.creator_id:
            raise RuleViolation(
                "creator-cannot-sponsor", "The creator does not sponsor their own petition."
            )
        refusal = signer_refusal(self.rules, self.region, sponsor)
        if refusal is not None:
            raise refusal
        assert sponsor is not None
        if already:
            raise RuleViolation("already-sponsored", "You sponsor this petition already.")
        if self.sponsors >= self.rules.max_sponsors:
            raise RuleViolation(
                "sponsors-full",
                f"This petition has the most sponsors its channel allows "
                f"({self.rules.max_sponsors}).",
            )
        before = self.state
        self.sponsors += 1
        reached = (
            self.state is State.COLLECTING_SPONSORS and self.sponsors >= self.rules.min_sponsors
        )
        if reached:
            self.state = State.AWAITING_MODERATION
            self.moderation_requested_at = now
        self.events.append(
            PetitionSponsored(
                petition_id=self.id,
                sponsor_id=sponsor.user_id,
                sponsors=self.sponsors,
                awaiting_moderation=reached,
            )
        )
        self._audit(
            "sponsored", sponsor.user_id, "sponsor", before, self.state, sponsors=self.sponsors
        )

    # ------------------------------------------------------------------ moderators

    def publish(self, moderator_id: uuid.UUID, now: datetime) -> None:
        if self.state is not State.AWAITING_MODERATION:
            raise RuleViolation(
                "not-awaiting-moderation", "Only a petition awaiting moderation can be published."
            )
        self.opened_at = now
        self.closes_at = now + timedelta(days=self.rules.duration_days)
        self.state = State.OPEN
        self.events.append(
            PetitionPublished(
                petition_id=self.id,
                channel=self.channel,
                creator_id=self.creator_id,
                title=self.title,
                opened_at=now,
                closes_at=self.closes_at,
            )
        )
        self._audit(
            "published",
            moderator_id,
            "moderator",
            State.AWAITING_MODERATION,
            State.OPEN,
            closes_at=self.closes_at.isoformat(),
        )

    def reject(
        self,
        moderator_id: uuid.UUID,
        reason: RejectionReason,
        explanation: str | None,
        now: datetime,
    ) -> None:
        if self.state not in (State.COLLECTING_SPONSORS, State.AWAITING_MODERATION):
            raise RuleViolation(
                "not-awaiting-moderation",
                "Only a submitted petition that is not yet open can be rejected.",
            )
        if reason not in REJECTION_REASONS:
            raise RuleViolation("unknown-reason", f"Unknown rejection reason {reason}.", "invalid")
        before = self.state
        self.state = State.REJECTED
        self.rejection_reason = reason
        self.rejection_explanation = explanation
        self.closed_at = now
        self.events.append(
            PetitionRejected(
                petition_id=self.id,
                creator_id=self.creator_id,
                title=self.title,
                reason=reason,
                explanation=explanation,
            )
        )
        self._audit(
            "rejected",
            moderator_id,
            "moderator",
            before,
            State.REJECTED,
            reason=reason,
            explanation=explanation,
        )

    def hide(self, moderator_id: uuid.UUID, explanation: str | None, now: datetime) -> None:
        if self.state in (State.DRAFT, State.HIDDEN):
            raise RuleViolation(
                "cannot-hide", "A draft or an already hidden petition cannot be hidden."
            )
        before = self.state
        self.hidden_from = before.value
        self.hidden_at = now
        self.state = State.HIDDEN
        self.events.append(
            PetitionHidden(
                petition_id=self.id,
                creator_id=self.creator_id,
                title=self.title,
                hidden_at=now,
                explanation=explanation,
            )
        )
        self._audit(
            "hidden", moderator_id, "moderator", before, State.HIDDEN, explanation=explanation
        )

    # ------------------------------------------------------------------ time

    def is_due_to_close(self, now: datetime) -> bool:
        return self.state is State.OPEN and self.closes_at is not None and self.closes_at <= now

    def close(self, now: datetime, *, signatures: int, response_kinds: set[str]) -> None:
        """Close an open petition whose time is up (the system acts, no person)."""
        if not self.is_due_to_close(now):
            raise RuleViolation("not-due", "This petition is not open past its closing time.")
        self.closed_at = now
        self.state = _state_after_responses(State.CLOSED, response_kinds)
        self.events.append(
            PetitionClosed(
                petition_id=self.id,
                closed_at=now,
                signatures=signatures,
                creator_id=self.creator_id,
                title=self.title,
            )
        )
        self._audit("closed", None, "system", State.OPEN, self.state, signatures=signatures)

    # ------------------------------------------------------------------ responses

    def respond(
        self,
        responder: Responder,
        *,
        response_id: uuid.UUID,
        kind: ResponseKind,
        decision: Literal["admissible", "inadmissible"] | None,
        summary: LocalizedText,
        response_kinds: set[str],
        now: datetime,
    ) -> None:
        """The target public body publishes a response (or a motion's admissibility decision).

        ``response_kinds``: the kinds of the responses published before this one.
        """
        if not responder.speaks_for(self.target_organization_id):
            raise RuleViolation(
                "not-target-authority",
                "Only a member of the public body the petition is addressed to may respond.",
                "forbidden",
            )
        if self.state not in RESPONDABLE_STATES:
            raise RuleViolation(
                "not-respondable", "Only a petition that was opened can receive a response."
            )
        if kind == "admissibility" and decision is None:
            raise RuleViolation(
                "decision-required", "An admissibility response carries its decision.", "invalid"
            )
        if kind != "admissibility" and decision is not None:
            raise RuleViolation(
                "decision-not-allowed",
                "Only an admissibility response carries a decision.",
                "invalid",
            )
        if kind == "admissibility" and not any(
            t.triggers == "admissibility" for t in self.rules.thresholds
        ):
            raise RuleViolation(
                "admissibility-not-applicable",
                f"Petitions on channel {self.channel} have no admissibility decision.",
                "invalid",
            )
        before = self.state
        if self.state is not State.OPEN:
            self.state = _state_after_responses(State.CLOSED, {*response_kinds, kind})
        self.responded_at = now
        assert self.target_organization_id is not None
        self.events.append(
            PetitionResponded(
                petition_id=self.id,
                kind=kind,
                organization_id=self.target_organization_id,
                summary=dict(summary),
                responded_at=now,
                creator_id=self.creator_id,
                title=self.title,
                response_id=response_id,
                decision=decision,
            )
        )
        self._audit(
            "responded",
            responder.user_id,
            "authority",
            before,
            self.state,
            kind=kind,
            decision=decision,
            response_id=str(response_id),
        )

    # ------------------------------------------------------------------ helpers

    def _audit(
        self,
        action: str,
        actor_id: uuid.UUID | None,
        role: str,
        before: State | None,
        after: State | None,
        **detail: Any,
    ) -> None:
        self.audit.append(
            AuditEntry(
                action=action,
                actor_id=actor_id,
                actor_role=role,
                from_state=before.value if before is not None else None,
                to_state=after.value if after is not None else None,
                detail={k: v for k, v in detail.items() if v is not None},
            )
        )


def _state_after_responses(closed: State, kinds: set[str]) -> State:
    """Where a closed petition stands given the responses it received."""
    if "debate" in kinds:
        return State.DEBATED
    if kinds:
        return State.RESPONDED
    return closed
