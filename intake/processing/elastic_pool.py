"""The OCR pool on Ray that follows the cluster: one actor per free CPU of every live node, between
a configured minimum and maximum, each actor loading its models once (docs/RAY-CLUSTER.md).

Every `resize_seconds` the pool reads the cluster (`ray.nodes()`):
- a node that joined gets actors on its free CPUs, without restarting anything;
- the actors of a node that died or was drained are forgotten; the page each was reading comes
  back as an error, which the dispatcher counts against the page job's bounded attempts and
  queues again, so the page is read on another node (its result is stored once, by page key);
- actors are placed node by node (hard node affinity), on the node with the most free CPUs
  first, so they spread over the workers instead of piling up on the head.
An actor reports its memory (RSS) with every page; one above `memory_mb` is replaced between
pages: killed once its page is collected, and a fresh one started on the same node.
A crashed actor process is restarted by Ray and its page retried there (`max_restarts`,
`max_task_retries`). When the cluster cannot be read for `lost_after` seconds (head down, or back
as a new cluster that no longer knows this driver), the pool raises `PoolLost`.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psutil

from intake import metrics
from intake.processing.jobs import PageTask
from intake.processing.pool import PageOutcome, PoolLost, StoredPageReader, WorkerSetup

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PoolBounds:
    min_actors: int = 1
    max_actors: int = 0  # 0: one per CPU of the cluster
    memory_mb: int = 1500
    resize_seconds: float = 5.0
    lost_after: float = 30.0

    def target(self, cluster_cpus: int) -> int:
        """How many actors the pool wants for a cluster with `cluster_cpus` CPUs."""
        wanted = cluster_cpus if self.max_actors <= 0 else min(cluster_cpus, self.max_actors)
        return max(self.min_actors, wanted)


class PageWorker:
    """Ray actor body: reads one page of a stored original per call, and says how much memory it holds."""

    def __init__(self, setup: WorkerSetup) -> None:
        self.reader = StoredPageReader(setup)
        self.pages = 0  # pages read by this process

    def read(self, task: PageTask) -> tuple[dict, float]:
        result = self.reader.read(task)
        self.pages += 1
        return result, self.rss_mb()

    def rss_mb(self) -> float:
        return psutil.Process().memory_info().rss / (1024 * 1024)

    def downloads(self) -> int:
        return self.reader.downloads

    def pid(self) -> int:
        return os.getpid()

    def where(self) -> tuple[str, int]:
        """The Ray node this actor runs on, and the pages it has read."""
        import ray

        return ray.get_runtime_context().get_node_id(), self.pages


@dataclass(eq=False)
class Actor:
    handle: Any  # a Ray ActorHandle
    node_id: str | None  # None: placed by Ray wherever a CPU comes free (above the cluster's CPUs)


class ElasticPool:
    """A `PagePool` of Ray actors, one page in flight per actor, resized with the cluster."""

    def __init__(self, setup: WorkerSetup, bounds: PoolBounds, waiting: Callable[[], int] | None = None) -> None:
        import ray

        self.setup = setup
        self.bounds = bounds
        self.waiting = waiting  # page jobs waiting for a reader: what to ask an autoscaler for
        self._asked_cpus = 0
        self._actor_class = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=2)(PageWorker)
        self._actors: list[Actor] = []
        self._starting: dict[Any, Actor] = {}  # ObjectRef of the first call -> actor loading its models
        self._idle: list[Actor] = []
        self._in_flight: dict[Any, tuple[PageTask, Actor]] = {}  # ObjectRef -> (task, actor)
        self._next_resize = 0.0
        self._unreadable_since: float | None = None
        self.recycled = 0  # actors replaced for using too much memory (read by tests)
        self.resize()

    # --- the PagePool protocol ---------------------------------------------------------

    @property
    def actors(self) -> list[Any]:
        """Handles of the live actors, ready or still loading their models."""
        return [actor.handle for actor in self._actors]

    @property
    def free_slots(self) -> int:
        self._collect_started()
        return len(self._idle)

    @property
    def in_flight(self) -> list[PageTask]:
        return [task for task, _actor in self._in_flight.values()]

    def submit(self, task: PageTask) -> None:
        actor = self._idle.pop()
        self._in_flight[actor.handle.read.remote(task)] = (task, actor)

    def wait(self, timeout: float) -> list[PageOutcome]:
        """Finished pages: (task, result, None) or (task, None, error). Resizes when it is time."""
        import ray

        if time.monotonic() >= self._next_resize:
            self.resize()
        self._collect_started()
        if not self._in_flight:
            if timeout > 0 and self._starting:
                ray.wait(list(self._starting), num_returns=1, timeout=timeout)
                self._collect_started()
            return []
        ready, rest = ray.wait(list(self._in_flight), num_returns=1, timeout=timeout)
        if ready and rest:  # collect whatever else is done too, without waiting
            more, _ = ray.wait(rest, num_returns=len(rest), timeout=0)
            ready += more
        finished = [self._collect(ref) for ref in ready]
        return finished

    def shutdown(self) -> None:
        import ray

        for actor in self._actors:
            try:
                ray.kill(actor.handle, no_restart=True)
            except Exception:  # noqa: BLE001 - Ray already gone: nothing left to end
                log.debug("could not kill an actor at shutdown", exc_info=True)
        self._actors, self._idle, self._in_flight, self._starting = [], [], {}, {}

    # --- following the cluster -------------------------------------------------------------

    def resize(self) -> None:
        """Forget the actors of dead nodes, then start actors where the cluster has free CPUs."""
        self._next_resize = time.monotonic() + self.bounds.resize_seconds
        nodes = self._read_cluster()
        if nodes is None:
            return
        alive = {node["NodeID"]: int(node.get("Resources", {}).get("CPU", 0)) for node in nodes if node.get("Alive")}
        changed = False
        for actor in [a for a in self._actors if a.node_id is not None and a.node_id not in alive]:
            log.warning("OCR actor lost with node %s; its page goes back to the queue", (actor.node_id or "")[:12])
            self._drop(actor)
            changed = True
        target = self.bounds.target(sum(alive.values()))
        while len(self._actors) < target:
            self._start(self._roomiest_node(alive))
            changed = True
        if changed:
            self._report()
        self._ask_autoscaler(target)

    def _ask_autoscaler(self, target: int) -> None:
        """Ask the cluster's autoscaler (KubeRay's) for a CPU per page that waits beyond the actors
        the cluster can hold now, within max_actors; nothing when the queue is empty, so it can
        scale down. Without an autoscaler the request is only recorded by Ray."""
        if self.waiting is None:
            return
        try:
            waiting = self.waiting()
        except Exception:  # noqa: BLE001 - the database is down: ask for what was asked before
            log.debug("could not count the waiting pages", exc_info=True)
            return
        wanted = len(self._in_flight) + waiting
        if self.bounds.max_actors > 0:
            wanted = min(wanted, self.bounds.max_actors)
        cpus = wanted if wanted > target else 0
        if cpus == self._asked_cpus:
            return
        from ray.autoscaler.sdk import request_resources

        try:
            request_resources(bundles=[{"CPU": 1}] * cpus)
        except Exception:  # noqa: BLE001 - an old or unreachable GCS: the pool still follows the nodes it has
            log.warning("could not ask the autoscaler for %d CPU(s)", cpus, exc_info=True)
            return
        self._asked_cpus = cpus
        log.info("asked the autoscaler for %d CPU(s) (%d page(s) waiting)", cpus, waiting)

    def _read_cluster(self) -> list[dict] | None:
        import ray

        try:
            nodes = ray.nodes()
        except Exception as exc:  # noqa: BLE001 - GCS unreachable, or a new cluster that does not know us
            now = time.monotonic()
            self._unreadable_since = self._unreadable_since or now
            log.warning("cannot read the Ray cluster: %s: %s", type(exc).__name__, str(exc)[:200])
            if now - self._unreadable_since >= self.bounds.lost_after:
                raise PoolLost(f"Ray cluster unreachable for {now - self._unreadable_since:.0f} s") from exc
            return None
        self._unreadable_since = None
        return nodes

    def _roomiest_node(self, alive: dict[str, int]) -> str | None:
        """The live node with the most CPUs not yet taken by our actors; None when all are taken."""
        ours = Counter(actor.node_id for actor in self._actors)
        free = {node: cpus - ours[node] for node, cpus in alive.items() if cpus - ours[node] > 0}
        return max(free, key=lambda node: (free[node], node)) if free else None

    def _start(self, node_id: str | None) -> None:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        options = {}
        if node_id is not None:  # hard: an actor restarted after its node died must not land elsewhere unseen
            options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(node_id, soft=False)
        handle: Any = self._actor_class.options(**options).remote(self.setup)
        actor = Actor(handle, node_id)
        self._actors.append(actor)
        if node_id is None:  # waits for a CPU anywhere: no page for it before it runs
            self._starting[handle.pid.remote()] = actor
        else:  # its CPU is there: pages queue at it while it loads its models
            self._idle.append(actor)

    def _collect_started(self) -> None:
        import ray

        if not self._starting:
            return
        ready, _ = ray.wait(list(self._starting), num_returns=len(self._starting), timeout=0)
        for ref in ready:
            actor = self._starting.pop(ref)
            try:
                ray.get(ref)
            except Exception as exc:  # noqa: BLE001 - could not start (node gone): the next resize replaces it
                log.warning("an OCR actor did not start: %s", type(exc).__name__)
                self._drop(actor)
                self._report()
                continue
            self._idle.append(actor)

    def _collect(self, ref: Any) -> PageOutcome:
        import ray

        task, actor = self._in_flight.pop(ref)
        try:
            result, rss_mb = ray.get(ref)
        except (ray.exceptions.RayActorError, ray.exceptions.ActorUnschedulableError) as exc:  # its node gone
            # Dead for good (or restarting where it cannot run): never hand it another page.
            log.warning("an OCR actor died: %s", type(exc).__name__)
            if actor in self._actors:
                self._drop(actor)
                self._report()
                self._next_resize = 0.0  # replaced where a CPU is free, at the next turn
            return (task, None, exc)
        except Exception as exc:  # noqa: BLE001 - reported to the dispatcher as the job's error
            if actor in self._actors:
                self._idle.append(actor)
            return (task, None, exc)
        if rss_mb > self.bounds.memory_mb:
            self._recycle(actor, rss_mb)
        elif actor in self._actors:
            self._idle.append(actor)
        return (task, result, None)

    def _recycle(self, actor: Actor, rss_mb: float) -> None:
        """Its page is collected: replace it between pages, on the same node."""
        log.info("OCR actor uses %.0f MB (cap %d MB): replacing it", rss_mb, self.bounds.memory_mb)
        self._drop(actor)
        self.recycled += 1
        self._start(actor.node_id)
        self._report()

    def _drop(self, actor: Actor) -> None:
        import ray

        if actor in self._actors:
            self._actors.remove(actor)
        if actor in self._idle:
            self._idle.remove(actor)
        for ref, starting in list(self._starting.items()):
            if starting is actor:
                del self._starting[ref]
        try:
            ray.kill(actor.handle, no_restart=True)  # a page it still reads fails, and is queued again
        except Exception:  # noqa: BLE001 - already gone with its node
            log.debug("could not kill a lost actor", exc_info=True)

    def _report(self) -> None:
        metrics.actors_alive(self.by_node())

    def in_flight_on(self, node_id: str) -> list[PageTask]:
        """The pages being read on `node_id` now."""
        return [task for task, actor in self._in_flight.values() if actor.node_id == node_id]

    def by_node(self) -> dict[str, int]:
        """Live actors per node id (pending: waiting for a CPU anywhere)."""
        return dict(Counter(actor.node_id or "pending" for actor in self._actors))
