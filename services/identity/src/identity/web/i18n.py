"""Server-rendered pages in the user's language.

Texts are gettext messages (English ids) with catalogs for Arabic and French in
``locales/<lang>/LC_MESSAGES/messages.po``. Babel reads the ``.po`` files when the
service starts and compiles them in memory, so there is no build step and no
compiled ``.mo`` file to keep in sync. One Jinja2 environment per language, with
``dir="rtl"`` for Arabic.
"""

from __future__ import annotations

import io
from importlib import resources
from typing import Any

from babel import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment, PackageLoader, select_autoescape

from identity.web.regions import region_name
from sawt_shared.i18n import direction

__all__ = ["PAGE_LANGUAGES", "Pages", "choose_language", "load_translations"]

#: Languages the pages speak (Tamazight falls back to Arabic until its catalog exists).
PAGE_LANGUAGES: tuple[str, ...] = ("ar", "fr", "en")
_FALLBACK = {"zgh": "ar"}


def load_translations(lang: str) -> NullTranslations:
    path = resources.files("identity.web").joinpath(f"locales/{lang}/LC_MESSAGES/messages.po")
    if not path.is_file():
        return NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def choose_language(
    requested: str | None,
    preferred: str | None,
    accept_language: str | None,
    hinted: str | None = None,
) -> str:
    """``?lang=`` first, then the client's ``ui_locales`` hint (OpenID Connect: tags
    by preference, space-separated), then the user's or cookie's language, then the
    browser's, then Arabic."""
    candidates = [requested, *(hinted or "").split(), preferred]
    for candidate in candidates:
        if candidate:
            candidate = candidate.split("-")[0].lower()
            candidate = _FALLBACK.get(candidate, candidate)
            if candidate in PAGE_LANGUAGES:
                return candidate
    if accept_language:
        wanted = [part.split(";")[0].strip().split("-")[0] for part in accept_language.split(",")]
        found = negotiate_locale([w for w in wanted if w], list(PAGE_LANGUAGES))
        if found:
            return str(found)
    return "ar"


class Pages:
    def __init__(self) -> None:
        self._envs: dict[str, Environment] = {}
        for lang in PAGE_LANGUAGES:
            env = Environment(
                loader=PackageLoader("identity.web", "templates"),
                autoescape=select_autoescape(default=True),
                extensions=["jinja2.ext.i18n"],
            )
            env.globals["region_name"] = region_name
            env.install_gettext_translations(load_translations(lang), newstyle=True)  # type: ignore[attr-defined]
            self._envs[lang] = env

    def render(self, template: str, lang: str, **context: Any) -> str:
        env = self._envs.get(lang) or self._envs["ar"]
        return env.get_template(template).render(
            lang=lang,
            dir=direction(lang),
            languages=[
                (code, Locale.parse(code).get_display_name(code)) for code in PAGE_LANGUAGES
            ],
            **context,
        )

    def gettext(self, lang: str, message: str) -> str:
        env = self._envs.get(lang) or self._envs["ar"]
        text: str = env.globals["gettext"](message)  # type: ignore[operator]
        return text
