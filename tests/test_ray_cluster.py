"""The OCR pool on a real multi-node Ray cluster on this machine. Nodes are separate raylets on
127.0.0.1 started by `ray.cluster_utils.Cluster` (a head without CPUs for OCR, worker nodes with one
each), this test process the driver, as `sohoa serve` drives a cluster. `sohoa worker --address`
cannot join a loopback-only head on one machine (Ray turns 127.0.0.1 into the machine's outside
address; docs/RAY-CLUSTER.md); the head-restart test runs the production commands (`sohoa worker
--head`, `sohoa serve`, token auth). Each fault is a test:

(a) OCR actors spread over the worker nodes;
(b) a worker node killed (its whole process tree, SIGKILL) while it reads a page: the page is read
    elsewhere, every page is read, each page's result is stored once;
(c) a node added while a dossier waits: the pool starts an actor on it, no restart;
(d) a node drained (SIGTERM to its `sohoa worker`): no page lost, nothing of it left running;
(e) the head restarted: the API driving it dies with it (docs/RAY-CLUSTER.md says why); restarted
    by its supervisor, it joins the new head and the database job queue carries on;
(f) an actor above its memory cap is replaced between pages.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import func, select

from benchmarks.scaling import FAST_HEALTH_CHECKS, LocalCluster
from intake.processing.dispatcher import Dispatcher, DispatchSettings
from intake.processing.elastic_pool import ElasticPool, PoolBounds
from intake.processing.jobs import JobState, pipeline_version
from intake.processing.pool import WorkerSetup
from intake.service import IntakeService, open_service
from intake.settings import Settings
from loopback.ports import free_port
from loopback.processes import stop
from storage.tables import JobRow, PageResultRow
from tests.intake_support import dossier_state, submit_files, ten_page_dossier
from tests.process_support import kill_left, processes_left

pytestmark = [pytest.mark.services, pytest.mark.ocr, pytest.mark.xdist_group("services")]

SOHOA = str(Path(sys.executable).parent / "sohoa")


class RayCluster:
    """`sohoa worker` processes (a head, and nodes joining it), each with a temp dir of its own."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.nodes: dict[str, subprocess.Popen] = {}

    def start_head(self, cpus: int) -> None:
        (self.root / "head").mkdir(exist_ok=True)
        self.nodes["head"] = subprocess.Popen(
            [SOHOA, "worker", "--head", "--port", str(self.port), "--num-cpus", str(cpus)]
            + ["--node-ip-address", "127.0.0.1", "--temp-dir", str(self.root / "head")],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "head.log").open("ab"),
        )

    def drain(self, name: str) -> int | None:
        """SIGTERM to the node's `sohoa worker`, as its supervisor would stop it."""
        process = self.nodes.pop(name)
        stop(process, timeout=60)
        return process.returncode

    def stop_all(self) -> list[str]:
        for name in list(self.nodes):
            stop(self.nodes.pop(name), timeout=60)
        left = processes_left(self.root)
        kill_left(left)
        return left


def node_gone(node: str, timeout: float = 60) -> None:
    import ray

    deadline = time.monotonic() + timeout
    while any(n["NodeID"] == node and n["Alive"] for n in ray.nodes()):
        assert time.monotonic() < deadline, f"the head still counts node {node[:12]} alive"
        time.sleep(0.3)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[LocalCluster]:
    """A head without CPUs and one worker node `a`, this process their driver. Tests add and
    remove others."""
    import ray

    from intake.processing.ray_pool import start_ray

    local = None
    if ray.is_initialized():  # another module's local Ray: put back afterwards
        local = Path(ray._private.worker._global_node.get_temp_dir_path())  # type: ignore[attr-defined]  # no public API
        ray.shutdown()
    root = Path(tempfile.mkdtemp(prefix="sohoa-rc-", dir="/tmp"))  # short: Ray's socket paths
    # Read by the head's GCS when it starts; RAY_TMPDIR keeps cluster_utils' address file (else
    # /tmp/ray/ray_current_cluster, where any `ray.init()` of the machine would find it) in `root`.
    # A loaded CI machine can take longer than Ray's default 30 s to bring up the head's GCS.
    overrides = {**FAST_HEALTH_CHECKS, "RAY_TMPDIR": str(root), "RAY_gcs_server_port_wait_time_s": "120"}
    (root / "ray").mkdir()
    saved = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    left: list[str] = []
    local_cluster = None
    try:
        local_cluster = LocalCluster(root)
        local_cluster.cache_dir = tmp_path_factory.mktemp("ray-cache")  # type: ignore[attr-defined]
        local_cluster.add_worker("a")
        start_ray(local_cluster.address, num_cpus=None, temp_dir=root, object_store_mb=100)
        yield local_cluster
    finally:
        ray.shutdown()
        if local_cluster is not None:
            left = local_cluster.stop_all()
        shutil.rmtree(root, ignore_errors=True)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if local is not None:
            start_ray(None, num_cpus=2, temp_dir=local, object_store_mb=200)
    assert not left, "the cluster left processes behind:\n" + "\n".join(left)


