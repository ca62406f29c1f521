"""Finding and ending the processes a Ray instance left behind.

Ray's agents rename themselves (`ray::DashboardAgent`, `ray::RuntimeEnvAgent`), so their command
line no longer names the session; their log files, open in the session directory, still do.
Only processes tied to one session (or temp) directory are ever touched: never `ray stop`, which
ends every Ray on the machine.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import time
from pathlib import Path

import psutil

log = logging.getLogger(__name__)


def _is_under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root + os.sep) for root in roots)


def uses_directory(process: psutil.Process, roots: tuple[str, ...]) -> bool:
    """Whether the command line, working directory or an open file of `process` lies in `roots`."""
    try:
        if any(root in part for part in process.cmdline() for root in roots):
            return True
        if _is_under(process.cwd(), roots):
            return True
        return any(_is_under(f.path, roots) for f in process.open_files())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def processes_under(*directories: Path) -> list[psutil.Process]:
    """Live processes (other than this one) that use any of `directories`."""
    roots = tuple(sorted({path for d in directories for path in (str(d), os.path.realpath(d))}))
    if not roots:
        return []
    me = os.getpid()
    found = []
    for process in psutil.process_iter():
        if process.pid == me:
            continue
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                continue  # already ended; only its parent can reap it
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if uses_directory(process, roots):
            found.append(process)
    return found


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def _wait_gone(processes: list[psutil.Process], seconds: float) -> list[psutil.Process]:
    """Those still running after up to `seconds`. A zombie counts as gone: orphans are reparented
    to PID 1, which in a container may never reap them (psutil.wait_procs would wait them out)."""
    deadline = time.monotonic() + seconds
    alive = [p for p in processes if _running(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if _running(p)]
    return alive


def end_processes(processes: list[psutil.Process], grace_seconds: float = 5.0) -> None:
    """SIGTERM, then SIGKILL whatever is still running after `grace_seconds`."""
    for process in processes:
        try:
            process.terminate()
        except psutil.NoSuchProcess:
            pass
    for process in _wait_gone(processes, grace_seconds):
        log.warning("killing Ray process %s that ignored SIGTERM", process.pid)
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    _wait_gone(processes, grace_seconds)


def is_driver(process: psutil.Process) -> bool:
    """A Ray driver (e.g. `sohoa serve` attached to this node) keeps its log open in the node's
    session directory, yet is not the node's to end: it outlives or dies with the cluster itself."""
    try:
        return any("python-core-driver-" in f.path for f in process.open_files())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def run_ray_node(command: list[str], env: dict[str, str], temp_dir: Path | None) -> int:
    """Run `ray start --block ...` as a child until it ends; SIGTERM and SIGINT are passed on to it.

    Then whatever of the node is still running is ended: the processes it started (noted
    while they were still its descendants, before a dying raylet orphans its agents) and, with
    a temp dir of its own, every process using that directory. Returns the node's exit status
    (0 when it stopped because we were told to stop)."""
    node = subprocess.Popen(command, env=env)
    family: dict[int, psutil.Process] = {}
    told_to_stop = False

    def note_family() -> None:
        family.update((p.pid, p) for p in descendants(node.pid))

    def stop(signum: int, _frame: object) -> None:
        nonlocal told_to_stop
        told_to_stop = True
        note_family()
        node.send_signal(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while True:
            try:
                code = node.wait(timeout=5)
                break
            except subprocess.TimeoutExpired:
                note_family()  # Ray starts workers on demand
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        left = {p.pid: p for p in family.values() if _running(p)}
        if temp_dir is not None:
            left.update((p.pid, p) for p in processes_under(temp_dir) if not is_driver(p))
        if left:
            log.info("ending %d process(es) left by the Ray node", len(left))
            end_processes(list(left.values()))
    return 0 if told_to_stop else code


# Written into a local Ray's session directory by the process that started it (the driver).
DRIVER_MARK = "sohoa-driver.json"


def mark_session(session_dir: Path) -> None:
    """Note that this process started the Ray of `session_dir`: if it dies without stopping it
    (`kill -9`), the next one to start a Ray in the same temp dir ends what is left."""
    me = psutil.Process()
    (session_dir / DRIVER_MARK).write_text(json.dumps({"pid": me.pid, "started": me.create_time()}))


def unmark_session(session_dir: Path) -> None:
    (session_dir / DRIVER_MARK).unlink(missing_ok=True)


def _driver_alive(mark: Path) -> bool:
    try:
        driver = json.loads(mark.read_text())
        return abs(psutil.Process(int(driver["pid"])).create_time() - float(driver["started"])) < 1.0
    except psutil.NoSuchProcess:
        return False
    except (OSError, ValueError, KeyError, TypeError, psutil.Error):
        return True  # unreadable: not ours to judge


def end_dead_sessions(temp_dir: Path) -> int:
    """End the processes left by local Rays in `temp_dir` whose driver died without stopping them
    (Ray's dashboard and runtime-env agents outlive a killed driver). Only sessions this code
    marked are touched, never one whose driver still runs. Returns how many processes were ended."""
    dead = [mark.parent for mark in temp_dir.glob(f"session_*/{DRIVER_MARK}") if not _driver_alive(mark)]
    if not dead:
        return 0
    left = processes_under(*dead)
    if left:
        log.warning("ending %d process(es) left by a Ray whose driver died: %s", len(left), [d.name for d in dead])
        end_processes(left)
    for session in dead:
        unmark_session(session)
    return len(left)
