"""`python -m bench.load` (`make bench-load`): the durability run. Pass or fail, by its exit code.

The whole production shape on this machine: PostgreSQL, Redis as the task broker, one API process and two
generation workers, and a fake OpenRouter that takes about a second and fails now and then (429s that the client
must wait out, 500s that it retries once or fails properly). A bounded number of virtual users sign up, log in,
upload (with and without `Prefer: wait`), list, poll, delete, for LOAD_SECONDS (default 600).

Then, once the work still in flight has finished (bounded wait), it checks:
- fewer than 0.1% unexpected answers (a 5xx, a 4xx the scenario did not call for, or no answer at all);
- nothing lost: every generation in the database is completed or failed, every generation a client was told
  about is still there unless that client deleted it, and each one was charged exactly once;
- the books balance: each user's `credits` equals the sum of their `credit_ledger` rows;
- every process of the service is still running.

Settings: LOAD_SECONDS, LOAD_USERS (virtual users, default 10), BENCH_REDIS_URL (default
redis://127.0.0.1:6379/13, emptied before and after), BENCH_POSTGRES_URL (see bench/database.py).
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import redis.asyncio as aioredis

from bench import client, database
from bench.client import Account
from bench.common import BIN, api_env, base_env, new_auth_secret, progress, say
from bench.database import Database
from bench.procs import Fleet, Process, tail
from bench.stats import percentile

LOAD_SECONDS = int(os.environ.get("LOAD_SECONDS", "600"))
USERS = int(os.environ.get("LOAD_USERS", "10"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
MODEL_SECONDS = 1.0
MODEL_FAILURE_RATE = 0.05
WORKERS = 2
# Time for the generations still in flight to finish, after the traffic stops; longer than the API's recovery
# interval, so that work a dead worker left behind would have been picked up again.
DRAIN_SECONDS = 120.0
ERROR_BUDGET = 0.001
THINK_SECONDS = (0.1, 0.8)  # between a virtual user's actions, as a person clicks
WAIT_SECONDS = 10  # Prefer: wait=N on the uploads that wait
# A person does not keep uploading while earlier photos are still being transformed; this also keeps the queue
# bounded, so that the run measures durability, not an ever-growing backlog.
MAX_PENDING_PER_USER = 2

# Weighted actions of a virtual user.
ACTIONS = {
    "upload": 14, "upload_wait": 8, "list": 20, "get": 24, "delete": 6, "me": 8, "stats": 8, "login": 4,
    "new_user": 2,
}
# What each route may answer in this scenario. Credits and the rate limit are set so high that 402 and 429
# cannot happen; an upload that waits may finish (201), fail in the model (502), or outlast its wait (202).
EXPECTED = {
    "POST /auth/register": {201},
    "POST /auth/jwt/login": {200},
    "POST /generations": {202},
    "POST /generations (wait)": {201, 202, 502},
    "GET /generations": {200},
    "GET /generations/{id}": {200},
    "DELETE /generations/{id}": {200},
    "GET /users/me": {200},
    "GET /user/stats": {200},
}


@dataclass
class Traffic:
    """Every answer of the run: route, status (0: no answer), seconds, and a few unexpected ones to show."""

    samples: dict[str, list[tuple[int, float]]] = field(default_factory=lambda: defaultdict(list))
    unexpected_examples: list[str] = field(default_factory=list)
    told: set[str] = field(default_factory=set)  # generation ids a client was given
    deleted: set[str] = field(default_factory=set)

    def record(self, route: str, status: int, seconds: float, detail: str = "") -> bool:
        self.samples[route].append((status, seconds))
        expected = status in EXPECTED[route]
        if not expected and len(self.unexpected_examples) < 8:
            self.unexpected_examples.append(f"{route} -> {status or 'no answer'} {detail[:160]}")
        return expected

    def unexpected(self, route: str | None = None) -> int:
        routes = [route] if route else list(self.samples)
        return sum(1 for r in routes for status, _ in self.samples[r] if status not in EXPECTED[r])

    def total(self) -> int:
        return sum(len(s) for s in self.samples.values())


def _json(answer: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object; an empty one for anything else (its status was recorded already)."""
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class VirtualUser:
    def __init__(self, http: httpx.AsyncClient, traffic: Traffic, photo: bytes, seed: int) -> None:
        self.http = http
        self.traffic = traffic
        self.photo = photo
        self.random = random.Random(seed)
        self.account: Account | None = None
        self.generations: dict[str, str] = {}  # id -> last status seen

    async def _call(self, route: str, method: str, url: str, **kwargs: object) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            answer = await self.http.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            self.traffic.record(route, 0, time.perf_counter() - started, type(exc).__name__)
            return None
        self.traffic.record(route, answer.status_code, time.perf_counter() - started, answer.text)
        return answer

    @property
    def _auth(self) -> dict[str, str]:
        assert self.account is not None
        return self.account.headers

    async def sign_up(self) -> None:
        email, password = client.new_credentials()
        registered = await self._call("POST /auth/register", "POST", "/auth/register",
                                      json={"email": email, "password": password})
        if registered is None or registered.status_code != 201:
            return
        self.generations = {}
        await self._login(email, password)

    async def _login(self, email: str, password: str) -> None:
        answer = await self._call("POST /auth/jwt/login", "POST", "/auth/jwt/login",
                                  data={"username": email, "password": password})
        if answer is not None and answer.status_code == 200:
            self.account = Account(email, password, _json(answer).get("access_token", ""))

    def _pending(self) -> list[str]:
        return [g for g, status in self.generations.items() if status == "pending"]

    def _note(self, answer: httpx.Response | None) -> None:
        if answer is None or answer.status_code not in (200, 201, 202, 502):
            return
        body = _json(answer)
        generation = body.get("generation", body)
        if isinstance(generation, dict) and "id" in generation and "status" in generation:
            self.generations[generation["id"]] = generation["status"]
            self.traffic.told.add(generation["id"])

    async def _upload(self, wait: int) -> None:
        route = "POST /generations (wait)" if wait else "POST /generations"
        headers = self._auth | ({"Prefer": f"wait={wait}"} if wait else {})
        style = self.random.choice(client.STYLES)
        self._note(await self._call(route, "POST", "/generations", headers=headers, data={"style": style},
                                    files={"image": ("portrait.jpg", self.photo, "image/jpeg")}))

    async def step(self) -> None:
        if self.account is None:
            await self.sign_up()
            return
        action = self.random.choices(list(ACTIONS), weights=list(ACTIONS.values()))[0]
        pending = self._pending()
        if action in ("upload", "upload_wait") and len(pending) >= MAX_PENDING_PER_USER:
            action = "get"  # wait for the earlier ones first, as the SPA polls them
        if action == "upload":
            await self._upload(0)
        elif action == "upload_wait":
            await self._upload(WAIT_SECONDS)
        elif action == "get" and self.generations:
            generation_id = self.random.choice(pending or list(self.generations))
            self._note(await self._call("GET /generations/{id}", "GET", f"/generations/{generation_id}",
                                        headers=self._auth))
        elif action == "delete" and self.generations:
            generation_id = self.random.choice(list(self.generations))
            answer = await self._call("DELETE /generations/{id}", "DELETE", f"/generations/{generation_id}",
                                      headers=self._auth)
            if answer is not None and answer.status_code == 200:
                del self.generations[generation_id]
                self.traffic.deleted.add(generation_id)
        elif action == "me":
            await self._call("GET /users/me", "GET", "/users/me", headers=self._auth)
        elif action == "stats":
            await self._call("GET /user/stats", "GET", "/user/stats", headers=self._auth)
        elif action == "login":
            assert self.account is not None
            await self._login(self.account.email, self.account.password)
        elif action == "new_user":
            self.account = None  # someone else arrives: the next step signs them up
        else:  # list, and get/delete before there is anything to get or delete
            answer = await self._call("GET /generations", "GET", "/generations?limit=20", headers=self._auth)
            if answer is not None and answer.status_code == 200:
                for item in _json(answer).get("generations", []):
                    if item["id"] in self.generations:
                        self.generations[item["id"]] = item["status"]

    async def run(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            await self.step()
            await asyncio.sleep(self.random.uniform(*THINK_SECONDS))


# -- set-up ------------------------------------------------------------------------------------------------------------


async def _flush_redis() -> None:
    connection = aioredis.from_url(REDIS_URL)
    try:
        await connection.flushdb()
    finally:
        await connection.aclose()


async def _wait_for_log(process: Process, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{tail(process.log_path)}")
        if text in process.log_path.read_text(errors="replace"):
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{process.name} did not log {text!r} within {timeout:.0f} s:\n{tail(process.log_path)}")


async def _start_service(fleet: Fleet, db: Database, workdir: Path) -> list[Process]:
    fake_env = base_env() | {"FAKE_OPENROUTER_LATENCY": str(MODEL_SECONDS),
                             "FAKE_OPENROUTER_FAILURE_RATE": str(MODEL_FAILURE_RATE), "FAKE_OPENROUTER_SEED": "7"}
    fake = await fleet.start_uvicorn("fake-openrouter", "bench.fake_openrouter:app", fake_env)
    env = api_env(database_url=db.sqlalchemy_url, auth_secret=new_auth_secret(), storage_dir=workdir / "media",
                  provider="openrouter", openrouter_base_url=fake.url + "/api/v1",
                  extra={"TASK_BROKER_URL": REDIS_URL})
    api = await fleet.start_uvicorn("api", "app.main:app", env)
    workers = [fleet.start(f"worker-{n}", [str(BIN / "taskiq"), "worker", "app.worker:broker", "--workers", "1"],
                           env) for n in range(1, WORKERS + 1)]
    for worker in workers:
        await _wait_for_log(worker, "Listening started", 60)
    progress(f"{WORKERS} workers listening")
    return [fake, api, *workers]


# -- checks ------------------------------------------------------------------------------------------------------------


async def _drain(db: Database) -> int:
    """Wait (bounded) until no generation is pending; the number still pending."""
    connection = await asyncpg.connect(db.dsn)
    try:
        deadline = time.monotonic() + DRAIN_SECONDS
        while True:
            pending = int(await connection.fetchval("SELECT count(*) FROM generations WHERE status = 'pending'"))
            if pending == 0 or time.monotonic() > deadline:
                return pending
            await asyncio.sleep(1)
    finally:
        await connection.close()


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


async def _check_database(db: Database, traffic: Traffic) -> list[Check]:
    connection = await asyncpg.connect(db.dsn)
    try:
        statuses = dict(await connection.fetch("SELECT status, count(*) FROM generations GROUP BY status"))
        unbalanced = await connection.fetch("""
            SELECT u.email, u.credits, coalesce(sum(l.amount), 0) AS ledger
            FROM users u LEFT JOIN credit_ledger l ON l.user_id = u.id
            GROUP BY u.id, u.email, u.credits HAVING u.credits <> coalesce(sum(l.amount), 0)""")
        users = int(await connection.fetchval("SELECT count(*) FROM users"))
        unpaid = int(await connection.fetchval("""
            SELECT count(*) FROM generations g WHERE (SELECT count(*) FROM credit_ledger l
              WHERE l.generation_id = g.id AND l.kind = 'generation_debit') <> 1"""))
        kept = sorted(traffic.told - traffic.deleted)
        present = {row["id"] for row in await connection.fetch(
            "SELECT id FROM generations WHERE id = ANY($1::text[])", kept)}
    finally:
        await connection.close()
    terminal = statuses.get("completed", 0) + statuses.get("failed", 0)
    missing = [g for g in kept if g not in present]
    return [
        Check("every generation terminal", set(statuses) <= {"completed", "failed"},
              f"{dict(statuses)} ({terminal} terminal)"),
        Check("no generation lost", not missing,
              f"{len(kept)} told to clients and not deleted, {len(missing)} missing" +
              (f" (e.g. {missing[0]})" if missing else "")),
        Check("each generation charged once", unpaid == 0, f"{unpaid} without exactly one debit"),
        Check("credits = sum(ledger) for every user", not unbalanced,
              f"{users} users, {len(unbalanced)} unbalanced" +
              (f" (e.g. {dict(unbalanced[0])})" if unbalanced else "")),
    ]


def _route_table(traffic: Traffic) -> None:
    say(f"{'route':<28} {'count':>7} {'p50 ms':>8} {'p99 ms':>8} {'unexpected':>10}  statuses")
    for route in EXPECTED:
        samples = traffic.samples.get(route, [])
        if not samples:
            continue
        ms = [seconds * 1000 for _, seconds in samples]
        statuses = dict(sorted(Counter(status for status, _ in samples).items()))
        say(f"{route:<28} {len(samples):>7} {percentile(ms, 50):>8.0f} {percentile(ms, 99):>8.0f} "
            f"{traffic.unexpected(route):>10}  {statuses}")


async def _fake_stats(fake: Process) -> str:
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            return str((await http.get(fake.url + "/stats")).json())
    except httpx.HTTPError as exc:
        return f"unavailable ({type(exc).__name__})"


def _log_findings(processes: list[Process]) -> str:
    """ERROR lines per process, and how often taskiq had to restart a worker's child process (it does so when
    the child dies; whatever that child was running is then left to the lease and recovery)."""
    counts = []
    for process in processes:
        lines = process.log_path.read_text(errors="replace").splitlines()
        # The API logs "... ERROR name message", taskiq workers "[...][ERROR  ][...]": the word is enough.
        found = f"{process.name}: {sum(1 for line in lines if 'ERROR' in line)} ERROR lines"
        if process.name.startswith("worker"):
            found += f", {sum(1 for line in lines if 'is dead. Scheduling reload' in line)} restarts"
        counts.append(found)
    return "; ".join(counts)


# -- the run -----------------------------------------------------------------------------------------------------------


async def _traffic(api: Process, photo: bytes) -> Traffic:
    traffic = Traffic()
    limits = httpx.Limits(max_connections=USERS + 4, max_keepalive_connections=USERS + 4)
    async with httpx.AsyncClient(base_url=api.url, timeout=WAIT_SECONDS + 50, limits=limits) as http:
        users = [VirtualUser(http, traffic, photo, seed) for seed in range(USERS)]
        deadline = time.monotonic() + LOAD_SECONDS
        progress(f"{USERS} virtual users for {LOAD_SECONDS} s")
        reporter = asyncio.create_task(_report_progress(traffic, deadline))
        await asyncio.gather(*(user.run(deadline) for user in users))
        reporter.cancel()
    return traffic


async def _report_progress(traffic: Traffic, deadline: float) -> None:
    while time.monotonic() < deadline:
        await asyncio.sleep(30)
        progress(f"{traffic.total()} requests, {traffic.unexpected()} unexpected, "
                 f"{len(traffic.told)} generations")


async def main_async() -> int:
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="aivenger-load-"))
    (workdir / "logs").mkdir()
    fleet = Fleet(cwd=workdir, log_dir=workdir / "logs")
    say(f"AIVenger durability run: {LOAD_SECONDS} s, {USERS} virtual users, API + {WORKERS} workers, Redis "
        f"{REDIS_URL}, fake model {MODEL_SECONDS:.0f} s with {MODEL_FAILURE_RATE:.0%} failures; logs in "
        f"{workdir / 'logs'}")
    await _flush_redis()
    try:
        async with database.temporary("aivenger_load", workdir) as db:
            try:
                fake, api, *workers = await _start_service(fleet, db, workdir)
                traffic = await _traffic(api, client.photo_jpeg())
                progress("traffic over; waiting for the work in flight")
                still_pending = await _drain(db)
                progress(f"drained ({still_pending} pending)")
                alive = [p.name for p in (api, *workers) if not p.alive()]
                checks = await _check_database(db, traffic)
                fake_stats = await _fake_stats(fake)
                errors_logged = _log_findings([api, *workers])
            finally:
                fleet.stop_all()
    finally:
        await _flush_redis()

    total, unexpected = traffic.total(), traffic.unexpected()
    rate = unexpected / total if total else 1.0
    checks = [
        Check("requests made", total > 0, f"{total}"),
        Check(f"unexpected answers < {ERROR_BUDGET:.1%}", total > 0 and rate < ERROR_BUDGET,
              f"{unexpected} of {total} ({rate:.3%})"),
        *checks,
        Check("service processes alive", not alive, "all running" if not alive else f"exited: {alive}"),
    ]
    say()
    _route_table(traffic)
    if traffic.unexpected_examples:
        say()
        say("unexpected answers (first few):")
        for example in traffic.unexpected_examples:
            say(f"  {example}")
    say()
    say(f"fake OpenRouter: {fake_stats}")
    say(f"logs: {errors_logged}")
    say()
    for check in checks:
        say(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
    passed = all(check.ok for check in checks)
    say()
    say(f"LOAD SUMMARY: {'PASS' if passed else 'FAIL'} ({sum(c.ok for c in checks)} of {len(checks)} checks, "
        f"{time.monotonic() - started:.0f} s)")
    if passed and not os.environ.get("BENCH_KEEP_LOGS"):
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        say(f"logs kept in {workdir / 'logs'}")
    return 0 if passed else 1


def main() -> int:
    return asyncio.run(main_async())


if __name__ == "__main__":
    raise SystemExit(main())
