"""The problems this service answers with, each with a stable type and titles in three languages.

Rules refuse with :class:`~petitions.lifecycle.rules.RuleViolation` (a code and a
family); :func:`problem_for` turns it into the RFC 9457 problem the client sees.
The ``title_i18n`` member carries the title in Arabic, French and English, so a
client shows the citizen a sentence in their language without a table of its own.
"""

from __future__ import annotations

from typing import Any, Final

from petitions.lifecycle.rules import RuleViolation
from sawt_shared.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Problem,
    ServiceUnavailable,
)
from sawt_shared.i18n import LocalizedText

__all__ = [
    "TITLES",
    "already_signed",
    "idempotency_key_reused",
    "localized",
    "petition_not_found",
    "problem_for",
    "sign_unavailable",
]

TITLES: Final[dict[str, LocalizedText]] = {
    "petition-not-found": {
        "ar": "العريضة غير موجودة",
        "fr": "Pétition introuvable",
        "en": "Petition not found",
    },
    "channel-not-found": {
        "ar": "القناة غير موجودة",
        "fr": "Canal introuvable",
        "en": "Channel not found",
    },
    "channel-exists": {
        "ar": "القناة موجودة مسبقا",
        "fr": "Ce canal existe déjà",
        "en": "This channel already exists",
    },
    "channel-closed": {
        "ar": "هذه القناة لا تقبل عرائض جديدة",
        "fr": "Ce canal n'accepte plus de pétitions",
        "en": "This channel takes no new petitions",
    },
    "invalid-channel-rules": {
        "ar": "قواعد القناة غير متناسقة",
        "fr": "Les règles du canal sont incohérentes",
        "en": "The channel's rules do not make sense",
    },
    "petition-not-open": {
        "ar": "العريضة ليست مفتوحة للتوقيع",
        "fr": "La pétition n'est pas ouverte aux signatures",
        "en": "The petition is not open for signatures",
    },
    "already-signed": {
        "ar": "لقد وقعت هذه العريضة من قبل",
        "fr": "Vous avez déjà signé cette pétition",
        "en": "You have already signed this petition",
    },
    "not-signed": {
        "ar": "لم توقع هذه العريضة",
        "fr": "Vous n'avez pas signé cette pétition",
        "en": "You have not signed this petition",
    },
    "signer-unknown": {
        "ar": "حسابك غير معروف بعد لدى خدمة العرائض",
        "fr": "Votre compte n'est pas encore connu du service des pétitions",
        "en": "Your account is not known to the petitions service yet",
    },
    "signer-deleted": {
        "ar": "هذا الحساب محذوف",
        "fr": "Ce compte a été supprimé",
        "en": "This account was deleted",
    },
    "assurance-too-low": {
        "ar": "يتطلب التوقيع مستوى تحقق أعلى من هويتك",
        "fr": "Signer demande une vérification plus forte de votre identité",
        "en": "Signing needs a stronger check of your identity",
    },
    "outside-region": {
        "ar": "هذه العريضة مخصصة لسكان جهة أخرى",
        "fr": "Cette pétition est réservée aux habitants d'une autre région",
        "en": "This petition is for the residents of another region",
    },
    "language-missing": {
        "ar": "يجب كتابة العنوان والنص بلغة العريضة",
        "fr": "Le titre et le texte doivent être rédigés dans la langue de la pétition",
        "en": "The title and text must be written in the petition's language",
    },
    "subject-not-receivable": {
        "ar": "هذا الموضوع غير مقبول في هذه القناة",
        "fr": "Ce sujet n'est pas recevable sur ce canal",
        "en": "This subject is not receivable on this channel",
    },
    "region-required": {
        "ar": "يجب تحديد الجهة",
        "fr": "La région doit être indiquée",
        "en": "The region must be given",
    },
    "target-authority-required": {
        "ar": "يجب تحديد الجهة العمومية الموجهة إليها العريضة",
        "fr": "Indiquez l'organisme public destinataire",
        "en": "Name the public body addressed",
    },
    "target-not-public-body": {
        "ar": "الجهة المستهدفة ليست هيئة عمومية موثقة",
        "fr": "Le destinataire n'est pas un organisme public vérifié",
        "en": "The addressee is not a verified public body",
    },
    "not-creator": {
        "ar": "هذا الإجراء خاص بصاحب العريضة",
        "fr": "Seul l'auteur de la pétition peut faire cela",
        "en": "Only the petition's creator may do this",
    },
    "not-editable": {
        "ar": "لا يمكن تعديل العريضة إلا وهي مسودة",
        "fr": "Une pétition ne se modifie qu'à l'état de brouillon",
        "en": "A petition can be edited only as a draft",
    },
    "not-a-draft": {
        "ar": "لا يمكن تقديم إلا المسودة",
        "fr": "Seul un brouillon peut être soumis",
        "en": "Only a draft can be submitted",
    },
    "not-collecting-sponsors": {
        "ar": "العريضة لا تجمع الداعمين حاليا",
        "fr": "La pétition ne recueille pas de soutiens en ce moment",
        "en": "The petition is not collecting sponsors now",
    },
    "creator-cannot-sponsor": {
        "ar": "لا يمكن لصاحب العريضة دعمها",
        "fr": "L'auteur ne peut pas soutenir sa propre pétition",
        "en": "The creator cannot sponsor their own petition",
    },
    "already-sponsored": {
        "ar": "أنت تدعم هذه العريضة من قبل",
        "fr": "Vous soutenez déjà cette pétition",
        "en": "You already sponsor this petition",
    },
    "sponsors-full": {
        "ar": "بلغ عدد الداعمين الحد الأقصى",
        "fr": "Le nombre maximal de soutiens est atteint",
        "en": "The petition has the most sponsors allowed",
    },
    "not-awaiting-moderation": {
        "ar": "العريضة ليست في انتظار المراجعة",
        "fr": "La pétition n'attend pas de modération",
        "en": "The petition is not awaiting moderation",
    },
    "unknown-reason": {
        "ar": "سبب الرفض غير معروف",
        "fr": "Motif de rejet inconnu",
        "en": "Unknown rejection reason",
    },
    "cannot-hide": {
        "ar": "لا يمكن إخفاء هذه العريضة",
        "fr": "Cette pétition ne peut pas être masquée",
        "en": "This petition cannot be hidden",
    },
    "not-due": {
        "ar": "لم يحن موعد إغلاق العريضة",
        "fr": "La pétition n'est pas arrivée à échéance",
        "en": "The petition is not due to close",
    },
    "not-target-authority": {
        "ar": "الجواب خاص بأعضاء الهيئة الموجهة إليها العريضة",
        "fr": "Seuls les membres de l'organisme destinataire peuvent répondre",
        "en": "Only members of the body addressed may respond",
    },
    "not-respondable": {
        "ar": "لا يمكن الجواب على عريضة لم تفتح",
        "fr": "On ne répond qu'à une pétition qui a été ouverte",
        "en": "Only a petition that was opened can be answered",
    },
    "decision-required": {
        "ar": "يجب ذكر قرار القبول",
        "fr": "La décision de recevabilité doit être indiquée",
        "en": "The admissibility decision must be given",
    },
    "decision-not-allowed": {
        "ar": "القرار خاص بجواب القبول",
        "fr": "Seule une réponse de recevabilité porte une décision",
        "en": "Only an admissibility response carries a decision",
    },
    "admissibility-not-applicable": {
        "ar": "هذه القناة لا تتضمن قرار القبول",
        "fr": "Ce canal ne prévoit pas de décision de recevabilité",
        "en": "This channel has no admissibility decision",
    },
    "idempotency-key-reused": {
        "ar": "استُعمل مفتاح التكرار لطلب مختلف",
        "fr": "Cette clé d'idempotence a servi pour une autre requête",
        "en": "This Idempotency-Key was used for a different request",
    },
    "sign-unavailable": {
        "ar": "تعذر تسجيل التوقيع الآن، لم يسجل شيء، أعد المحاولة",
        "fr": "Signature impossible pour l'instant ; rien n'a été enregistré, réessayez",
        "en": "The signature could not be recorded now; nothing was recorded, try again",
    },
    "not-public": {
        "ar": "العريضة غير منشورة",
        "fr": "La pétition n'est pas publique",
        "en": "The petition is not public",
    },
    "petition-hidden": {
        "ar": "أخفى المشرفون هذه العريضة",
        "fr": "Cette pétition a été masquée par la modération",
        "en": "This petition was hidden by the moderators",
    },
    "invalid-cursor": {
        "ar": "مؤشر الصفحة غير صالح",
        "fr": "Curseur de page invalide",
        "en": "The page cursor is not valid",
    },
    "subject-not-uuid": {
        "ar": "رمز الدخول لا يحدد مستخدما",
        "fr": "Le jeton ne désigne pas un utilisateur",
        "en": "The access token does not name a user",
    },
}


