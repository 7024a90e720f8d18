"""Settings of the identity service, read from ``IDENTITY_*`` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from sawt_shared.settings import ServiceSettings

__all__ = ["MOROCCO_REGIONS", "IdentitySettings"]

#: The twelve regions of Morocco (2015 division), as stable slugs.
MOROCCO_REGIONS: tuple[str, ...] = (
    "tanger-tetouan-al-hoceima",
    "oriental",
    "fes-meknes",
    "rabat-sale-kenitra",
    "beni-mellal-khenifra",
    "casablanca-settat",
    "marrakech-safi",
    "draa-tafilalet",
    "souss-massa",
    "guelmim-oued-noun",
    "laayoune-sakia-el-hamra",
    "dakhla-oued-ed-dahab",
)


class IdentitySettings(ServiceSettings):
    """Every ``ServiceSettings`` field, prefixed ``IDENTITY_`` (``IDENTITY_DATABASE_URL``, …)."""

    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore")

    service_name: str = Field("identity", description="CloudEvents source and consumer name.")
    database_url: str = Field(
        "postgresql://identity:identity@127.0.0.1:55432/identity",
        description="PostgreSQL DSN of the identity database.",
    )
    issuer: str = Field(
        "http://127.0.0.1:8001",
        description="This service's public URL: the `iss` of every token it signs, and the "
        "base of every link it sends (verification, reset, invitation).",
    )
    secret_key: str = Field(
        "dev-only-identity-secret-change-me",
        description="Server secret: keys the HMAC of eID subjects and short codes, CSRF "
        "tokens, and encrypts the private signing keys at rest. Set a long random value "
        "in production; changing it orphans eID links and stored keys.",
    )
    access_token_audience: str = Field(
        "sawt", description="`aud` of the access tokens this service issues."
    )
    access_token_ttl: int = Field(600, description="Lifetime of access tokens, in seconds.")
    id_token_ttl: int = Field(600, description="Lifetime of OpenID Connect id_tokens, seconds.")
    refresh_token_ttl: int = Field(
        30 * 24 * 3600, description="Lifetime of refresh tokens, in seconds."
    )
    authorization_code_ttl: int = Field(
        120, description="Lifetime of authorization codes, in seconds."
    )
    session_ttl: int = Field(
        8 * 3600, description="Lifetime of a hosted-login session, in seconds."
    )
    session_cookie_name: str = Field("sawt_session", description="Name of the session cookie.")
    cookie_secure: bool = Field(
        True, description="Mark cookies Secure (HTTPS only). Turn off only for local HTTP."
    )
    email_token_ttl: int = Field(
        24 * 3600, description="Lifetime of email-verification and email-change tokens."
    )
    reset_token_ttl: int = Field(3600, description="Lifetime of password-reset tokens.")
    invitation_ttl: int = Field(7 * 24 * 3600, description="Lifetime of invitations.")
    password_min_length: int = Field(10, description="Shortest password accepted.")
    argon2_time_cost: int = Field(3, description="argon2id iterations (lower only in tests).")
    argon2_memory_cost: int = Field(65536, description="argon2id memory in KiB.")
    argon2_parallelism: int = Field(4, description="argon2id lanes.")
    login_account_limit: str = Field(
        "10/minute", description="Failed logins allowed per account (email) before 429."
    )
    login_ip_limit: str = Field(
        "60/minute", description="Login attempts allowed per client IP before 429."
    )
    code_attempts: int = Field(
        5, description="Wrong short codes tolerated before a verification token is void."
    )
    regions: list[str] = Field(
        default_factory=lambda: list(MOROCCO_REGIONS),
        description="Regions a user may choose (the 12 regions of Morocco by default).",
    )
    key_rsa_bits: int = Field(2048, description="Size of new RSA signing keys.")
    key_activation_delay: float = Field(
        60.0,
        description="Seconds a rotated-in key is published before it signs, so resource "
        "servers know it before they see it.",
    )
    eid_issuer: str | None = Field(
        None, description="Issuer URL of the national eID OpenID provider; unset disables eID."
    )
    eid_client_id: str = Field("sawt", description="Client id registered at the eID provider.")
    eid_client_secret: str = Field("", description="Client secret at the eID provider.")
    eid_scope: str = Field("openid", description="Scopes asked of the eID provider.")
    eid_allow_insecure_http: bool = Field(
        False, description="Accept an http:// eID issuer (tests and local development only)."
    )
