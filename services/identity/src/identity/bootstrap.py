"""What the identity service builds once per process, and the dependencies that hand it
to endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from identity.accounts.passwords import Passwords
from identity.settings import IdentitySettings
from identity.web.i18n import Pages

__all__ = ["Identity", "IdentityDep", "build_identity"]


@dataclass
class Identity:
    settings: IdentitySettings
    passwords: Passwords
    pages: Pages


def build_identity(settings: IdentitySettings) -> Identity:
    return Identity(
        settings=settings,
        passwords=Passwords(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_cost,
            parallelism=settings.argon2_parallelism,
        ),
        pages=Pages(),
    )


def _identity(request: Request) -> Identity:
    identity: Identity = request.app.state.identity
    return identity


IdentityDep = Annotated[Identity, Depends(_identity)]
