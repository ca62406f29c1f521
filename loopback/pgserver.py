"""A real PostgreSQL server on loopback for tests and benchmarks (the Debian PostgreSQL
that machines of this kind have). Flags from ../shared/design/RUNNING-REAL-SERVICES.md:
listens on 127.0.0.1 only, Unix socket in its own directory, fsync off (test data)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from loopback.ports import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
    return found[-1]


def _as_postgres(args: list[str]) -> list[str]:
    # initdb refuses to run as root: run the server as the `postgres` user when we are root.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass
class PostgresServer:
    datadir: Path
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(
            _as_postgres([_bin("pg_ctl"), "-D", str(self.datadir), "-m", "fast", "stop"]),
            check=False,
            capture_output=True,
        )


def start_postgres(workdir: Path) -> PostgresServer:
    datadir = workdir / "pgdata"
    if datadir.exists():
        shutil.rmtree(datadir)
    datadir.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
        shutil.chown(datadir, "postgres")
    datadir.chmod(0o700)
    subprocess.run(
        _as_postgres(
            [
                _bin("initdb"),
                "-D",
                str(datadir),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    port = free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {datadir} -c fsync=off -c max_connections=100"
    subprocess.run(
        _as_postgres(
            [
                _bin("pg_ctl"),
                "-D",
                str(datadir),
                "-l",
                str(datadir / "server.log"),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    return PostgresServer(datadir, port)
