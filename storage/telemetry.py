"""Telemetry entries (SPEC W3): written in batches by the telemetry flusher (COPY on
PostgreSQL, one multi-row statement per chunk on SQLite), read per tenant by
``AdminService.ListTelemetry``, deleted past ``telemetry_retention_days`` by the janitor.

One secondary index, ``(tenant_id, recorded_at, id)``: it serves every read here (a
tenant's entries in time order, keyset-paged, time-filtered; the janitor's per-tenant
delete). Each further B-tree cost PostgreSQL about a third of its COPY rate on this
machine (bench/RESULTS.md), and the flush must keep up with the hot path."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bastion.storage.base import Base, TenantScoped, UtcDateTime, as_utc
from bastion.storage.database import Database
from bastion.storage.pg_copy import copy_text
from bastion.storage.sqlite_insert import insert_many
from bastion.storage.tenants import TenantRow

COLUMNS = ("tenant_id", "entry_type", "source", "details_json", "error_json", "run_id",
           "decision_id", "recorded_at")


class TelemetryRow(TenantScoped, Base):
    __tablename__ = "telemetry"
    __table_args__ = (sa.Index("ix_telemetry_tenant_time", "tenant_id", "recorded_at", "id"),)

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(sa.String(64))  # indexed with recorded_at
    entry_type: Mapped[str] = mapped_column(sa.String(32))
    source: Mapped[str] = mapped_column(sa.String(128))
    details_json: Mapped[str] = mapped_column(sa.Text)
    error_json: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    run_id: Mapped[str] = mapped_column(sa.String(256))
    decision_id: Mapped[str] = mapped_column(sa.String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


TELEMETRY = TelemetryRow.__table__


def insert_rows(db: Database, rows: Iterable[Sequence[Any]]) -> None:
    """Writes rows (values in ``COLUMNS`` order, ``recorded_at`` as Unix seconds) in one
    transaction. ``rows`` may be a generator: it is consumed chunk by chunk, so on
    PostgreSQL the server ingests one chunk while the next is serialised."""
    with db.write() as session:
        conn = session.connection()
        cursor = conn.connection.cursor()
        try:
            if conn.dialect.name == "postgresql":
                _copy(cursor, rows)
            else:
                _sqlite_insert(cursor, rows)
        finally:
            cursor.close()


_COPY_SQL = f"COPY telemetry ({', '.join(COLUMNS)}) FROM STDIN"
_COPY_CHUNK = 500


def _chunks(rows: Iterable[Sequence[Any]], size: int) -> Iterable[list[Sequence[Any]]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _copy(cursor: Any, rows: Iterable[Sequence[Any]]) -> None:
    """COPY text lines built for this table's known column types (no per-value type
    dispatch: about twice as fast as the generic formatter here). Tenant, source and run
    repeat from row to row: each distinct value is escaped once per write."""
    escaped = _Escaped()
    with cursor.copy(_COPY_SQL) as copy:
        for chunk in _chunks(rows, _COPY_CHUNK):
            copy.write("".join([
                f"{escaped[tenant]}\t{kind}\t{escaped[source]}\t{copy_text(details)}\t"
                f"{_NULL if error is None else copy_text(error)}\t{escaped[run]}\t"
                f"{copy_text(decision)}\t{_utc_text(at)}+00\n"
                for tenant, kind, source, details, error, run, decision, at in chunk]))


class _Escaped(dict[str, str]):
    """value → its COPY text form, computed on first use."""

    def __missing__(self, value: str) -> str:
        text = self[value] = copy_text(value)
        return text


_NULL = "\\N"


def _sqlite_insert(cursor: Any, rows: Iterable[Sequence[Any]]) -> None:
    insert_many(cursor, "telemetry", COLUMNS,
                ([_sqlite_value(v) for v in row] for row in rows))


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, float):  # recorded_at: SQLAlchemy's SQLite DATETIME format, UTC
        return _utc_text(value)
    return value


_SECONDS: dict[int, str] = {}


def _utc_text(at: float) -> str:
    """Unix seconds as ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC), the second formatted once."""
    second = int(at)
    prefix = _SECONDS.get(second)
    if prefix is None:
        if len(_SECONDS) > 4096:
            _SECONDS.clear()
        prefix = _SECONDS[second] = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(second))
    return f"{prefix}.{int((at - second) * 1_000_000):06d}"


def list_entries(db: Database, tenant_id: str, *, entry_types: Sequence[str],
                 since: dt.datetime | None, until: dt.datetime | None,
                 after: tuple[dt.datetime, int] | None, limit: int) -> list[dict[str, Any]]:
    """The tenant's entries in the order they were recorded (``recorded_at``, then ``id``),
    filtered by type and time; ``after`` is the (recorded_at, id) of the last entry of
    the previous page."""
    t = TELEMETRY
    query = sa.select(t).where(t.c.tenant_id == tenant_id)
    if after is not None:
        at, last_id = after
        query = query.where(sa.or_(t.c.recorded_at > at,
                                   sa.and_(t.c.recorded_at == at, t.c.id > last_id)))
    if entry_types:
        query = query.where(t.c.entry_type.in_(list(entry_types)))
    if since is not None:
        query = query.where(t.c.recorded_at >= since)
    if until is not None:
        query = query.where(t.c.recorded_at < until)
    with db.read() as session:
        rows = session.execute(
            query.order_by(t.c.recorded_at, t.c.id).limit(limit)).mappings().all()
    return [{**row, "recorded_at": as_utc(row["recorded_at"])} for row in rows]


def delete_older_than(db: Database, cutoff: dt.datetime) -> int:
    """Deletes every tenant's entries recorded before ``cutoff``, one tenant at a time so
    each delete walks the index rather than the table."""
    t = TELEMETRY
    deleted = 0
    with db.read() as session:  # the tenants table, not a scan of telemetry for them
        tenants = session.execute(sa.select(TenantRow.id)).scalars().all()
    for tenant_id in tenants:
        with db.write() as session:
            deleted += session.execute(sa.delete(t).where(
                t.c.tenant_id == tenant_id, t.c.recorded_at < cutoff)).rowcount or 0
    return deleted
