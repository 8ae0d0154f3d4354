"""Units of work (SPEC W1, W2, G4): the queue, leases, heartbeats, preemption and the
append-only history.

Every status change writes its history row in the same transaction. State changes are
write ops committed by the group committer (concurrent requests share a transaction);
results (the leased unit, the new state, a refusal) are set on the op for the caller to
read after commit. Leasing never hands one unit to two workers: PostgreSQL takes the next
units with ``FOR UPDATE SKIP LOCKED`` and re-checks ``status = 'PENDING'`` in the UPDATE;
SQLite serialises writers (BEGIN IMMEDIATE), so select-then-update is safe there.

The hot ops (submit, lease, the lease holder's changes) run a fixed number of statements
per batch, whatever its size, on the driver's cursor (like the ledger append, see
``storage/ledger.py``): under load the committer thread competes with the event loop for
the GIL, every statement hands the GIL back and waits to win it again, and SQLAlchemy's
per-statement Python work was most of the work queue's cost. PostgreSQL: submit is one
statement, a lease batch one statement per tenant (and run), holder changes two. The column
lists below are the models'; the tests read every row back through SQLAlchemy on both
engines.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bastion.storage.base import Base, TenantScoped, UtcDateTime, as_utc, sqlite_ts
from bastion.storage.database import Database, StorageUnavailable
from bastion.storage.pg_copy import copy_rows as _copy
from bastion.storage.group_commit import (
    RetryBatch,
    Statement,
    WriteOp,
    apply_grouped,
    group_ops,
    notify,
)

PENDING, ACTIVE, COMPLETED, FAILED, PREEMPTED, PAUSED = (
    "PENDING", "ACTIVE", "COMPLETED", "FAILED", "PREEMPTED", "PAUSED")
STATUSES = (PENDING, ACTIVE, COMPLETED, FAILED, PREEMPTED, PAUSED)
MAX_PREEMPTIONS = 3
_ROWS_PER_CHUNK = 1000
_COPY_FROM = 100          # PostgreSQL: batches of this many units or more go through COPY
_MAX_PARAMETERS = 30_000  # per statement: within SQLite's (32,766) and PostgreSQL's limits


class UnitRow(TenantScoped, Base):
    __tablename__ = "work_units"
    __table_args__ = (
        # The lease order (priority, age, id) straight from the index: a backlog is never
        # sorted to find the next unit.
        sa.Index("ix_work_units_queue", "tenant_id", "status", "priority", "created_at", "id"),
        sa.Index("ix_work_units_run", "tenant_id", "run_id", "status", "priority",
                 "created_at", "id"),
        sa.Index("ix_work_units_heartbeat", "status", "last_heartbeat_at"),
        sa.Index("ix_work_units_tenant_id", "tenant_id", "id"),  # ListUnits' order
        sa.UniqueConstraint("tenant_id", "idempotency_key",
                            name="uq_work_units_tenant_id_idempotency_key"),
    )

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.String(64))  # indexed with id, above
    run_id: Mapped[str] = mapped_column(sa.String(256))
    status: Mapped[str] = mapped_column(sa.String(16))
    priority: Mapped[int] = mapped_column(sa.SmallInteger)
    attributes_json: Mapped[str] = mapped_column(sa.Text)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(256), nullable=True)
    # The current lease while ACTIVE; after Complete or Fail, the lease that did it (so the
    # same holder's retry is recognised). Cleared by preemption, pausing and reclaims.
    lease_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    lease_holder: Mapped[str | None] = mapped_column(sa.String(256), nullable=True)
    leased_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    progress: Mapped[float] = mapped_column(sa.Float)
    checkpoint_json: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    preemption_count: Mapped[int] = mapped_column(sa.Integer)
    reclaim_count: Mapped[int] = mapped_column(sa.Integer)
    failure_reason: Mapped[str] = mapped_column(sa.String(256))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class UnitHistoryRow(TenantScoped, Base):
    """One row per status change, in order; append-only (database triggers)."""

    __tablename__ = "work_unit_history"
    __table_args__ = (sa.Index("ix_work_unit_history_unit", "unit_id", "id"),)

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    unit_id: Mapped[str] = mapped_column(sa.String(64))
    prev_status: Mapped[str] = mapped_column(sa.String(16))
    new_status: Mapped[str] = mapped_column(sa.String(16))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    new_hash: Mapped[str] = mapped_column(sa.String(64))
    reason: Mapped[str] = mapped_column(sa.String(256))
    metadata_json: Mapped[str] = mapped_column(sa.Text)
    actor: Mapped[str] = mapped_column(sa.String(256))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


UNITS = UnitRow.__table__
HISTORY = UnitHistoryRow.__table__

# Column orders for the driver-level statements (the models' columns).
_UNIT_COLUMNS = ("id", "tenant_id", "run_id", "status", "priority", "attributes_json",
                 "content_hash", "idempotency_key", "lease_id", "lease_holder", "leased_at",
                 "last_heartbeat_at", "lease_expires_at", "progress", "checkpoint_json",
                 "preemption_count", "reclaim_count", "failure_reason", "created_at",
                 "updated_at")
_UNIT_TIMES = frozenset({"leased_at", "last_heartbeat_at", "lease_expires_at", "created_at",
                         "updated_at"})
_HISTORY_COLUMNS = ("tenant_id", "unit_id", "prev_status", "new_status", "prev_hash",
                    "new_hash", "reason", "metadata_json", "actor", "at")
# What a change by the lease holder, an operator or a guard may set (besides the keys).
_MUTABLE = ("status", "lease_id", "lease_holder", "leased_at", "last_heartbeat_at",
            "lease_expires_at", "progress", "checkpoint_json", "preemption_count",
            "failure_reason", "updated_at")
_SELECT_UNITS = f"SELECT {', '.join(_UNIT_COLUMNS)} FROM work_units"

# PostgreSQL writes pass one array per column (``unnest``): the statement text and its
# parameter count do not depend on the number of rows, so psycopg caches its parsing and
# prepares it on the server, whatever the batch size.
_PG_TYPES = {**{c: "text" for c in (*_UNIT_COLUMNS, *_HISTORY_COLUMNS)},
             "priority": "int2", "progress": "float8", "preemption_count": "int4",
             "reclaim_count": "int4", **{c: "timestamptz" for c in (*_UNIT_TIMES, "at")}}


def _pg_unnest(columns: Sequence[str]) -> str:
    return "unnest(" + ", ".join(f"%b::{_PG_TYPES[c]}[]" for c in columns) + ")"


_PG_INSERT_HISTORY = (f"INSERT INTO work_unit_history ({', '.join(_HISTORY_COLUMNS)}) "
                      f"SELECT * FROM {_pg_unnest(_HISTORY_COLUMNS)}")
_PG_INSERT_UNITS = (f"INSERT INTO work_units ({', '.join(_UNIT_COLUMNS)}) "
                    f"SELECT * FROM {_pg_unnest(_UNIT_COLUMNS)}")
_PG_SUBMIT = f"WITH work_inserted AS ({_PG_INSERT_UNITS}) {_PG_INSERT_HISTORY}"
_KEYED = ("tenant_id", "id", *_MUTABLE)
_PG_UPDATE = ("UPDATE work_units u SET " + ", ".join(f"{c} = v.{c}" for c in _MUTABLE)
              + f" FROM {_pg_unnest(_KEYED)} AS v({', '.join(_KEYED)}) "
              "WHERE u.tenant_id = v.tenant_id AND u.id = v.id")
_PG_UPDATE_AND_LOG = f"WITH updated AS ({_PG_UPDATE}) {_PG_INSERT_HISTORY}"


def _pg_arrays(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> list[list[Any]]:
    return [[r[c] for r in rows] for c in columns]


def _pg_history(history: Sequence[Sequence[Any]]) -> list[list[Any]]:
    return [[h[i] for h in history] for i in range(len(_HISTORY_COLUMNS))]


@dataclass(frozen=True)
class Unit:
    unit_id: str
    tenant_id: str
    run_id: str
    status: str
    priority: int
    attributes_json: str
    content_hash: str
    lease_id: str | None
    lease_holder: str | None
    last_heartbeat_at: dt.datetime | None
    lease_expires_at: dt.datetime | None
    progress: float
    checkpoint_json: str | None
    preemption_count: int
    reclaim_count: int
    failure_reason: str
    created_at: dt.datetime
    updated_at: dt.datetime
    leased_at: dt.datetime | None = None


def _time(value: Any) -> dt.datetime | None:
    """A timestamp as read from either engine (SQLite through the driver: text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return as_utc(value)


def _unit(row: Mapping[str, Any]) -> Unit:
    return Unit(row["id"], row["tenant_id"], row["run_id"], row["status"], row["priority"],
                row["attributes_json"], row["content_hash"], row["lease_id"],
                row["lease_holder"], _time(row["last_heartbeat_at"]),
                _time(row["lease_expires_at"]), row["progress"], row["checkpoint_json"],
                row["preemption_count"], row["reclaim_count"], row["failure_reason"],
                _time(row["created_at"]), _time(row["updated_at"]),  # type: ignore[arg-type]
                _time(row["leased_at"]))


@dataclass(frozen=True)
class HistoryEntry:
    prev_status: str
    new_status: str
    prev_hash: str
    new_hash: str
    reason: str
    metadata: Mapping[str, Any]
    actor: str
    at: dt.datetime


# -- driver-level SQL ------------------------------------------------------------------------

class _Driver:
    """The engine's parameter style and timestamp format for statements on the DBAPI
    cursor, inside the transaction SQLAlchemy opened."""

    def __init__(self, conn: sa.Connection) -> None:
        self.postgresql = conn.dialect.name == "postgresql"
        self.mark = "%s" if self.postgresql else "?"

    def time(self, value: dt.datetime | None) -> Any:
        """SQLite: SQLAlchemy's DATETIME text in UTC (so text comparisons order by time)."""
        if value is None or self.postgresql or isinstance(value, str):
            return value  # (text: as read back from SQLite)
        return sqlite_ts(value)

    def marks(self, count: int) -> str:
        return "(" + ", ".join([self.mark] * count) + ")"

    def unit_params(self, row: Mapping[str, Any]) -> list[Any]:
        return [self.time(row[c]) if c in _UNIT_TIMES else row[c] for c in _UNIT_COLUMNS]

    def history_params(self, row: Sequence[Any]) -> list[Any]:
        return [*row[:9], self.time(row[9])]


def _rows(cursor: Any, names: Sequence[str] = _UNIT_COLUMNS) -> list[dict[str, Any]]:
    """The result rows as dicts; ``names``: the statement's columns, in order."""
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def _insert_sql(driver: _Driver, table: str, columns: Sequence[str], count: int) -> str:
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
            + ", ".join([driver.marks(len(columns))] * count))


