"""API schemas of notification preferences."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from notifications.messages.categories import Category

__all__ = ["PreferenceRead", "PreferenceUpdate", "PreferencesRead"]


class PreferenceRead(BaseModel):
    category: Category
    label: str = Field(description="The category's name in the requested language.")
    email: bool
    in_app: bool
    can_switch_off: bool = Field(
        description="`false` for transactional mail (verification, password reset)."
    )


class PreferencesRead(BaseModel):
    items: list[PreferenceRead]


class PreferenceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: bool | None = None
    in_app: bool | None = None
