"""Starting and stopping the page processing of one process: Ray, the worker pool and the dispatcher."""

from __future__ import annotations

import logging
import os
import signal
from dataclasses import dataclass

from intake.clock import Clock
from intake.processing.dispatcher import Dispatcher, DispatchSettings, queued_jobs
from intake.processing.elastic_pool import ElasticPool
from intake.processing.pool import PagePool, WorkerSetup
from intake.processing.ray_pool import RayHandle, pool_bounds, start_ray
from intake.settings import Settings
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class Processing:
    """The pool and the dispatcher thread this process runs, and Ray if this process started it."""

    dispatcher: Dispatcher
    pool: PagePool
    ray: RayHandle | None = None

    def stop(self) -> None:
        """Give running jobs back, end the pool, then Ray with all its processes."""
        try:
            self.dispatcher.stop()
            self.pool.shutdown()
        finally:
            if self.ray is not None:
                self.ray.stop()


def start_processing(settings: Settings, db: Database, clock: Clock) -> Processing:
    ray_handle = start_ray(
        settings.ray.address,
        num_cpus=settings.ray.workers or None,
        temp_dir=settings.ray_temp_dir(),
        object_store_mb=settings.ray.object_store_mb,
    )
    try:
        setup = WorkerSetup(settings.reading, settings.storage, settings.data_dir / "objects", settings.cache_dir)
        # Follows the cluster's CPUs from now on, and asks an autoscaler for more while pages wait.
        pool = ElasticPool(setup, pool_bounds(settings.ray), waiting=lambda: queued_jobs(db))
    except BaseException:
        if ray_handle is not None:
            ray_handle.stop()
        raise
    dispatcher = Dispatcher(
        db,
        pool,
        settings.reading,
        DispatchSettings.of(settings),
        clock,
        on_pool_lost=_stop_this_process,
    )
    dispatcher.start()
    log.info("processing pages on %d OCR actor(s) over %d Ray node(s)", len(pool.actors), len(pool.by_node()))
    return Processing(dispatcher, pool, ray_handle)


def _stop_this_process() -> None:
    """Ray cannot be joined again from a process whose cluster went away (docs/RAY-CLUSTER.md):
    stop as SIGTERM would (running jobs are already back in the queue) so that the supervisor
    (compose's restart policy, Kubernetes) starts a fresh process that joins the cluster anew."""
    log.error("Ray cluster lost: stopping this process so that its supervisor restarts it")
    os.kill(os.getpid(), signal.SIGTERM)
