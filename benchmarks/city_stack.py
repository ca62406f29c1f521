"""The production stack on this machine for benchmarks/city_day.py: PostgreSQL and SeaweedFS on
loopback (loopback/), a Ray cluster of separate nodes (`sohoa worker --head`, `sohoa worker
--address`, token auth, each with Ray's metrics export on), `sohoa db`, `sohoa keys` and the API
(`sohoa serve`) joining the cluster as its driver: the commands docker-compose.yml runs.

Everything binds 127.0.0.1 and everything started here is ended by `CityStack.close()`.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from intake.processing.ray_pool import LOOPBACK_ENV, prepare_ray_home
from loopback.pgserver import PostgresServer, start_postgres
from loopback.ports import free_port
from loopback.processes import stop
from loopback.s3server import S3Server, start_s3_server

SOHOA = str(Path(sys.executable).parent / "sohoa")
BUCKET = "sohoa"
AGENCY = "000.00.01.H26"  # the city centre receives for every simulated point


def end_left_behind(directory: Path, grace: float = 15.0) -> list[str]:
    """Processes still using Ray's temp dir `directory` once Ray had `grace` seconds to end them
    (Ray's workers rename themselves, but their command lines or open files name the directory):
    listed, then killed, since this run started them."""
    deadline = time.monotonic() + grace
    while True:
        left = []
        for proc in psutil.process_iter(["pid", "cmdline", "status"]):
            try:
                if proc.pid == os.getpid() or proc.info["status"] == psutil.STATUS_ZOMBIE:
                    continue
                named = str(directory) in " ".join(proc.info["cmdline"] or [])
                if named or any(f.path.startswith(f"{directory}/") for f in proc.open_files()):
                    left.append(proc)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    for proc in left:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    return [f"{p.pid} {' '.join(p.info['cmdline'] or [])[:120]}" for p in left]


def point_codes(count: int) -> list[str]:
    return [f"HN-DIEM{i:03d}" for i in range(1, count + 1)]


def write_organisation(path: Path, points: list[str]) -> None:
    """The shipped agencies, and `points` service points (the city's 126 have no codes in the
    repository; these stand in for them)."""
    shipped = json.loads((Path(__file__).parents[1] / "models/data/organisation.json").read_text(encoding="utf-8"))
    shipped["service_points"] = [
        {"code": code, "name": f"Điểm phục vụ mô phỏng {code[-3:]}", "receiving_unit": AGENCY, "ward_code": None}
        for code in points
    ]
    path.write_text(json.dumps(shipped, ensure_ascii=False), encoding="utf-8")


@dataclass
class CityStack:
    scratch: Path
    ray_dir: Path
    env: dict[str, str]
    postgres: PostgresServer | None = None
    s3: S3Server | None = None
    database_url: str = ""
    head_port: int = 0
    metrics_ports: list[int] = field(default_factory=list)
    nodes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    inner_nodes: list[Any] = field(default_factory=list)  # ray._private.node.Node, hosted here
    api: subprocess.Popen[bytes] | None = None
    api_port: int = 0
    keys: dict[str, str] = field(default_factory=dict)  # subject -> key
    left_behind: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def log(self, name: str) -> Path:
        return self.scratch / f"{name}.log"

    def close(self) -> None:
        if self.api is not None:
            stop(self.api, timeout=60)
        for inner in self.inner_nodes:  # workers first, the head last
            inner.kill_all_processes(check_alive=False, allow_graceful=True)
        for node in self.nodes:
            stop(node, timeout=60)
        self.left_behind = end_left_behind(self.ray_dir)
        if self.s3 is not None:
            self.s3.stop()
        if self.postgres is not None:
            self.postgres.stop()
        shutil.rmtree(self.ray_dir, ignore_errors=True)


def start_stack(scratch: Path, points: list[str], *, nodes: int, cpus_per_node: int, pool: int) -> CityStack:
    """PostgreSQL, S3, `nodes` Ray nodes of `cpus_per_node` CPUs (the first is the head), the
    schema, one counter key per point and one reviewer key, and the API (pool = SOHOA_RAY__
    WORKERS; 0 = the elastic pool's default). Closes what it started if a step fails."""
    ray_dir = Path(tempfile.mkdtemp(prefix="sohoa-cd-", dir="/tmp"))  # short: Ray's socket paths
    organisation = scratch / "organisation.json"
    write_organisation(organisation, points)
    env = {
        **os.environ,
        **LOOPBACK_ENV,
        "SOHOA_DATA_DIR": str(scratch / "data"),
        "SOHOA_CACHE_DIR": str(scratch / "cache"),
        "SOHOA_INTAKE__ORGANISATION_FILE": str(organisation),
        "SOHOA_RAY__WORKERS": str(pool),
        "SOHOA_LOG__FORMAT": "json",
        "SOHOA_RAY__RESIZE_SECONDS": "5",
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(16),
        "OMP_THREAD_LIMIT": "1",  # one thread per engine: an actor owns one core
        "OMP_NUM_THREADS": "1",
    }
    stack = CityStack(scratch, ray_dir, env)
    try:
        _start_storage(stack)
        _start_ray(stack, nodes, cpus_per_node)
        _prepare_database(stack, points)
        _start_api(stack)
    except BaseException:
        stack.close()
        raise
    return stack


def _start_storage(stack: CityStack) -> None:
    stack.postgres = start_postgres(stack.scratch / "pg")
    stack.database_url = stack.postgres.create_database("sohoa")
    stack.s3 = start_s3_server(stack.scratch / "s3")
    stack.env["SOHOA_DATABASE_URL"] = stack.database_url
    stack.env.update({f"SOHOA_STORAGE__{k.upper()}": v for k, v in stack.s3.storage_settings(BUCKET).items()})


def _start_ray(stack: CityStack, nodes: int, cpus: int) -> None:
    """The head is the production command (`sohoa worker --head`, as compose runs it). The other
    nodes join it in this process through Ray's own node launcher (`ray._private.node.Node`, what
    `ray.cluster_utils.Cluster` uses), each with its own raylet, object store and workers: `ray
    start --address` (under `sohoa worker --address`) cannot join a loopback-only head, since it
    refuses to add a node while RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 (which keeps Ray on 127.0.0.1)
    and, without it, rewrites 127.0.0.1 into the machine's outward address."""
    stack.head_port = free_port()
    stack.metrics_ports.append(free_port())
    command = [SOHOA, "worker", "--head", "--port", str(stack.head_port), "--node-ip-address", "127.0.0.1"]
    command += ["--num-cpus", str(cpus), "--temp-dir", str(stack.ray_dir)]
    command += ["--metrics-export-port", str(stack.metrics_ports[0])]
    stack.nodes.append(
        subprocess.Popen(command, env=stack.env, stdout=subprocess.DEVNULL, stderr=stack.log("head").open("wb"))
    )
    if nodes < 2:
        return
    # This process hosts the other nodes: Ray's loopback settings, the token, a HOME that stops
    # the metadata probe, before Ray is imported.
    os.environ.update({k: stack.env[k] for k in (*LOOPBACK_ENV, "RAY_AUTH_MODE", "RAY_AUTH_TOKEN")})
    os.environ["HOME"] = str(prepare_ray_home(stack.ray_dir / "home"))
    from ray._private.node import Node
    from ray._private.parameter import RayParams

    _wait_for_port(stack.head_port, 120)
    for _ in range(nodes - 1):
        stack.metrics_ports.append(free_port())
        params = RayParams(
            gcs_address=f"127.0.0.1:{stack.head_port}",
            node_ip_address="127.0.0.1",
            num_cpus=cpus,
            temp_dir=str(stack.ray_dir),
            metrics_export_port=stack.metrics_ports[-1],
        )
        stack.inner_nodes.append(Node(params, head=False, shutdown_at_exit=True, spawn_reaper=True))


def _wait_for_port(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing answers on 127.0.0.1:{port}") from None
            time.sleep(0.5)


def _prepare_database(stack: CityStack, points: list[str]) -> None:
    subprocess.run([SOHOA, "db"], env=stack.env, check=True, timeout=300, capture_output=True)
    for subject, role, point in [(p, "counter", p) for p in points] + [("kt.city", "reviewer", None)]:
        args = [SOHOA, "keys", role, subject.lower(), *(["--service-point", point] if point else [])]
        done = subprocess.run(args, env=stack.env, check=True, timeout=120, capture_output=True, text=True)
        stack.keys[subject] = done.stdout.strip()


def _start_api(stack: CityStack, timeout: float = 240) -> None:
    stack.api_port = free_port()
    env = {**stack.env, "SOHOA_RAY__ADDRESS": f"127.0.0.1:{stack.head_port}"}
    stack.api = subprocess.Popen(
        [SOHOA, "serve", "--port", str(stack.api_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stack.log("api").open("wb"),
    )
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=stack.base_url, timeout=10) as http:
        while True:  # ready: database at the current schema, object store and Ray answer
            try:
                if http.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if stack.api.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the API did not become ready; see {stack.log('api')}")
            time.sleep(0.5)
