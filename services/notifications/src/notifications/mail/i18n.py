"""Translations of messages: gettext catalogs read with Babel.

Templates are written once, in English, with ``_()`` around every sentence; the
Arabic and French texts live in ``locale/<lang>/LC_MESSAGES/messages.po``. The
catalogs are compiled in memory when first used (no ``.mo`` files to build or ship).
Babel also formats dates and numbers the way each language writes them in Morocco.

To add or change a sentence: edit the template, then
``uv run pybabel extract -F services/notifications/babel.cfg -o /tmp/messages.pot services/notifications/src/notifications``
and ``uv run pybabel update -i /tmp/messages.pot -d services/notifications/src/notifications/mail/locale``;
translate the new entries; ``tests/mail/test_catalogs.py`` fails while one is missing.
"""

from __future__ import annotations

import functools
import io
from datetime import datetime
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from sawt_shared.i18n import direction

__all__ = [
    "LOCALE_DIR",
    "MAIL_LANGUAGES",
    "TIMEZONE",
    "catalog",
    "format_day",
    "format_moment",
    "format_number",
    "mail_language",
    "text_direction",
    "translations",
]

LOCALE_DIR: Final = Path(__file__).parent / "locale"
#: Languages messages are written in; others (Tamazight for now) fall back to Arabic.
MAIL_LANGUAGES: Final = ("ar", "fr", "en")
_FALLBACK: Final = "ar"
#: The CLDR locale used to format dates and numbers for each language.
_FORMAT_LOCALES: Final = {"ar": "ar_MA", "fr": "fr_MA", "en": "en"}
TIMEZONE: Final = ZoneInfo("Africa/Casablanca")


def mail_language(language: str | None) -> str:
    """The language a message is written in for a reader of ``language``."""
    return language if language in MAIL_LANGUAGES else _FALLBACK


def text_direction(language: str) -> str:
    return direction(mail_language(language))


def catalog(language: str) -> Catalog:
    """The translation catalog of ``language`` as Babel reads it (``ar`` or ``fr``)."""
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=language)


@functools.cache
def translations(language: str) -> NullTranslations:
    """gettext translations for ``language``; English is the source language."""
    language = mail_language(language)
    if language == "en":
        return NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, catalog(language))
    buffer.seek(0)
    return Translations(buffer, domain="messages")


def _locale(language: str) -> str:
    return _FORMAT_LOCALES[mail_language(language)]


def format_number(value: int, language: str) -> str:
    return str(format_decimal(value, locale=_locale(language)))


def format_day(value: datetime | str | None, language: str) -> str:
    """A date as a reader of ``language`` in Morocco writes it ("30 نونبر 2026")."""
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return str(format_date(moment.astimezone(TIMEZONE), "long", locale=_locale(language)))


def format_moment(value: datetime | str | None, language: str) -> str:
    """A date and time, Moroccan time."""
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return str(
        format_datetime(moment, "d MMMM y, HH:mm", tzinfo=TIMEZONE, locale=_locale(language))
    )