def _insert_units_and_history(cursor: Any, driver: _Driver, units: Sequence[Mapping[str, Any]],
                              history: Sequence[Sequence[Any]]) -> None:
    """Multi-row INSERTs (PostgreSQL: both in one statement; large batches through COPY,
    several times cheaper per row)."""
    if driver.postgresql and len(units) + len(history) >= _COPY_FROM:
        _copy(cursor, "work_units", _UNIT_COLUMNS, [[u[c] for c in _UNIT_COLUMNS] for u in units])
        _copy(cursor, "work_unit_history", _HISTORY_COLUMNS, history)
        return
    if driver.postgresql:
        if units:
            cursor.execute(_PG_SUBMIT, _pg_arrays(units, _UNIT_COLUMNS) + _pg_history(history))
        return
    step = _MAX_PARAMETERS // len(_UNIT_COLUMNS)
    for start in range(0, len(units), step):
        chunk = units[start:start + step]
        cursor.execute(_insert_sql(driver, "work_units", _UNIT_COLUMNS, len(chunk)),
                       [p for u in chunk for p in driver.unit_params(u)])
    _insert_history(cursor, driver, history)


def _insert_history(cursor: Any, driver: _Driver, history: Sequence[Sequence[Any]]) -> None:
    if driver.postgresql and len(history) >= _COPY_FROM:
        _copy(cursor, "work_unit_history", _HISTORY_COLUMNS, history)
        return
    if driver.postgresql:
        if history:
            cursor.execute(_PG_INSERT_HISTORY, _pg_history(history))
        return
    step = _MAX_PARAMETERS // len(_HISTORY_COLUMNS)
    for start in range(0, len(history), step):
        chunk = history[start:start + step]
        cursor.execute(_insert_sql(driver, "work_unit_history", _HISTORY_COLUMNS, len(chunk)),
                       [p for h in chunk for p in driver.history_params(h)])


