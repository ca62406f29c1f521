"""The production commands, as docker-compose.yml runs them, without Docker: a Ray head
(`sohoa worker --head`), the migration job (`sohoa db`), API keys (`sohoa keys`) and the
API (`sohoa serve`) joining that cluster by address; a dossier goes through over HTTP.
And `sohoa demo`, the whole flow on a local Ray. No command leaves a Ray process behind."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from loopback.ports import free_port
from loopback.processes import stop
from tests.intake_support import ten_page_dossier
from tests.process_support import kill_left, processes_left

pytestmark = [pytest.mark.services, pytest.mark.ocr, pytest.mark.xdist_group("services")]

SOHOA = str(Path(sys.executable).parent / "sohoa")


def test_head_db_keys_and_serve_commands_run_a_dossier(tmp_path):
    ray_dir = Path(tempfile.mkdtemp(prefix="sohoa-rh-", dir="/tmp"))  # short: Ray's socket paths
    head_port, api_port = free_port(), free_port()
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(tmp_path / "data"),
        "SOHOA_CACHE_DIR": str(tmp_path / "cache"),
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(16),
    }
    head = subprocess.Popen(
        [
            SOHOA,
            "worker",
            "--head",
            "--port",
            str(head_port),
            "--node-ip-address",
            "127.0.0.1",
            "--num-cpus",
            "2",
            "--temp-dir",
            str(ray_dir),
            "--metrics-export-port",  # as docker-compose.yml runs it (Ray's own metrics)
            str(free_port()),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "head.log").open("wb"),
    )
    api = None
    try:
        subprocess.run([SOHOA, "db"], env=env, check=True, timeout=120)
        keys = {
            role: subprocess.run(
                [SOHOA, "keys", role, subject, *point], env=env, check=True, capture_output=True, text=True, timeout=120
            ).stdout.strip()
            for role, subject, *point in (
                ("counter", "nv.a", "--service-point", "HN-BADINH"),  # a counter key belongs to its point
                ("reviewer", "kt.b"),
                ("agency", "000.00.20.H26"),
            )
        }
        api_env = {**env, "SOHOA_RAY__ADDRESS": f"127.0.0.1:{head_port}"}
        api = subprocess.Popen(
            [SOHOA, "serve", "--port", str(api_port)],
            env=api_env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "api.log").open("wb"),
        )
        base = f"http://127.0.0.1:{api_port}/api/v1"
        with httpx.Client(base_url=base, timeout=60) as http:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if http.get("/procedures", headers={"X-API-Key": keys["counter"]}).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert api.poll() is None and time.monotonic() < deadline, (tmp_path / "api.log").read_text()
                time.sleep(0.5)
            counter = {"X-API-Key": keys["counter"]}
            dossier = http.post(
                "/dossiers",
                headers=counter,
                json={
                    "procedure_code": "2.000200",
                    "service_point_code": "HN-BADINH",
                    "applicant": {"full_name": "Phạm Văn Mẫu"},
                },
            ).json()
            card = next(f for f in ten_page_dossier() if f.kind == "cccd_front")
            assert (
                http.post(
                    f"/dossiers/{dossier['id']}/files", headers=counter, files={"file": (card.name, card.data)}
                ).status_code
                == 201
            )
            code = http.post(f"/dossiers/{dossier['id']}/submit", headers=counter).json()["code"]
            deadline = time.monotonic() + 180
            while (state := http.get(f"/dossiers/{code}", headers=counter).json())["state"] in ("queued", "processing"):
                assert time.monotonic() < deadline, "not processed in time"
                time.sleep(0.5)
            assert state["state"] == "needs_review"
            review = http.get(f"/review/dossiers/{code}", headers={"X-API-Key": keys["reviewer"]}).json()
            fields = {f["name"]: f["value"] for f in review["components"][0]["fields"]}
            assert fields["so_dinh_danh"] == card.truth_fields["so_dinh_danh"]
    finally:
        if api is not None:
            stop(api, timeout=60)
        stop(head, timeout=60)
        left = processes_left(ray_dir)
        kill_left(left)
        shutil.rmtree(ray_dir, ignore_errors=True)
    assert not left, "the stopped Ray head left processes behind:\n" + "\n".join(left)


def test_demo_runs_the_whole_flow_and_leaves_no_ray_process(tmp_path):
    ray_dir = Path(tempfile.mkdtemp(prefix="sohoa-rd-", dir="/tmp"))  # short: Ray's socket paths
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(tmp_path / "data"),
        "SOHOA_CACHE_DIR": str(tmp_path / "cache"),
        "SOHOA_RAY__TEMP_DIR": str(ray_dir),
        "SOHOA_RAY__WORKERS": "2",
    }
    out = tmp_path / "agency"
    try:
        demo = subprocess.run(
            [SOHOA, "demo", "--out", str(out)],
            env=env,
            cwd=Path(__file__).parents[1],
            capture_output=True,
            text=True,
            timeout=900,
        )
    finally:
        left = processes_left(ray_dir)
        kill_left(left)
        shutil.rmtree(ray_dir, ignore_errors=True)
    assert not left, "sohoa demo left Ray processes behind:\n" + "\n".join(left)
    assert demo.returncode == 0, demo.stderr[-4000:]
    packages = list(out.iterdir())
    assert len(packages) == 1 and (packages[0] / "manifest.json").is_file()
    manifest = json.loads((packages[0] / "manifest.json").read_text(encoding="utf-8"))
    pdfs = [f for f in manifest["files"] if f["media_type"] == "application/pdf"]
    assert pdfs and all(f["signature"] for f in pdfs)  # each copy signed (the development certificate here)
    sync = json.loads((packages[0] / "national-sync.json").read_text(encoding="utf-8"))
    assert json.dumps(sync, ensure_ascii=False).count(manifest["dossier"]["code"]) >= 1
    # Nothing reaches the agency unsettled: every value is ok as read, or was confirmed or corrected.
    delivered = json.loads((packages[0] / "fields.json").read_text(encoding="utf-8"))
    values = [f for document in delivered.values() for f in document.values()]
    assert values and all(f["status"] == "ok" for f in values)
    assert all(f["reviewed_by"] or "reviewer" not in f["sources"] for f in values)
