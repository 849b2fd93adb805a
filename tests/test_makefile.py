"""`make run` again with nothing changed installs and builds nothing; a change redoes only the step it concerns.

Checked with `make -n` (which prints what would run and runs nothing) on a copy of the Makefile in a scratch tree of
empty stand-in files, so the verdicts depend only on the Makefile's rules and the files' times.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import ROOT

# Older to newer: what each step is made from, then what it made.
SOURCES = ["pyproject.toml", "frontend/package.json", "frontend/package-lock.json", "frontend/index.html",
           "frontend/vite.config.ts", "frontend/tsconfig.json", "frontend/scripts/precompress.mjs",
           "frontend/src/main.tsx", "frontend/public/favicon.svg"]
MADE = [".venv/bin/python", "frontend/node_modules/.package-lock.json", ".venv/.installed", "frontend/dist/index.html"]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    for age, name in enumerate([*SOURCES, *MADE]):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        moment = 1_700_000_000 + age * 10
        os.utime(path, (moment, moment))
    return tmp_path


def would_run(tree: Path) -> str:
    return subprocess.run(["make", "-n", "run"], cwd=tree, capture_output=True, text=True, check=True,
                          timeout=60).stdout


def change(tree: Path, name: str) -> None:
    os.utime(tree / name, (1_800_000_000, 1_800_000_000))


def test_a_second_run_with_nothing_changed_only_migrates_and_serves(tree: Path) -> None:
    commands = would_run(tree)

    assert "pip install" not in commands
    assert "npm" not in commands
    assert "alembic upgrade head" in commands
    assert "-m app serve" in commands


def test_a_changed_page_rebuilds_the_spa_and_nothing_else(tree: Path) -> None:
    change(tree, "frontend/src/main.tsx")

    commands = would_run(tree)

    assert "npm run build" in commands
    assert "npm ci" not in commands
    assert "pip install" not in commands


def test_changed_dependencies_are_installed_again(tree: Path) -> None:
    change(tree, "pyproject.toml")
    change(tree, "frontend/package-lock.json")

    commands = would_run(tree)

    assert "pip install --quiet -e ." in commands
    assert "npm ci" in commands
    assert "npm run build" in commands
