"""Pydantic types shared by the API schemas of several modules."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from sawt_shared.i18n import Language

__all__ = [
    "REQUIRED_LANGUAGES",
    "CitizenText",
    "LongText",
    "Region",
    "ShortText",
    "Slug",
    "UiText",
]

#: Languages every text the platform itself shows (channels, labels) is written in.
REQUIRED_LANGUAGES: tuple[Language, ...] = ("ar", "fr", "en")

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,62}$")]
Region = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
_Short = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
_Long = Annotated[str, StringConstraints(min_length=1, max_length=10_000, strip_whitespace=True)]


def _not_empty(value: dict[Language, str]) -> dict[Language, str]:
    if not value:
        raise ValueError("give the text in at least one language (ar, fr, en or zgh)")
    return value


def _in_required_languages(value: dict[Language, str]) -> dict[Language, str]:
    missing = [lang for lang in REQUIRED_LANGUAGES if lang not in value]
    if missing:
        raise ValueError(f"the platform's texts exist in ar, fr and en; missing: {missing}")
    return value


#: A short text a citizen wrote, in one or more languages (a title).
ShortText = Annotated[dict[Language, _Short], AfterValidator(_not_empty)]
#: A long text a citizen wrote, in one or more languages (a petition's text).
LongText = Annotated[dict[Language, _Long], AfterValidator(_not_empty)]
#: A text the platform shows: Arabic, French and English are all required.
UiText = Annotated[dict[Language, _Long], AfterValidator(_in_required_languages)]
#: Alias kept for readability where a citizen's text is meant.
CitizenText = LongText
