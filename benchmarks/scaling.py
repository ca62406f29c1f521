"""Pages per second with 1 and 2 Ray worker nodes on the same kind of pages, and what losing a node
in the middle of a dossier adds to its time.

    .venv/bin/python -m benchmarks.scaling [--pages 12] [--seed 7301] [--out out/scaling.json]

A real cluster on this machine: a head without CPUs for OCR and worker nodes with one CPU each,
separate raylet processes on 127.0.0.1 (`ray.cluster_utils.Cluster`: `sohoa worker --address` cannot
join a loopback-only head on one machine, docs/RAY-CLUSTER.md); this process is the driver (the
elastic OCR pool and the dispatcher, as `sohoa serve` runs them).
1. one worker node: a warm-up dossier, then `--pages` scanned pages timed (rate1);
2. a second node joins; the pool puts an actor on it by itself; warm-up, then as many other
   pages of the same kinds timed (rate2); scaling efficiency = rate2 / (2 × rate1);
3. the same again with the second node killed (SIGKILL of its whole process tree) while it reads
   a page: the time it adds to the dossier, next to step 2.
Each step reads different pages (no page result is reused). Two 1-CPU nodes are the most a 2-core
machine can show; other processes on the machine make the figures noisy (say so with them).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.dataset import HELD_OUT_SEED
from benchmarks.intake import PROCEDURE, SERVICE_POINT, scanned_pages
from intake.processing.ray_pool import LOOPBACK_ENV

FAST_HEALTH_CHECKS = {  # the head notices a lost node in about 3 s
    "RAY_health_check_initial_delay_ms": "1000",
    "RAY_health_check_period_ms": "1000",
    "RAY_health_check_timeout_ms": "1000",
    "RAY_health_check_failure_threshold": "3",
}


class LocalCluster:
    """Ray nodes as separate raylet processes on 127.0.0.1 (`ray.cluster_utils.Cluster`)."""

    def __init__(self, root: Path) -> None:
        from ray.cluster_utils import Cluster

        from intake.processing.ray_pool import prepare_ray_home

        self.root = root
        self.home = prepare_ray_home(root / "home")
        with ray_home(self.home):
            self.cluster = Cluster(
                initialize_head=True,
                head_node_args={"num_cpus": 0, "temp_dir": str(root), "include_dashboard": False},
                shutdown_at_exit=False,
            )
        self.address = self.cluster.address
        self.nodes: dict[str, Any] = {}  # name -> ray._private.node.Node

    def add_worker(self, name: str) -> str:
        with ray_home(self.home):
            self.nodes[name] = self.cluster.add_node(num_cpus=1, object_store_memory=80 * 1024 * 1024)
        return self.nodes[name].node_id

    def drain(self, name: str) -> None:
        """Its processes are told to stop (SIGTERM) and given time to."""
        self.cluster.remove_node(self.nodes.pop(name), allow_graceful=True)

    def kill(self, name: str) -> None:
        """The node's machine is lost: every process of it ends at once (SIGKILL)."""
        self.cluster.remove_node(self.nodes.pop(name), allow_graceful=False)

    def pids(self, name: str) -> list[int]:
        return [p.process.pid for processes in self.nodes[name].all_processes.values() for p in processes]

    def stop_all(self) -> list[str]:
        """Every node stopped; what still used the cluster's directory (then ended)."""
        from intake.processing.ray_processes import end_processes, processes_under

        self.cluster.shutdown()
        deadline = time.monotonic() + 15  # workers exit a moment after their raylet
        while (left := processes_under(self.root)) and time.monotonic() < deadline:
            time.sleep(0.2)
        end_processes(left)
        return [f"{p.pid} {' '.join(p.cmdline())[:120]}" for p in left]


@contextmanager
def ray_home(home: Path) -> Iterator[None]:
    """Ray's dashboard probes cloud metadata unless HOME holds ray_bootstrap_config.yaml."""
    previous = os.environ.get("HOME")
    os.environ["HOME"] = str(home)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = previous


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=12, help="pages timed in each step")
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED)
    parser.add_argument("--out", type=Path, default=Path("out/scaling.json"))
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="sohoa-sc-", dir="/tmp"))  # short: Ray's socket paths
    os.environ.update({**LOOPBACK_ENV, **FAST_HEALTH_CHECKS, "RAY_TMPDIR": str(root)})  # before Ray is imported
    (root / "ray").mkdir()
    pages = {step: scanned_pages(args.seed, step, args.pages) for step in ("one", "two", "loss")}
    warm = {step: scanned_pages(args.seed, f"warm-{step}", 2) for step in ("one", "two", "loss")}
    cluster = None
    try:
        cluster = LocalCluster(root)
        figures = run(cluster, pages, warm)
    finally:
        import ray

        ray.shutdown()
        if cluster is not None:
            cluster.stop_all()
        shutil.rmtree(root, ignore_errors=True)
    figures["pages"] = args.pages
    figures["command"] = f".venv/bin/python -m benchmarks.scaling --pages {args.pages} --seed {args.seed}"
    print_table(figures)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"written to {args.out}")
    return 0


