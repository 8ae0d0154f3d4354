"""Ledger entries: one per-tenant hash chain, append-only (database triggers refuse changes).

Storage owns locking, reading the chain head and inserting; the hashing and signing are
the ledger plugin's, passed in as a :class:`Sealer` so this module knows no cryptography.
"""

from __future__ import annotations

import datetime as dt
import time
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar, NamedTuple, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bastion.storage.base import Base, TenantScoped, UtcDateTime, as_utc, sqlite_ts
from bastion.storage.database import Database
from bastion.storage.group_commit import RetryBatch, Statement
from bastion.storage.pg_json import json_rows, populate
from bastion.storage.sqlite_insert import insert_many


class LedgerEntryRow(TenantScoped, Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "sequence"),)

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    sequence: Mapped[int] = mapped_column(sa.BigInteger)
    ts: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    action_type: Mapped[str] = mapped_column(sa.String(128))
    actor: Mapped[str] = mapped_column(sa.String(128))
    subject_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    payload_json: Mapped[str] = mapped_column(sa.Text)
    parent_hash: Mapped[str] = mapped_column(sa.String(64))
    entry_hash: Mapped[str] = mapped_column(sa.String(64))
    signature: Mapped[str] = mapped_column(sa.String(64))


class LedgerRecord(NamedTuple):
    """An entry as stored (or about to be). Field order is the table's column order."""

    tenant_id: str
    sequence: int
    ts: dt.datetime
    action_type: str
    actor: str
    subject_id: str
    payload_json: str
    parent_hash: str
    entry_hash: str = ""
    signature: str = ""


class Sealer(Protocol):
    def __call__(self, record: LedgerRecord) -> tuple[str, str]:
        """Returns (entry_hash, signature) for a record whose parent_hash is set."""


