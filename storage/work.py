"""Units of work (SPEC W1, W2, G4): the queue, leases, heartbeats, preemption and the
append-only history.

Every status change writes its history row in the same transaction. State changes are
write ops committed by the group committer (concurrent requests share a transaction);
results (the leased unit, the new state, a refusal) are set on the op for the caller to
read after commit. Leasing never hands one unit to two workers: PostgreSQL takes the next
unit with ``FOR UPDATE SKIP LOCKED`` and re-checks ``status = 'PENDING'`` in the UPDATE;
SQLite serialises writers (BEGIN IMMEDIATE), so select-then-update is safe there.
"""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bastion.storage.base import Base, TenantScoped, UtcDateTime, as_utc
from bastion.storage.database import Database
from bastion.storage.group_commit import RetryBatch, WriteOp, apply_grouped, group_ops, notify

PENDING, ACTIVE, COMPLETED, FAILED, PREEMPTED, PAUSED = (
    "PENDING", "ACTIVE", "COMPLETED", "FAILED", "PREEMPTED", "PAUSED")
STATUSES = (PENDING, ACTIVE, COMPLETED, FAILED, PREEMPTED, PAUSED)
_ROWS_PER_INSERT = 1000
_COPY_FROM = 100


class UnitRow(TenantScoped, Base):
    __tablename__ = "work_units"
    __table_args__ = (
        sa.Index("ix_work_units_queue", "tenant_id", "status", "priority", "created_at"),
        sa.Index("ix_work_units_heartbeat", "status", "last_heartbeat_at"),
        sa.Index("ix_work_units_run", "tenant_id", "run_id", "status"),
        sa.UniqueConstraint("tenant_id", "idempotency_key",
                            name="uq_work_units_tenant_id_idempotency_key"),
    )

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    run_id: Mapped[str] = mapped_column(sa.String(256))
    status: Mapped[str] = mapped_column(sa.String(16))
    priority: Mapped[int] = mapped_column(sa.SmallInteger)
    attributes_json: Mapped[str] = mapped_column(sa.Text)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(256), nullable=True)
    lease_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    lease_holder: Mapped[str | None] = mapped_column(sa.String(256), nullable=True)
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


def _unit(row: Any) -> Unit:
    def utc(value: dt.datetime | None) -> dt.datetime | None:
        return as_utc(value) if value is not None else None
    return Unit(row.id, row.tenant_id, row.run_id, row.status, row.priority,
                row.attributes_json, row.content_hash, row.lease_id, row.lease_holder,
                utc(row.last_heartbeat_at), utc(row.lease_expires_at), row.progress,
                row.checkpoint_json, row.preemption_count, row.reclaim_count,
                row.failure_reason, as_utc(row.created_at), as_utc(row.updated_at))


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


def history_row(unit: Any, new_status: str, *, reason: str, actor: str, now: dt.datetime,
                metadata: Mapping[str, Any] | None = None,
                new_hash: str | None = None) -> dict[str, Any]:
    return {"tenant_id": unit.tenant_id, "unit_id": unit.id, "prev_status": unit.status,
            "new_status": new_status, "prev_hash": unit.content_hash,
            "new_hash": new_hash or unit.content_hash, "reason": reason[:256],
            "metadata_json": json.dumps(dict(metadata or {}), sort_keys=True),
            "actor": actor[:256], "at": now}


