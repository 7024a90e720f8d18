"""Settings: documented, prefixed per service, and the configuration page current."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_settings import SettingsConfigDict

from sawt_shared.settings import ServiceSettings, settings_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


class PetitionsLike(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PETITIONS_", extra="ignore")


def test_every_setting_is_documented() -> None:
    undocumented = [n for n, f in ServiceSettings.model_fields.items() if not f.description]
    assert undocumented == []


def test_the_configuration_page_is_current() -> None:
    assert settings_table(ServiceSettings, "<SVC>_") in DOC.read_text(encoding="utf-8")


def test_a_service_reads_only_its_own_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PETITIONS_DATABASE_URL", "postgresql://p@h/petitions")
    monkeypatch.setenv("IDENTITY_DATABASE_URL", "postgresql://i@h/identity")
    monkeypatch.setenv("PETITIONS_TRUSTED_PROXIES", '["10.0.0.0/8"]')
    settings = PetitionsLike()
    assert settings.database_url == "postgresql://p@h/petitions"
    assert settings.trusted_proxies == ["10.0.0.0/8"]
