"""Accounts: registration, email verification, login, password reset, email change,
profile, export and deletion. Every change writes its events to the outbox in the
caller's transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
from email_validator import EmailNotValidError, validate_email
from limits import parse as parse_limit

from identity.accounts.passwords import PasswordPolicy, Passwords, password_problems
from identity.accounts.repository import AccountRepository, User, normalize_email
from identity.settings import IdentitySettings
from identity.tokens import hash_secret, keyed_hash, new_code, new_secret, same_hash
from sawt_shared.db import Connection
from sawt_shared.errors import Conflict, Gone, InvalidInput, NotFound, TooManyRequests, Unauthorized
from sawt_shared.events.identity import (
    EmailChangeRequested,
    EmailVerificationRequested,
    OrganizationMemberRemoved,
    PasswordResetRequested,
    UserAssuranceRaised,
    UserDeleted,
    UserEmailVerified,
    UserProfileUpdated,
    UserRegistered,
)
from sawt_shared.outbox import Outbox
from sawt_shared.ratelimit import RateLimiter

__all__ = ["AccountService", "LoginResult", "check_email", "invalid_credentials"]

LANGUAGES = ("ar", "fr", "en", "zgh")


def invalid_credentials() -> Unauthorized:
    return Unauthorized(
        "The email or password is not right.",
        type_slug="invalid-credentials",
        title="Wrong email or password",
        headers={"WWW-Authenticate": 'Bearer realm="sawt"'},
    )


def check_email(email: str) -> str:
    """The email, normalised for display, or 422 ``invalid-email``."""
    try:
        return str(validate_email(email, check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise InvalidInput(
            str(exc), type_slug="invalid-email", title="Not an email address"
        ) from None


@dataclass(frozen=True)
class LoginResult:
    user: User
    session_token: str
    session_id: uuid.UUID


class AccountService:
    def __init__(
        self,
        conn: Connection,
        settings: IdentitySettings,
        outbox: Outbox,
        passwords: Passwords,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.conn = conn
        self.repo = AccountRepository(conn)
        self.settings = settings
        self.outbox = outbox
        self.passwords = passwords
        self.limiter = limiter
        self.policy = PasswordPolicy(min_length=settings.password_min_length)

    # ---- helpers ---------------------------------------------------------------

    def _link(self, path: str, **params: str) -> str:
        """A link for a message; ``lang`` opens the page in the reader's language."""
        return f"{self.settings.issuer.rstrip('/')}{path}?{urlencode(params)}"

    def _check_password(self, password: str, email: str = "") -> None:
        problems = password_problems(password, self.policy, email=email)
        if problems:
            raise InvalidInput(
                "This password cannot be used: " + ", ".join(problems) + ".",
                type_slug="weak-password",
                title="The password is too weak",
                reasons=problems,
                min_length=self.policy.min_length,
            )

    def _check_profile(self, language: str | None, region: str | None) -> None:
        if language is not None and language not in LANGUAGES:
            raise InvalidInput(f"Unknown language {language!r}.", type_slug="invalid-language")
        if region is not None and region not in self.settings.regions:
            raise InvalidInput(
                f"Unknown region {region!r}.",
                type_slug="invalid-region",
                regions=list(self.settings.regions),
            )

    async def _hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self.passwords.hash, password)

    async def _verify(self, stored: str | None, password: str) -> bool:
        return await anyio.to_thread.run_sync(self.passwords.verify, stored, password)

    async def user(self, user_id: uuid.UUID) -> User:
        user = await self.repo.get(user_id)
        if user is None or not user.active:
            raise NotFound("No such user.", type_slug="user-not-found")
        return user

    async def _send_verification(self, user: User, email: str, purpose: str) -> None:
        now = datetime.now(UTC)
        token, code = new_secret(), new_code()
        expires = now + timedelta(seconds=self.settings.email_token_ttl)
        token_id = await self.repo.add_token(
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_secret(token),
            code_hash=None,
            expires_at=expires,
            new_email=email if purpose == "change_email" else None,
        )
        await self.conn.execute(
            "UPDATE user_tokens SET code_hash = $2 WHERE id = $1",
            token_id,
            keyed_hash(self.settings.secret_key, str(token_id), code),
        )
        if purpose == "verify_email":
            await self.outbox.add(
                self.conn,
                EmailVerificationRequested(
                    user_id=user.id,
                    email=email,
                    display_name=user.display_name,
                    language=user.language,
                    link=self._link("/verify-email", token=token, lang=user.language),
                    code=code,
                    expires_at=expires,
                ),
            )
        else:
            await self.outbox.add(
                self.conn,
                EmailChangeRequested(
                    user_id=user.id,
                    new_email=email,
                    display_name=user.display_name,
                    language=user.language,
                    link=self._link("/confirm-email", token=token, lang=user.language),
                    code=code,
                    expires_at=expires,
                ),
            )

    # ---- registration and verification ------------------------------------------

    async def register(
        self, *, email: str, password: str, display_name: str, language: str, region: str
    ) -> uuid.UUID | None:
        """Register an account. Returns the new id, or ``None`` when the email is taken:
        the caller answers the same either way, so registration does not reveal who
        has an account."""
        email = check_email(email)
        self._check_profile(language, region)
        display_name = display_name.strip()
        if not 1 <= len(display_name) <= 100:
            raise InvalidInput("A display name has 1 to 100 characters.", type_slug="invalid-name")
        self._check_password(password, email)
        password_hash = await self._hash(password)
        user_id = uuid.uuid4()
        created = await self.repo.insert(
            user_id=user_id,
            email=email,
            password_hash=password_hash,
            display_name=display_name,
            language=language,
            region=region,
        )
        if not created:
            return None
        user = await self.user(user_id)
        await self.outbox.add(
            self.conn,
            UserRegistered(
                user_id=user_id,
                email=email,
                display_name=display_name,
                language=language,
                region=region,
            ),
        )
        await self._send_verification(user, email, "verify_email")
        return user_id

    async def resend_verification(self, user: User) -> None:
        if user.email is None:
            return
        if user.email_verified_at is not None:
            raise Conflict("The email is already verified.", type_slug="already-verified")
        await self._send_verification(user, user.email, "verify_email")

    async def confirm_email(
        self, *, token: str | None = None, email: str | None = None, code: str | None = None
    ) -> User:
        """Confirm an address (verification or change) by the link's token or by the code."""
        now = datetime.now(UTC)
        if token:
            row = await self.repo.token_by_hash(
                hash_secret(token), ["verify_email", "change_email"]
            )
        elif email and code:
            row = await self.repo.open_token_for_code(email, "verify_email")
            if row is None:
                row = await self.repo.open_token_for_code(email, "change_email")
            if row is not None:
                expected = keyed_hash(self.settings.secret_key, str(row["id"]), code.strip())
                if not same_hash(row["code_hash"], expected):
                    tries = row["attempts"] + 1
                    await self.repo.count_code_attempt(
                        row["id"], void=tries >= self.settings.code_attempts
                    )
                    row = None
        else:
            raise InvalidInput(
                "Send the token from the link, or the email and the code.",
                type_slug="missing-confirmation",
            )
        if row is None or row["used_at"] is not None or row["expires_at"] <= now:
            raise Gone(
                "This confirmation is not valid: it is wrong, used or expired.",
                type_slug="confirmation-invalid",
                title="Invalid or expired confirmation",
            )
        user = await self.user(row["user_id"])
        await self.repo.use_token(row["id"], now)
        if row["purpose"] == "verify_email":
            if user.email_verified_at is None:
                await self.repo.mark_email_verified(user.id, now)
                await self._verified_events(user, str(user.email))
        else:
            new_email = str(row["new_email"])
            if not await self.repo.change_email(user.id, new_email, now):
                raise Conflict(
                    "This email is now used by another account.", type_slug="email-taken"
                )
            await self._verified_events(user, new_email)
            updated = await self.user(user.id)
            await self.outbox.add(self.conn, _profile_event(updated))
        return await self.user(user.id)

    async def _verified_events(self, before: User, email: str) -> None:
        await self.outbox.add(self.conn, UserEmailVerified(user_id=before.id, email=email))
        if before.assurance == "none":
            await self.outbox.add(
                self.conn, UserAssuranceRaised(user_id=before.id, assurance="email")
            )

    # ---- login -----------------------------------------------------------------

    async def login(self, email: str, password: str, ip: str) -> LoginResult:
        """Check the password and open a session, within the brute-force limits.

        Unknown emails cost one argon2 verification too, and answer exactly as a wrong
        password does; the per-account counter is keyed by the email as typed
        (normalised), known or not."""
        assert self.limiter is not None
        key = normalize_email(email)
        await self.limiter.hit(self.settings.login_ip_limit, "login-ip", ip, what="login attempts")
        account_limit = parse_limit(self.settings.login_account_limit)
        if not await self.limiter.test(account_limit, "login-account", key):
            raise TooManyRequests(
                account_limit.get_expiry(),
                "Too many failed logins for this account; wait before trying again.",
                type_slug="login-locked",
            )
        user = await self.repo.by_email(key)
        ok = await self._verify(user.password_hash if user else None, password)
        if not ok or user is None:
            await self.limiter.hit(account_limit, "login-account", key, what="failed logins")
            raise invalid_credentials()
        await self.limiter.clear(account_limit, "login-account", key)
        if user.password_hash and self.passwords.needs_rehash(user.password_hash):
            await self.repo.set_password(user.id, await self._hash(password))
        token, session_id = await self.open_session(user.id, ["pwd"])
        return LoginResult(user, token, session_id)

    async def open_session(self, user_id: uuid.UUID, amr: list[str]) -> tuple[str, uuid.UUID]:
        now = datetime.now(UTC)
        token = new_secret()
        session_id = await self.repo.add_session(
            token_hash=hash_secret(token),
            user_id=user_id,
            amr=amr,
            auth_time=now,
            expires_at=now + timedelta(seconds=self.settings.session_ttl),
        )
        return token, session_id

    async def logout(self, session_token: str) -> None:
        await self.repo.delete_session(hash_secret(session_token))

    # ---- password reset --------------------------------------------------------

    async def request_password_reset(self, email: str) -> None:
        """Send a reset link if the account exists; the answer is the same if not."""
        user = await self.repo.by_email(email)
        if user is None or user.email is None:
            return
        now = datetime.now(UTC)
        token = new_secret()
        expires = now + timedelta(seconds=self.settings.reset_token_ttl)
        await self.repo.add_token(
            user_id=user.id,
            purpose="reset_password",
            token_hash=hash_secret(token),
            code_hash=None,
            expires_at=expires,
        )
        await self.outbox.add(
            self.conn,
            PasswordResetRequested(
                user_id=user.id,
                email=user.email,
                display_name=user.display_name,
                language=user.language,
                link=self._link("/reset-password", token=token, lang=user.language),
                expires_at=expires,
            ),
        )

    async def check_reset_token(self, token: str) -> User:
        row = await self.repo.token_by_hash(hash_secret(token), ["reset_password"])
        if row is None or row["used_at"] is not None or row["expires_at"] <= datetime.now(UTC):
            raise Gone(
                "This reset link is not valid: it is wrong, used or expired.",
                type_slug="reset-invalid",
                title="Invalid or expired reset link",
            )
        return await self.user(row["user_id"])

    async def reset_password(self, token: str, new_password: str) -> User:
        user = await self.check_reset_token(token)
        self._check_password(new_password, user.email or "")
        row = await self.repo.token_by_hash(hash_secret(token), ["reset_password"])
        assert row is not None
        await self.repo.use_token(row["id"], datetime.now(UTC))
        await self.repo.set_password(user.id, await self._hash(new_password))
        await self.repo.void_tokens(user.id, "reset_password")
        await self.repo.delete_sessions(user.id)
        await self.conn.execute(
            "UPDATE oauth_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
            user.id,
        )
        return user

    async def change_password(self, user: User, current: str, new_password: str) -> None:
        if not await self._verify(user.password_hash, current):
            raise invalid_credentials()
        self._check_password(new_password, user.email or "")
        await self.repo.set_password(user.id, await self._hash(new_password))

    # ---- profile, email change -------------------------------------------------

    async def update_profile(self, user: User, changes: dict[str, Any]) -> User:
        self._check_profile(changes.get("language"), changes.get("region"))
        if "display_name" in changes:
            changes["display_name"] = str(changes["display_name"]).strip()
            if not 1 <= len(changes["display_name"]) <= 100:
                raise InvalidInput(
                    "A display name has 1 to 100 characters.", type_slug="invalid-name"
                )
        if not changes:
            return user
        await self.repo.update_profile(user.id, changes)
        updated = await self.user(user.id)
        await self.outbox.add(self.conn, _profile_event(updated))
        return updated

    async def request_email_change(self, user: User, new_email: str, password: str) -> None:
        new_email = check_email(new_email)
        if not await self._verify(user.password_hash, password):
            raise invalid_credentials()
        if await self.repo.by_email(new_email) is not None:
            raise Conflict("This email is used by another account.", type_slug="email-taken")
        await self._send_verification(user, new_email, "change_email")

    # ---- export and deletion ---------------------------------------------------

    async def export(self, user: User) -> dict[str, Any]:
        rows = await self.repo.export_rows(user.id)
        return {
            "exported_at": datetime.now(UTC),
            "account": {
                "id": user.id,
                "email": user.email,
                "email_verified_at": user.email_verified_at,
                "display_name": user.display_name,
                "language": user.language,
                "region": user.region,
                "assurance": user.assurance,
                "roles": list(user.roles),
                "eid_linked": user.has_eid,
                "eid_verified_at": user.eid_verified_at,
                "created_at": user.created_at,
                "updated_at": user.updated_at,
            },
            **rows,
        }

    async def delete(self, user: User, password: str) -> None:
        if not await self._verify(user.password_hash, password):
            raise invalid_credentials()
        sole = await self.conn.fetch(
            "SELECT m.organization_id FROM memberships m WHERE m.user_id = $1 AND m.role = 'owner'"
            " AND NOT EXISTS (SELECT 1 FROM memberships o WHERE o.organization_id ="
            " m.organization_id AND o.role = 'owner' AND o.user_id <> $1)"
            " AND EXISTS (SELECT 1 FROM memberships o WHERE o.organization_id ="
            " m.organization_id AND o.user_id <> $1)",
            user.id,
        )
        if sole:
            raise Conflict(
                "You are the only owner of an organisation with other members: make "
                "another member owner first.",
                type_slug="sole-owner",
                organization_ids=[str(r["organization_id"]) for r in sole],
            )
        now = datetime.now(UTC)
        left = await self.conn.fetch(
            "DELETE FROM memberships WHERE user_id = $1 RETURNING organization_id", user.id
        )
        for row in left:
            await self.outbox.add(
                self.conn,
                OrganizationMemberRemoved(organization_id=row["organization_id"], user_id=user.id),
            )
        await self.conn.execute(
            "UPDATE oauth_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
            user.id,
            now,
        )
        await self.conn.execute("DELETE FROM consents WHERE user_id = $1", user.id)
        await self.repo.anonymise(user.id, now)
        await self.conn.execute(
            "INSERT INTO audit_log (actor_id, action, object_type, object_id)"
            " VALUES ($1, 'user.deleted', 'user', $2)",
            user.id,
            str(user.id),
        )
        await self.outbox.add(self.conn, UserDeleted(user_id=user.id))


def _profile_event(user: User) -> UserProfileUpdated:
    return UserProfileUpdated(
        user_id=user.id,
        display_name=user.display_name,
        language=user.language,
        region=user.region,
        email=user.email or "",
    )
