"""Paths, output helpers and the environment every process of a run is started with."""

from __future__ import annotations

import os
import secrets
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / ".venv" / "bin"
PHOTO = REPO / "tests" / "photos" / "portrait-astronaut.jpg"
# The application measured: this working tree, or another checkout of it (BENCH_APP_DIR, e.g. an export of an
# older commit to compare with), run with this tree's venv and bench code.
APP_DIR = Path(os.environ.get("BENCH_APP_DIR", str(REPO))).resolve()

# Loose enough that the bench never meets them by accident: a 402 or 429 would measure the error path instead.
PLENTY_OF_CREDITS = 10_000_000
NO_RATE_LIMIT = 1_000_000


def say(line: str = "") -> None:
    """A line of the report, on stdout (the project's lint forbids print; this is the report's one outlet)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


_STARTED = time.monotonic()


def progress(line: str) -> None:
    """What the run is doing now, with the seconds since it started, on stderr, so that stdout keeps the report."""
    sys.stderr.write(f"  {time.monotonic() - _STARTED:5.0f}s  {line}\n")
    sys.stderr.flush()


def new_auth_secret() -> str:
    # 48 random bytes: well over the 40 characters asked for, and what production is told to use.
    return secrets.token_urlsafe(48)


def base_env() -> dict[str, str]:
    """A minimal environment: nothing from the caller's shell (a stray TASK_BROKER_URL, say) may change a run.

    PYTHONPATH makes APP_DIR's `app` the one imported, whatever the venv's install points at, and `bench` this
    tree's.
    """
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([str(APP_DIR), str(REPO)]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def api_env(
    *,
    database_url: str,
    auth_secret: str,
    storage_dir: Path,
    provider: str = "local",
    openrouter_base_url: str | None = None,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """Settings for an API or worker process. Every setting the figures depend on is set here explicitly;
    the processes run in a temporary directory, so no `.env` file is read either."""
    env = base_env() | {
        "APP_ENV": "development",
        "DATABASE_URL": database_url,
        "AUTH_SECRET": auth_secret,
        "STORAGE_BACKEND": "local",
        "STORAGE_DIR": str(storage_dir),
        "AI_PROVIDER": provider,
        "SIGNUP_CREDITS": str(PLENTY_OF_CREDITS),
        "RATE_LIMIT_PER_MINUTE": str(NO_RATE_LIMIT),
        # Every simulated person signs up and logs in from this one machine.
        "SIGNUP_LIMIT_PER_IP_PER_HOUR": str(NO_RATE_LIMIT),
        "LOGIN_LIMIT_PER_IP_PER_HOUR": str(NO_RATE_LIMIT),
        "FRONTEND_DIST": str(storage_dir / "no-spa"),
    }
    if provider == "openrouter":
        assert openrouter_base_url is not None
        env["OPENROUTER_API_KEY"] = "sk-or-fake"
        env["OPENROUTER_BASE_URL"] = openrouter_base_url
    return env | (extra or {})
