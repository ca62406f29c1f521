"""Whether this API process can serve: liveness (the process answers) and readiness (the
database answers at the schema this code expects, the object store answers, and — where this
process runs the page workers — Ray's cluster answers with a live node). Probes of compose and
Kubernetes ask these; the answers hold no data, only which dependency is down."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from storage.db import Database
from storage.objects import ObjectStore

log = logging.getLogger(__name__)

PROBE_SECONDS = 3.0  # a dependency that takes longer than this to answer counts as down
PROBE_KEY = "health/probe"  # looked up, never written: the store must answer, not hold it

OK, DOWN, OFF = "ok", "down", "off"


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, str]  # dependency -> ok | down | behind | off

    @property
    def ready(self) -> bool:
        return all(state in (OK, OFF) for state in self.checks.values())


def _within(seconds: float, probe: Callable[[], str]) -> str:
    """`probe`'s answer, or DOWN if it fails or takes longer than `seconds` (a dead host may
    leave a client waiting for minutes: the probe must answer before its caller gives up)."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(probe).result(timeout=seconds)
    except FutureTimeout:
        return DOWN
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; the reason is logged
        log.warning("readiness probe failed: %s: %s", type(exc).__name__, str(exc)[:200])
        return DOWN
    finally:
        pool.shutdown(wait=False)


def _schema(db: Database) -> str:
    current, head = db.schema_revisions()
    return OK if current == head else "behind"


def _objects(store: ObjectStore) -> str:
    store.exists(PROBE_KEY)
    return OK


def _ray() -> str:
    import ray

    if not ray.is_initialized():
        return DOWN
    return OK if any(node.get("Alive") for node in ray.nodes()) else DOWN


def readiness(db: Database, store: ObjectStore, runs_workers: bool) -> Readiness:
    checks = {
        "database": _within(PROBE_SECONDS, lambda: _schema(db)),
        "object_store": _within(PROBE_SECONDS, lambda: _objects(store)),
        "ray": _within(PROBE_SECONDS, _ray) if runs_workers else OFF,
    }
    return Readiness(checks)