def _lock_units(cursor: Any, driver: _Driver,
                keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The units (tenant, id) as rows, locked (PostgreSQL; in id order, so two committers
    cannot deadlock)."""
    if not keys:
        return {}
    ordered = sorted(keys)
    if driver.postgresql:
        cursor.execute(_SELECT_UNITS + " WHERE (tenant_id, id) IN (SELECT * FROM "
                       "unnest(%b::text[], %b::text[])) ORDER BY id FOR UPDATE",
                       [[t for t, _ in ordered], [u for _, u in ordered]])
        return {(r["tenant_id"], r["id"]): r for r in _rows(cursor)}
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for start in range(0, len(ordered), _ROWS_PER_CHUNK):
        # Not a row-value IN (VALUES …): SQLite scans the table for that. By primary key,
        # restricted to the tenants asked for; a pair not asked for is never looked up.
        chunk = ordered[start:start + _ROWS_PER_CHUNK]
        tenants = sorted({t for t, _ in chunk})
        cursor.execute(_SELECT_UNITS + f" WHERE id IN ({', '.join(['?'] * len(chunk))}) "
                       f"AND tenant_id IN ({', '.join(['?'] * len(tenants))})",
                       [u for _, u in chunk] + tenants)
        found.update({(r["tenant_id"], r["id"]): r for r in _rows(cursor)})
    return found


def _update_units(cursor: Any, driver: _Driver, rows: Sequence[Mapping[str, Any]],
                  history: Sequence[Sequence[Any]]) -> None:
    """Writes the mutable columns of ``rows`` (locked, read by :func:`_lock_units`) and
    appends ``history`` (rows of units among them): PostgreSQL in one statement."""
    keyed = _KEYED
    if driver.postgresql:
        if rows and history:
            cursor.execute(_PG_UPDATE_AND_LOG, _pg_arrays(rows, keyed) + _pg_history(history))
        elif rows:
            cursor.execute(_PG_UPDATE, _pg_arrays(rows, keyed))
        return
    step = _MAX_PARAMETERS // len(keyed)
    for start in range(0, len(rows), step):
        chunk = rows[start:start + step]
        cursor.execute(
            "UPDATE work_units SET "
            + ", ".join(f"{c} = v.column{i + 3}" for i, c in enumerate(_MUTABLE))
            + " FROM (VALUES " + ", ".join([driver.marks(len(keyed))] * len(chunk))
            + ") AS v WHERE work_units.tenant_id = v.column1 AND work_units.id = v.column2",
            [driver.time(r[c]) if c in _UNIT_TIMES else r[c] for r in chunk for c in keyed])
    _insert_history(cursor, driver, history)


def history_row(unit: Mapping[str, Any], new_status: str, *, reason: str, actor: str,
                now: dt.datetime, metadata: Mapping[str, Any] | None = None,
                ) -> tuple[Any, ...]:
    """A history row (in ``_HISTORY_COLUMNS`` order) for ``unit`` (its state before)."""
    return (unit["tenant_id"], unit["id"], unit["status"], new_status, unit["content_hash"],
            unit["content_hash"], reason[:256],
            json.dumps(dict(metadata or {}), sort_keys=True), actor[:256], now)


# -- reading -------------------------------------------------------------------------------

def get_unit(db: Database, tenant_id: str, unit_id: str) -> Unit | None:
    with db.read() as session:
        row = session.execute(sa.select(UNITS).where(
            UNITS.c.tenant_id == tenant_id, UNITS.c.id == unit_id)).first()
    return None if row is None else _unit(row._mapping)


def list_units(db: Database, tenant_id: str, *, run_id: str = "",
               statuses: Collection[str] = (), after: str = "", limit: int = 100) -> list[Unit]:
    """The tenant's units in id (creation) order, after the unit id ``after``."""
    query = sa.select(UNITS).where(UNITS.c.tenant_id == tenant_id).order_by(UNITS.c.id).limit(
        limit)
    if run_id:
        query = query.where(UNITS.c.run_id == run_id)
    if statuses:
        query = query.where(UNITS.c.status.in_(list(statuses)))
    if after:
        query = query.where(UNITS.c.id > after)
    with db.read() as session:
        return [_unit(r._mapping) for r in session.execute(query).all()]


def has_pending(db: Database, tenant_id: str, run_id: str = "") -> bool:
    """Whether the tenant (run) has a PENDING unit: one indexed probe."""
    query = sa.select(UNITS.c.id).where(UNITS.c.tenant_id == tenant_id,
                                        UNITS.c.status == PENDING).limit(1)
    if run_id:
        query = query.where(UNITS.c.run_id == run_id)
    with db.read() as session:
        return session.execute(query).first() is not None


def get_history(db: Database, tenant_id: str, unit_id: str) -> list[HistoryEntry]:
    with db.read() as session:
        rows = session.execute(sa.select(HISTORY).where(
            HISTORY.c.tenant_id == tenant_id, HISTORY.c.unit_id == unit_id).order_by(
            HISTORY.c.id)).all()
    return [HistoryEntry(r.prev_status, r.new_status, r.prev_hash, r.new_hash, r.reason,
                         json.loads(r.metadata_json), r.actor, as_utc(r.at)) for r in rows]


def count_by_status(db: Database, tenant_id: str) -> dict[str, int]:
    with db.read() as session:
        rows = session.execute(sa.select(UNITS.c.status, sa.func.count()).where(
            UNITS.c.tenant_id == tenant_id).group_by(UNITS.c.status)).all()
    return {status: int(n) for status, n in rows}


# -- submitting ----------------------------------------------------------------------------

@dataclass(frozen=True)
class NewUnit:
    unit_id: str
    run_id: str
    priority: int
    attributes_json: str
    content_hash: str
    idempotency_key: str | None = None


class SubmitUnits:
    """Inserts units as PENDING, each with its creation history row. A unit whose
    idempotency key the tenant already used (before, or earlier in the same batch) is not
    inserted: ``unit_ids`` then holds the existing unit's id and ``created`` is False."""

    apply_order: ClassVar[int] = 10

    def __init__(self, *, tenant_id: str, units: Sequence[NewUnit], actor: str,
                 now: dt.datetime) -> None:
        self.tenant_id, self.units, self.actor, self.now = tenant_id, units, actor, now
        self.unit_ids: list[str] = []
        self.created: list[bool] = []
        # The unit of a single Submit as stored (the existing one for a repeated key).
        self.first: Unit | None = None

    @classmethod
    def statement(cls, engine: Any, ops: Sequence["SubmitUnits"]) -> Statement | None:
        """The batch's insert as the group committer's one statement (PostgreSQL), when no
        unit carries an idempotency key (those are looked up first) and the batch is
        below the COPY size."""
        if engine.dialect.name != "postgresql" or sum(len(op.units) for op in ops) * 2 \
                >= _COPY_FROM or any(u.idempotency_key for op in ops for u in op.units):
            return None
        rows, history = _planned(ops, {})
        return Statement(_PG_INSERT_HISTORY, _pg_history(history),
                         with_items=f"work_inserted AS ({_PG_INSERT_UNITS})",
                         with_params=_pg_arrays(rows, _UNIT_COLUMNS))

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["SubmitUnits"]) -> None:
        driver = _Driver(conn)
        cursor = conn.connection.cursor()
        try:
            rows, history = _planned(ops, _existing_keys(cursor, driver, ops))
            _insert_units_and_history(cursor, driver, rows, history)
        finally:
            cursor.close()

    def _row(self, unit: NewUnit) -> dict[str, Any]:
        return {"id": unit.unit_id, "tenant_id": self.tenant_id, "run_id": unit.run_id,
                "status": PENDING, "priority": unit.priority,
                "attributes_json": unit.attributes_json, "content_hash": unit.content_hash,
                "idempotency_key": unit.idempotency_key, "lease_id": None,
                "lease_holder": None, "leased_at": None, "last_heartbeat_at": None,
                "lease_expires_at": None, "progress": 0.0, "checkpoint_json": None,
                "preemption_count": 0, "reclaim_count": 0, "failure_reason": "",
                "created_at": self.now, "updated_at": self.now}


