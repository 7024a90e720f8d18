"""The languages Sawt speaks. Every text a citizen sees exists in Arabic (right to
left), French and English; Tamazight (``zgh``) is welcome where it is written."""

from __future__ import annotations

from typing import Final, Literal, TypeAlias

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "RTL_LANGUAGES",
    "Language",
    "LocalizedText",
    "direction",
]

Language: TypeAlias = Literal["ar", "fr", "en", "zgh"]
LANGUAGES: Final[tuple[Language, ...]] = ("ar", "fr", "en", "zgh")
RTL_LANGUAGES: Final[frozenset[str]] = frozenset({"ar"})
DEFAULT_LANGUAGE: Final[Language] = "ar"

#: A text in one or more languages, keyed by language code.
LocalizedText: TypeAlias = dict[Language, str]


def direction(language: str) -> Literal["rtl", "ltr"]:
    """The writing direction of ``language`` (for ``dir=`` in HTML)."""
    return "rtl" if language in RTL_LANGUAGES else "ltr"
