"""OCR on Ray: a pool of page-reading actors, each loading its models once.

A local Ray is started on demand with loopback-only settings (../shared/design/
RUNNING-REAL-SERVICES.md), or an existing cluster is joined by address. Actors are
restarted by Ray when their process dies, and the task they were running is retried on the
new process (`max_restarts`, `max_task_retries`); what still fails comes back as an error
that the dispatcher counts against the job's bounded attempts.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import ReadingConfig
from storage.config import StorageSettings

log = logging.getLogger(__name__)

READER_VERSION = "sohoa-read/2"  # 2: QR codes and handwriting regions in page results


def pipeline_version(config: ReadingConfig) -> str:
    """Identity of what produced a page result: code version plus every reading setting."""
    digest = hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:16]
    return f"{READER_VERSION}+{digest}"


def page_key(file_sha256: str, index: int) -> str:
    """Content identity of a page: its file's SHA-256 and its index in that file."""
    return hashlib.sha256(f"{file_sha256}:{index}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class PageTask:
    job_id: int
    object_key: str
    filename: str
    page_index: int


@dataclass(frozen=True, slots=True)
class WorkerSetup:
    """What an actor needs to build its own engines and object store (picklable)."""

    reading: ReadingConfig
    storage: StorageSettings
    local_dir: Path
    cache_dir: Path


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


def start_ray(address: str | None, *, num_cpus: int | None, temp_dir: Path, object_store_mb: int) -> None:
    """Join the cluster at `address`, or start a local loopback-only Ray. Idempotent."""
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    if not address or address.split(":")[0] in ("127.0.0.1", "localhost"):
        # Read by Ray when it is first imported: set before `import ray`, or Ray binds every
        # interface. Not for a real cluster, whose nodes must reach this driver.
        os.environ.update(LOOPBACK_ENV)
    import ray

    if ray.is_initialized():
        return
    if address:
        if address == "auto":
            raise ValueError("give the cluster's host:port; 'auto' may join a stranger's Ray")
        ray.init(address=address, log_to_driver=False)
        return
    temp_dir.mkdir(parents=True, exist_ok=True)
    home = prepare_ray_home(temp_dir / "home")
    previous_home = os.environ.get("HOME")
    os.environ["HOME"] = str(home)  # inherited by Ray's processes started now
    try:
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False,
                 object_store_memory=object_store_mb * 1024 * 1024, _temp_dir=str(temp_dir),
                 _node_ip_address="127.0.0.1")
    finally:
        if previous_home is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = previous_home


class PageWorker:
    """Ray actor body: reads one page of a stored original per call."""

    def __init__(self, setup: WorkerSetup) -> None:
        from pipeline.reader import OcrEngines
        from storage.config import open_object_store

        self.setup = setup
        self.store = open_object_store(setup.storage, setup.local_dir)
        self.engines = OcrEngines(setup.reading, setup.cache_dir)

    def read(self, task: PageTask) -> dict:
        from pipeline.reader import read_one_page

        with self.store.open(task.object_key) as stream:
            data = stream.read()
        page = read_one_page(data, task.filename, task.page_index, self.setup.reading, self.engines)
        return {**page.to_dict(), "skew_degrees": page.skew_degrees}

    def pid(self) -> int:
        return os.getpid()


class WorkerPool:
    """A fixed set of actors; one page in flight per actor (each holds its own models)."""

    def __init__(self, setup: WorkerSetup, size: int) -> None:
        import ray

        actor_class = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=2)(PageWorker)
        self.actors = [actor_class.remote(setup) for _ in range(max(1, size))]
        self._idle = list(self.actors)
        self._in_flight: dict = {}  # ObjectRef -> (task, actor)

    @property
    def free_slots(self) -> int:
        return len(self._idle)

    @property
    def in_flight(self) -> list[PageTask]:
        return [task for task, _actor in self._in_flight.values()]

    def submit(self, task: PageTask) -> None:
        actor = self._idle.pop()
        self._in_flight[actor.read.remote(task)] = (task, actor)

    def wait(self, timeout: float) -> list[tuple[PageTask, dict | None, BaseException | None]]:
        """Finished pages: (task, result, None) or (task, None, error)."""
        import ray

        if not self._in_flight:
            return []
        ready, rest = ray.wait(list(self._in_flight), num_returns=1, timeout=timeout)
        if ready and rest:  # collect whatever else is done too, without waiting
            more, _ = ray.wait(rest, num_returns=len(rest), timeout=0)
            ready += more
        finished = []
        for ref in ready:
            task, actor = self._in_flight.pop(ref)
            self._idle.append(actor)
            try:
                finished.append((task, ray.get(ref), None))
            except Exception as exc:  # noqa: BLE001 - reported to the dispatcher as the job's error
                finished.append((task, None, exc))
        return finished

    def shutdown(self) -> None:
        import ray

        for actor in self.actors:
            ray.kill(actor, no_restart=True)
        self.actors, self._idle, self._in_flight = [], [], {}