def _planned(ops: Sequence[SubmitUnits], known: dict[tuple[str, str | None], dict[str, Any]]
             ) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
    """The unit rows and history rows to insert, setting each op's ids; a unit whose
    idempotency key is ``known`` (stored, or earlier in the batch) is not inserted."""
    rows: list[dict[str, Any]] = []
    history: list[tuple[Any, ...]] = []
    for op in ops:
        op.unit_ids, op.created, op.first = [], [], None
        for unit in op.units:
            key = (op.tenant_id, unit.idempotency_key)
            found = known.get(key) if unit.idempotency_key else None
            row = found if found is not None else op._row(unit)
            op.unit_ids.append(row["id"])
            op.created.append(found is None)
            if len(op.units) == 1:
                op.first = _unit(row)
            if found is not None:
                continue
            if unit.idempotency_key:
                known[key] = row
            rows.append(row)
            history.append((op.tenant_id, unit.unit_id, "", PENDING, "",
                            unit.content_hash, "submitted", "{}", op.actor[:256], op.now))
    return rows, history


def _existing_keys(cursor: Any, driver: _Driver, ops: Sequence[SubmitUnits]
                   ) -> dict[tuple[str, str | None], dict[str, Any]]:
    """The stored units of the batch's idempotency keys, by (tenant, key)."""
    wanted: dict[str, set[str]] = {}
    for op in ops:
        for unit in op.units:
            if unit.idempotency_key:
                wanted.setdefault(op.tenant_id, set()).add(unit.idempotency_key)
    found: dict[tuple[str, str | None], dict[str, Any]] = {}
    for tenant_id, keys in wanted.items():
        listed = sorted(keys)
        for start in range(0, len(listed), _ROWS_PER_CHUNK):
            chunk = listed[start:start + _ROWS_PER_CHUNK]
            cursor.execute(_SELECT_UNITS + f" WHERE tenant_id = {driver.mark} AND "
                           f"idempotency_key IN ({', '.join([driver.mark] * len(chunk))})",
                           [tenant_id, *chunk])
            found.update({(tenant_id, r["idempotency_key"]): r for r in _rows(cursor)})
    return found


# -- leasing -------------------------------------------------------------------------------

_RETURNING = ", ".join(f"u.{c}" for c in _UNIT_COLUMNS)
# The lease's WITH items, positional parameters (tenant, [run,] count, then the arrays);
# named with the table's prefix: the group committer may hoist them into a batch's one
# statement (see LeaseNext.statement).
_PG_LEASE_ITEMS = """
work_picked AS (
    SELECT id, priority, created_at FROM work_units
    WHERE tenant_id = %s AND status = 'PENDING' {run}
    ORDER BY priority, created_at, id LIMIT %s FOR UPDATE SKIP LOCKED),
work_ranked AS (
    SELECT id, row_number() OVER (ORDER BY priority, created_at, id) AS n FROM work_picked),
work_wanted AS (
    SELECT * FROM unnest(%b::text[], %b::text[], %b::timestamptz[], %b::timestamptz[],
                         %b::text[])
    WITH ORDINALITY AS w(lease_id, holder, at, expires, metadata, n)),
work_leased AS (
    UPDATE work_units u SET status = 'ACTIVE', lease_id = w.lease_id, lease_holder = w.holder,
        leased_at = w.at, last_heartbeat_at = w.at, lease_expires_at = w.expires,
        updated_at = w.at
    FROM work_ranked r JOIN work_wanted w ON w.n = r.n
    WHERE u.id = r.id AND u.status = 'PENDING'
    RETURNING {returning}, w.n AS n, w.metadata AS metadata),
work_logged AS (
    INSERT INTO work_unit_history (tenant_id, unit_id, prev_status, new_status, prev_hash,
        new_hash, reason, metadata_json, actor, at)
    SELECT tenant_id, id, 'PENDING', 'ACTIVE', content_hash, content_hash, 'leased', metadata,
        lease_holder, updated_at FROM work_leased)"""
_PG_LEASE_RESULT = "SELECT * FROM work_leased"
_LEASED_COLUMNS = (*_UNIT_COLUMNS, "n", "metadata")
_PG_LEASE_ITEMS_ANY_RUN = _PG_LEASE_ITEMS.format(run="", returning=_RETURNING)
_PG_LEASE_ITEMS_RUN = _PG_LEASE_ITEMS.format(run="AND run_id = %s", returning=_RETURNING)
_SQLITE_LEASE = (
    "UPDATE work_units SET status = 'ACTIVE', lease_id = ?, lease_holder = ?, leased_at = ?, "
    "last_heartbeat_at = ?, lease_expires_at = ?, updated_at = ? WHERE id = (SELECT id FROM "
    "work_units WHERE tenant_id = ? AND status = 'PENDING' {run} ORDER BY priority, "
    f"created_at, id LIMIT 1) RETURNING {', '.join(_UNIT_COLUMNS)}")
_SQLITE_LEASE_ANY_RUN = _SQLITE_LEASE.format(run="")
_SQLITE_LEASE_RUN = _SQLITE_LEASE.format(run="AND run_id = ?")


