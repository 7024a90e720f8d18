"""The four channels Sawt starts with. They are data: an admin edits them through the API.

The figures of law (4,000 signatures for a petition to the Head of Government,
20,000 and a committee of at least five for a legislative motion) come from the
organic laws 44-14 and 64-14 as amended by 71-21; the durations, response delays and
the small local threshold are starting values for an admin to adjust.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LAW_EXCLUSIONS = [
    "religion",
    "territorial-integrity",
    "monarchy",
    "national-defence",
    "pending-court-case",
    "personal-matter",
]

CHANNELS: list[dict[str, Any]] = [
    {
        "slug": "national-petition",
        "name": {
            "ar": "عريضة وطنية",
            "fr": "Pétition nationale",
            "en": "National petition",
        },
        "description": {
            "ar": "عريضة موجهة إلى رئيس الحكومة. تصبح مقبولة عند بلوغ 4000 توقيع صحيح.",
            "fr": "Pétition adressée au Chef du gouvernement, recevable à 4 000 signatures valides.",
            "en": "A petition to the Head of Government, receivable at 4,000 valid signatures.",
        },
        "authority": {
            "ar": "رئيس الحكومة",
            "fr": "Chef du gouvernement",
            "en": "Head of Government",
        },
        "min_sponsors": 0,
        "max_sponsors": 20,
        "duration_days": 365,
        "signer_assurance": "eid",
        "region_restricted": False,
        "excluded_subjects": _LAW_EXCLUSIONS,
        "thresholds": [
            {
                "name": "receivable",
                "signatures": 4000,
                "triggers": "response",
                "response_days": 60,
                "label": {
                    "ar": "مقبولة: على رئيس الحكومة أن يجيب",
                    "fr": "Recevable : le Chef du gouvernement doit répondre",
                    "en": "Receivable: the Head of Government must respond",
                },
            }
        ],
    },
    {
        "slug": "legislative-motion",
        "name": {
            "ar": "ملتمس في مجال التشريع",
            "fr": "Motion législative",
            "en": "Legislative motion",
        },
        "description": {
            "ar": "ملتمس موجه إلى أحد مجلسي البرلمان، تقدمه لجنة من خمسة مواطنين على الأقل، ويتطلب 20000 توقيع.",
            "fr": "Motion adressée à une chambre du Parlement, portée par un comité d'au moins cinq citoyens ; 20 000 signatures.",
            "en": "A motion to a house of Parliament, carried by a committee of at least five citizens; 20,000 signatures.",
        },
        "authority": {
            "ar": "مجلس النواب أو مجلس المستشارين",
            "fr": "Chambre des représentants ou Chambre des conseillers",
            "en": "House of Representatives or House of Councillors",
        },
        "min_sponsors": 5,
        "max_sponsors": 20,
        "duration_days": 365,
        "signer_assurance": "eid",
        "region_restricted": False,
        "excluded_subjects": _LAW_EXCLUSIONS,
        "thresholds": [
            {
                "name": "admissibility",
                "signatures": 20000,
                "triggers": "admissibility",
                "response_days": 60,
                "label": {
                    "ar": "عدد التوقيعات مكتمل: ينتظر قرار القبول",
                    "fr": "Signatures réunies : décision de recevabilité attendue",
                    "en": "Signatures gathered: admissibility decision due",
                },
            }
        ],
    },
    {
        "slug": "local-petition",
        "name": {"ar": "عريضة محلية", "fr": "Pétition locale", "en": "Local petition"},
        "description": {
            "ar": "عريضة موجهة إلى مجلس جماعة أو جهة؛ لا يوقعها إلا المقيمون في الجهة.",
            "fr": "Pétition adressée au conseil d'une commune ou d'une région ; seuls ses habitants la signent.",
            "en": "A petition to a commune or region council; only people living in the region sign it.",
        },
        "authority": {
            "ar": "مجلس الجماعة أو الجهة",
            "fr": "Conseil de la commune ou de la région",
            "en": "Commune or region council",
        },
        "min_sponsors": 0,
        "max_sponsors": 20,
        "duration_days": 90,
        "signer_assurance": "email",
        "region_restricted": True,
        "excluded_subjects": _LAW_EXCLUSIONS,
        "thresholds": [
            {
                "name": "council-agenda",
                "signatures": 300,
                "triggers": "response",
                "response_days": 90,
                "label": {
                    "ar": "يجب أن يجيب المجلس",
                    "fr": "Le conseil doit répondre",
                    "en": "The council must respond",
                },
            }
        ],
    },
    {
        "slug": "open-petition",
        "name": {"ar": "عريضة مفتوحة", "fr": "Pétition ouverte", "en": "Open petition"},
        "description": {
            "ar": "خمسة داعمين قبل المراجعة، ستة أشهر لجمع التوقيعات، جواب الحكومة عند 10000 توقيع، والنظر في مناقشتها عند 100000.",
            "fr": "Cinq soutiens avant modération, six mois de signatures, réponse du gouvernement à 10 000 et examen pour un débat à 100 000.",
            "en": "Five supporters before moderation, six months of signatures, a government response at 10,000 and consideration for debate at 100,000.",
        },
        "authority": {"ar": "الحكومة", "fr": "Le gouvernement", "en": "The government"},
        "min_sponsors": 5,
        "max_sponsors": 20,
        "duration_days": 182,
        "signer_assurance": "email",
        "region_restricted": False,
        "excluded_subjects": ["personal-matter", "pending-court-case"],
        "thresholds": [
            {
                "name": "government-response",
                "signatures": 10000,
                "triggers": "response",
                "response_days": 30,
                "label": {
                    "ar": "ستجيب الحكومة",
                    "fr": "Le gouvernement répondra",
                    "en": "The government will respond",
                },
            },
            {
                "name": "debate",
                "signatures": 100000,
                "triggers": "debate",
                "response_days": 90,
                "label": {
                    "ar": "ستنظر اللجنة في مناقشتها",
                    "fr": "Un débat sera envisagé",
                    "en": "Will be considered for debate",
                },
            },
        ],
    },
]

_INSERT = sa.text(
    "INSERT INTO channels (slug, name, description, authority, min_sponsors, max_sponsors,"
    " duration_days, thresholds, signer_assurance, region_restricted, excluded_subjects)"
    " VALUES (:slug, CAST(:name AS jsonb), CAST(:description AS jsonb),"
    " CAST(:authority AS jsonb), :min_sponsors, :max_sponsors, :duration_days,"
    " CAST(:thresholds AS jsonb), :signer_assurance, :region_restricted,"
    " CAST(:excluded_subjects AS jsonb))"
    " ON CONFLICT (slug) DO NOTHING"
)


def upgrade() -> None:
    for channel in CHANNELS:
        params = dict(channel)
        for key in ("name", "description", "authority", "thresholds", "excluded_subjects"):
            params[key] = json.dumps(channel[key], ensure_ascii=False)
        op.get_bind().execute(_INSERT, params)


def downgrade() -> None:
    op.execute(
        "DELETE FROM channels WHERE slug IN "
        "('national-petition', 'legislative-motion', 'local-petition', 'open-petition')"
    )
