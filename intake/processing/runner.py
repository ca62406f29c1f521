"""Starting and stopping the page processing of one process: Ray, the worker pool and the dispatcher."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from intake.clock import Clock
from intake.processing.dispatcher import Dispatcher, DispatchSettings
from intake.processing.pool import PagePool, WorkerSetup
from intake.processing.ray_pool import RayHandle, WorkerPool, start_ray
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
        import ray  # after start_ray, which sets the environment Ray reads at import

        size = settings.ray.workers or int(ray.cluster_resources().get("CPU", 1))
        setup = WorkerSetup(settings.reading, settings.storage, settings.data_dir / "objects", settings.cache_dir)
        pool = WorkerPool(setup, size)
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
    )
    dispatcher.start()
    log.info("processing pages on %d Ray worker(s)", size)
    return Processing(dispatcher, pool, ray_handle)