class LeaseNext:
    """Leases the tenant's next PENDING unit (optionally of one run): priority class
    first, then the oldest. ``unit`` is None when nothing is pending. Within a batch,
    earlier requests get the earlier units."""

    apply_order: ClassVar[int] = 20

    def __init__(self, *, tenant_id: str, run_id: str, lease_id: str, holder: str,
                 now: dt.datetime, expires_at: dt.datetime) -> None:
        self.tenant_id, self.run_id, self.lease_id = tenant_id, run_id, lease_id
        self.holder = holder[:256]
        self.now, self.expires_at = now, expires_at
        self.unit: Unit | None = None

    @property
    def _metadata(self) -> str:
        return json.dumps({"holder": self.holder, "lease_id": self.lease_id}, sort_keys=True)

    @classmethod
    def statement(cls, engine: Any, ops: Sequence["LeaseNext"]) -> Statement | None:
        """The batch's lease as the group committer's one statement (PostgreSQL), when
        every op leases from the same tenant and run (the usual batch)."""
        if engine.dialect.name != "postgresql" or any(
                (op.tenant_id, op.run_id) != (ops[0].tenant_id, ops[0].run_id) for op in ops):
            return None
        for op in ops:
            op.unit = None
        items, params = _pg_lease(ops[0].tenant_id, ops[0].run_id, ops)
        return Statement(_PG_LEASE_RESULT, [], lambda rows: _hand_out(ops, rows),
                         returns=True, with_items=items, with_params=params)

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["LeaseNext"]) -> None:
        driver = _Driver(conn)
        groups: dict[tuple[str, str], list[LeaseNext]] = {}
        for op in ops:
            op.unit = None
            groups.setdefault((op.tenant_id, op.run_id), []).append(op)
        cursor = conn.connection.cursor()
        try:
            # Sorted, so that two committers take their rows in the same order.
            for (tenant_id, run_id), group in sorted(groups.items()):
                if driver.postgresql:
                    _lease_postgresql(cursor, tenant_id, run_id, group)
                else:
                    _lease_sqlite(cursor, driver, tenant_id, run_id, group)
        finally:
            cursor.close()


def _lease_postgresql(cursor: Any, tenant_id: str, run_id: str,
                      group: Sequence[LeaseNext]) -> None:
    """One statement: lock the next units (SKIP LOCKED), lease one to each op in order,
    write their history rows."""
    items, params = _pg_lease(tenant_id, run_id, group)
    cursor.execute(f"WITH {items} {_PG_LEASE_RESULT}", params)
    _hand_out(group, _rows(cursor, _LEASED_COLUMNS))


def _pg_lease(tenant_id: str, run_id: str, group: Sequence[LeaseNext]
              ) -> tuple[str, list[Any]]:
    """The lease's WITH items for ``group`` and their parameters."""
    return (_PG_LEASE_ITEMS_RUN if run_id else _PG_LEASE_ITEMS_ANY_RUN), [
        tenant_id, *([run_id] if run_id else []), len(group),
        [op.lease_id for op in group], [op.holder for op in group],
        [op.now for op in group], [op.expires_at for op in group],
        [op._metadata for op in group]]


def _hand_out(group: Sequence[LeaseNext], leased: Iterable[Mapping[str, Any]]) -> None:
    """Each leased unit to the op of its rank (``n``, from 1)."""
    for row in leased:
        group[row["n"] - 1].unit = _unit(row)


def _lease_sqlite(cursor: Any, driver: _Driver, tenant_id: str, run_id: str,
                  group: Sequence[LeaseNext]) -> None:
    """One UPDATE … RETURNING per op (writers are serialised), then one history INSERT."""
    statement = _SQLITE_LEASE_RUN if run_id else _SQLITE_LEASE_ANY_RUN
    history = []
    for op in group:
        now = driver.time(op.now)
        cursor.execute(statement, [op.lease_id, op.holder, now, now,
                                   driver.time(op.expires_at), now, tenant_id,
                                   *([run_id] if run_id else [])])
        found = _rows(cursor)
        if not found:
            break  # nothing (more) pending for this group
        op.unit = _unit(found[0])
        history.append((tenant_id, op.unit.unit_id, PENDING, ACTIVE, op.unit.content_hash,
                        op.unit.content_hash, "leased", op._metadata, op.holder, op.now))
    _insert_history(cursor, driver, history)


# -- changes by the lease holder or an operator ----------------------------------------------

