"""`python -m bench` (`make bench`): every figure, ours beside its reference, then the table and a summary line.

It is a report: the exit code is 0 even when targets fail (non-zero only when the bench itself cannot run).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import database, figures, wrk
from bench.common import APP_DIR, REPO, new_auth_secret, progress, say
from bench.figures import Run, guarded
from bench.procs import Fleet
from bench.report import Row, error_row, print_table, summary


def _describe_machine() -> str:
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "?"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    app = "" if APP_DIR == REPO else f", app from {APP_DIR}"
    return f"{os.cpu_count()} cores, load {load}, commit {commit or '?'}{app}"


def _chosen() -> set[str]:
    """BENCH_ONLY=reads,images,wait,uploads,calls limits a run to some groups of figures (all by default)."""
    groups = {"reads", "images", "wait", "uploads", "calls"}
    only = {name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()}
    return only & groups if only else groups


async def _measure(run: Run) -> list[Row]:
    chosen = _chosen()
    rows: list[Row] = []
    loop_per_second = None
    image_rows: list[Row] = []
    if "images" in chosen or "uploads" in chosen:
        # Images first, before any server runs: it is CPU-bound and measured in this process.
        progress("figure 3: images")
        image_rows, loop_per_second = await figures.fig_images()
    gallery_rows: list[Row] = []
    more_rows: list[Row] = []
    if "reads" in chosen:
        api = await run.start_api("api")
        reference = await run.fleet.start_uvicorn("reference", "bench.reference_app:app", run.env())
        progress(f"filling a gallery: {figures.GALLERY_UPLOADS} uploads with Prefer: wait=30")
        try:
            account = await figures.prepare_gallery(api, run.photo)
        except Exception as exc:  # without the gallery the figures that read it cannot be measured
            account = None
            rows += [error_row(label, exc) for label in ("1 list", "2 /users/me", "2 /user/stats")]
            gallery_rows = [error_row("6 gallery weight", exc)]
            more_rows = [error_row("7 more processes", exc)]
        if account is not None:
            progress("figures 1, 2: read routes")
            rows += await guarded("1 list", figures.fig_list(api, reference, account))
            rows += await guarded("2 /users/me", figures.fig_me(api, reference, account))
            rows += await guarded("2 /user/stats", figures.fig_stats(api, reference, account))
            progress("figure 6: gallery weight")
            gallery_rows = await guarded("6 gallery weight", figures.fig_gallery_weight(api, account))
            progress("figure 7: more processes")
            more_rows = await guarded("7 more processes", figures.fig_more_processes(run, api, account))
        run.fleet.stop(reference)
        run.fleet.stop(api)
    if "images" in chosen:
        rows += image_rows

    # Figure 5 before 4: it leaves no pending work behind, while 4 leaves a thousand generations unfinished.
    wait_rows: list[Row] = []
    if "wait" in chosen:
        progress("figure 5: wall time with Prefer: wait")
        wait_rows = await guarded("5 wait wall time", figures.fig_wait_wall_time(run))
    if "uploads" in chosen:
        progress("figure 4: uploads under load")
        rows += await guarded("4 uploads under load", figures.fig_uploads_under_load(run, loop_per_second))
    calls_rows: list[Row] = []
    if "calls" in chosen:
        progress("figure 8: model calls at once")
        calls_rows = await guarded("8 model calls", figures.fig_model_calls(run))
    return rows + wait_rows + gallery_rows + more_rows + calls_rows


async def main_async() -> int:
    if not wrk.available():
        say("wrk is not installed: run `make bench`, which installs it (apt-get install wrk).")
        return 2
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="aivenger-bench-"))
    (workdir / "logs").mkdir()
    fleet = Fleet(cwd=workdir, log_dir=workdir / "logs")
    say(f"AIVenger bench: {_describe_machine()}")
    say(f"wrk -t{wrk.THREADS} -c{wrk.CONNECTIONS} -d{wrk.SECONDS}s after a {wrk.WARMUP_SECONDS} s warm-up; "
        f"work files and logs in {workdir}")
    try:
        async with database.temporary("aivenger_bench", workdir) as db:
            run = Run(fleet, db, new_auth_secret(), workdir / "media")
            try:
                rows = await _measure(run)
            finally:
                fleet.stop_all()
    except BaseException:
        fleet.stop_all()
        say(f"the bench could not finish; logs kept in {workdir / 'logs'}")
        raise
    say()
    print_table(rows)
    say()
    say(f"(took {time.monotonic() - started:.0f} s; machine now: {_describe_machine()})")
    say(summary(rows))
    if any(row.ours == "ERROR" for row in rows) or os.environ.get("BENCH_KEEP_LOGS"):
        say(f"logs kept in {workdir / 'logs'}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def main() -> int:
    if APP_DIR != REPO:
        # bench/images.py measures app.images in this process: the same app as the servers run.
        sys.path.insert(0, str(APP_DIR))
    return asyncio.run(main_async())
