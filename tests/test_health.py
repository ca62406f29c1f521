"""Liveness and readiness probes (`/healthz`, `/readyz`), as compose and Kubernetes ask them:
against the real embedded database and object store, a database left one migration behind,
and a real S3 client whose server is not there."""

from __future__ import annotations

import time

from intake.health import readiness
from loopback.ports import free_port
from storage.objects import S3ObjectStore
from tests.intake_support import make_settings, start_api


def test_the_process_is_alive_and_ready_on_the_embedded_set(request, tmp_path) -> None:  # noqa: ANN001
    with start_api(make_settings("local-sqlite", request, tmp_path), process=False, keys=False) as api:
        alive = api.client.get("/healthz")
        assert alive.status_code == 200 and alive.json() == {"status": "ok"}
        ready = api.client.get("/readyz")
        assert ready.status_code == 200, ready.text
        # No page workers in this process: Ray is not asked.
        assert ready.json() == {
            "status": "ready",
            "checks": {"database": "ok", "object_store": "ok", "ray": "off"},
        }
        assert ready.headers["cache-control"] == "no-store"


def test_a_database_behind_the_code_is_not_ready_until_migrated(request, tmp_path) -> None:  # noqa: ANN001
    with start_api(make_settings("local-sqlite", request, tmp_path), process=False, keys=False) as api:
        db = api.service.db
        db.downgrade("0007")
        behind = api.client.get("/readyz")
        assert behind.status_code == 503
        assert behind.json()["status"] == "not_ready"
        assert behind.json()["checks"]["database"] == "behind"
        assert api.client.get("/healthz").status_code == 200  # alive all the same: not restarted
        db.upgrade()
        assert api.client.get("/readyz").status_code == 200


def test_an_object_store_that_does_not_answer_is_down_within_the_probe_time(request, tmp_path) -> None:  # noqa: ANN001
    settings = make_settings("local-sqlite", request, tmp_path)
    with start_api(settings, process=False, keys=False) as api:
        nobody = S3ObjectStore.connect(f"127.0.0.1:{free_port()}", "sohoa", "sohoa-secret", "sohoa", timeout=1.0)
        started = time.monotonic()
        report = readiness(api.service.db, nobody, runs_workers=False)
        assert report.checks == {"database": "ok", "object_store": "down", "ray": "off"}
        assert not report.ready
        assert time.monotonic() - started < 10
