"""The figures of `make bench`, one small function each; they return rows of the report.

A figure's reference is measured in the same run, right next to ours, on the same machine: the machine is shared
and noisy, so only side-by-side numbers mean anything.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import httpx

from bench import client, pools, wrk
from bench.client import Account
from bench.common import api_env, base_env, progress
from bench.database import Database
from bench.procs import Fleet, Process, cpu_seconds, logged_errors, peak_rss_bytes, rss_bytes
from bench.report import Row, error_row, missing_row
from bench.stats import median, percentile

CORES = os.cpu_count() or 1
READ_TARGET = 0.5  # ours >= half the bare reference's req/s
GALLERY_UPLOADS = 55  # a full page of 50, and a next page
GALLERY_MAX_BYTES = 1_000_000
UPLOADS_TARGET = 0.7  # accepted uploads/s >= 0.7x one thread's photo cleaning rate
RSS_MAX_BYTES = 300_000_000
LOAD_MODEL_SECONDS = 10.0
LOAD_IN_FLIGHT = 1000
# Closed-loop clients, one user each (a user's uploads are serialised by the row lock on their credits).
LOAD_CLIENTS = 32
LOAD_RAMP_MAX_SECONDS = 25.0
LOAD_WINDOW_SECONDS = 15.0
WAIT_MODEL_SECONDS = 3.0
WAIT_SLACK_MS = 300.0
WAIT_ALONE_RUNS = 3
WAIT_TOGETHER = 20


@dataclass
class Run:
    """What the figures share: the processes, the database, the API's secret and storage, the photo."""

    fleet: Fleet
    database: Database
    auth_secret: str
    storage_dir: Path
    photo: bytes = field(default_factory=client.photo_jpeg)

    def env(self, provider: str = "local", openrouter_base_url: str | None = None,
            extra: dict[str, str] | None = None) -> dict[str, str]:
        return api_env(database_url=self.database.sqlalchemy_url, auth_secret=self.auth_secret,
                       storage_dir=self.storage_dir, provider=provider, openrouter_base_url=openrouter_base_url,
                       extra=extra)

    async def start_api(self, name: str, *, workers: int = 1, **env: Any) -> Process:
        return await self.fleet.start_uvicorn(name, "app.main:app", self.env(**env), workers=workers)

    async def start_fake_openrouter(self, name: str, latency: float, failure_rate: float = 0.0) -> Process:
        env = base_env() | {"FAKE_OPENROUTER_LATENCY": str(latency), "FAKE_OPENROUTER_FAILURE_RATE": str(failure_rate)}
        return await self.fleet.start_uvicorn(name, "bench.fake_openrouter:app", env)


def _api(base_url: str, timeout: float = 60.0, connections: int = 64) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url, timeout=timeout,
                             limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections))


# -- data -------------------------------------------------------------------------------------------------------


async def prepare_gallery(api: Process, photo: bytes) -> Account:
    """A user with a full gallery, made through the API itself: sign-up, then uploads that wait for their result."""
    async with _api(api.url) as http:
        account = await client.sign_up(http)
        gate = asyncio.Semaphore(4)

        async def one(index: int) -> int:
            async with gate:
                answer = await client.upload(http, account, photo, style=client.STYLES[index % 3], wait=30)
                return answer.status_code

        statuses = await asyncio.gather(*(one(i) for i in range(GALLERY_UPLOADS)))
    completed = statuses.count(201)
    if completed < 50:
        raise RuntimeError(f"only {completed} of {GALLERY_UPLOADS} gallery uploads completed: {sorted(statuses)}")
    progress(f"gallery user has {completed} completed generations")
    return account


# -- figures 1, 2: the read routes against the bare reference ---------------------------------------------------------


def _same_page(ours: dict[str, Any], theirs: dict[str, Any]) -> str:
    """Empty when the reference answered what the API did (every field of every item, signed URLs included); else
    what differs."""
    if ours.get("count") != theirs.get("count") or ours.get("nextCursor") != theirs.get("nextCursor"):
        return "count or nextCursor differ"
    for mine, other in zip(ours.get("generations", []), theirs.get("generations", []), strict=False):
        for key in sorted(mine.keys() | other.keys()):
            if mine.get(key) != other.get(key):
                return f"{key} differs: {mine.get(key)!r} / {other.get(key)!r}"
    return ""


