"""Arabic and French text folded alike for search."""

from petitions.textsearch import normalize, search_text, title_text


def test_french_accents_and_case_fold() -> None:
    assert normalize("  Pétition pour l'ÉCOLE  ") == "petition pour l'ecole"


def test_arabic_vowels_hamza_on_alef_and_tatweel_fold() -> None:
    assert normalize("أَمْن") == normalize("امن")
    assert normalize("إصلاح") == "اصلاح"
    assert normalize("آمال") == "امال"
    assert normalize("مــاء") == "ماء"


def test_all_languages_are_indexed() -> None:
    text = search_text({"ar": "الماء", "fr": "Eau"}, {"fr": "Potable"})
    assert "الماء" in text
    assert "eau" in text
    assert "potable" in text
    assert title_text({"fr": "Éducation"}) == "education"


def test_search_words_are_safe_tsquery_terms() -> None:
    from petitions.textsearch import search_words

    assert search_words("École & (Tafraout) | !x:* école") == ["ecole", "tafraout", "x"]
    assert search_words("  الماءُ   الصالح ") == ["الماء", "الصالح"]
    assert search_words("&&& |||") == []