class LedgerAppend:
    """A staged append; after commit ``sequence`` and ``entry_hash`` are set."""

    apply_order: ClassVar[int] = 1000  # after every domain write of the same transaction

    def __init__(self, *, tenant_id: str, ts: dt.datetime, action_type: str, actor: str,
                 subject_id: str, payload_json: str, sealer: Sealer,
                 on_appended: Callable[[LedgerRecord], None] | None = None) -> None:
        self.tenant_id = tenant_id
        self.ts = ts
        self.action_type = action_type
        self.actor = actor
        self.subject_id = subject_id
        self.payload_json = payload_json
        self.sealer = sealer
        self.on_appended = on_appended
        self.record: LedgerRecord | None = None
        self._engine: Any = None  # set by apply_all, for the committed/rolled_back hooks

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["LedgerAppend"]) -> None:
        by_tenant: dict[str, list[LedgerAppend]] = defaultdict(list)
        for op in ops:
            by_tenant[op.tenant_id].append(op)
        records: list[LedgerRecord] = []
        cursor = conn.connection.cursor()  # the driver's cursor: see _DRIVER_SQL
        sql = _DRIVER_SQL[conn.dialect.name]
        heads = _HEADS.setdefault(conn.engine, {})
        # One tenant (the common batch) with a cached head: lock and insert in one statement.
        # Several: the locks one by one in sorted order, so committers cannot deadlock.
        one_tenant = len(by_tenant) == 1 and sql.insert_locked is not None
        lock_in_insert = False
        try:
            # Sorted, so two committers locking several tenants cannot deadlock.
            for op in ops:
                op._engine = conn.engine
            for tenant_id in sorted(by_tenant):
                # Every appender takes the tenant's lock (PostgreSQL), so an append that
                # read the head under it cannot be overtaken; the head itself is read only
                # when this process has none cached. A cached head that another replica
                # has since moved fails the unique (tenant, sequence) constraint, and the
                # retry reads it under the lock, so it succeeds; for CONTENDED_FOR_S after
                # that the head is read under the lock every time (a retry re-runs the
                # whole batch: with two replicas on one tenant, every other batch).
                cached = None if _contended(conn.engine, tenant_id) else heads.get(tenant_id)
                if cached is None:
                    sequence, parent_hash = _lock_head(cursor, sql, tenant_id)
                elif one_tenant:
                    lock_in_insert = True  # the insert takes the lock (below)
                    sequence, parent_hash = cached
                else:
                    _lock(cursor, sql, tenant_id)
                    sequence, parent_hash = cached
                records.extend(_seal(by_tenant[tenant_id], sequence, parent_hash))
            # One statement for the batch: each statement the driver runs releases the GIL
            # and must win it back from the busy event loop, so a statement per row (what
            # executemany does on SQLite) multiplies the committer's waits.
            if lock_in_insert:
                # Lock and insert in one statement: a round trip less per batch (the lock
                # statement was ~16% of the committer's time with the admission guards).
                assert sql.insert_locked is not None
                sql.insert_locked(cursor, records, _lock_key(records[0].tenant_id))
            else:
                sql.insert(cursor, records)
        except conn.dialect.dbapi.IntegrityError:  # type: ignore[union-attr]
            # Another process appended since this one's cached head (unique tenant+sequence):
            # forget the heads and run the batch again, reading them under the lock.
            _contended_now(conn.engine, by_tenant)
            raise RetryBatch from None
        finally:
            cursor.close()
        _appended(ops)

    @classmethod
    def statement(cls, engine: Any, ops: Sequence["LedgerAppend"]) -> Statement | None:
        """The batch's locked insert as the group committer's one statement, when it is all
        the batch needs: one tenant, whose head this process holds and no other process is
        known to move (PostgreSQL). A stale head breaks the unique constraint; the batch
        then runs again in a transaction, reading the head under the lock."""
        if _DRIVER_SQL[engine.dialect.name].insert_locked is None or not ops:
            return None
        tenant_id = ops[0].tenant_id
        head = _HEADS.get(engine, {}).get(tenant_id)
        if head is None or _contended(engine, tenant_id) or any(
                op.tenant_id != tenant_id for op in ops):
            return None
        for op in ops:
            op._engine = engine
        records = _seal(ops, *head)

        return Statement(_POSTGRES_LOCKED_INSERT,
                         [_lock_key(tenant_id), json_rows(_COLUMN_NAMES, records)],
                         done=lambda rows: _appended(ops),
                         conflicted=lambda: _contended_now(engine, [tenant_id]))

    @classmethod
    def committed(cls, ops: Sequence["LedgerAppend"]) -> None:
        """Remembers each tenant's new head, so the next batch need not read it."""
        if not ops:
            return
        heads = _HEADS.setdefault(ops[0]._engine, {}) if ops[0]._engine is not None else {}
        for op in ops:
            if op.record is not None:
                current = heads.get(op.tenant_id)
                if current is None or op.record.sequence > current[0]:
                    heads[op.tenant_id] = (op.record.sequence, op.record.entry_hash)

    @classmethod
    def rolled_back(cls, ops: Sequence["LedgerAppend"]) -> None:
        for op in ops:
            if op._engine is not None:
                _HEADS.get(op._engine, {}).pop(op.tenant_id, None)


# Per engine: tenant → (sequence, entry hash) of the last entry this process committed.
# Only ever a hint: the unique (tenant_id, sequence) constraint refuses a stale one.
_HEADS: "weakref.WeakKeyDictionary[Any, dict[str, tuple[int, str]]]" = weakref.WeakKeyDictionary()


# Per engine: tenant → until when (time.monotonic()) its head is read under the lock
# instead of taken from _HEADS: another process appends to it too.
_CONTENDED: "weakref.WeakKeyDictionary[Any, dict[str, float]]" = weakref.WeakKeyDictionary()
CONTENDED_FOR_S = 5.0