def _insert(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Multi-row INSERT; on PostgreSQL large batches go through COPY (SubmitMany and the
    zombie protocol write thousands of rows: COPY is several times cheaper per row)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql" and len(rows) >= _COPY_FROM:
        columns = list(rows[0])
        cursor = conn.connection.cursor()
        try:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
        finally:
            cursor.close()
        return
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        conn.execute(sa.insert(table), list(rows[start:start + _ROWS_PER_INSERT]))


def _insert_history(conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    _insert(conn, HISTORY, rows)


# -- reading -------------------------------------------------------------------------------

def get_unit(db: Database, tenant_id: str, unit_id: str) -> Unit | None:
    with db.read() as session:
        row = session.execute(sa.select(UNITS).where(
            UNITS.c.tenant_id == tenant_id, UNITS.c.id == unit_id)).first()
    return None if row is None else _unit(row)


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
    idempotency key the tenant already used is not inserted: ``unit_ids`` then holds the
    existing unit's id and ``created`` is False for it."""

    apply_order: ClassVar[int] = 10

    def __init__(self, *, tenant_id: str, units: Sequence[NewUnit], actor: str,
                 now: dt.datetime) -> None:
        self.tenant_id, self.units, self.actor, self.now = tenant_id, units, actor, now
        self.unit_ids: list[str] = []
        self.created: list[bool] = []
        # The unit of a single Submit as stored (the existing one for a repeated key).
        self.first: Unit | None = None

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["SubmitUnits"]) -> None:
        rows, history = [], []
        for op in ops:
            existing = op._existing(conn)
            op.unit_ids, op.created, op.first = [], [], None
            for unit in op.units:
                found = existing.get(unit.idempotency_key) if unit.idempotency_key else None
                if found is None and unit.idempotency_key:
                    existing[unit.idempotency_key] = unit.unit_id  # twice in one request
                op.unit_ids.append(found or unit.unit_id)
                op.created.append(found is None)
                if found is not None:
                    if len(op.units) == 1:
                        op.first = _unit(conn.execute(sa.select(UNITS).where(
                            UNITS.c.id == found)).first())
                    continue
                rows.append(op._row(unit))
                if len(op.units) == 1:
                    op.first = _unit(SimpleNamespace(**rows[-1]))
                history.append({
                    "tenant_id": op.tenant_id, "unit_id": unit.unit_id, "prev_status": "",
                    "new_status": PENDING, "prev_hash": "", "new_hash": unit.content_hash,
                    "reason": "submitted", "metadata_json": "{}", "actor": op.actor[:256],
                    "at": op.now})
        _insert(conn, UNITS, rows)
        _insert_history(conn, history)

    def _existing(self, conn: sa.Connection) -> dict[str, str]:
        keys = [u.idempotency_key for u in self.units if u.idempotency_key]
        if not keys:
            return {}
        found = conn.execute(sa.select(UNITS.c.idempotency_key, UNITS.c.id).where(
            UNITS.c.tenant_id == self.tenant_id, UNITS.c.idempotency_key.in_(keys))).all()
        return {k: i for k, i in found}

    def _row(self, unit: NewUnit) -> dict[str, Any]:
        return {"id": unit.unit_id, "tenant_id": self.tenant_id, "run_id": unit.run_id,
                "status": PENDING, "priority": unit.priority,
                "attributes_json": unit.attributes_json, "content_hash": unit.content_hash,
                "idempotency_key": unit.idempotency_key, "lease_id": None,
                "lease_holder": None, "last_heartbeat_at": None, "lease_expires_at": None,
                "progress": 0.0, "checkpoint_json": None, "preemption_count": 0,
                "reclaim_count": 0, "failure_reason": "", "created_at": self.now,
                "updated_at": self.now}


# -- leasing -------------------------------------------------------------------------------

class LeaseNext:
    """Leases the tenant's next PENDING unit (optionally of one run): priority class
    first, then the oldest. ``unit`` is None when nothing is pending."""

    apply_order: ClassVar[int] = 20

    def __init__(self, *, tenant_id: str, run_id: str, lease_id: str, holder: str,
                 now: dt.datetime, expires_at: dt.datetime) -> None:
        self.tenant_id, self.run_id, self.lease_id, self.holder = tenant_id, run_id, lease_id, holder
        self.now, self.expires_at = now, expires_at
        self.unit: Unit | None = None

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["LeaseNext"]) -> None:
        history = []
        for op in ops:
            op.unit = None
            row = op._lease(conn)
            if row is not None:
                op.unit = _unit(row)
                history.append({
                    "tenant_id": op.tenant_id, "unit_id": row.id, "prev_status": PENDING,
                    "new_status": ACTIVE, "prev_hash": row.content_hash,
                    "new_hash": row.content_hash, "reason": "leased",
                    "metadata_json": json.dumps({"lease_id": op.lease_id, "holder": op.holder}),
                    "actor": op.holder[:256], "at": op.now})
        if history:
            _insert_history(conn, history)

    def _lease(self, conn: sa.Connection) -> Any:
        conditions = [UNITS.c.tenant_id == self.tenant_id, UNITS.c.status == PENDING]
        if self.run_id:
            conditions.append(UNITS.c.run_id == self.run_id)
        pick = sa.select(UNITS.c.id).where(*conditions).order_by(
            UNITS.c.priority, UNITS.c.created_at, UNITS.c.id).limit(1)
        if conn.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        for _ in range(3):
            unit_id = conn.execute(pick).scalar()
            if unit_id is None:
                return None
            row = conn.execute(sa.update(UNITS).where(
                UNITS.c.id == unit_id, UNITS.c.status == PENDING).values(
                status=ACTIVE, lease_id=self.lease_id, lease_holder=self.holder[:256],
                last_heartbeat_at=self.now, lease_expires_at=self.expires_at,
                updated_at=self.now).returning(*UNITS.c)).first()
            if row is not None:
                return row
        return None


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


