"""Small helpers shared by the benchmarks: timing, child-process peak memory, printing figures."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def best_of(n: int, fn: Callable[[], Any]) -> float:
    return min(timed(fn) for _ in range(n))


def run_child(args: list[str], **kwargs: Any) -> tuple[float, int, str]:
    """Run a command; return (seconds, peak RSS in bytes, stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=ROOT, **kwargs)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"{args[0]} failed with status {status}")
    return elapsed, usage.ru_maxrss * 1024, out


_HWM = """
for _line in open("/proc/self/status"):
    if _line.startswith("VmHWM:"):
        print("__VmHWM__", int(_line.split()[1]) * 1024)
"""


def python_child(code: str, *argv: str) -> tuple[float, int, str]:
    """Run Python ``code`` in a fresh process; return (seconds, its own peak RSS, stdout).

    The peak is the child's VmHWM: ru_maxrss would include the parent's memory at fork time.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    elapsed, _, out = run_child([sys.executable, "-c", code + _HWM, *argv], env=env)
    lines = out.splitlines()
    peak = int(lines[-1].split()[1])
    return elapsed, peak, "\n".join(lines[:-1])


def header(title: str) -> None:
    print(f"\n== {title}", flush=True)


def figure(name: str, value: str, note: str = "") -> None:
    print(f"  {name:<58} {value:>18}  {note}", flush=True)


def mib(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


def big_file(size: int, name: str) -> Path:
    """A file of ``size`` pseudo-random bytes under bench/out (made once, then reused)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    if not path.exists() or path.stat().st_size != size:
        block = os.urandom(1 << 20)
        with path.open("wb") as f:
            for i in range(size >> 20):
                f.write(block[i % 251 :] + block[: i % 251])
    with path.open("rb") as f:  # warm the page cache so every reader sees the same conditions
        while f.read(1 << 24):
            pass
    return path
