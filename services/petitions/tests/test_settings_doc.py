"""Every setting of the petitions service is in its page's table."""

from __future__ import annotations

from pathlib import Path

from petitions.settings import PetitionsSettings
from sawt_shared.settings import ServiceSettings

PAGE = Path(__file__).resolve().parents[3] / "docs" / "petitions.md"


def test_every_own_setting_is_documented() -> None:
    text = PAGE.read_text(encoding="utf-8")
    own = set(PetitionsSettings.model_fields) - set(ServiceSettings.model_fields)
    missing = sorted(name for name in own if f"`PETITIONS_{name.upper()}`" not in text)
    assert missing == []
