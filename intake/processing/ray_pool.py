"""OCR on Ray: a pool of page-reading actors, each loading its models once.

A local Ray is started on demand with loopback-only settings (../shared/design/
RUNNING-REAL-SERVICES.md), or an existing cluster is joined by address; whoever starts it
stops it (`RayHandle.stop`), with every process of a local Ray's session. Actors are
restarted by Ray when their process dies, and the task they were running is retried on the
new process (`max_restarts`, `max_task_retries`); what still fails comes back as an error
that the dispatcher counts against the job's bounded attempts.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Names that lived here before the job machinery was split up (imported by the intake service,
# benchmarks and tests).
from intake.processing.elastic_pool import ElasticPool, PageWorker, PoolBounds
from intake.processing.jobs import PageTask, page_key, pipeline_version
from intake.processing.pool import PoolLost, WorkerSetup
from intake.processing.ray_processes import (
    end_dead_sessions,
    end_processes,
    mark_session,
    processes_under,
    unmark_session,
)
from intake.settings import RaySettings

__all__ = [
    "LOOPBACK_ENV",
    "PageTask",
    "PageWorker",
    "PoolBounds",
    "PoolLost",
    "RayHandle",
    "WorkerPool",
    "WorkerSetup",
    "page_key",
    "pipeline_version",
    "pool_bounds",
    "prepare_ray_home",
    "start_ray",
]

log = logging.getLogger(__name__)

LOOPBACK_ENV = {
    # Every Ray process binds 127.0.0.1 and reports nothing outside.
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_USAGE_STATS_ENABLED": "0",
}


def prepare_ray_home(home: Path) -> Path:
    """A HOME whose ray_bootstrap_config.yaml stops Ray's cloud-metadata probes."""
    home.mkdir(parents=True, exist_ok=True)
    bootstrap = home / "ray_bootstrap_config.yaml"
    if not bootstrap.exists():
        bootstrap.write_text("{}\n")
    return home


@dataclass(frozen=True, slots=True)
class RayHandle:
    """Ray as this process started it: a local instance (its session directory) or a connection."""

    session_dir: Path | None  # None: joined a cluster, which outlives us

    def stop(self) -> None:
        """Disconnect; for a local Ray, also end every process of its session. Ray's own
        shutdown at interpreter exit leaves its dashboard and runtime-env agents (and actors
        killed just before) running, so a command calls this before it returns."""
        import ray

        ray.shutdown()
        if self.session_dir is not None:
            left = processes_under(self.session_dir)
            if left:
                log.info("ending %d process(es) left by Ray in %s", len(left), self.session_dir)
                end_processes(left)
            unmark_session(self.session_dir)


@contextmanager
def sigterm_kept() -> Iterator[None]:
    """Keep the SIGTERM handler a server installed (uvicorn's graceful stop). `ray.init` replaces
    it with `sys.exit`, which raised inside whatever request was being answered, skipped the
    server's shutdown (so `RayHandle.stop`) and left Ray's agents running. A process without a
    handler of its own keeps Ray's."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM) if main else None
    try:
        yield
    finally:
        if callable(previous):
            signal.signal(signal.SIGTERM, previous)


def start_ray(address: str | None, *, num_cpus: int | None, temp_dir: Path, object_store_mb: int) -> RayHandle | None:
    """Join the cluster at `address`, or start a local loopback-only Ray. Idempotent: returns
    None when Ray was already initialized in this process (its starter stops it)."""
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    if not address or address.split(":")[0] in ("127.0.0.1", "localhost"):
        # Read by Ray when it is first imported: set before `import ray`, or Ray binds every
        # interface. Not for a real cluster, whose nodes must reach this driver.
        os.environ.update(LOOPBACK_ENV)
    import ray

    if ray.is_initialized():
        return None
    if address:
        if address == "auto":
            raise ValueError("give the cluster's host:port; 'auto' may join a stranger's Ray")
        with sigterm_kept():
            ray.init(address=address, log_to_driver=False)
        return RayHandle(None)
    temp_dir.mkdir(parents=True, exist_ok=True)
    end_dead_sessions(temp_dir)  # what a killed predecessor left running
    home = prepare_ray_home(temp_dir / "home")
    previous_home = os.environ.get("HOME")
    os.environ["HOME"] = str(home)  # inherited by Ray's processes started now
    try:
        with sigterm_kept():
            context = ray.init(
                num_cpus=num_cpus,
                include_dashboard=False,
                log_to_driver=False,
                object_store_memory=object_store_mb * 1024 * 1024,
                _temp_dir=str(temp_dir),
                _node_ip_address="127.0.0.1",
            )
    finally:
        if previous_home is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = previous_home
    # The session directory, not the temp dir: another local Ray may share the temp dir.
    session_dir = Path(context.address_info["session_dir"])  # type: ignore[attr-defined]  # a RayContext
    mark_session(session_dir)
    return RayHandle(session_dir)


class WorkerPool(ElasticPool):
    """A pool of exactly `size` actors (still placed node by node and kept whole: an actor lost
    with its node is replaced on another one with a free CPU)."""

    def __init__(self, setup: WorkerSetup, size: int) -> None:
        size = max(1, size)
        super().__init__(setup, PoolBounds(min_actors=size, max_actors=size))


def pool_bounds(ray_settings: RaySettings) -> PoolBounds:
    """The pool's bounds as configured: `workers` > 0 fixes the size (min = max = workers)."""
    fixed = ray_settings.workers
    return PoolBounds(
        min_actors=fixed or ray_settings.min_actors,
        max_actors=fixed or ray_settings.max_actors,
        memory_mb=ray_settings.actor_memory_mb,
        resize_seconds=ray_settings.resize_seconds,
    )