def _seal(ops: Sequence[LedgerAppend], sequence: int, parent_hash: str) -> list[LedgerRecord]:
    """Numbers and seals one tenant's ops after (``sequence``, ``parent_hash``), setting
    each op's record; returns the records in order."""
    records = []
    for op in ops:
        sequence += 1
        unsealed = LedgerRecord(op.tenant_id, sequence, op.ts, op.action_type, op.actor,
                                op.subject_id, op.payload_json, parent_hash)
        entry_hash, signature = op.sealer(unsealed)
        op.record = unsealed._replace(entry_hash=entry_hash, signature=signature)
        records.append(op.record)
        parent_hash = entry_hash
    return records


def _appended(ops: Sequence[LedgerAppend]) -> None:
    """Hands each appended op's record to its ``on_appended``."""
    for op in ops:
        if op.on_appended is not None and op.record is not None:
            op.on_appended(op.record)


def _contended_now(engine: Any, tenant_ids: Iterable[str]) -> None:
    """Another process appended to these tenants: forget their heads, and read them under
    the lock for the next CONTENDED_FOR_S."""
    heads = _HEADS.get(engine, {})
    for tenant_id in tenant_ids:
        heads.pop(tenant_id, None)
        _mark_contended(engine, tenant_id)


def _contended(engine: Any, tenant_id: str) -> bool:
    until = _CONTENDED.get(engine, {}).get(tenant_id)
    return until is not None and until > time.monotonic()


def _mark_contended(engine: Any, tenant_id: str) -> None:
    _CONTENDED.setdefault(engine, {})[tenant_id] = time.monotonic() + CONTENDED_FOR_S


class _DriverSql(NamedTuple):
    """The append's statements in the driver's own parameter style.

    Group commit runs these on the DBAPI cursor, inside the transaction SQLAlchemy opened:
    under load the committer thread competes with the event loop for the GIL, and
    SQLAlchemy's per-statement Python work (about 0.5 ms per batch here) was the larger part
    of the ledger's cost. The columns are the model's; ``tests/test_ledger.py`` reads the rows
    back through SQLAlchemy on both engines.
    """

    lock: str | None
    head: str
    insert: Callable[[Any, Sequence[LedgerRecord]], None]
    # The insert taking one tenant's lock first (``None`` where ``lock`` is).
    insert_locked: Callable[[Any, Sequence[LedgerRecord], str], None] | None = None


_COLUMNS = ("tenant_id, sequence, ts, action_type, actor, subject_id, payload_json, "
            "parent_hash, entry_hash, signature")
_COLUMN_NAMES = tuple(_COLUMNS.split(", "))
# The batch as one JSON parameter (storage/pg_json.py), whatever its size: a single
# statement text, so psycopg converts it once and the server prepares it once (a multi-row
# VALUES list has ten parameters per row, and psycopg re-parses a statement with over 50 on
# every execution).
_POSTGRES_ROWS = populate("ledger_entries")
_POSTGRES_INSERT = (f"INSERT INTO ledger_entries ({_COLUMNS}) "
                    f"SELECT {_COLUMNS} FROM {_POSTGRES_ROWS}")


# The lock in a materialised CTE joined with the rows: no row can be inserted before the
# CTE's one row exists, so the lock is held first whatever the join order.
_POSTGRES_LOCKED_INSERT = (
    "WITH tenant_lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(hashtextextended(%s::text, "
    f"0))) INSERT INTO ledger_entries ({_COLUMNS}) SELECT rows.* FROM tenant_lock, "
    f"(SELECT {_COLUMNS} FROM {_POSTGRES_ROWS}) AS rows")


def _sqlite_insert(cursor: Any, records: Sequence[LedgerRecord]) -> None:
    insert_many(cursor, "ledger_entries", _COLUMN_NAMES,
                [(r.tenant_id, r.sequence, sqlite_ts(r.ts), *r[3:]) for r in records])


def _postgres_insert(cursor: Any, records: Sequence[LedgerRecord]) -> None:
    cursor.execute(_POSTGRES_INSERT, [json_rows(_COLUMN_NAMES, records)])


