"""Starting and stopping the page processing of one process: the worker pool and the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass

from intake.processing.dispatcher import DispatchSettings, Dispatcher
from intake.processing.ray_pool import WorkerPool, WorkerSetup, pipeline_version, start_ray
from intake.settings import Settings
from storage.db import Database


@dataclass
class Processing:
    """The Ray pool and the dispatcher thread, when this process runs them."""

    dispatcher: object
    pool: object

    def stop(self) -> None:
        self.dispatcher.stop()
        self.pool.shutdown()


def start_processing(settings: Settings, db: Database) -> Processing:
    start_ray(settings.ray.address, num_cpus=settings.ray.workers or None, temp_dir=settings.ray_temp_dir(),
              object_store_mb=settings.ray.object_store_mb)
    import ray  # after start_ray, which sets the environment Ray reads at import

    size = settings.ray.workers or int(ray.cluster_resources().get("CPU", 1))
    setup = WorkerSetup(settings.reading, settings.storage, settings.data_dir / "objects", settings.cache_dir)
    pool = WorkerPool(setup, size)
    dispatcher = Dispatcher(db, pool, settings.reading, DispatchSettings(
        pipeline_version(settings.reading), settings.processing.max_attempts,
        settings.processing.lease_seconds, settings.processing.poll_seconds))
    dispatcher.start()
    return Processing(dispatcher, pool)