class ChangeUnit:
    apply_order: ClassVar[int] = 30

    def __init__(self, *, tenant_id: str, unit_id: str, change: Change, actor: str,
                 now: dt.datetime, max_preemptions: int = 3) -> None:
        self.tenant_id, self.unit_id, self.change = tenant_id, unit_id, change
        self.actor, self.now, self.max_preemptions = actor, now, max_preemptions
        self.unit: Unit | None = None
        self.refusal: Refusal | None = None

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["ChangeUnit"]) -> None:
        history: list[dict[str, Any]] = []
        for op in ops:
            op.unit, op.refusal = None, None
            try:
                op._apply(conn, history)
            except Refusal as refusal:
                op.refusal = refusal
        if history:
            _insert_history(conn, history)

    def _apply(self, conn: sa.Connection, history: list[dict[str, Any]]) -> None:
        query = sa.select(UNITS).where(UNITS.c.tenant_id == self.tenant_id,
                                       UNITS.c.id == self.unit_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = conn.execute(query).first()
        change = self.change
        if row is None:
            raise Refusal("not_found", f"unit {self.unit_id} not found")
        if change.lease_id is not None and row.lease_id != change.lease_id:
            if change.kind == "complete" and row.status == COMPLETED:
                raise Refusal("precondition", f"unit {self.unit_id} is already COMPLETED")
            raise Refusal("precondition", f"lease {change.lease_id} is not held on unit "
                          f"{self.unit_id} (status {row.status}"
                          f"{', ' + row.failure_reason if row.failure_reason else ''})")
        if row.status not in change.from_statuses:
            raise Refusal("precondition", f"unit {self.unit_id} is {row.status}; {change.kind} "
                          f"needs {' or '.join(change.from_statuses)}")
        values, new_status, reason = self._values(row)
        values["updated_at"] = self.now
        conn.execute(sa.update(UNITS).where(UNITS.c.id == row.id).values(**values))
        self.unit = _unit(SimpleNamespace(**{**row._mapping, **values}))
        if new_status is not None and new_status != row.status:
            history.append(history_row(row, new_status, reason=reason, actor=self.actor,
                                       now=self.now, metadata=self._metadata()))

    def _values(self, row: Any) -> tuple[dict[str, Any], str | None, str]:
        change = self.change
        values: dict[str, Any] = {}
        if change.progress is not None:
            values["progress"] = change.progress
        if change.checkpoint_json is not None:
            values["checkpoint_json"] = change.checkpoint_json
        if change.kind == "heartbeat":
            values.update(last_heartbeat_at=self.now, lease_expires_at=change.expires_at)
            return values, None, ""
        if change.kind == "checkpoint":
            return values, None, ""
        new_status, reason = change.new_status, change.reason or change.kind
        if change.kind == "preempt":
            if row.priority == 0:
                raise Refusal("precondition", f"unit {self.unit_id} is P0: never preempted")
            count = row.preemption_count + 1
            values["preemption_count"] = count
            if count > self.max_preemptions:
                new_status, reason = FAILED, "max_preemptions"
                values["failure_reason"] = "max_preemptions"
        if change.kind == "fail":
            values["failure_reason"] = (change.reason or "failed")[:256]
        if new_status != ACTIVE:
            values.update(lease_id=None, lease_holder=None, lease_expires_at=None)
        values["status"] = new_status
        return values, new_status, reason

    def _metadata(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.change.lease_id:
            out["lease_id"] = self.change.lease_id
        if self.change.checkpoint_json is not None:
            out["checkpointed"] = True
        return out


# -- preemption and pausing (guards) ---------------------------------------------------------

def preempt_units(conn: sa.Connection, *, tenant_id: str, priorities: Collection[int],
                  reason: str, actor: str, now: dt.datetime, run_id: str | None = None,
                  statuses: Collection[str] = (ACTIVE,), limit: int | None = None,
                  resource: str = "", threshold: float | None = None,
                  max_preemptions: int = 3) -> list[str]:
    """Preempts the tenant's units of ``priorities`` (never P0) in ``statuses``: lowest
    class first, then the most recently changed. Their checkpoint is kept; each gets a
    history row naming the resource and threshold; one preempted more than
    ``max_preemptions`` times fails with ``max_preemptions``. Returns the ids preempted."""
    classes = [p for p in priorities if p > 0]
    if not classes:
        return []
    query = sa.select(UNITS).where(
        UNITS.c.tenant_id == tenant_id, UNITS.c.priority.in_(classes),
        UNITS.c.status.in_(list(statuses))).order_by(
        UNITS.c.priority.desc(), UNITS.c.updated_at.desc(), UNITS.c.id)
    if run_id is not None:
        query = query.where(UNITS.c.run_id == run_id)
    if limit is not None:
        query = query.limit(limit)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = conn.execute(query).all()
    metadata = {"resource": resource, "threshold": threshold}
    history, preempted = [], []
    for row in rows:
        count = row.preemption_count + 1
        failed = count > max_preemptions
        new_status = FAILED if failed else PREEMPTED
        conn.execute(sa.update(UNITS).where(UNITS.c.id == row.id).values(
            status=new_status, preemption_count=count, lease_id=None, lease_holder=None,
            lease_expires_at=None, updated_at=now,
            failure_reason="max_preemptions" if failed else row.failure_reason))
        history.append(history_row(row, new_status, reason="max_preemptions" if failed
                                   else reason, actor=actor, now=now, metadata=metadata))
        preempted.append(row.id)
    _insert_history(conn, history)
    return preempted


def pause_units(conn: sa.Connection, *, tenant_id: str, run_id: str, reason: str, actor: str,
                now: dt.datetime) -> list[str]:
    """Pauses the run's PENDING and ACTIVE units (leases cleared); returns their ids."""
    query = sa.select(UNITS).where(UNITS.c.tenant_id == tenant_id, UNITS.c.run_id == run_id,
                                   UNITS.c.status.in_([PENDING, ACTIVE])).order_by(UNITS.c.id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = conn.execute(query).all()
    if rows:
        conn.execute(sa.update(UNITS).where(UNITS.c.id.in_([r.id for r in rows])).values(
            status=PAUSED, lease_id=None, lease_holder=None, lease_expires_at=None,
            updated_at=now))
        _insert_history(conn, [history_row(r, PAUSED, reason=reason, actor=actor, now=now)
                               for r in rows])
    return [r.id for r in rows]


class PreemptUnits:
    """:func:`preempt_units` as a write op; the ids preempted are in ``preempted``."""

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
    for start in range(0, len(ids), _ROWS_PER_INSERT):
        chunk = ids[start:start + _ROWS_PER_INSERT]
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
            history.append(history_row(old, status, reason="zombie_reclaimed", actor="zombie",
                                       now=now, metadata={
                                           "last_heartbeat_at": old.last_heartbeat_at.isoformat()
                                           if old.last_heartbeat_at else None,
                                           "lease_holder": old.lease_holder}))
            reclaimed.append(Reclaimed(unit_id, old.tenant_id, status,
                                       as_utc(old.last_heartbeat_at)
                                       if old.last_heartbeat_at else None, old.lease_holder))
    _insert_history(conn, history)
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
    raise RuntimeError("zombie protocol: ledger contention, retried too often")
