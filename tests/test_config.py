"""The documented settings are the real ones."""

from __future__ import annotations

import re

from app.config import Settings
from tests.support import ROOT


def test_every_setting_is_documented_in_env_example() -> None:
    documented = set(re.findall(r"^([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert documented == {name.upper() for name in Settings.model_fields}


def test_env_example_as_is_gives_the_embedded_defaults() -> None:
    example = Settings(_env_file=ROOT / ".env.example")  # type: ignore[call-arg]
    assert example.model_dump() == Settings(_env_file=None).model_dump()  # type: ignore[call-arg]
    assert example.provider == "local"
    assert example.database_url.startswith("sqlite+aiosqlite:")
