"""Image-model providers, chosen by the `AI_PROVIDER` setting."""

from __future__ import annotations

from app.config import Settings
from app.providers.base import ImageProvider


def create_provider(settings: Settings) -> ImageProvider:
    if settings.provider == "openrouter":
        from app.providers.openrouter import OpenRouterProvider

        return OpenRouterProvider.from_settings(settings)
    from app.providers.local import LocalComicProvider

    return LocalComicProvider()