@pytest.fixture
def intake(tmp_path, cluster) -> Iterator[tuple[Settings, IntakeService]]:
    settings = Settings(
        data_dir=tmp_path / "data",
        cache_dir=cluster.cache_dir,
        processing={"lease_seconds": 60, "poll_seconds": 0.1},
    )
    service = open_service(settings)
    yield settings, service
    service.db.dispose()


def elastic_pool(settings: Settings, **bounds: float) -> ElasticPool:
    setup = WorkerSetup(settings.reading, settings.storage, settings.data_dir / "objects", settings.cache_dir)
    return ElasticPool(setup, PoolBounds(**{"resize_seconds": 0.5, **bounds}))  # type: ignore[arg-type]


def dispatcher(settings: Settings, service: IntakeService, pool: ElasticPool) -> Dispatcher:
    timing = DispatchSettings(pipeline_version(settings.reading), max_attempts=3, lease_seconds=60, poll_seconds=0.1)
    return Dispatcher(service.db, pool, settings.reading, timing, service.ctx.clock)


def images(count: int) -> list[tuple[str, bytes]]:
    """Scanned card and form pages: each takes the OCR engines seconds to read."""
    return [(f.name, f.data) for f in ten_page_dossier() if not f.name.endswith(".pdf")][:count]


def finished(service: IntakeService, code: str) -> Callable[[], bool]:
    return lambda: dossier_state(service, code) not in ("queued", "processing")


def jobs(service: IntakeService) -> list[JobRow]:
    with service.db.transaction() as s:
        return list(s.scalars(select(JobRow).order_by(JobRow.id)))


def stored_results(service: IntakeService) -> int:
    with service.db.transaction() as s:
        return s.scalar(select(func.count()).select_from(PageResultRow)) or 0


def assert_every_page_read_once(service: IntakeService, code: str, pages: int) -> None:
    assert dossier_state(service, code) == "needs_review"
    assert [job.state for job in jobs(service)] == [JobState.DONE] * pages  # none lost, none queued twice
    assert stored_results(service) == pages  # each page's result stored once


def placements(pool: ElasticPool) -> list[tuple[str, int]]:
    """Where each actor really runs (asked of the actor), and how many pages it read."""
    import ray

    return ray.get([actor.where.remote() for actor in pool.actors], timeout=120)


# --- the tests -------------------------------------------------------------------------------


def test_actors_spread_over_the_worker_nodes(cluster, intake):
    settings, _service = intake
    a, b = cluster.nodes["a"].node_id, cluster.add_worker("b")
    pool = elastic_pool(settings)  # one actor per CPU of the cluster: the head has none
    try:
        assert sorted(node for node, _pages in placements(pool)) == sorted([a, b])
        assert pool.by_node() == {a: 1, b: 1}
        listening = {
            c.laddr.ip
            for c in psutil.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN and c.pid in cluster.pids("a") + cluster.pids("b")
        }
        assert listening and listening <= {"127.0.0.1", "::ffff:127.0.0.1"}, listening
    finally:
        pool.shutdown()
        cluster.drain("b")


