"""The HTTP client under every outside call (OpenRouter, image downloads, Polar) runs without hidden costs."""

from __future__ import annotations

import importlib.machinery

import pytest
from httpcore._synchronization import current_async_library


async def test_httpcore_names_the_event_loop_without_searching_for_a_module(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpcore asks which event loop runs at each lock it makes (several per request). It imports sniffio to
    # answer; were sniffio missing, every ask would be a failed import searching sys.path from scratch.
    searched: list[str] = []
    find_spec = importlib.machinery.PathFinder.find_spec

    def counting(name: str, *args: object, **kwargs: object) -> object:
        searched.append(name)
        return find_spec(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.machinery.PathFinder, "find_spec", counting)
    assert [current_async_library() for _ in range(3)] == ["asyncio"] * 3
    assert searched == []
