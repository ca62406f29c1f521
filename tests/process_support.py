"""Processes a test left behind: found by the directory they use, ended after a failed assertion."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def processes_using(directory: Path) -> list[str]:
    """Processes whose command line names `directory`, or that hold a file or work in it (Ray's
    agents and workers rename themselves, but their log files lie in the session directory)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue  # a zombie has ended
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            targets = [os.readlink(proc / "cwd")] + [os.readlink(fd) for fd in (proc / "fd").iterdir()]
        except OSError:  # ended meanwhile
            continue
        if str(directory) in command or any(t.startswith(f"{directory}/") for t in targets):
            found.append(f"{proc.name} {command[:120]}")
    return found


def processes_left(directory: Path, grace: float = 15.0) -> list[str]:
    """`processes_using(directory)` once they have had `grace` seconds to end: a stopped Ray's
    workers exit a moment after its raylet, and on a loaded machine that moment can be seconds."""
    deadline = time.monotonic() + grace
    while (left := processes_using(directory)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def kill_left(lines: list[str]) -> None:
    """Clean up after a failed assertion: these processes were started by this test."""
    for line in lines:
        try:
            os.kill(int(line.split()[0]), signal.SIGKILL)
        except ProcessLookupError:
            pass
