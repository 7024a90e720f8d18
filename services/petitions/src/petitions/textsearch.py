"""Text as the search indexes see it: Arabic and French folded the same way on both sides.

PostgreSQL's ``simple`` configuration and ``pg_trgm`` compare characters; they do not
know that ``é`` is an ``e`` or that ``أ`` is an ``ا`` carrying a hamza. The stored
search text and every query go through :func:`normalize` first: NFD decomposition,
then every combining mark dropped (French accents, Arabic short vowels, shadda and
the hamza on alef), the Arabic tatweel removed, case folded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["normalize", "search_text", "search_words", "title_text"]

_TATWEEL = "\u0640"
_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^\w]+")
MAX_WORDS = 8


def normalize(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(c for c in decomposed if unicodedata.category(c) != "Mn" and c != _TATWEEL)
    return _SPACES.sub(" ", unicodedata.normalize("NFC", kept).casefold()).strip()


def _join(texts: Iterable[Mapping[Any, str]]) -> str:
    return " \n ".join(normalize(t) for mapping in texts for t in mapping.values() if t)


def title_text(title: Mapping[Any, str]) -> str:
    """Every language version of a title, normalised (for trigram similarity)."""
    return _join([title])


def search_text(title: Mapping[Any, str], body: Mapping[Any, str]) -> str:
    """Title and text in every language, normalised (for full-text search)."""
    return _join([title, body])


def search_words(query: str) -> list[str]:
    """The words of a search, normalised, stripped of anything but letters and digits
    (so each is safe as a ``to_tsquery`` term); at most :data:`MAX_WORDS`."""
    words = [_NOT_WORD.sub("", w) for w in normalize(query).split(" ")]
    return list(dict.fromkeys(w for w in words if w))[:MAX_WORDS]