def localized(code: str) -> LocalizedText:
    return dict(TITLES.get(code, {}))


def _with_i18n(code: str) -> dict[str, Any]:
    titles = TITLES.get(code)
    return {"title_i18n": dict(titles)} if titles else {}


def problem_for(violation: RuleViolation) -> Problem:
    """The problem document of a rule's refusal."""
    cls: type[Problem] = {
        "conflict": Conflict,
        "forbidden": Forbidden,
        "invalid": InvalidInput,
        "not_found": NotFound,
    }[violation.kind]
    title = TITLES.get(violation.code, {}).get("en")
    return cls(
        violation.detail, type_slug=violation.code, title=title, **_with_i18n(violation.code)
    )


def petition_not_found() -> NotFound:
    return NotFound(
        "No petition with this id (or it is not public).",
        type_slug="petition-not-found",
        title=TITLES["petition-not-found"]["en"],
        **_with_i18n("petition-not-found"),
    )


def already_signed() -> Conflict:
    return Conflict(
        "You have already signed this petition; a signature counts once.",
        type_slug="already-signed",
        title=TITLES["already-signed"]["en"],
        **_with_i18n("already-signed"),
    )


def idempotency_key_reused() -> InvalidInput:
    return InvalidInput(
        "This Idempotency-Key was first used for a different request; use a new key.",
        type_slug="idempotency-key-reused",
        title=TITLES["idempotency-key-reused"]["en"],
        **_with_i18n("idempotency-key-reused"),
    )


def sign_unavailable(detail: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        detail,
        type_slug="sign-unavailable",
        title=TITLES["sign-unavailable"]["en"],
        headers={"Retry-After": "1"},
        **_with_i18n("sign-unavailable"),
    )


def coded(cls: type[Problem], code: str, detail: str) -> Problem:
    """A problem of class ``cls`` with the stable slug ``code`` and its titles."""
    return cls(detail, type_slug=code, title=TITLES.get(code, {}).get("en"), **_with_i18n(code))