async def _check_equivalent(path: str, api: Process, reference: Process, account: Account) -> str:
    async with httpx.AsyncClient(timeout=30) as http:
        ours = await http.get(api.url + path, headers=account.headers)
        theirs = await http.get(reference.url + path, headers=account.headers)
    if ours.status_code != 200 or theirs.status_code != 200:
        raise RuntimeError(f"{path}: API answered {ours.status_code}, reference {theirs.status_code}")
    if path.startswith("/generations"):
        body = ours.json()
        if body.get("count", 0) < 50:
            raise RuntimeError(f"{path}: the page holds {body.get('count')} generations, not 50")
        return _same_page(body, theirs.json())
    return ""


async def read_route(label: str, path: str, api: Process, reference: Process, account: Account) -> list[Row]:
    difference = await _check_equivalent(path, api, reference, account)
    progress(f"wrk {path}: API")
    ours = await wrk.measure(api.url + path, account.headers)
    progress(f"wrk {path}: reference")
    theirs = await wrk.measure(reference.url + path, account.headers)
    ratio = ours.requests_per_second / theirs.requests_per_second
    notes = []
    if difference:
        notes.append(f"reference answer differs from the API's ({difference})")
    for who, result in (("API", ours), ("reference", theirs)):
        if not result.clean:
            notes.append(f"{who}: {result.non_2xx} non-2xx answers, {result.socket_errors} socket errors")
    clean = ours.clean and theirs.clean
    return [
        Row(f"{label} req/s", f"{ours.requests_per_second:,.0f}", f"{theirs.requests_per_second:,.0f}", ratio,
            f">= {READ_TARGET:.2f}x ref", clean and ratio >= READ_TARGET, "; ".join(notes)),
        Row(f"{label} p99 ms", f"{ours.p99_ms:.1f}", f"{theirs.p99_ms:.1f}", ours.p99_ms / theirs.p99_ms),
    ]


async def fig_list(api: Process, reference: Process, account: Account) -> list[Row]:
    return await read_route("1 list ?limit=50", "/generations?limit=50", api, reference, account)


async def fig_me(api: Process, reference: Process, account: Account) -> list[Row]:
    return await read_route("2 /users/me", "/users/me", api, reference, account)


async def fig_stats(api: Process, reference: Process, account: Account) -> list[Row]:
    return await read_route("2 /user/stats", "/user/stats", api, reference, account)


# -- figure 3: images (bench/images.py, written separately) -----------------------------------------------------------


def images_module() -> ModuleType | None:
    try:
        return importlib.import_module("bench.images")
    except ModuleNotFoundError as exc:
        if exc.name == "bench.images":
            return None
        raise


async def _call(function: Callable[[], Any]) -> Any:
    # Sync or async, whichever bench/images.py provides; sync work runs off the event loop.
    if inspect.iscoroutinefunction(function):
        return await function()
    result = await asyncio.to_thread(function)
    return await result if isinstance(result, Awaitable) else result


async def fig_images() -> tuple[list[Row], float | None]:
    """The images figure as bench/images.py measures it, and one thread's photo-cleaning rate for figure 4."""
    module = images_module()
    if module is None:
        why = "bench/images.py does not exist (yet): no images figure, no reference for figure 4"
        return [missing_row("3 images", why)], None
    rows: list[Row] = []
    try:
        result = await _call(module.measure)
        rows.append(Row(f"3 {result['figure']}", f"{result['ours_ms']:.1f} ms", f"{result['reference_ms']:.1f} ms",
                        float(result["ratio"]), str(result["target"]), bool(result["ok"])))
    except Exception as exc:
        rows.append(error_row("3 images measure()", exc))
    per_second: float | None = None
    try:
        loop = await _call(module.measure_loop)
        per_second = float(loop["per_second"])
        rows.append(Row(f"3 {loop['figure']}", f"{per_second:.1f}/s", note="the reference of figure 4"))
    except Exception as exc:
        rows.append(error_row("3 images measure_loop()", exc))
    return rows, per_second


