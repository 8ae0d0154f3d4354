"""Engine creation and transaction scopes for SQLite (embedded) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

_WRITE_OPTION = "bastion_write"


class StorageUnavailable(Exception):
    """The database could not be reached or refused the operation for operational reasons.

    Mapped to gRPC UNAVAILABLE (retryable). The message never carries connection secrets.
    """


def normalise_url(url: str) -> str:
    """Accepts ``postgresql://`` and ``postgres://`` as shorthands for psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself, so writes can take the lock up front.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Writers take the write lock at BEGIN (IMMEDIATE): a deferred transaction that later
        # upgrades to a writer can fail with SQLITE_BUSY regardless of busy_timeout.
        # Straight to the driver: exec_driver_sql's bookkeeping cost ~30 µs per transaction.
        dbapi_conn = conn.connection.dbapi_connection
        assert dbapi_conn is not None
        if conn.get_execution_options().get(_WRITE_OPTION):
            dbapi_conn.execute("BEGIN IMMEDIATE")
        else:
            dbapi_conn.execute("BEGIN")


class Database:
    """One engine plus transaction scopes. Thread-safe; share one per process."""

    def __init__(self, url: str, *, pool_size: int = 10, busy_timeout_ms: int = 10_000,
                 echo: bool = False) -> None:
        self.url = normalise_url(url)
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.url.startswith("sqlite"):
            kwargs.update(pool_size=pool_size, max_overflow=2 * pool_size,
                          poolclass=sa.pool.QueuePool)
        else:
            kwargs.update(pool_size=pool_size, max_overflow=2 * pool_size, pool_pre_ping=False)
        self.engine = sa.create_engine(self.url, **kwargs)
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine, busy_timeout_ms)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for logs and errors."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (rolled back at the end)."""
        with translate_errors(), Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A read-write unit of work: commits on success, rolls back on any error."""
        with translate_errors():
            conn = self.engine.connect().execution_options(**{_WRITE_OPTION: True})
            try:
                with Session(bind=conn, expire_on_commit=False) as session:
                    try:
                        yield session
                        session.commit()
                    except BaseException:
                        session.rollback()
                        raise
            finally:
                conn.close()

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except exc.SQLAlchemyError:
            return False

    def dispose(self) -> None:
        self.engine.dispose()


@contextlib.contextmanager
def translate_errors() -> Iterator[None]:
    """Turns driver-level outages into :class:`StorageUnavailable` (without the URL)."""
    try:
        yield
    except (exc.OperationalError, exc.InterfaceError, exc.TimeoutError) as error:
        orig = getattr(error, "orig", None) or error
        raise StorageUnavailable(type(orig).__name__) from error
