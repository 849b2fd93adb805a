"""An operator's credit adjustment is a ledger movement like any other."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support import ROOT, Api, ledger, user_id


def run_admin(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "app.admin", "credits", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


async def test_adjustment_changes_the_balance_and_is_in_the_ledger(api: Api) -> None:
    me = await api.register("wanda@example.com")

    done = run_admin(api.settings.database_url, "wanda@example.com", "25", "goodwill after an outage")

    assert done.returncode == 0, done.stderr
    assert "55 credits" in done.stdout
    assert await api.credits(me) == 55
    entries = await ledger(api, await user_id(api, me))
    assert entries[-1] == ("admin_adjustment", 25, None)
    assert sum(a for _, a, _ in entries) == 55


async def test_adjustment_never_makes_a_balance_negative(api: Api) -> None:
    me = await api.register("vision@example.com")

    refused = run_admin(api.settings.database_url, "vision@example.com", "-31", "too much")

    assert refused.returncode == 1
    assert "negative" in refused.stderr
    assert await api.credits(me) == 30


async def test_unknown_email_is_an_error(api: Api) -> None:
    refused = run_admin(api.settings.database_url, "nobody@example.com", "5", "x")
    assert refused.returncode == 1
    assert "no user" in refused.stderr
