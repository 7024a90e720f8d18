"""Names of Morocco's twelve regions in Arabic, French and English, for the pages.

A configured region without a name here is shown as its slug."""

from __future__ import annotations

__all__ = ["REGION_NAMES", "region_name"]

REGION_NAMES: dict[str, dict[str, str]] = {
    "tanger-tetouan-al-hoceima": {
        "ar": "طنجة - تطوان - الحسيمة",
        "fr": "Tanger-Tétouan-Al Hoceïma",
        "en": "Tangier-Tetouan-Al Hoceima",
    },
    "oriental": {"ar": "الشرق", "fr": "L'Oriental", "en": "Oriental"},
    "fes-meknes": {"ar": "فاس - مكناس", "fr": "Fès-Meknès", "en": "Fez-Meknes"},
    "rabat-sale-kenitra": {
        "ar": "الرباط - سلا - القنيطرة",
        "fr": "Rabat-Salé-Kénitra",
        "en": "Rabat-Sale-Kenitra",
    },
    "beni-mellal-khenifra": {
        "ar": "بني ملال - خنيفرة",
        "fr": "Béni Mellal-Khénifra",
        "en": "Beni Mellal-Khenifra",
    },
    "casablanca-settat": {
        "ar": "الدار البيضاء - سطات",
        "fr": "Casablanca-Settat",
        "en": "Casablanca-Settat",
    },
    "marrakech-safi": {"ar": "مراكش - آسفي", "fr": "Marrakech-Safi", "en": "Marrakesh-Safi"},
    "draa-tafilalet": {"ar": "درعة - تافيلالت", "fr": "Drâa-Tafilalet", "en": "Draa-Tafilalet"},
    "souss-massa": {"ar": "سوس - ماسة", "fr": "Souss-Massa", "en": "Souss-Massa"},
    "guelmim-oued-noun": {
        "ar": "كلميم - واد نون",
        "fr": "Guelmim-Oued Noun",
        "en": "Guelmim-Oued Noun",
    },
    "laayoune-sakia-el-hamra": {
        "ar": "العيون - الساقية الحمراء",
        "fr": "Laâyoune-Sakia El Hamra",
        "en": "Laayoune-Sakia El Hamra",
    },
    "dakhla-oued-ed-dahab": {
        "ar": "الداخلة - وادي الذهب",
        "fr": "Dakhla-Oued Ed-Dahab",
        "en": "Dakhla-Oued Ed-Dahab",
    },
}


def region_name(slug: str, lang: str) -> str:
    return REGION_NAMES.get(slug, {}).get(lang, slug)