def run(
    cluster: LocalCluster, pages: dict[str, list[tuple[str, bytes]]], warm: dict[str, list[tuple[str, bytes]]]
) -> dict:
    from sqlalchemy import select

    from intake.auth import Principal, Role
    from intake.processing.dispatcher import Dispatcher, DispatchSettings
    from intake.processing.elastic_pool import ElasticPool, PoolBounds
    from intake.processing.jobs import pipeline_version
    from intake.processing.pool import WorkerSetup
    from intake.processing.ray_pool import start_ray
    from intake.schemas import ApplicantBase, DossierCreate
    from intake.service import open_service
    from intake.settings import Settings
    from storage.tables import DossierRow

    cluster.add_worker("n1")
    start_ray(cluster.address, num_cpus=None, temp_dir=cluster.root, object_store_mb=100)
    settings = Settings(data_dir=cluster.root / "data", cache_dir=cluster.root / "cache")
    service = open_service(settings)
    clerk = Principal(Role.COUNTER, "bench.tiepnhan", SERVICE_POINT)
    setup = WorkerSetup(settings.reading, settings.storage, settings.data_dir / "objects", settings.cache_dir)
    pool = ElasticPool(setup, PoolBounds(resize_seconds=0.5))
    timing = DispatchSettings(pipeline_version(settings.reading), lease_seconds=120, poll_seconds=0.05)
    work = Dispatcher(service.db, pool, settings.reading, timing, service.ctx.clock)

    def read(files: list[tuple[str, bytes]], during: Callable[[], None] | None = None) -> float:
        dossier = service.dossiers.create(
            clerk,
            DossierCreate(
                procedure_code=PROCEDURE, service_point_code=SERVICE_POINT, applicant=ApplicantBase(full_name="Mẫu")
            ),
        )
        for name, data in files:
            service.dossiers.add_file(clerk, dossier.id, name, io.BytesIO(data))
        code = service.dossiers.submit(clerk, dossier.id).code
        started = time.perf_counter()

        def done() -> bool:
            if during is not None:
                during()
            with service.db.transaction() as s:
                now = s.scalar(select(DossierRow.state).where(DossierRow.code == code))
            return now not in ("queued", "processing")

        if not work.run_until(done, timeout=1800):
            raise RuntimeError(f"dossier {code} not read in 30 minutes")
        return time.perf_counter() - started

    try:
        read(warm["one"])
        one_s = read(pages["one"])
        n2 = cluster.add_worker("n2")
        while n2 not in pool.by_node():
            work.step()  # the pool notices the new node by itself
        read(warm["two"])
        two_s = read(pages["two"])
        read(warm["loss"])
        killed_at: list[float] = []

        def kill_n2_mid_page() -> None:
            if not killed_at and pool.in_flight_on(n2):
                cluster.kill("n2")
                killed_at.append(time.perf_counter())

        loss_s = read(pages["loss"], kill_n2_mid_page)
    finally:
        pool.shutdown()
        service.db.dispose()
    count = len(pages["one"])
    rate1, rate2 = count / one_s, count / two_s
    return {
        "one_node": {"seconds": round(one_s, 1), "pages_per_s": round(rate1, 3)},
        "two_nodes": {"seconds": round(two_s, 1), "pages_per_s": round(rate2, 3)},
        "scaling_efficiency": round(rate2 / (2 * rate1), 3),
        "node_loss": {"seconds": round(loss_s, 1), "added_s": round(loss_s - two_s, 1), "killed": bool(killed_at)},
        "note": "2-core machine shared with other work: two 1-CPU worker nodes, figures noisy",
    }


def print_table(figures: dict) -> None:
    print(f"{'step':<28}{'seconds':>9}{'pages/s':>10}")
    print(f"{'1 worker node':<28}{figures['one_node']['seconds']:>9}{figures['one_node']['pages_per_s']:>10}")
    print(f"{'2 worker nodes':<28}{figures['two_nodes']['seconds']:>9}{figures['two_nodes']['pages_per_s']:>10}")
    loss = figures["node_loss"]
    print(f"{'2 nodes, one killed mid-page':<28}{loss['seconds']:>9}{'':>10}")
    print(f"scaling efficiency rate2 / (2 x rate1): {figures['scaling_efficiency']:.0%} (goal >= 90 %)")
    print(f"a node lost mid-dossier added {loss['added_s']} s to {figures['pages']} pages")


if __name__ == "__main__":
    raise SystemExit(main())
