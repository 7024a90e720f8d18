"""Categories of messages: what a user may switch off, and what they may not."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

__all__ = ["ADDRESSED_CATEGORIES", "TRANSACTIONAL", "Category", "in_feed", "may_switch_off"]


class Category(StrEnum):
    """Every message belongs to one category; preferences are kept per category."""

    ACCOUNT = "account"
    """Email verification, email change, password reset: transactional, always sent."""
    SIGNATURE_RECEIPTS = "signature_receipts"
    """The receipt of one's own signature."""
    MY_PETITIONS = "my_petitions"
    """To a creator: published, rejected, threshold reached, response, closed."""
    PETITION_UPDATES = "petition_updates"
    """To signers who asked to hear of a petition: thresholds, the response, closing."""
    SPONSOR_REQUESTS = "sponsor_requests"
    """To the people a creator names as sponsors (addresses, not necessarily users)."""
    INVITATIONS = "invitations"
    """Invitations to join an organisation (addresses, not necessarily users)."""


#: Mail a user cannot switch off: it answers something they just asked for.
TRANSACTIONAL: Final = frozenset({Category.ACCOUNT})

#: Categories sent to an address an event names, who may not be a user at all.
ADDRESSED_CATEGORIES: Final = frozenset({Category.SPONSOR_REQUESTS, Category.INVITATIONS})


def may_switch_off(category: Category) -> bool:
    """Whether a user may stop receiving ``category``."""
    return category not in TRANSACTIONAL


def in_feed(category: Category) -> bool:
    """Whether messages of ``category`` also appear in the user's in-app feed."""
    return category not in TRANSACTIONAL and category not in ADDRESSED_CATEGORIES
