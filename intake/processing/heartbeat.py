"""Dispatcher heartbeats: a dispatcher that died (`kill -9`, a lost machine) is found in seconds,
and the page jobs it held go back to the queue, instead of waiting out their lease.

Every dispatcher keeps a row in `dispatchers` and renews its `beat_at` every few seconds, from its
own thread, so a page that takes long to read does not look like a death. A dispatcher is dead when
its beat is older than `dead_after` seconds, or at once when it ran on this same machine (same
host, boot and process namespace) and its process no longer exists. The leases stay as the last
resort (a dispatcher alive but stuck keeps beating; its jobs return when their lease runs out).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import cast

import psutil
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from intake.processing.jobs import JobState
from storage.db import Database
from storage.tables import DispatcherRow, JobRow, utcnow

log = logging.getLogger(__name__)


@cache
def this_machine() -> str:
    """Where process ids mean the same thing: the host name, plus on Linux the boot and the process
    namespace (two containers may share a host name but not their processes)."""
    parts = [socket.gethostname()]
    try:
        parts.append(Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8])
        parts.append(str(os.stat("/proc/self/ns/pid").st_ino))
    except OSError:
        parts.append("?")
    return "/".join(parts)[:255]


def _gone(row: DispatcherRow) -> bool:
    """A dispatcher of this machine whose process has ended (a reused pid only delays the verdict)."""
    return row.host == this_machine() and not row.host.endswith("/?") and not psutil.pid_exists(row.pid)


class Heartbeat:
    """The `dispatchers` row of one dispatcher, renewed every `every` seconds by a thread of its own
    (`start`) or by the dispatcher's loop (`beat_if_due`), and removed when it stops."""

    def __init__(self, db: Database, owner: str, every: float) -> None:
        self.db = db
        self.owner = owner
        self.every = every
        self._next = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.beat()
        self._thread = threading.Thread(target=self._run, name="sohoa-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.beat()
            except Exception:  # noqa: BLE001 - database down: beat again at the next turn
                log.warning("heartbeat of dispatcher %s failed; retrying", self.owner, exc_info=True)

    def beat_if_due(self) -> None:
        if time.monotonic() >= self._next:
            self.beat()

    def beat(self) -> None:
        with self._lock:
            now = utcnow()
            with self.db.transaction() as s:
                renewed = s.execute(update(DispatcherRow).where(DispatcherRow.owner == self.owner).values(beat_at=now))
                if not cast(CursorResult, renewed).rowcount:  # new, or declared dead during a long pause
                    s.add(DispatcherRow(owner=self.owner, host=this_machine(), pid=os.getpid(), beat_at=now))
            self._next = time.monotonic() + self.every

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.every + 5)
        try:
            with self.db.transaction() as s:
                s.execute(delete(DispatcherRow).where(DispatcherRow.owner == self.owner))
        except Exception:  # noqa: BLE001 - the row goes stale and is removed by the next dispatcher
            log.warning("could not remove the heartbeat of dispatcher %s", self.owner)


def reclaim_from_dead(s: Session, me: str, dead_after: float) -> int:
    """Jobs running under a dispatcher that is dead go back to the queue, and its row goes. Returns
    how many jobs were taken back."""
    stale = utcnow() - timedelta(seconds=dead_after)
    others = list(s.scalars(select(DispatcherRow).where(DispatcherRow.owner != me)))
    dead = [row.owner for row in others if row.beat_at < stale or _gone(row)]
    if not dead:
        return 0
    taken = s.execute(
        update(JobRow)
        .where(JobRow.state == JobState.RUNNING.value, JobRow.lease_owner.in_(dead))
        .values(state=JobState.QUEUED.value, lease_owner=None, lease_until=None)
    )
    s.execute(delete(DispatcherRow).where(DispatcherRow.owner.in_(dead)))
    count = cast(CursorResult, taken).rowcount
    if count:
        log.warning("took back %d page job(s) of %d dead dispatcher(s)", count, len(dead))
    return count
