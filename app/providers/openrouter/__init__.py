"""Gemini 2.5 Flash Image through OpenRouter."""

from app.providers.openrouter.client import OpenRouterProvider

__all__ = ["OpenRouterProvider"]
