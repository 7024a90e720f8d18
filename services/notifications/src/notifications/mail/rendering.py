"""Messages rendered in the reader's language: a subject, a plain-text part and an HTML part.

Each message kind has two Jinja2 templates in ``templates/``: ``<kind>.txt`` (which
also holds the subject, in a ``subject`` block) and ``<kind>.html``. One Jinja
environment per language has that language's gettext catalog installed, so
``{{ _("…") }}`` in a template is the translated sentence. HTML is autoescaped; the
HTML part of an Arabic message is ``dir="rtl"``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from notifications.mail.i18n import (
    format_day,
    format_moment,
    format_number,
    mail_language,
    text_direction,
    translations,
)
from notifications.messages.rules import MESSAGE_TEMPLATES

__all__ = ["CATEGORY_LABELS", "MailRenderer", "RenderedMail", "pick_text"]


def N_(message: str) -> str:
    return message


REJECTION_REASONS: Final = {
    "duplicate": N_("a similar petition already exists"),
    "offensive": N_("it contains offensive or abusive content"),
    "out_of_scope": N_("its subject is outside what this channel can receive"),
    "not_receivable": N_("it does not meet the conditions for a petition to be received"),
    "unclear": N_("its request is not clear enough"),
    "other": N_("another reason, explained below"),
}
CATEGORY_LABELS: Final = {
    "account": N_("Account security"),
    "signature_receipts": N_("Signature receipts"),
    "my_petitions": N_("News of my petitions"),
    "petition_updates": N_("News of petitions I signed"),
    "sponsor_requests": N_("Sponsor requests"),
    "invitations": N_("Organisation invitations"),
}
ROLES: Final = {
    "owner": N_("owner"),
    "editor": N_("editor"),
    "viewer": N_("viewer"),
}


def pick_text(texts: Mapping[str, str] | None, language: str) -> str:
    """The text in ``language`` if there is one, else in Arabic, French, English, any."""
    if not texts:
        return ""
    for candidate in (language, "ar", "fr", "en"):
        if texts.get(candidate):
            return texts[candidate]
    return next(iter(texts.values()), "")


@dataclass(frozen=True)
class RenderedMail:
    language: str
    subject: str
    text: str
    html: str


class MailRenderer:
    """Renders message kinds in a language. ``web_base_url`` makes links to petitions."""

    def __init__(self, web_base_url: str) -> None:
        self.web_base_url = web_base_url.rstrip("/")

    @functools.cached_property
    def _environments(self) -> dict[str, Environment]:
        envs = {}
        for language in ("ar", "fr", "en"):
            env = Environment(
                loader=PackageLoader("notifications.mail", "templates"),
                autoescape=select_autoescape(["html"]),
                extensions=["jinja2.ext.i18n"],
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=True,
            )
            env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
            envs[language] = env
        return envs

    def petition_url(self, petition_id: str, language: str) -> str:
        return f"{self.web_base_url}/{language}/petitions/{petition_id}"

    def context(
        self, kind: str, language: str, params: Mapping[str, Any], display_name: str
    ) -> dict[str, Any]:
        """What the templates of ``kind`` see: parameters localised and formatted."""
        gettext = translations(language).gettext
        direction = text_direction(language)
        petition_id = params.get("petition_id")
        return {
            "kind": kind,
            "lang": language,
            "dir": direction,
            "align": "right" if direction == "rtl" else "left",
            "display_name": display_name,
            "web_base_url": self.web_base_url,
            "unsubscribe_url": None,
            "title": pick_text(params.get("title"), language),
            "petition_url": self.petition_url(petition_id, language) if petition_id else "",
            "link": params.get("link", ""),
            "code": params.get("code", ""),
            "expires": format_moment(params.get("expires_at"), language),
            "signed": format_moment(params.get("signed_at"), language),
            "closes": format_day(params.get("closes_at"), language),
            "due": format_day(params.get("response_due_at"), language),
            "receipt": str(params.get("signature_id", "")).split("-")[0].upper(),
            "wants_updates": bool(params.get("wants_updates")),
            "signatures": format_number(int(params.get("signatures") or 0), language),
            "required": format_number(int(params.get("required") or 0), language),
            "role": params.get("role", ""),
            "response_kind": params.get("response_kind", ""),
            "summary": pick_text(params.get("summary"), language),
            "reason_text": gettext(REJECTION_REASONS.get(params.get("reason", ""), "")) or "",
            "explanation": params.get("explanation") or "",
            "organization": params.get("organization_name", ""),
            "role_text": gettext(ROLES.get(params.get("role", ""), "")) or "",
        }

    def subject(self, kind: str, language: str, params: Mapping[str, Any]) -> str:
        """Only the subject (the in-app feed shows it as the item's title)."""
        language = mail_language(language)
        env = self._environments[language]
        template = env.get_template(f"{MESSAGE_TEMPLATES[kind]}.txt")
        ctx = template.new_context(self.context(kind, language, params, ""))
        return "".join(template.blocks["subject"](ctx)).strip()

    def render(
        self,
        kind: str,
        language: str | None,
        params: Mapping[str, Any],
        *,
        display_name: str = "",
        unsubscribe_url: str | None = None,
    ) -> RenderedMail:
        lang = mail_language(language)
        env = self._environments[lang]
        name = MESSAGE_TEMPLATES[kind]
        ctx = self.context(kind, lang, params, display_name)
        ctx["unsubscribe_url"] = unsubscribe_url
        text_template = env.get_template(f"{name}.txt")
        subject = "".join(text_template.blocks["subject"](text_template.new_context(ctx))).strip()
        ctx["subject"] = subject
        text = text_template.render(ctx)
        html = env.get_template(f"{name}.html").render(ctx)
        return RenderedMail(language=lang, subject=subject, text=_tidy(text), html=html)

    def category_label(self, category: str, language: str | None) -> str:
        label = CATEGORY_LABELS.get(category, category)
        return translations(mail_language(language)).gettext(label)

    def unsubscribe_page(
        self, language: str | None, *, state: str, category: str = "", action: str = ""
    ) -> str:
        """The page behind an unsubscribe link: ``confirm`` (a POST button), ``done`` or ``invalid``."""
        lang = mail_language(language)
        return (
            self._environments[lang]
            .get_template("unsubscribe.html")
            .render(
                lang=lang,
                dir=text_direction(lang),
                state=state,
                category=self.category_label(category, lang) if category else "",
                action=action,
            )
        )


def _tidy(text: str) -> str:
    """Plain text without runs of blank lines or trailing spaces."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out) + "\n"
