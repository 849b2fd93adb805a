"""The results table: one row per figure, ours beside its reference, and whether the target is met."""

from __future__ import annotations

from dataclasses import dataclass

from bench.common import say


@dataclass(frozen=True)
class Row:
    figure: str
    ours: str
    reference: str = "-"
    ratio: float | None = None
    target: str = "-"
    ok: bool | None = None  # None: shown for information, no target
    note: str = ""

    @property
    def verdict(self) -> str:
        return "-" if self.ok is None else ("ok" if self.ok else "FAIL")


def error_row(figure: str, error: BaseException) -> Row:
    """A figure that could not be measured counts as failed: a report must not turn a crash into a pass."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return Row(figure, "ERROR", ok=False, note=f"{type(error).__name__}: {message}"[:160])


def missing_row(figure: str, why: str) -> Row:
    return Row(figure, "missing", ok=None, note=why)


HEADERS = ("figure", "ours", "reference", "ratio", "target", "ok")


def print_table(rows: list[Row]) -> None:
    cells = [HEADERS] + [
        (r.figure, r.ours, r.reference, "-" if r.ratio is None else f"{r.ratio:.2f}x", r.target, r.verdict)
        for r in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADERS))]
    rule = "-+-".join("-" * w for w in widths)
    for index, line in enumerate(cells):
        say(" | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
        if index == 0:
            say(rule)
    notes = [(r.figure, r.note) for r in rows if r.note]
    if notes:
        say()
        for figure, note in notes:
            say(f"  {figure}: {note}")


def summary(rows: list[Row]) -> str:
    judged = [r for r in rows if r.ok is not None]
    failed = [r.figure for r in judged if not r.ok]
    met = len(judged) - len(failed)
    if not failed:
        return f"BENCH SUMMARY: all {len(judged)} targets met"
    return f"BENCH SUMMARY: {met} of {len(judged)} targets met; FAIL: {'; '.join(failed)}"
