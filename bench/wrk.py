"""Running wrk and reading its report (req/s, latency percentiles, errors)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from dataclasses import dataclass

# The same load for every server compared: one wrk thread (the machine has two cores, shared with the servers),
# 16 connections, a few seconds. BENCH_WRK_SECONDS lengthens it on a quieter machine.
THREADS = 1
CONNECTIONS = 16
SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "8"))
WARMUP_SECONDS = 1
# wrk's default of 2 s would count slow answers as errors instead of measuring them.
TIMEOUT = "10s"

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PERCENTILE = re.compile(r"^\s*(50|75|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    requests: int
    latency_ms: dict[int, float]  # percentile -> milliseconds
    non_2xx: int
    socket_errors: int

    @property
    def p50_ms(self) -> float:
        return self.latency_ms[50]

    @property
    def p99_ms(self) -> float:
        return self.latency_ms[99]

    @property
    def clean(self) -> bool:
        """Every answer was a success: a fast stream of 401s or timeouts would otherwise pass for speed."""
        return self.non_2xx == 0 and self.socket_errors == 0


def parse(output: str) -> WrkResult:
    rps = _RPS.search(output)
    total = _TOTAL.search(output)
    if rps is None or total is None:
        raise ValueError(f"unexpected wrk output:\n{output}")
    latency = {int(p): float(value) * _UNITS_MS[unit] for p, value, unit in _PERCENTILE.findall(output)}
    if 99 not in latency or 50 not in latency:
        raise ValueError(f"wrk output without --latency percentiles:\n{output}")
    non_2xx = _NON_2XX.search(output)
    socket = _SOCKET.search(output)
    return WrkResult(
        requests_per_second=float(rps.group(1)),
        requests=int(total.group(1)),
        latency_ms=latency,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket.groups()) if socket else 0,
    )


def available() -> bool:
    return shutil.which("wrk") is not None


async def run(url: str, headers: dict[str, str], seconds: int = SECONDS) -> WrkResult:
    assert url.startswith("http://127.0.0.1:"), "load goes to this machine's loopback only"
    argv = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", TIMEOUT]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    argv.append(url)
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    # wrk stops by itself after `seconds`; the timeout only guards against a hung wrk.
    output, _ = await asyncio.wait_for(process.communicate(), timeout=seconds + 30)
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{output.decode(errors='replace')}")
    return parse(output.decode(errors="replace"))


async def measure(url: str, headers: dict[str, str]) -> WrkResult:
    """A short warm-up (connections opened, caches and the pool filled), then the measured run."""
    await run(url, headers, WARMUP_SECONDS)
    return await run(url, headers)