def _postgres_locked_insert(cursor: Any, records: Sequence[LedgerRecord], key: str) -> None:
    cursor.execute(_POSTGRES_LOCKED_INSERT, [key, json_rows(_COLUMN_NAMES, records)])


_DRIVER_SQL = {
    "sqlite": _DriverSql(
        lock=None,
        head="SELECT sequence, entry_hash FROM ledger_entries WHERE tenant_id = ? "
             "ORDER BY sequence DESC LIMIT 1",
        insert=_sqlite_insert),
    "postgresql": _DriverSql(
        lock="SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
        head="SELECT sequence, entry_hash FROM ledger_entries WHERE tenant_id = %s "
             "ORDER BY sequence DESC LIMIT 1",
        insert=_postgres_insert, insert_locked=_postgres_locked_insert),
}


def _lock_key(tenant_id: str) -> str:
    return "bastion.ledger:" + tenant_id


def _lock(cursor: Any, sql: _DriverSql, tenant_id: str) -> None:
    if sql.lock is not None:
        cursor.execute(sql.lock, (_lock_key(tenant_id),))


def _lock_head(cursor: Any, sql: _DriverSql, tenant_id: str) -> tuple[int, str]:
    """Serialises appenders of one tenant and returns its (last sequence, last hash).

    PostgreSQL: a transaction-scoped advisory lock per tenant, so replicas sharing the
    database append one unbroken chain. SQLite: the writer already holds the database lock
    (BEGIN IMMEDIATE). The unique (tenant_id, sequence) constraint backs both.
    """
    _lock(cursor, sql, tenant_id)
    cursor.execute(sql.head, (tenant_id,))
    row = cursor.fetchone()
    return (row[0], row[1]) if row is not None else (0, "")


def _to_record(row: LedgerEntryRow) -> LedgerRecord:
    return LedgerRecord(
        tenant_id=row.tenant_id, sequence=row.sequence, ts=as_utc(row.ts),
        action_type=row.action_type, actor=row.actor, subject_id=row.subject_id,
        payload_json=row.payload_json, parent_hash=row.parent_hash, entry_hash=row.entry_hash,
        signature=row.signature)


def list_entries(db: Database, tenant_id: str, *, after_sequence: int, limit: int,
                 action_type: str | None = None) -> list[LedgerRecord]:
    stmt = (sa.select(LedgerEntryRow)
            .where(LedgerEntryRow.tenant_id == tenant_id,
                   LedgerEntryRow.sequence > after_sequence)
            .order_by(LedgerEntryRow.sequence).limit(limit))
    if action_type:
        stmt = stmt.where(LedgerEntryRow.action_type == action_type)
    with db.read() as session:
        return [_to_record(r) for r in session.scalars(stmt)]


def iter_entries(db: Database, tenant_id: str, *, from_sequence: int, limit: int,
                 chunk: int = 1000) -> Iterator[LedgerRecord]:
    """Yields up to ``limit`` entries from ``from_sequence`` in order, reading in chunks."""
    after, remaining = from_sequence - 1, limit
    while remaining > 0:
        page = list_entries(db, tenant_id, after_sequence=after, limit=min(chunk, remaining))
        if not page:
            return
        yield from page
        after, remaining = page[-1].sequence, remaining - len(page)


def get_entry(db: Database, tenant_id: str, sequence: int) -> LedgerRecord | None:
    with db.read() as session:
        row = session.scalar(sa.select(LedgerEntryRow).where(
            LedgerEntryRow.tenant_id == tenant_id, LedgerEntryRow.sequence == sequence))
        return _to_record(row) if row is not None else None


def find_by_subject(db: Database, tenant_id: str, subject_id: str,
                    action_type: str) -> LedgerRecord | None:
    with db.read() as session:
        row = session.scalar(sa.select(LedgerEntryRow).where(
            LedgerEntryRow.tenant_id == tenant_id, LedgerEntryRow.subject_id == subject_id,
            LedgerEntryRow.action_type == action_type).limit(1))
        return _to_record(row) if row is not None else None