class Refusal(Exception):
    """Why a change could not be made: the unit's current state, for the caller's error."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "not_found" | "precondition"
        self.message = message


@dataclass(frozen=True)
class Change:
    """What a :class:`ChangeUnit` does. ``lease_id`` set: only the holder of that lease
    may make it. ``from_statuses``: the statuses it applies to."""

    kind: str  # heartbeat | checkpoint | complete | fail | preempt | resume
    from_statuses: tuple[str, ...]
    new_status: str | None = None
    lease_id: str | None = None
    reason: str = ""
    progress: float | None = None
    checkpoint_json: str | None = None
    expires_at: dt.datetime | None = None


_HOLDER_KINDS = frozenset({"heartbeat", "checkpoint", "complete", "fail"})
# The lease holder's changes, applied only where the lease is held and the unit ACTIVE: one
# conditional UPDATE for the batch (and the history rows of the status changes). An op it
# does not match (a lease no longer held, a repeated Complete) goes the general way, which
# reads the unit and says why.
_HOLDER_VALUES = ("tenant_id", "id", "lease_id", "new_status", "progress", "checkpoint_json",
                  "failure_reason", "beat", "expires", "clear", "at", "reason", "metadata",
                  "actor")


def _holder_set(unit: str, value: Callable[[str], str]) -> str:
    """The SET clause of the holders' UPDATE; ``unit``: the table's name or alias,
    ``value(name)``: the reference to a value of ``_HOLDER_VALUES``."""
    u, v = unit, value
    return (f"status = COALESCE({v('new_status')}, {u}.status), "
            f"progress = COALESCE({v('progress')}, {u}.progress), "
            f"checkpoint_json = COALESCE({v('checkpoint_json')}, {u}.checkpoint_json), "
            f"failure_reason = COALESCE({v('failure_reason')}, {u}.failure_reason), "
            f"last_heartbeat_at = COALESCE({v('beat')}, {u}.last_heartbeat_at), "
            f"lease_expires_at = CASE WHEN {v('clear')} THEN NULL "
            f"ELSE COALESCE({v('expires')}, {u}.lease_expires_at) END, "
            f"lease_holder = CASE WHEN {v('clear')} THEN NULL ELSE {u}.lease_holder END, "
            f"updated_at = {v('at')}")


_HOLDER_TYPES = ("text", "text", "text", "text", "float8", "text", "text", "timestamptz",
                 "timestamptz", "bool", "timestamptz", "text", "text", "text")
_PG_HOLDER = (
    "WITH v AS (SELECT * FROM unnest("
    + ", ".join(f"%b::{t}[]" for t in _HOLDER_TYPES)
    + f") WITH ORDINALITY AS v({', '.join(_HOLDER_VALUES)}, n)), "
    f"changed AS (UPDATE work_units u SET {_holder_set('u', lambda name: 'v.' + name)} FROM v "
    "WHERE u.tenant_id = v.tenant_id AND u.id = v.id AND u.lease_id = v.lease_id "
    f"AND u.status = 'ACTIVE' RETURNING {_RETURNING}, v.n AS n, v.new_status AS logged, "
    "v.reason AS reason, v.metadata AS metadata, v.actor AS actor), "
    f"history AS (INSERT INTO work_unit_history ({', '.join(_HISTORY_COLUMNS)}) "
    "SELECT tenant_id, id, 'ACTIVE', logged, content_hash, content_hash, reason, metadata, "
    "actor, updated_at FROM changed WHERE logged IS NOT NULL) "
    "SELECT * FROM changed")
_PG_HOLDER_COLUMNS = (*_UNIT_COLUMNS, "n", "logged", "reason", "metadata", "actor")
_SQLITE_HOLDER = (
    "UPDATE work_units SET " + _holder_set(
        "work_units", lambda name: f"v.column{_HOLDER_VALUES.index(name) + 1}")
    + " FROM (VALUES {values}) AS v WHERE work_units.tenant_id = v.column1 AND "
    "work_units.id = v.column2 AND work_units.lease_id = v.column3 AND "
    f"work_units.status = 'ACTIVE' RETURNING {', '.join(_UNIT_COLUMNS)}")


def _apply_held(cursor: Any, driver: _Driver, ops: Sequence["ChangeUnit"]) -> set["ChangeUnit"]:
    """Applies the lease holders' changes (one per unit) where the lease is held and the
    unit ACTIVE, with their history rows; returns the ops applied."""
    rows = [op._held_values(driver) for op in ops]
    applied: set[ChangeUnit] = set()
    if driver.postgresql:
        cursor.execute(_PG_HOLDER, [[row[i] for row in rows]
                                    for i in range(len(_HOLDER_VALUES))])
        for found in _rows(cursor, _PG_HOLDER_COLUMNS):
            op = ops[found["n"] - 1]
            op.unit = _unit(found)
            applied.add(op)
        return applied
    by_key = {(op.tenant_id, op.unit_id): op for op in ops}
    history = []
    step = _MAX_PARAMETERS // len(_HOLDER_VALUES)
    for start in range(0, len(rows), step):
        chunk = rows[start:start + step]
        cursor.execute(_SQLITE_HOLDER.format(values=", ".join(
            [driver.marks(len(_HOLDER_VALUES))] * len(chunk))),
            [value for row in chunk for value in row])
        for found in _rows(cursor):
            op = by_key[(found["tenant_id"], found["id"])]
            op.unit = _unit(found)
            applied.add(op)
            if op.change.kind in ("complete", "fail"):
                history.append((op.tenant_id, op.unit_id, ACTIVE, found["status"],
                                found["content_hash"], found["content_hash"],
                                (op.change.reason or op.change.kind)[:256],
                                json.dumps(op._metadata(), sort_keys=True), op.actor[:256],
                                op.now))
    _insert_history(cursor, driver, history)
    return applied


class ChangeUnit:
    """One change to one unit. In a batch, the lease holders' changes (heartbeat,
    checkpoint, complete, fail) are one conditional UPDATE; the others (and the holder's
    changes it did not match) lock their units with one statement and write them with one
    more. Several changes to one unit in a batch apply in order."""

    apply_order: ClassVar[int] = 30

    def __init__(self, *, tenant_id: str, unit_id: str, change: Change, actor: str,
                 now: dt.datetime, max_preemptions: int = MAX_PREEMPTIONS) -> None:
        self.tenant_id, self.unit_id, self.change = tenant_id, unit_id, change
        self.actor, self.now, self.max_preemptions = actor, now, max_preemptions
        self.unit: Unit | None = None
        self.refusal: Refusal | None = None
        # True when the call repeated a Complete/Fail its lease already made (no change).
        self.replayed = False

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["ChangeUnit"]) -> None:
        driver = _Driver(conn)
        cursor = conn.connection.cursor()
        try:
            held, others, seen = [], [], set()
            for op in ops:
                op.unit, op.refusal, op.replayed = None, None, False
                key = (op.tenant_id, op.unit_id)
                if key not in seen and op.change.lease_id and op.change.kind in _HOLDER_KINDS:
                    held.append(op)  # the unit's first change in the batch
                else:
                    others.append(op)
                seen.add(key)
            if held:
                applied = _apply_held(cursor, driver, held)
                others = [op for op in ops if op not in applied]  # in order
            if others:
                cls._apply_general(cursor, driver, others)
        finally:
            cursor.close()

    @staticmethod
    def _apply_general(cursor: Any, driver: _Driver, ops: Sequence["ChangeUnit"]) -> None:
        """Locks the units, applies each change in order, writes them back."""
        rows = _lock_units(cursor, driver, {(op.tenant_id, op.unit_id) for op in ops})
        changed: dict[tuple[str, str], dict[str, Any]] = {}
        history: list[tuple[Any, ...]] = []
        for op in ops:
            row = rows.get((op.tenant_id, op.unit_id))
            try:
                if op._apply(row, history):
                    assert row is not None
                    changed[(op.tenant_id, op.unit_id)] = row
            except Refusal as refusal:
                op.refusal = refusal
        _update_units(cursor, driver, list(changed.values()), history)

    def _held_values(self, driver: _Driver) -> tuple[Any, ...]:
        """This holder's change as a row of ``_HOLDER_VALUES``."""
        change = self.change
        kind = change.kind
        finishing = kind in ("complete", "fail")
        return (self.tenant_id, self.unit_id, change.lease_id,
                change.new_status if finishing else None,
                None if change.progress is None else float(change.progress),
                change.checkpoint_json,
                (change.reason or "failed")[:256] if kind == "fail" else None,
                driver.time(self.now) if kind == "heartbeat" else None,
                driver.time(change.expires_at) if kind == "heartbeat" else None,
                finishing, driver.time(self.now), (change.reason or kind)[:256],
                json.dumps(self._metadata(), sort_keys=True), self.actor[:256])

    def _apply(self, row: dict[str, Any] | None, history: list[tuple[Any, ...]]) -> bool:
        """Changes ``row`` in place (and appends its history row); False: nothing to write."""
        change = self.change
        if row is None:
            raise Refusal("not_found", f"unit {self.unit_id} not found")
        status = row["status"]
        if change.lease_id is not None and row["lease_id"] != change.lease_id:
            reason = f", {row['failure_reason']}" if row["failure_reason"] else ""
            raise Refusal("precondition", f"lease {change.lease_id} is not held on unit "
                          f"{self.unit_id} (it is {status}{reason})")
        if status not in change.from_statuses:
            if change.kind in ("complete", "fail") and status == change.new_status:
                # The same lease completing (failing) again: a retry; nothing changes.
                self.unit, self.replayed = _unit(row), True
                return False
            raise Refusal("precondition", f"unit {self.unit_id} is {status}; {change.kind} "
                          f"needs {' or '.join(change.from_statuses)}")
        before = dict(row)
        new_status, reason = self._values(row)
        row["updated_at"] = self.now
        self.unit = _unit(row)
        if new_status is not None and new_status != status:
            history.append(history_row(before, new_status, reason=reason, actor=self.actor,
                                       now=self.now, metadata=self._metadata()))
        return True

    def _values(self, row: dict[str, Any]) -> tuple[str | None, str]:
        change = self.change
        if change.progress is not None:
            row["progress"] = float(change.progress)
        if change.checkpoint_json is not None:
            row["checkpoint_json"] = change.checkpoint_json
        if change.kind == "heartbeat":
            row.update(last_heartbeat_at=self.now, lease_expires_at=change.expires_at)
            return None, ""
        if change.kind == "checkpoint":
            return None, ""
        new_status, reason = change.new_status, change.reason or change.kind
        if change.kind == "preempt":
            if row["priority"] == 0:
                raise Refusal("precondition", f"unit {self.unit_id} is P0: never preempted")
            row["preemption_count"] += 1
            if row["preemption_count"] > self.max_preemptions:
                new_status, reason = FAILED, "max_preemptions"
                row["failure_reason"] = "max_preemptions"
        if change.kind == "fail":
            row["failure_reason"] = (change.reason or "failed")[:256]
        if change.kind in ("complete", "fail"):
            # The lease id stays: the holder's retry of the same call is recognised.
            row.update(lease_holder=None, lease_expires_at=None)
        elif new_status != ACTIVE:
            row.update(lease_id=None, lease_holder=None, lease_expires_at=None)
        row["status"] = new_status
        return new_status, reason

    def _metadata(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.change.lease_id:
            out["lease_id"] = self.change.lease_id
        if self.change.checkpoint_json is not None:
            out["checkpointed"] = True
        return out


# -- preemption and pausing (guards) ---------------------------------------------------------

def _sa_history(row: Any, new_status: str, *, reason: str, actor: str, now: dt.datetime,
                metadata: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return dict(zip(_HISTORY_COLUMNS, history_row(row._mapping, new_status, reason=reason,
                                                  actor=actor, now=now, metadata=metadata)))


def _insert_sa_history(conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    for start in range(0, len(rows), _ROWS_PER_CHUNK):
        conn.execute(sa.insert(HISTORY), list(rows[start:start + _ROWS_PER_CHUNK]))


def _preemption_query(tenant_id: str, priorities: Collection[int], statuses: Collection[str],
                      run_id: str | None, limit: int | None) -> sa.Select[Any] | None:
    """The units :func:`preempt_units` takes, in its order (None: it takes none)."""
    classes = sorted({int(p) for p in priorities if int(p) > 0})
    if not classes or limit == 0:
        return None
    query = sa.select(UNITS).where(
        UNITS.c.tenant_id == tenant_id, UNITS.c.priority.in_(classes),
        UNITS.c.status.in_(list(statuses))).order_by(
        UNITS.c.priority.desc(), UNITS.c.leased_at.desc().nulls_last(),
        UNITS.c.created_at.desc(), UNITS.c.id)
    if run_id is not None:
        query = query.where(UNITS.c.run_id == run_id)
    return query.limit(limit) if limit is not None else query


def preemption_preview(db: Database, *, tenant_id: str, priorities: Collection[int],
                       limit: int | None = None,
                       statuses: Collection[str] = (ACTIVE,)) -> list[str]:
    """The ids :func:`preempt_units` would preempt now, changing nothing (shadow mode)."""
    query = _preemption_query(tenant_id, priorities, statuses, None, limit)
    if query is None:
        return []
    with db.read() as session:
        return [row.id for row in session.execute(query)]


def preempt_units(conn: sa.Connection, *, tenant_id: str, priorities: Collection[int],
                  reason: str, actor: str, now: dt.datetime, run_id: str | None = None,
                  statuses: Collection[str] = (ACTIVE,), limit: int | None = None,
                  resource: str = "", threshold: float | None = None,
                  max_preemptions: int = MAX_PREEMPTIONS) -> list[str]:
    """Preempts the tenant's units of ``priorities`` (ints 0..3; P0 is never preempted) in
    ``statuses`` (of ``run_id`` when given), at most ``limit``: the lowest class first (P3),
    then the newest lease first (units never leased last, newest first). Runs inside the
    caller's transaction (``conn``).

    Each unit keeps its checkpoint, loses its lease, counts one more preemption and gets a
    history row with ``reason`` and metadata ``{"resource", "threshold"}``; one preempted
    more than ``max_preemptions`` times goes FAILED with reason ``max_preemptions`` instead
    of PREEMPTED. Units locked by another transaction are skipped (PostgreSQL). Returns the
    ids of the units preempted (including those that failed), in that order."""
    query = _preemption_query(tenant_id, priorities, statuses, run_id, limit)
    if query is None:
        return []
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = conn.execute(query).all()
    metadata = {"resource": resource, "threshold": threshold}
    failing = [r for r in rows if r.preemption_count + 1 > max_preemptions]
    preempting = [r for r in rows if r.preemption_count + 1 <= max_preemptions]
    for group, status, failure in ((preempting, PREEMPTED, None),
                                   (failing, FAILED, "max_preemptions")):
        for start in range(0, len(group), _ROWS_PER_CHUNK):
            values: dict[str, Any] = dict(
                status=status, preemption_count=UNITS.c.preemption_count + 1, lease_id=None,
                lease_holder=None, lease_expires_at=None, updated_at=now)
            if failure:
                values["failure_reason"] = failure
            conn.execute(sa.update(UNITS).where(
                UNITS.c.tenant_id == tenant_id,
                UNITS.c.id.in_([r.id for r in group[start:start + _ROWS_PER_CHUNK]])).values(
                **values))
    _insert_sa_history(conn, [
        _sa_history(r, FAILED if r.preemption_count + 1 > max_preemptions else PREEMPTED,
                    reason="max_preemptions" if r.preemption_count + 1 > max_preemptions
                    else reason, actor=actor, now=now, metadata=metadata) for r in rows])
    return [r.id for r in rows]


def pause_units(conn: sa.Connection, *, tenant_id: str, run_id: str, reason: str, actor: str,
                now: dt.datetime) -> list[str]:
    """Pauses the run's PENDING and ACTIVE units (leases cleared, checkpoints kept), with a
    history row each, inside the caller's transaction; returns their ids. ``Resume`` puts
    a paused unit back to PENDING."""
    query = sa.select(UNITS).where(UNITS.c.tenant_id == tenant_id, UNITS.c.run_id == run_id,
                                   UNITS.c.status.in_([PENDING, ACTIVE])).order_by(UNITS.c.id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = conn.execute(query).all()
    for start in range(0, len(rows), _ROWS_PER_CHUNK):
        conn.execute(sa.update(UNITS).where(
            UNITS.c.tenant_id == tenant_id,
            UNITS.c.id.in_([r.id for r in rows[start:start + _ROWS_PER_CHUNK]])).values(
            status=PAUSED, lease_id=None, lease_holder=None, lease_expires_at=None,
            updated_at=now))
    _insert_sa_history(conn, [_sa_history(r, PAUSED, reason=reason, actor=actor, now=now)
                              for r in rows])
    return [r.id for r in rows]


class PreemptUnits:
    """:func:`preempt_units` as a write op: ``PreemptUnits(tenant_id=..., priorities=...,
    reason=..., actor=..., now=..., **the other keyword arguments)``; after commit the ids
    preempted are in ``preempted``."""

    apply_order: ClassVar[int] = 40

    def __init__(self, **arguments: Any) -> None:
        self.arguments = arguments
        self.preempted: list[str] = []

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["PreemptUnits"]) -> None:
        for op in ops:
            op.preempted = preempt_units(conn, **op.arguments)


# -- zombie protocol -------------------------------------------------------------------------

@dataclass(frozen=True)
class Reclaimed:
    unit_id: str
    tenant_id: str
    new_status: str
    last_heartbeat_at: dt.datetime | None
    lease_holder: str | None


def reclaim_zombies(conn: sa.Connection, *, cutoff: dt.datetime, now: dt.datetime,
                    max_reclaims: int, tenant_id: str | None = None,
                    limit: int = 10_000) -> list[Reclaimed]:
    """ACTIVE units whose last heartbeat is before ``cutoff`` go back to PENDING (FAILED
    with ``zombie`` after ``max_reclaims`` reclaims), lease cleared, history row each.

    Safe with every replica sweeping: rows are taken with SKIP LOCKED (PostgreSQL) and the
    UPDATE re-checks status and heartbeat, so a unit that heartbeated meanwhile is left."""
    pick = sa.select(UNITS.c.id).where(
        UNITS.c.status == ACTIVE, UNITS.c.last_heartbeat_at < cutoff).order_by(
        UNITS.c.last_heartbeat_at).limit(limit)
    if tenant_id is not None:
        pick = pick.where(UNITS.c.tenant_id == tenant_id)
    if conn.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    ids = [r for (r,) in conn.execute(pick).all()]
    reclaimed: list[Reclaimed] = []
    history: list[dict[str, Any]] = []
    for start in range(0, len(ids), _ROWS_PER_CHUNK):
        chunk = ids[start:start + _ROWS_PER_CHUNK]
        before = {r.id: r for r in conn.execute(sa.select(UNITS).where(
            UNITS.c.id.in_(chunk), UNITS.c.status == ACTIVE,
            UNITS.c.last_heartbeat_at < cutoff)).all()}
        failing = sa.case((UNITS.c.reclaim_count + 1 > max_reclaims, FAILED), else_=PENDING)
        rows = conn.execute(sa.update(UNITS).where(
            UNITS.c.id.in_(list(before)), UNITS.c.status == ACTIVE,
            UNITS.c.last_heartbeat_at < cutoff).values(
            status=failing, reclaim_count=UNITS.c.reclaim_count + 1, lease_id=None,
            lease_holder=None, lease_expires_at=None, updated_at=now,
            failure_reason=sa.case((UNITS.c.reclaim_count + 1 > max_reclaims, "zombie"),
                                   else_=UNITS.c.failure_reason)).returning(
            UNITS.c.id, UNITS.c.status)).all()
        for unit_id, status in rows:
            old = before[unit_id]
            beat = as_utc(old.last_heartbeat_at) if old.last_heartbeat_at else None
            history.append(_sa_history(old, status, reason="zombie_reclaimed", actor="zombie",
                                       now=now, metadata={
                                           "last_heartbeat_at": beat.isoformat() if beat
                                           else None, "lease_holder": old.lease_holder}))
            reclaimed.append(Reclaimed(unit_id, old.tenant_id, status, beat, old.lease_holder))
    if history and conn.dialect.name == "postgresql" and len(history) >= _COPY_FROM:
        cursor = conn.connection.cursor()
        try:
            _copy(cursor, "work_unit_history", _HISTORY_COLUMNS,
                  [[h[c] for c in _HISTORY_COLUMNS] for h in history])
        finally:
            cursor.close()
    else:
        _insert_sa_history(conn, history)
    return reclaimed


def run_reclaim(db: Database, *, cutoff: dt.datetime, now: dt.datetime, max_reclaims: int,
                record: Callable[[list[Reclaimed]], Sequence[WriteOp]],
                tenant_id: str | None = None, limit: int = 10_000) -> list[Reclaimed]:
    """One transaction: reclaim, then stage what ``record`` returns for the reclaimed units
    (their ledger entries) in the same transaction."""
    for _ in range(8):
        by_class: dict[type, list[WriteOp]] = {}
        with db.engine.connect().execution_options(bastion_write=True) as conn:
            try:
                with conn.begin():
                    reclaimed = reclaim_zombies(conn, cutoff=cutoff, now=now,
                                                max_reclaims=max_reclaims,
                                                tenant_id=tenant_id, limit=limit)
                    by_class = group_ops(record(reclaimed))
                    apply_grouped(conn, by_class)
            except RetryBatch:
                notify(by_class, "rolled_back")
                continue
            except BaseException:
                notify(by_class, "rolled_back")
                raise
            notify(by_class, "committed")
            return reclaimed
    raise StorageUnavailable("zombie protocol: write contention, retried too often")