# -- figure 4: uploads with 1,000 generations in flight ---------------------------------------------------------------


@dataclass
class _LoadState:
    in_flight: int = 0  # pending generations, as last counted in the database
    accepted_since_count: int = 0
    peak_in_flight: int = 0
    answers: list[tuple[float, int, float]] = field(default_factory=list)  # (finished at, status, seconds)

    @property
    def estimate(self) -> int:
        return self.in_flight + self.accepted_since_count


async def _count_pending(database: Database) -> int:
    connection = await asyncpg.connect(database.dsn)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM generations WHERE status = 'pending'"))
    finally:
        await connection.close()


async def _watch_in_flight(database: Database, state: _LoadState, stop: asyncio.Event) -> None:
    connection = await asyncpg.connect(database.dsn)
    try:
        while not stop.is_set():
            state.accepted_since_count = 0
            state.in_flight = int(await connection.fetchval(
                "SELECT count(*) FROM generations WHERE status = 'pending'"))
            state.peak_in_flight = max(state.peak_in_flight, state.in_flight)
            await asyncio.sleep(0.5)
    finally:
        await connection.close()


async def _upload_loop(http: httpx.AsyncClient, account: Account, photo: bytes, state: _LoadState,
                       stop: asyncio.Event) -> None:
    while not stop.is_set():
        if state.estimate >= LOAD_IN_FLIGHT:
            await asyncio.sleep(0.05)  # enough in flight: upload again once some finished
            continue
        started = time.perf_counter()
        try:
            status = (await client.upload(http, account, photo)).status_code
        except httpx.HTTPError:
            status = 0
        if status == 202:
            state.accepted_since_count += 1
        state.answers.append((time.monotonic(), status, time.perf_counter() - started))


