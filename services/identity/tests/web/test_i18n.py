"""Page texts and redirects, without I/O."""

from __future__ import annotations

from importlib import resources

from babel.messages.extract import extract_from_dir

from identity.web.endpoints import safe_next
from identity.web.i18n import Pages, choose_language, load_translations

#: Texts that are the same in the language as in English.
IDENTICAL = {"fr": ("Sawt", "Code")}


def test_safe_next_keeps_only_local_paths() -> None:
    assert safe_next("/oauth2/authorize?x=1") == "/oauth2/authorize?x=1"
    for bad in ("https://evil.test", "//evil.test", "/\\evil.test", "", None, "javascript:x"):
        assert safe_next(bad) == "/"


def test_every_page_text_is_translated_in_arabic_and_french() -> None:
    folder = str(resources.files("identity.web").joinpath("templates"))
    ids = {
        msg
        for _, _, msg, _, _ in extract_from_dir(
            folder,
            method_map=[("**.html", "jinja2")],
            options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
        )
    }
    assert ids
    for lang in ("ar", "fr"):
        catalog = load_translations(lang)
        missing = sorted(
            m
            for m in ids
            if isinstance(m, str) and catalog.gettext(m) == m and m not in IDENTICAL.get(lang, ())
        )
        assert missing == [], f"{lang}: {missing}"
    Pages()  # every catalog compiles


def test_region_names_exist_in_every_page_language() -> None:
    from identity.settings import MOROCCO_REGIONS
    from identity.web.regions import REGION_NAMES

    for slug in MOROCCO_REGIONS:
        assert set(REGION_NAMES[slug]) == {"ar", "fr", "en"}
    html = Pages().render(
        "register.html",
        "ar",
        regions=list(MOROCCO_REGIONS),
        error=None,
        values={},
        csrf_field="csrf_token",
        csrf_token="x",
        lang_urls={"ar": "", "fr": "", "en": ""},
    )
    assert "سوس - ماسة" in html


def test_the_page_language_follows_lang_then_ui_locales_then_the_user() -> None:
    assert choose_language(None, None, None) == "ar"
    assert choose_language(None, None, None, hinted="fr-FR en") == "fr"
    assert choose_language(None, None, None, hinted="de en") == "en"  # first one we speak
    assert choose_language(None, "fr", "fr", hinted="zgh fr") == "ar"  # Tamazight: Arabic
    assert choose_language("en", "fr", None, hinted="ar") == "en"  # the reader's own click
    assert choose_language(None, "en", "fr", hinted="ar-MA") == "ar"  # the client's hint
    assert choose_language(None, "en", "fr", hinted="de") == "en"  # unknown: the user's