def requested_cpus() -> int:
    """The CPUs the autoscaler is asked to make room for (Ray's v1 channel, or v2's constraints)."""
    import json

    from ray.autoscaler._private.constants import AUTOSCALER_RESOURCE_REQUEST_CHANNEL
    from ray.autoscaler.v2.utils import is_autoscaler_v2
    from ray.experimental.internal_kv import _internal_kv_get, internal_kv_get_gcs_client

    if not is_autoscaler_v2():
        asked = _internal_kv_get(AUTOSCALER_RESOURCE_REQUEST_CHANNEL)
        return sum(int(bundle.get("CPU", 0)) for bundle in json.loads(asked or b"[]"))
    from ray.autoscaler.v2.sdk import get_cluster_resource_state

    state = get_cluster_resource_state(internal_kv_get_gcs_client())
    return sum(
        int(request.resources_bundle.get("CPU", 0))
        for constraint in state.cluster_resource_constraints
        for shape in constraint.resource_requests
        for request in [shape.request] * shape.count
    )


def test_pages_waiting_beyond_the_cluster_ask_the_autoscaler_for_cpus(cluster, intake):
    """KubeRay adds worker pods only for resources someone asks for: the pool asks while pages wait."""
    settings, _service = intake
    waiting = {"pages": 5}
    setup = WorkerSetup(settings.reading, settings.storage, settings.data_dir / "objects", settings.cache_dir)
    pool = ElasticPool(setup, PoolBounds(resize_seconds=0.5, max_actors=4), waiting=lambda: waiting["pages"])
    try:
        assert pool.by_node() == {cluster.nodes["a"].node_id: 1}  # one CPU in the cluster
        assert requested_cpus() == 4  # 5 pages wait, at most 4 actors
        waiting["pages"] = 0
        pool.resize()
        assert requested_cpus() == 0  # nothing waits: the autoscaler may scale down
    finally:
        pool.shutdown()


def test_a_node_added_while_a_dossier_waits_gets_an_actor_without_a_restart(cluster, intake):
    settings, service = intake
    a = cluster.nodes["a"].node_id
    files = images(4)
    code = submit_files(service, *files)
    pool = elastic_pool(settings)
    work = dispatcher(settings, service, pool)
    try:
        assert pool.by_node() == {a: 1}
        work.step()
        c = cluster.add_worker("c")  # while the dossier waits
        assert work.run_until(finished(service, code), timeout=240)
        assert pool.by_node() == {a: 1, c: 1}
        read_on = dict(placements(pool))
        assert read_on[c] >= 1, read_on  # the new node read pages of the waiting dossier
    finally:
        pool.shutdown()
        cluster.drain("c")
    assert_every_page_read_once(service, code, len(files))


def test_a_worker_node_killed_mid_page_its_page_is_read_elsewhere_once(cluster, intake):
    settings, service = intake
    a, k = cluster.nodes["a"].node_id, cluster.add_worker("k")
    files = images(4)
    code = submit_files(service, *files)
    pool = elastic_pool(settings)
    work = dispatcher(settings, service, pool)
    lost: list[int] = []
    killed: list[int] = []

    def kill_k_mid_page() -> bool:
        if not lost and pool.in_flight_on(k):
            lost.extend(task.job_id for task in pool.in_flight_on(k))
            killed.extend(cluster.pids("k"))
            cluster.kill("k")
        return finished(service, code)()

    try:
        assert pool.by_node() == {a: 1, k: 1}
        assert work.run_until(kill_k_mid_page, timeout=300)
        node_gone(k)
        assert pool.by_node() == {a: 1}  # the dead node's actor is forgotten
    finally:
        pool.shutdown()
    assert lost, "node k never had a page in flight"
    assert_every_page_read_once(service, code, len(files))
    retried = {job.id: job.attempts for job in jobs(service) if job.id in lost}
    assert all(attempts >= 2 for attempts in retried.values()), retried  # read again, on node a
    assert not [pid for pid in killed if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]


def test_a_node_drained_and_removed_loses_no_page(cluster, intake):
    settings, service = intake
    a, d = cluster.nodes["a"].node_id, cluster.add_worker("d")
    files = images(4)
    code = submit_files(service, *files)
    pool = elastic_pool(settings)
    work = dispatcher(settings, service, pool)
    drained: list[int] = []

    def drain_d_mid_page() -> bool:
        if not drained and pool.in_flight_on(d):
            drained.extend(cluster.pids("d"))
            cluster.drain("d")
        return finished(service, code)()

    try:
        assert pool.by_node() == {a: 1, d: 1}
        assert work.run_until(drain_d_mid_page, timeout=300)
        assert pool.by_node() == {a: 1}
    finally:
        pool.shutdown()
    assert drained, "node d never had a page in flight"
    assert_every_page_read_once(service, code, len(files))
    assert not [pid for pid in drained if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]