async def fig_uploads_under_load(run: Run, loop_per_second: float | None) -> list[Row]:
    fake = await run.start_fake_openrouter("fake-openrouter-10s", LOAD_MODEL_SECONDS)
    # Every generation in flight at the model at once, as a remote API allows: what is measured is the API's own
    # work of accepting uploads while finished ones keep arriving, not a queue waiting for model slots (with the
    # default 32 slots and a 10 s model, only 3.2 would finish per second).
    api = await run.start_api("api-load", provider="openrouter", openrouter_base_url=fake.url + "/api/v1",
                              extra={"MODEL_CONCURRENCY": str(LOAD_IN_FLIGHT)})
    try:
        async with _api(api.url, timeout=120, connections=LOAD_CLIENTS + 8) as http:
            accounts = await client.sign_up_many(http, LOAD_CLIENTS)
            before = await _count_pending(run.database)
            state, stop = _LoadState(), asyncio.Event()
            watcher = asyncio.create_task(_watch_in_flight(run.database, state, stop))
            clients = [asyncio.create_task(_upload_loop(http, a, run.photo, state, stop)) for a in accounts]
            started = time.monotonic()
            progress(f"uploads: ramping up to {LOAD_IN_FLIGHT} in flight (at most {LOAD_RAMP_MAX_SECONDS:.0f} s)")
            # Steady state: the in-flight target is held, or at least the first generations have been finishing
            # for a while, so that acceptance competes with the completions as it does for good.
            while state.in_flight < LOAD_IN_FLIGHT and time.monotonic() - started < LOAD_RAMP_MAX_SECONDS:
                await asyncio.sleep(0.25)
            window_start, in_flight_at_start, cpu_at_start = time.monotonic(), state.in_flight, cpu_seconds(api.pid)
            progress(f"uploads: {in_flight_at_start} in flight; measuring {LOAD_WINDOW_SECONDS:.0f} s")
            rss_samples = []
            while time.monotonic() - window_start < LOAD_WINDOW_SECONDS:
                rss_samples.append(rss_bytes(api.pid))
                await asyncio.sleep(0.5)
            window_end, in_flight_at_end, cpu_at_end = time.monotonic(), state.in_flight, cpu_seconds(api.pid)
            peak_rss = max([peak_rss_bytes(api.pid), *rss_samples])
            stop.set()
            # Uploads still under way are cut: the window is over, and a clogged server must not hold the report.
            for task in [*clients, watcher]:
                task.cancel()
            await asyncio.gather(*clients, watcher, return_exceptions=True)
        failed = await _failed_generations(run.database)
        api_log = logged_errors(api)
    finally:
        # A thousand generations are in flight: their graceful shutdown is not what is measured here.
        run.fleet.stop(api, grace=5)
        run.fleet.stop(fake)
    in_window = [(status, seconds) for at, status, seconds in state.answers if window_start <= at < window_end]
    accepted = [seconds * 1000 for status, seconds in in_window if status == 202]
    rate = len(accepted) / (window_end - window_start)
    others = Counter(status for status, _ in in_window if status != 202)
    all_accepted = sum(1 for _, status, _ in state.answers if status == 202)
    notes = (f"{LOAD_CLIENTS} clients; in flight {in_flight_at_start} at window start, {in_flight_at_end} at end, "
             f"peak {state.peak_in_flight} (before: {before}); {len(accepted)} accepted in the "
             f"{window_end - window_start:.0f} s window ({all_accepted} in all), other answers in the window "
             f"{dict(others) or 'none'} (0: no answer, a client error); {failed} generations failed; "
             f"{_uploads_cpu_note(cpu_at_end - cpu_at_start, window_end - window_start, len(accepted))}; "
             f"API: {api_log}")
    # POST latency of every answer in the window: when nothing is accepted, the refusals are what clients got.
    latencies = accepted or [seconds * 1000 for _, seconds in in_window]
    rows = []
    if loop_per_second:
        ratio = rate / loop_per_second
        rows.append(Row(f"4 uploads/s, {LOAD_IN_FLIGHT} in flight", f"{rate:.1f}/s", f"{loop_per_second:.1f}/s",
                        ratio, f">= {UPLOADS_TARGET:.2f}x ref", ratio >= UPLOADS_TARGET, notes))
    else:
        rows.append(Row(f"4 uploads/s, {LOAD_IN_FLIGHT} in flight", f"{rate:.1f}/s", "missing", None,
                        f">= {UPLOADS_TARGET:.2f}x ref", None, notes + "; no reference: bench/images.py missing"))
    which = "202s" if accepted else "all answers, no 202"
    rows.append(Row(f"4 upload POST p50 / p99 ms ({which})",
                    f"{percentile(latencies, 50):.0f} / {percentile(latencies, 99):.0f}"))
    rows.append(Row("4 API peak RSS", f"{peak_rss / 1e6:.0f} MB", target=f"<= {RSS_MAX_BYTES / 1e6:.0f} MB",
                    ok=peak_rss <= RSS_MAX_BYTES))
    return rows


def _uploads_cpu_note(cpu: float, wall: float, accepted: int) -> str:
    """The API's CPU time in the window, and the rate it would allow with every core busy: at that cost per
    accepted upload (its generation's work included, as about as many finish as start), no schedule does better."""
    note = f"API CPU {cpu:.1f} s in {wall:.1f} s ({cpu / wall / CORES:.0%} of {CORES} cores)"
    if not accepted or not cpu:
        return note
    per_upload = cpu / accepted
    return (f"{note}, {per_upload * 1000:.0f} ms per accepted upload: at most {CORES / per_upload:.1f}/s on "
            f"{CORES} cores")


