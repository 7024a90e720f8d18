"""People and organisations as the petitions rules see them (values, no I/O)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

__all__ = ["Citizen", "Organization", "Responder"]


@dataclass(frozen=True)
class Citizen:
    """A user as the read model knows them: where they live and how sure we are of them."""

    user_id: uuid.UUID
    region: str | None
    assurance: str
    display_name: str | None = None
    deleted: bool = False


@dataclass(frozen=True)
class Organization:
    organization_id: uuid.UUID
    name: str
    kind: str
    verified: bool

    @property
    def is_verified_public_body(self) -> bool:
        return self.verified and self.kind == "public_body"


@dataclass(frozen=True)
class Responder:
    """Someone who may speak for organisations: the ones where they are owner or editor."""

    user_id: uuid.UUID
    organizations: frozenset[uuid.UUID] = field(default_factory=frozenset)

    def speaks_for(self, organization_id: uuid.UUID | None) -> bool:
        return organization_id is not None and organization_id in self.organizations