def test_an_actor_above_its_memory_cap_is_replaced_between_pages(cluster, intake):
    from samples.generate import generate_document

    settings, service = intake
    a = cluster.nodes["a"].node_id
    pdf = generate_document("pdf_born_digital", "clean", 0).pdf_bytes or b""  # 3 pages
    code = submit_files(service, ("cong-van.pdf", pdf))
    pool = elastic_pool(settings, min_actors=1, max_actors=1, memory_mb=1)  # every actor is over
    work = dispatcher(settings, service, pool)
    try:
        import ray

        first = ray.get(pool.actors[0].pid.remote(), timeout=120)
        assert work.run_until(finished(service, code), timeout=240)
        last = ray.get(pool.actors[0].pid.remote(), timeout=120)
        assert pool.recycled == 3 and last != first  # one replacement after each page
        assert pool.by_node() == {a: 1}  # on the same node, the pool still whole
        assert not psutil.pid_exists(first) or psutil.Process(first).status() == psutil.STATUS_ZOMBIE
    finally:
        pool.shutdown()
    assert_every_page_read_once(service, code, 3)


def test_the_head_restarted_the_api_is_restarted_and_the_queue_carries_on(tmp_path, cluster):
    """The production commands with token auth: `sohoa worker --head` (with the OCR CPU, as a
    loopback head cannot have worker nodes here) and `sohoa serve` driving it."""
    root = Path(tempfile.mkdtemp(prefix="sohoa-rh-", dir="/tmp"))
    env = {
        **os.environ,
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(16),
        "RAY_gcs_rpc_server_reconnect_timeout_s": "5",  # nodes and drivers give up on a lost head fast
        "SOHOA_DATA_DIR": str(tmp_path / "data"),
        "SOHOA_CACHE_DIR": str(cluster.cache_dir),
        "SOHOA_RAY__RESIZE_SECONDS": "1",
        "SOHOA_PROCESSING__POLL_SECONDS": "0.1",
    }
    second = RayCluster(root, env)
    env["SOHOA_RAY__ADDRESS"] = second.address
    service = open_service(Settings(data_dir=tmp_path / "data", cache_dir=cluster.cache_dir))
    files = images(4)
    code = submit_files(service, *files)
    apis: list[subprocess.Popen] = []

    def serve() -> subprocess.Popen:
        port = free_port()
        api = subprocess.Popen(
            [SOHOA, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "api.log").open("ab"),
        )
        api.port = port  # type: ignore[attr-defined]
        apis.append(api)
        return api

    def done_pages() -> int:
        return sum(job.state == JobState.DONE for job in jobs(service))

    left: list[str] = []
    try:
        second.start_head(cpus=1)
        first_api = serve()
        deadline = time.monotonic() + 240
        while done_pages() < 1:
            assert first_api.poll() is None and time.monotonic() < deadline, (tmp_path / "api.log").read_text()[-3000:]
            time.sleep(0.2)
        done_before = done_pages()
        assert done_before < len(files), "the dossier was read before the head could be restarted"

        assert second.drain("head") == 0
        first_api.wait(timeout=90)  # a driver does not outlive its cluster's head
        second.start_head(cpus=1)  # as its supervisor would, and the API's (same data, same queue)
        api = serve()
        deadline = time.monotonic() + 300
        while dossier_state(service, code) in ("queued", "processing"):
            assert api.poll() is None and time.monotonic() < deadline, (tmp_path / "api.log").read_text()[-3000:]
            time.sleep(0.3)
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{api.port}/readyz", timeout=30)  # type: ignore[attr-defined]
                break
            except httpx.TransportError:
                assert api.poll() is None and time.monotonic() < deadline, (tmp_path / "api.log").read_text()[-3000:]
                time.sleep(0.3)
    finally:
        for process in apis:
            stop(process, timeout=60)
        left = second.stop_all()
        shutil.rmtree(root, ignore_errors=True)
    assert ready.status_code == 200 and ready.json()["checks"]["ray"] == "ok", ready.text
    assert_every_page_read_once(service, code, len(files))
    service.db.dispose()
    assert not left, "the restarted cluster left processes behind:\n" + "\n".join(left)