def _wait_cpu_note(cpu: float, answers: int) -> str:
    """The API's CPU time per generation, and the earliest the median answer could come at that cost.

    The k-th answer (k = half of them) needs the work of k generations, P of CPU before each one's model call and
    Q after it, on C cores. Their calls cannot all have started before kP/C, and the last to start still has its
    model's time and its Q to go: no answer before kP/C + model + Q/C. Their answers' work cannot start before the
    model's time, so not before model + kQ/C either. The larger of the two is at least model + k(P+Q)/(2C),
    whatever the order of the work."""
    if not answers or not cpu:
        return f"API CPU {cpu:.1f} s"
    per_generation = cpu / answers
    k = -(-answers // 2)
    floor = WAIT_MODEL_SECONDS + k * per_generation / (2 * CORES)
    return (f"API CPU {per_generation * 1000:.0f} ms per generation: on {CORES} cores the median answer cannot "
            f"come before {floor * 1000:.0f} ms")


async def _failed_generations(database: Database) -> int:
    connection = await asyncpg.connect(database.dsn)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM generations WHERE status = 'failed'"))
    finally:
        await connection.close()


# -- figure 5: wall time of an upload with Prefer: wait ---------------------------------------------------------------


@dataclass(frozen=True)
class _Timed:
    """One upload with `Prefer: wait`: its answer and wall time, and where that time went, read off the
    generation's own timestamps (same machine, same clock): before its row was written (reading, cleaning,
    storing, charging the photo), from the row to its end (the model, then its answer cleaned and stored), and
    from its end to the answer (waking the request). Empty phases when the answer carried no generation."""

    status: int
    ms: float
    phases: tuple[float, float, float] | None


async def _timed_upload(http: httpx.AsyncClient, account: Account, photo: bytes) -> _Timed:
    started_at, started = time.time(), time.perf_counter()
    answer = await client.upload(http, account, photo, wait=30)
    ms = (time.perf_counter() - started) * 1000
    ended_at = started_at + ms / 1000
    try:
        generation = answer.json()["generation"]
        created = datetime.fromisoformat(generation["createdAt"]).timestamp()  # Python 3.11 reads the "Z"
        updated = datetime.fromisoformat(generation["updatedAt"]).timestamp()
    except (ValueError, KeyError, TypeError, AttributeError):
        return _Timed(answer.status_code, ms, None)
    return _Timed(answer.status_code, ms,
                  ((created - started_at) * 1000, (updated - created) * 1000, (ended_at - updated) * 1000))


def _phases_note(group: list[_Timed]) -> str:
    """The median of each phase (see _Timed), to show which part of the wall time grew."""
    phases = [timed.phases for timed in group if timed.phases is not None]
    if not phases:
        return ""
    before, model, wake = (median([p[i] for p in phases]) for i in range(3))
    return (f"median: {before:.0f} ms before the row, {model:.0f} from the row to done, "
            f"{wake:.0f} from done to the answer")


async def fig_wait_wall_time(run: Run) -> list[Row]:
    fake = await run.start_fake_openrouter("fake-openrouter-3s", WAIT_MODEL_SECONDS)
    # The app's own MODEL_CONCURRENCY, sized for a remote API: twenty at once must not queue behind it.
    api = await run.start_api("api-wait", provider="openrouter", openrouter_base_url=fake.url + "/api/v1")
    try:
        async with _api(api.url) as http:
            accounts = await client.sign_up_many(http, WAIT_TOGETHER + 1)
            await _timed_upload(http, accounts[0], run.photo)  # warm-up: first connections, first imports
            alone = [await _timed_upload(http, accounts[0], run.photo) for _ in range(WAIT_ALONE_RUNS)]
            cpu = cpu_seconds(api.pid)
            together = await asyncio.gather(*(_timed_upload(http, a, run.photo) for a in accounts[1:]))
            together_cpu = _wait_cpu_note(cpu_seconds(api.pid) - cpu, len(together))
        api_log = logged_errors(api)
    finally:
        run.fleet.stop(api)
        run.fleet.stop(fake)
    limit = WAIT_MODEL_SECONDS * 1000 + WAIT_SLACK_MS
    model_ms = f"{WAIT_MODEL_SECONDS * 1000:.0f} (model)"

    def answers(group: list[_Timed]) -> tuple[bool, str]:
        # 201 is a completed generation; a 202 means the wait ran out first, a 502 that the model failed.
        statuses = Counter(timed.status for timed in group)
        ok = set(statuses) == {201}
        return ok, "; ".join(note for note in (_phases_note(group), "" if ok else f"answers: {dict(statuses)}") if note)

    alone_ok, alone_note = answers(alone)
    together_ok, together_note = answers(together)
    together_note = "; ".join(note for note in (together_note, together_cpu) if note)
    if not (alone_ok and together_ok):
        together_note += f"; API: {api_log}"
    alone_ms = median([timed.ms for timed in alone])
    together_ms = [timed.ms for timed in together]
    p50 = percentile(together_ms, 50)
    return [
        Row(f"5 wait=30 alone, median of {WAIT_ALONE_RUNS} ms", f"{alone_ms:.0f}", model_ms,
            alone_ms / (WAIT_MODEL_SECONDS * 1000), f"<= {limit:.0f} ms", alone_ok and alone_ms <= limit, alone_note),
        Row(f"5 wait=30, {WAIT_TOGETHER} at once, p50 ms", f"{p50:.0f}", model_ms,
            p50 / (WAIT_MODEL_SECONDS * 1000), f"<= {limit:.0f} ms", together_ok and p50 <= limit, together_note),
        Row(f"5 wait=30, {WAIT_TOGETHER} at once, max ms", f"{max(together_ms):.0f}", model_ms,
            max(together_ms) / (WAIT_MODEL_SECONDS * 1000)),
    ]


# -- figure 6: what the gallery grid downloads ------------------------------------------------------------------------


async def fig_gallery_weight(api: Process, account: Account) -> list[Row]:
    """The bytes of the images a page of 50 shows in the grid: one tile per generation."""
    async with _api(api.url) as http:
        page = (await http.get("/generations?limit=50", headers=account.headers)).json()
        # One tile per generation: the result's thumbnail, or the photo's while there is no result.
        urls = [item.get("thumbnailUrl") or item.get("originalThumbnailUrl") or item["originalImageUrl"]
                for item in page["generations"]]
        answers = await asyncio.gather(*(http.get(url) for url in urls))
    bad = [a.status_code for a in answers if a.status_code != 200]
    total = sum(len(a.content) for a in answers)
    note = f"{len(urls)} images for {page['count']} generations"
    if bad:
        note += f"; {len(bad)} did not load ({sorted(set(bad))})"
    return [Row("6 gallery page of 50, image bytes", f"{total:,}", target=f"<= {GALLERY_MAX_BYTES:,}",
                ok=not bad and total <= GALLERY_MAX_BYTES, note=note)]


# -- figure 7: does a second process help ------------------------------------------------------------------------------


async def fig_more_processes(run: Run, single: Process, account: Account) -> list[Row]:
    double = await run.start_api("api-2-workers", workers=2)
    path = "/generations?limit=50"
    try:
        progress("wrk list: 1 process")
        one = await wrk.measure(single.url + path, account.headers)
        progress("wrk list: 2 processes")
        two = await wrk.measure(double.url + path, account.headers)
    finally:
        run.fleet.stop(double)
    ratio = two.requests_per_second / one.requests_per_second
    clean = one.clean and two.clean
    return [Row("7 list req/s, 2 processes vs 1", f"{two.requests_per_second:,.0f}",
                f"{one.requests_per_second:,.0f} (1 proc)", ratio, "> 1.00x", clean and ratio > 1.0,
                "" if clean else "non-2xx answers or socket errors during wrk")]


# -- figure 8: the model's calls, hundreds at once ---------------------------------------------------------------------


async def fig_model_calls(run: Run) -> list[Row]:
    """The API's HTTP client's CPU per model call, its connections spread over small pools against httpx's one pool
    (bench/pools.py). For information: it shows why the pools are spread, and no figure of the issue asks for it."""
    server = await run.fleet.start_uvicorn("model-calls-server", "bench.pools:app", base_env())
    try:
        result = await pools.measure(server.url)
    finally:
        run.fleet.stop(server)
    return [Row(f"8 model calls, {result['calls']} at once: client CPU per call", f"{result['ours_ms']:.2f} ms",
                f"{result['reference_ms']:.2f} ms (one pool)", float(result["ratio"]), note=str(result["note"]))]


async def guarded(label: str, figure: Awaitable[list[Row]]) -> list[Row]:
    """A figure that crashes becomes a failed row; the others are still measured."""
    try:
        return await figure
    except Exception as exc:
        progress(f"{label}: {type(exc).__name__}: {exc}")
        return [error_row(label, exc)]
