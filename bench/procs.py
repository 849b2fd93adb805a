"""Starting the processes of a run (API, references, fakes, workers) on free loopback ports, and ending them.

Each process gets its own session (process group), so that ending it also ends what it started (uvicorn's
`--workers` children) and nothing else. Output goes to a log file per process, shown when a start fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.common import BIN, progress

STOP_GRACE_SECONDS = 15.0


def free_port() -> int:
    """A port nothing listens on now. Another program could take it before ours binds it; on a loopback-only
    bench run that race is not worth more than a clear start-up failure."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def logged_errors(process: Process) -> str:
    """How many ERROR lines a process logged, and the first one: why a figure went wrong, without the log."""
    try:
        lines = [line for line in process.log_path.read_text(errors="replace").splitlines() if "ERROR" in line]
    except OSError:
        return "log unreadable"
    if not lines:
        return "no ERROR lines logged"
    return f"{len(lines)} ERROR lines logged, first: {lines[0].strip()[:200]}"


def _proc_status_kb(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise LookupError(f"{key} missing from /proc/{pid}/status")


def peak_rss_bytes(pid: int) -> int:
    """The process's high-water mark of resident memory since it started (VmHWM), kept by the kernel."""
    return _proc_status_kb(pid, "VmHWM") * 1024


def rss_bytes(pid: int) -> int:
    return _proc_status_kb(pid, "VmRSS") * 1024


def cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) the process has used so far, all its threads together (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime: fields 14 and 15


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    port: int | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def url(self) -> str:
        assert self.port is not None, f"{self.name} listens on no port"
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class Fleet:
    """Every process a run started, so that all of them are ended, and only them, however the run ends."""

    cwd: Path
    log_dir: Path
    processes: list[Process] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: dict[str, str], port: int | None = None) -> Process:
        log_path = self.log_dir / f"{name}.log"
        with open(log_path, "ab") as log:
            popen = subprocess.Popen(
                argv, cwd=self.cwd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log_path, port)
        self.processes.append(process)
        return process

    async def start_uvicorn(
        self, name: str, target: str, env: dict[str, str], *, workers: int = 1, health_path: str = "/health",
        timeout: float = 90.0,
    ) -> Process:
        """`uvicorn <target>` on a free port, once its health route answers 200.

        Access logs are off for every server of a run alike (API and references): a log line per request
        would measure the terminal, not the service.
        """
        port = free_port()
        argv = [str(BIN / "uvicorn"), target, "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
                "--log-level", "warning"]
        if workers > 1:
            argv += ["--workers", str(workers)]
        process = self.start(name, argv, env, port)
        await wait_healthy(process, health_path, timeout)
        progress(f"{name} up on {process.url} (pid {process.pid})")
        return process

    def stop(self, process: Process, grace: float = STOP_GRACE_SECONDS) -> None:
        if process in self.processes:
            self.processes.remove(process)
        end(process, grace)

    def stop_all(self) -> None:
        while self.processes:
            self.stop(self.processes[-1])


async def wait_healthy(process: Process, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=5.0) as client:
        while time.monotonic() < deadline:
            if not process.alive():
                raise RuntimeError(f"{process.name} exited with {process.popen.returncode} before answering "
                                   f"{path}:\n{tail(process.log_path)}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(process.url + path)).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{process.name} did not answer {path} with 200 within {timeout:.0f} s:\n"
                       f"{tail(process.log_path)}")


def end(process: Process, grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM to the process's own group (a graceful shutdown), SIGKILL if it is still there after the grace."""
    if process.popen.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.popen.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.popen.wait()
    # Children of a uvicorn supervisor may outlive it by a moment (they got the SIGTERM too): give them that
    # moment, then end whatever of the group is left.
    deadline = time.monotonic() + 5.0
    while _group_exists(process.pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            break
        time.sleep(0.05)


def _group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
