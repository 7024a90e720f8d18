"""Which event says what to whom, and the sender's rules: plain values, no I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from notifications.messages.categories import Category, in_feed, may_switch_off
from notifications.messages.keys import delivery_key
from notifications.messages.repository import ClaimedMail
from notifications.messages.rules import MESSAGE_TEMPLATES, PetitionInfo, Recipient, plan_messages
from notifications.messages.service import Skip, decide, retry_delay
from sawt_shared.events.identity import EmailChangeRequested, PasswordResetRequested, UserRegistered
from sawt_shared.events.petitions import (
    PetitionResponded,
    PetitionSigned,
    PetitionSponsorsInvited,
)

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
TITLE: Any = {"fr": "Titre"}


def test_every_kind_has_a_template() -> None:
    from pathlib import Path

    import notifications.mail

    folder = Path(notifications.mail.__file__).parent / "templates"
    for name in set(MESSAGE_TEMPLATES.values()):
        assert (folder / f"{name}.txt").is_file()
        assert (folder / f"{name}.html").is_file()


def test_password_reset_goes_to_the_address_of_the_event_and_cannot_be_switched_off() -> None:
    user = uuid.uuid4()
    (message,) = plan_messages(
        PasswordResetRequested(
            user_id=user,
            email="a@b.ma",
            display_name="A",
            language="fr",
            link="https://l",
            expires_at=NOW,
        )
    )
    assert message.category is Category.ACCOUNT
    assert message.recipients == (Recipient(user, "a@b.ma", "fr"),)
    assert not may_switch_off(message.category)
    assert not in_feed(message.category)


def test_email_change_is_keyed_by_the_new_address() -> None:
    (message,) = plan_messages(
        EmailChangeRequested(
            user_id=uuid.uuid4(),
            new_email="New@B.ma",
            display_name="A",
            language="ar",
            link="l",
            code="1",
            expires_at=NOW,
        )
    )
    assert message.recipients[0].key == "mailto:new@b.ma"


def test_a_signature_receipt_names_the_petition_from_the_read_model() -> None:
    petition = PetitionInfo(uuid.uuid4(), uuid.uuid4(), {"ar": "عنوان"}, "ar")
    signer = uuid.uuid4()
    (message,) = plan_messages(
        PetitionSigned(
            petition_id=petition.petition_id,
            signature_id=uuid.uuid4(),
            signer_id=signer,
            region=None,
            signed_at=NOW,
            wants_updates=True,
        ),
        petition,
    )
    assert message.kind == "signature_receipt"
    assert message.params["title"] == {"ar": "عنوان"}
    assert message.recipients == (Recipient(signer),)


def test_sponsor_requests_name_each_address_once() -> None:
    (message,) = plan_messages(
        PetitionSponsorsInvited(
            petition_id=uuid.uuid4(),
            creator_id=uuid.uuid4(),
            title=TITLE,
            emails=["a@b.ma", " a@b.ma", "c@d.ma"],
            language="fr",
            link="l",
        )
    )
    assert [r.address for r in message.recipients] == ["a@b.ma", "c@d.ma"]
    assert message.category is Category.SPONSOR_REQUESTS


def test_a_response_goes_to_the_creator_first_then_every_follower() -> None:
    creator = uuid.uuid4()
    petition_id = uuid.uuid4()
    creator_message, followers = plan_messages(
        PetitionResponded(
            petition_id=petition_id,
            kind="response",
            organization_id=uuid.uuid4(),
            summary={"fr": "Oui"},
            responded_at=NOW,
            creator_id=creator,
            title=TITLE,
        )
    )
    assert creator_message.recipients == (Recipient(creator),)
    assert creator_message.category is Category.MY_PETITIONS
    assert followers.followers_of == petition_id
    assert followers.recipients == ()
    assert followers.category is Category.PETITION_UPDATES


def test_read_model_events_send_nothing() -> None:
    assert (
        plan_messages(
            UserRegistered(
                user_id=uuid.uuid4(), email="a@b.ma", display_name="A", language="ar", region="MA"
            )
        )
        == []
    )


def mail(**overrides: Any) -> ClaimedMail:
    values: dict[str, Any] = {
        "id": 1,
        "event_id": uuid.uuid4(),
        "recipient": "u",
        "user_id": uuid.uuid4(),
        "attempts": 1,
        "kind": "signature_receipt",
        "category": "signature_receipts",
        "params": {},
        "address": "a@b.ma",
        "language": "ar",
        "display_name": "",
        "addressed": False,
        "email_verified": True,
        "deleted": False,
        "opted_out": False,
    }
    values.update(overrides)
    return ClaimedMail(**values)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, None),
        ({"opted_out": True}, Skip("unsubscribed")),
        ({"email_verified": False}, Skip("address not verified")),
        ({"address": None}, Skip("no address")),
        ({"deleted": True}, Skip("account deleted")),
        (
            {"category": "account", "opted_out": True, "addressed": True, "email_verified": False},
            None,
        ),
        ({"category": "sponsor_requests", "addressed": True, "email_verified": False}, None),
        (
            {"category": "sponsor_requests", "addressed": True, "opted_out": True},
            Skip("unsubscribed"),
        ),
    ],
)
def test_decide(overrides: dict[str, Any], expected: Skip | None) -> None:
    assert decide(mail(**overrides)) == expected


def test_retry_delay_grows_and_is_capped() -> None:
    delays = [retry_delay(n, base=30, cap=3600, jitter=0) for n in range(1, 10)]
    assert delays[:4] == [30, 60, 120, 240]
    assert delays[-1] == 3600
    assert 30 <= retry_delay(1, base=30, cap=3600) <= 33


def test_delivery_keys_are_stable_and_distinct() -> None:
    event = uuid.uuid4()
    assert delivery_key(event, "u1", "email") == delivery_key(event, "u1", "email")
    assert delivery_key(event, "u1", "email") != delivery_key(event, "u2", "email")
    assert delivery_key(event, "u1", "email") != delivery_key(event, "u1", "webhook")
    assert timedelta(0) == timedelta(0)


def test_every_setting_is_documented() -> None:
    from notifications.settings import NotificationsSettings

    undocumented = [n for n, f in NotificationsSettings.model_fields.items() if not f.description]
    assert undocumented == []
