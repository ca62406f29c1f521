"""The metadata database: an SQLite file (embedded default) or PostgreSQL (production).

One `Database` per process. Every unit of work is one transaction (`db.transaction()`),
so a dossier is never recorded half-way, and what it reads stays as read until it commits: a row
lock (`FOR UPDATE`) on PostgreSQL; on SQLite, which ignores row locks, the write lock taken as the
transaction begins (`BEGIN IMMEDIATE`). A transaction that only reads may use `db.reading()`.
Errors and logs never carry a statement's values (names, ID numbers). The schema is created and
upgraded by Alembic (`storage/migrations/`), also for SQLite.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, event, make_url
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


# Execution option of the engine behind `Database.reading()`.
READ_ONLY = "sohoa_read_only"


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached; the API answers 503 and nothing was written."""


def _private_sqlite_file(path: Path) -> None:
    """The database holds personal data: its directory 0700 when we create it, the file 0600.
    SQLite gives its -wal and -shm files the database file's mode."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    if path.stat().st_mode & 0o077:  # created before files were kept private
        os.chmod(path, 0o600)


def make_engine(url: str, *, connect_timeout: float = 5.0) -> Engine:
    """An engine whose errors never carry statement parameters (names, ID numbers): a failed
    statement is logged and raised with its SQL only."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            _private_sqlite_file(Path(path))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: object) -> None:
            # pysqlite would open its own transactions, and only before a write: the reads
            # before it (a state check, the next position) would see a state another writer is
            # changing. SQLAlchemy begins every transaction instead (below).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")  # readers (backups, other tools) never block the writer
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection: Connection) -> None:
            # SQLite ignores SELECT ... FOR UPDATE: a transaction takes the write lock when it
            # begins, so what it reads cannot change before it commits. Transactions are short;
            # the others wait (busy_timeout) instead of failing. `Database.reading()` only reads:
            # it reads a snapshot without the lock, and never waits for a writer.
            read_only = connection.get_execution_options().get(READ_ONLY, False)
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        hide_parameters=True,
        connect_args={"connect_timeout": max(1, int(connect_timeout))},
    )


def _sqlite_pragma(connection: Connection, pragma: str) -> None:
    """A pragma on the driver's connection as it is, without SQLAlchemy beginning a transaction."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(pragma)
    finally:
        cursor.close()


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # PostgreSQL refuses writes in it (a read-only transaction); SQLite begins it without the write lock.
        reader = self.engine.execution_options(**{READ_ONLY: True, "postgresql_readonly": True})
        self._readers = sessionmaker(reader, expire_on_commit=False)

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to the newest migration (idempotent)."""
        from alembic import command

        with self._migrating() as config:
            command.upgrade(config, revision)

    def schema_revisions(self) -> tuple[str | None, str | None]:
        """(the database's migration revision, the newest this code knows): equal when current."""
        from alembic.migration import MigrationContext
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(alembic_config(self.url)).get_current_head()
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision(), head

    def downgrade(self, revision: str) -> None:
        from alembic import command

        with self._migrating() as config:
            command.downgrade(config, revision)

    @contextmanager
    def _migrating(self) -> Iterator[Config]:
        """One transaction for the migrations. On SQLite, a migration that changes a constraint
        rebuilds the table (copy, drop, rename), and dropping a table whose rows others refer to
        would delete those rows (ON DELETE CASCADE) while foreign keys are enforced: they are
        off during the migrations, and checked before the transaction commits."""
        with self.engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:  # outside a transaction, or SQLite ignores it
                _sqlite_pragma(connection, "PRAGMA foreign_keys=OFF")
            try:
                with connection.begin():
                    config = alembic_config(self.url)
                    config.attributes["connection"] = connection
                    yield config
                    if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").all()):
                        raise RuntimeError(f"a migration broke {len(broken)} reference(s), first: {broken[0]}")
            finally:
                if sqlite:
                    _sqlite_pragma(connection, "PRAGMA foreign_keys=ON")

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed whole, or rolled back whole. What it reads stays as read
        until it commits (a row lock on PostgreSQL, the write lock from its start on SQLite)."""
        with self._unit(self._sessions) as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A transaction that only reads (e.g. an API key lookup): a consistent snapshot that
        neither waits for nor blocks a writer. Never write in it: PostgreSQL refuses."""
        with self._unit(self._readers) as session:
            yield session

    @staticmethod
    @contextmanager
    def _unit(sessions: sessionmaker[Session]) -> Iterator[Session]:
        session = sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
