"""Serving processes keep few malloc arenas: threads that decode megabytes share them, not one each."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from tests.support import ROOT

# In a fresh process: optionally limit the arenas, let 8 threads allocate and free megabytes at once, then count
# the arenas glibc made (malloc_info lists one <heap> per arena besides the main one).
_PROBE = textwrap.dedent("""
    import ctypes, ctypes.util, re, sys, tempfile, threading
    from app.memory import keep_few_malloc_arenas
    if sys.argv[1] == "limited":
        keep_few_malloc_arenas()
    start = threading.Barrier(8)
    def work():
        start.wait()
        for _ in range(50):
            blocks = [bytearray(64 * 1024) for _ in range(16)]
            del blocks
    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.fopen.restype = ctypes.c_void_p
    with tempfile.NamedTemporaryFile() as out:
        fp = libc.fopen(out.name.encode(), b"w")
        libc.malloc_info(0, ctypes.c_void_p(fp))
        libc.fclose(ctypes.c_void_p(fp))
        print(len(re.findall(rb'<heap nr="', open(out.name, "rb").read())))
""")


def _arenas(mode: str) -> int:
    env = {key: value for key, value in os.environ.items() if key != "MALLOC_ARENA_MAX"}
    done = subprocess.run([sys.executable, "-c", _PROBE, mode], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=True)
    return int(done.stdout.strip())


def test_threads_share_at_most_two_arenas() -> None:
    assert _arenas("limited") <= 2
    assert _arenas("default") > 2  # what glibc does otherwise, on this machine: the probe can tell
