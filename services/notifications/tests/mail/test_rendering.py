"""Templates in Arabic, French and English; catalogs complete; headers right."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir

from notifications.mail.compose import build_email, to_bytes
from notifications.mail.i18n import catalog
from notifications.mail.rendering import MailRenderer
from notifications.messages.rules import MESSAGE_TEMPLATES

PARAMS: dict[str, Any] = {
    "petition_id": "0b8f6d6e-1c1e-4c57-9d5b-5d8c9b1f2a10",
    "title": {"ar": "عنوان", "fr": "Titre", "en": "Title"},
    "link": "https://sawt.test/l",
    "code": "123456",
    "expires_at": "2026-12-01T10:00:00+00:00",
    "signed_at": "2026-11-30T10:00:00+00:00",
    "closes_at": "2027-01-01T00:00:00+00:00",
    "signature_id": "5f0c8a3e-0000-0000-0000-000000000000",
    "signatures": 12345,
    "required": 10000,
    "reason": "offensive",
    "explanation": "<script>alert(1)</script>",
    "organization_name": "Association Tafilalt",
    "role": "creator",
    "summary": {"fr": "Résumé"},
    "response_kind": "response",
}

SOURCE = Path(__file__).parents[2] / "src" / "notifications"


@pytest.mark.parametrize("kind", sorted(MESSAGE_TEMPLATES))
@pytest.mark.parametrize("language", ["ar", "fr", "en", "zgh"])
def test_every_kind_renders_in_every_language(kind: str, language: str) -> None:
    mail = MailRenderer("https://sawt.test").render(kind, language, PARAMS, display_name="Amina")
    assert mail.subject
    assert "\n" not in mail.subject
    assert mail.text.strip()
    expected = "ar" if language == "zgh" else language
    assert mail.language == expected
    assert f'lang="{expected}" dir="{"rtl" if expected == "ar" else "ltr"}"' in mail.html
    assert "<script>" not in mail.html  # autoescaped


def test_numbers_and_dates_are_written_the_moroccan_way() -> None:
    renderer = MailRenderer("https://sawt.test")
    params = {**PARAMS, "role": "follower"}
    assert "12.345" in renderer.render("petition_closed_follower", "ar", params).text
    assert "12\u202f345" in renderer.render("petition_closed_follower", "fr", params).text
    assert "1 janvier 2027" in renderer.render("petition_published", "fr", PARAMS).text


def _sentences() -> set[str]:
    method_map = [("**.py", "python"), ("mail/templates/**", "jinja2")]
    options = {"mail/templates/**": {"extensions": "jinja2.ext.i18n"}}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(SOURCE),
        method_map,
        options_map=options,
        keywords={"_": None, "N_": None, "gettext": None},
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_every_sentence_is_translated(language: str) -> None:
    translated = {m.id: m.string for m in catalog(language) if m.id}
    missing = sorted(s for s in _sentences() if not translated.get(s))
    assert missing == [], f"translate these in {language}/LC_MESSAGES/messages.po: {missing}"


def test_headers_of_a_notification() -> None:
    mail = MailRenderer("https://sawt.test").render(
        "signature_receipt", "ar", {**PARAMS, "title": {"ar": "نقل عمومي ليلي في مدينتنا الكبيرة"}}
    )
    msg = build_email(
        mail,
        to="a@b.ma",
        from_address="notifications@sawt.ma",
        from_name="Sawt · صوت",
        key="abc",
        mail_domain="sawt.ma",
        category="signature_receipts",
        unsubscribe_url="https://n.sawt.ma/api/v1/unsubscribe/t",
    )
    parsed = email.message_from_bytes(to_bytes(msg), policy=email.policy.default)
    assert parsed["Subject"] == mail.subject  # no space lost in folding
    assert parsed["Message-ID"] == "<abc@sawt.ma>"
    assert parsed["List-Unsubscribe"] == "<https://n.sawt.ma/api/v1/unsubscribe/t>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Content-Language"] == "ar"
    assert parsed.get_content_type() == "multipart/alternative"
