"""Quota storage (SPEC G2): per-tenant tier and limits, O(1) usage counters, reservations
held by decisions, violations, and the usage time series.

Counters are rows (tenant, resource, period) updated with one conditional UPDATE, so
several replicas sharing PostgreSQL never grant more than a limit in total: the row lock
serialises concurrent grants and the WHERE clause re-checks the limit against the
committed value. ``period`` is the UTC day for consumable resources (tokens, cost) and
empty for resources that are held and released.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bastion.storage.base import Base, TenantScoped, UtcDateTime, as_utc, sqlite_ts
from bastion.storage.database import Database
from bastion.storage.group_commit import Statement
from bastion.storage.pg_json import json_rows, populate
from bastion.storage.sqlite_insert import insert_many
from bastion.storage.upsert import upsert


class QuotaSettingsRow(TenantScoped, Base):
    __tablename__ = "quota_settings"
    __table_args__ = (sa.PrimaryKeyConstraint("tenant_id"),)

    tier: Mapped[str] = mapped_column(sa.String(16))
    throttle_threshold: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class QuotaLimitRow(TenantScoped, Base):
    __tablename__ = "quota_limits"
    __table_args__ = (sa.PrimaryKeyConstraint("tenant_id", "resource"),)

    resource: Mapped[str] = mapped_column(sa.String(32))
    limit: Mapped[float] = mapped_column(sa.Float)


class QuotaCounterRow(TenantScoped, Base):
    __tablename__ = "quota_counters"
    __table_args__ = (sa.PrimaryKeyConstraint("tenant_id", "resource", "period"),)

    resource: Mapped[str] = mapped_column(sa.String(32))
    period: Mapped[str] = mapped_column(sa.String(10))
    used: Mapped[float] = mapped_column(sa.Float)
    throttled_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class QuotaReservationRow(TenantScoped, Base):
    __tablename__ = "quota_reservations"
    __table_args__ = (sa.PrimaryKeyConstraint("tenant_id", "decision_id", "resource"),)

    decision_id: Mapped[str] = mapped_column(sa.String(64))
    resource: Mapped[str] = mapped_column(sa.String(32))
    period: Mapped[str] = mapped_column(sa.String(10))
    amount: Mapped[float] = mapped_column(sa.Float)
    run_id: Mapped[str] = mapped_column(sa.String(256))
    task_id: Mapped[str] = mapped_column(sa.String(256))
    reserved_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    settled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class QuotaViolationRow(TenantScoped, Base):
    __tablename__ = "quota_violations"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    resource: Mapped[str] = mapped_column(sa.String(32))
    requested: Mapped[float] = mapped_column(sa.Float)
    used: Mapped[float] = mapped_column(sa.Float)
    limit: Mapped[float] = mapped_column(sa.Float)
    severity: Mapped[str] = mapped_column(sa.String(16))
    action: Mapped[str] = mapped_column(sa.String(16))
    decision_id: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class UsageRecordRow(TenantScoped, Base):
    """The usage time series: one row per resource a Report settled."""

    __tablename__ = "usage_records"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    resource: Mapped[str] = mapped_column(sa.String(32))
    amount: Mapped[float] = mapped_column(sa.Float)
    run_id: Mapped[str] = mapped_column(sa.String(256))
    task_id: Mapped[str] = mapped_column(sa.String(256))
    decision_id: Mapped[str] = mapped_column(sa.String(64))
    ts: Mapped[dt.datetime] = mapped_column(UtcDateTime)


COUNTERS = QuotaCounterRow.__table__
RESERVATIONS = QuotaReservationRow.__table__


# -- reading -------------------------------------------------------------------------------

@dataclass(frozen=True)
class TenantQuotaSettings:
    tier: str | None
    throttle_threshold: float | None
    limits: Mapping[str, float]


@dataclass(frozen=True)
class Counter:
    resource: str
    period: str
    used: float
    throttled_until: dt.datetime | None


def tenant_settings(db: Database, tenant_id: str) -> TenantQuotaSettings:
    settings = QuotaSettingsRow.__table__
    with db.read() as session:
        row = session.execute(sa.select(settings.c.tier, settings.c.throttle_threshold).where(
            settings.c.tenant_id == tenant_id)).first()
        limits = session.execute(sa.select(QuotaLimitRow.resource, QuotaLimitRow.limit).where(
            QuotaLimitRow.tenant_id == tenant_id)).all()
    return TenantQuotaSettings(tier=row.tier if row else None,
                               throttle_threshold=row.throttle_threshold if row else None,
                               limits={r: v for r, v in limits})


def counters(db: Database, tenant_id: str, periods: Sequence[str]) -> list[Counter]:
    """The tenant's counters for ``periods`` (``""`` and today's day): O(resources)."""
    with db.read() as session:
        rows = session.execute(sa.select(
            COUNTERS.c.resource, COUNTERS.c.period, COUNTERS.c.used,
            COUNTERS.c.throttled_until).where(
            COUNTERS.c.tenant_id == tenant_id, COUNTERS.c.period.in_(list(periods)))).all()
    return [Counter(r, p, u, as_utc(t) if t else None) for r, p, u, t in rows]


def recent_violations(db: Database, tenant_id: str, limit: int = 50) -> list[QuotaViolationRow]:
    with db.read() as session:
        rows = session.scalars(sa.select(QuotaViolationRow).where(
            QuotaViolationRow.tenant_id == tenant_id).order_by(
            QuotaViolationRow.id.desc()).limit(limit)).all()
        session.expunge_all()
    return list(rows)


def usage_series(db: Database, tenant_id: str, resource: str) -> list[UsageRecordRow]:
    with db.read() as session:
        rows = session.scalars(sa.select(UsageRecordRow).where(
            UsageRecordRow.tenant_id == tenant_id, UsageRecordRow.resource == resource
        ).order_by(UsageRecordRow.id)).all()
        session.expunge_all()
    return list(rows)


class SaveQuotaSettings:
    """Sets a tenant's tier, throttle threshold and limit overrides (AdminService.SetQuota),
    in the transaction that ledgers the change."""

    apply_order: ClassVar[int] = 50

    def __init__(self, *, tenant_id: str, tier: str, throttle_threshold: float | None,
                 limits: Mapping[str, float], clear: Sequence[str], now: dt.datetime) -> None:
        self.tenant_id, self.tier, self.throttle_threshold = tenant_id, tier, throttle_threshold
        self.limits, self.clear, self.now = limits, clear, now

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["SaveQuotaSettings"]) -> None:
        for op in ops:
            op._apply(conn)

    def _apply(self, conn: sa.Connection) -> None:
        upsert(conn, QuotaSettingsRow.__table__, {
            "tenant_id": self.tenant_id, "tier": self.tier,
            "throttle_threshold": self.throttle_threshold, "updated_at": self.now},
            keys=["tenant_id"])
        limits = QuotaLimitRow.__table__
        if self.clear:
            conn.execute(sa.delete(limits).where(limits.c.tenant_id == self.tenant_id,
                                                 limits.c.resource.in_(list(self.clear))))
        for resource, value in self.limits.items():
            upsert(conn, limits, {"tenant_id": self.tenant_id, "resource": resource,
                                  "limit": value}, keys=["tenant_id", "resource"])


# -- reserving -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ReserveItem:
    """One resource a decision asks for. ``allowed`` is the limit plus any burst;
    ``throttle_at`` the usage from which the tenant is throttled (inf: never)."""

    resource: str
    period: str
    amount: float
    limit: float
    allowed: float
    throttle_at: float


@dataclass
class ReserveOutcome:
    granted: bool = False
    # Set when refused: which resource, and whether it was over the limit or throttled.
    refused: ReserveItem | None = None
    throttled_until: dt.datetime | None = None
    used: float = 0.0
    # Usage after the grant, per resource; throttles this grant started.
    used_after: dict[str, float] = field(default_factory=dict)
    throttles_started: list[str] = field(default_factory=list)


class QuotaReserve:
    """Reserves every item of one decision atomically (all or none), or explains why not.

    Committed by the group committer either ahead of the decision (the guard awaits it) or,
    optimistic, first in the decision's own transaction; either way the grant is durable
    and counted before anyone is told ALLOW. A batch reads the counters
    it touches once, locked (``FOR UPDATE`` in key order on PostgreSQL, so replicas queue
    on the rows and never deadlock; SQLite has one writer), decides every op of the batch
    in order in memory, and writes each changed counter once: a few statements per batch
    however many Checks it holds.
    """

    apply_order: ClassVar[int] = 5
    # An optimistic op (staged with an ALLOW decision, see the quota plugin) is applied in
    # the decision's own transaction and withdraws the request when it is not a plain grant.
    may_withdraw: ClassVar[bool] = True
    guard = "quota"

    def __init__(self, *, tenant_id: str, decision_id: str, run_id: str, task_id: str,
                 items: Sequence[ReserveItem], now: dt.datetime,
                 throttle_until: dt.datetime, optimistic: bool = False) -> None:
        """:param optimistic: grant only within the limit (no burst) and below the
            throttle threshold, with no throttle in force; otherwise write nothing and set
            ``withdrawn`` (the lifecycle then asks the guard again, for certain)."""
        self.tenant_id, self.decision_id = tenant_id, decision_id
        self.run_id, self.task_id = run_id, task_id
        self.items, self.now, self.throttle_until = items, now, throttle_until
        self.optimistic = optimistic
        self.outcome = ReserveOutcome()
        self.withdrawn = False

    @classmethod
    def statement(cls, engine: Any, ops: Sequence["QuotaReserve"]) -> Statement | None:
        """The batch's plain grant as the group committer's one statement (PostgreSQL),
        required to grant every op: otherwise the whole batch is undone and runs in a
        transaction, where :meth:`apply_all` decides each op (and withdraws)."""
        if engine.dialect.name != "postgresql":
            return None
        sql = _RESERVE_SQL["postgresql"]
        assert isinstance(sql, _PostgresReserveSql)
        want, params = sql.plain_grant(ops)

        def done(counted: list[dict[str, Any]]) -> None:
            granted = _granted(ops, want, ((c["tenant_id"], c["resource"], c["period"],
                                            c["used"]) for c in counted))
            assert granted, "bastion_require let a partial grant through"

        return Statement(sql._PLAIN_GRANT_RESULT, [], done,
                         requires=f"(SELECT count(*) FROM {{item}}) = {len(want)}",
                         returns=True, with_items=sql._PLAIN_GRANT_ITEMS, with_params=params)

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["QuotaReserve"]) -> None:
        keys = sorted({(op.tenant_id, i.resource, i.period) for op in ops for i in op.items})
        sql = _RESERVE_SQL[conn.dialect.name]
        cursor = conn.connection.cursor()  # the driver's: see _ReserveSql
        try:
            if sql.grant_plainly(cursor, ops):
                return
            counters = sql.locked_counters(cursor, keys)
            changed: set[tuple[str, str, str]] = set()
            for op in ops:
                op.outcome = ReserveOutcome()  # a retried batch starts again
                op.withdrawn = False
                op._decide(counters, changed)
            rows = [(op.tenant_id, op.decision_id, i.resource, i.period, float(i.amount),
                     op.run_id, op.task_id, op.now)
                    for op in ops if op.outcome.granted for i in op.items]
            sql.write(cursor, [(*k, *counters[k]) for k in sorted(changed)], rows)
        finally:
            cursor.close()

    def _granted_plainly(self, running: dict[tuple[str, str, str], float]) -> None:
        """This op's outcome when the whole batch was a plain grant (``running``: each
        counter before this op, advanced past it)."""
        self.outcome, self.withdrawn = ReserveOutcome(granted=True), False
        for item in self.items:
            key = (self.tenant_id, item.resource, item.period)
            running[key] += item.amount
            self.outcome.used_after[item.resource] = running[key]

    def _decide(self, counters: dict[tuple[str, str, str], list[Any]],
                changed: set[tuple[str, str, str]]) -> None:
        """All or nothing against the batch's running counters."""
        updates = []
        for item in self.items:
            key = (self.tenant_id, item.resource, item.period)
            used, until = counters[key]
            if self.optimistic and not self._plain_grant(item, used, until):
                self.withdrawn = True  # nothing written; the guard decides again
                return
            if until is not None and until > self.now:
                self._refuse(item, used, until)
                return
            if used + item.amount > item.allowed:
                self._refuse(item, used, None)
                return
            updates.append((key, item, used + item.amount))
        for key, item, new_used in updates:
            counters[key][0] = new_used
            self.outcome.used_after[item.resource] = new_used
            if new_used >= item.throttle_at:
                counters[key][1] = self.throttle_until
                self.outcome.throttles_started.append(item.resource)
            changed.add(key)
        self.outcome.granted = True

    def _plain_grant(self, item: ReserveItem, used: float, until: dt.datetime | None) -> bool:
        """Granting ``item`` needs no explanation: no throttle in force, within the limit
        (no burst) and below the throttle threshold (no throttle starts)."""
        after = used + item.amount
        return ((until is None or until <= self.now) and after <= item.limit
                and after < item.throttle_at)

    def _refuse(self, item: ReserveItem, used: float, until: dt.datetime | None) -> None:
        self.outcome.refused = item
        self.outcome.used = used
        self.outcome.throttled_until = until


def dry_run(db: Database, op: QuotaReserve) -> ReserveOutcome:
    """What ``op`` would grant, decided against the real counters in a transaction that
    is rolled back (shadow mode)."""
    with db.engine.connect() as conn, conn.begin() as transaction:
        QuotaReserve.apply_all(conn, [op])
        transaction.rollback()
    return op.outcome


Key = tuple[str, str, str]  # (tenant_id, resource, period)


class _ReserveSql:
    """The reservation's statements on the driver's cursor, SQLite's by default.

    They run in the group committer's thread, which competes with the event loop for the
    GIL: through SQLAlchemy's Core execution the three statements of a batch cost that
    thread more than the ledger append (py-spy, bench/RESULTS.md), as the ledger's did
    before it moved to the driver. ``tests/test_quota.py`` checks the rows through the
    models on both engines."""

    counter_columns = "tenant_id, resource, period, used, throttled_until"

    def grant_plainly(self, cursor: Any, ops: Sequence[QuotaReserve]) -> bool:
        """Grants the whole batch in one statement when every op of it is a plain grant
        (see :meth:`QuotaReserve._plain_grant`) and sets their outcomes; False, with
        nothing written, otherwise (the general path then decides op by op). SQLite's
        statements cost no round trip: it always answers False."""
        return False

    def locked_counters(self, cursor: Any, keys: Sequence[Key]) -> dict[Key, list[Any]]:
        """The counters of ``keys`` as [used, throttled_until], locked in key order;
        missing rows created first."""
        found = self._read(cursor, keys)
        missing = [k for k in keys if k not in found]
        if missing:
            self._create(cursor, missing)
            found = self._read(cursor, keys)
        return found

    def _read(self, cursor: Any, keys: Sequence[Key]) -> dict[Key, list[Any]]:
        cursor.execute(
            f"SELECT {self.counter_columns} FROM quota_counters "
            f"WHERE (tenant_id, resource, period) IN "
            f"(VALUES {', '.join(['(?, ?, ?)'] * len(keys))}) "
            "ORDER BY tenant_id, resource, period", [v for k in keys for v in k])
        return {(t, r, p): [float(u), _sqlite_time(until)]
                for t, r, p, u, until in cursor.fetchall()}

    def _create(self, cursor: Any, keys: Sequence[Key]) -> None:
        cursor.executemany(f"INSERT INTO quota_counters ({self.counter_columns}) "
                           "VALUES (?, ?, ?, 0.0, NULL) ON CONFLICT DO NOTHING", keys)

    def write(self, cursor: Any, counters: Sequence[tuple[Any, ...]],
              reservations: Sequence[tuple[Any, ...]]) -> None:
        """The changed counters and the granted reservations (either may be empty)."""
        if counters:
            self.write_counters(cursor, counters)
        if reservations:
            self.insert_reservations(cursor, reservations)

    def write_counters(self, cursor: Any, rows: Sequence[tuple[Any, ...]]) -> None:
        """Rows of (tenant_id, resource, period, used, throttled_until)."""
        cursor.executemany(
            "UPDATE quota_counters SET used = ?, throttled_until = ? "
            "WHERE tenant_id = ? AND resource = ? AND period = ?",
            [(float(used), None if until is None else sqlite_ts(until), t, r, p)
             for t, r, p, used, until in rows])

    def insert_reservations(self, cursor: Any, rows: Sequence[tuple[Any, ...]]) -> None:
        """Rows of (tenant_id, decision_id, resource, period, amount, run_id, task_id,
        reserved_at)."""
        insert_many(cursor, "quota_reservations", _RESERVED_COLUMNS,  # settled_at: NULL
                    [(*row[:-1], sqlite_ts(row[-1])) for row in rows])


_RESERVATION_COLUMNS = ("tenant_id, decision_id, resource, period, amount, run_id, task_id, "
                        "reserved_at, settled_at")
# What a new reservation's row carries (settled_at is NULL), in that order.
_RESERVED_COLUMNS = ("tenant_id", "decision_id", "resource", "period", "amount", "run_id",
                     "task_id", "reserved_at")


class _PostgresReserveSql(_ReserveSql):
    """One statement text whatever the batch size: counters' keys and values as one array
    per column (``unnest``, a few per batch), reservations as one JSON parameter (one row
    per reservation: storage/pg_json.py)."""

    def _read(self, cursor: Any, keys: Sequence[Key]) -> dict[Key, list[Any]]:
        cursor.execute(
            f"SELECT {self.counter_columns} FROM quota_counters "
            "WHERE (tenant_id, resource, period) IN "
            "(SELECT * FROM unnest(%b::text[], %b::text[], %b::text[])) "
            "ORDER BY tenant_id, resource, period FOR UPDATE", [list(c) for c in zip(*keys)])
        return {(t, r, p): [float(u), None if until is None else as_utc(until)]
                for t, r, p, u, until in cursor.fetchall()}

    def _create(self, cursor: Any, keys: Sequence[Key]) -> None:
        cursor.execute(
            f"INSERT INTO quota_counters ({self.counter_columns}) "
            "SELECT t, r, p, 0.0, NULL FROM unnest(%b::text[], %b::text[], %b::text[]) "
            "AS k(t, r, p) ON CONFLICT DO NOTHING", [list(c) for c in zip(*keys)])

    _UPDATE = ("UPDATE quota_counters AS c SET used = v.used, throttled_until = v.until "
               "FROM unnest(%b::text[], %b::text[], %b::text[], %b::float8[], "
               "%b::timestamptz[]) AS v(t, r, p, used, until) "
               "WHERE c.tenant_id = v.t AND c.resource = v.r AND c.period = v.p")
    # The reservations as one JSON parameter (storage/pg_json.py): eight arrays of every
    # reservation of a batch cost psycopg's dumpers more than the statement.
    _RESERVATIONS = (f"SELECT {', '.join(_RESERVED_COLUMNS)} FROM "
                     f"{populate('quota_reservations')}")
    _INSERT = (f"INSERT INTO quota_reservations ({_RESERVATION_COLUMNS}) "
               f"SELECT v.*, NULL FROM ({_RESERVATIONS}) AS v")
    # Both in one statement (a data-modifying CTE): a round trip less per batch. They touch
    # different tables, so the order PostgreSQL runs them in does not matter.
    _UPDATE_AND_INSERT = f"WITH counters AS ({_UPDATE}) {_INSERT}"

    # The batch's plain grant (the usual case): lock its counters in key order, check that
    # each key's batch total keeps it within the limit, below the throttle threshold and
    # with no throttle in force, and only then add the totals and insert the reservations.
    # Every key must have its counter already (the general path creates missing ones).
    # Under READ COMMITTED the locking read returns the newest committed counters, and the
    # UPDATE adds to them, so a replica's concurrent grant is never lost.
    # Its WITH items on their own: the group committer hoists them into the one statement
    # of a batch (PostgreSQL allows data-modifying WITH items only at the top level), so
    # their names carry the table's prefix.
    _PLAIN_GRANT_ITEMS = (
        "quota_want AS MATERIALIZED (SELECT * FROM unnest(%b::text[], %b::text[], "
        "%b::text[], %b::float8[], %b::float8[], %b::float8[]) AS w(t, r, p, total, lim, thr)), "
        "quota_locked AS MATERIALIZED (SELECT c.tenant_id, c.resource, c.period, c.used, "
        "c.throttled_until FROM quota_counters c WHERE (c.tenant_id, c.resource, c.period) "
        "IN (SELECT t, r, p FROM quota_want) ORDER BY c.tenant_id, c.resource, c.period "
        "FOR UPDATE), "
        "quota_fits AS MATERIALIZED (SELECT count(*) = (SELECT count(*) FROM quota_want) AND "
        "coalesce(bool_and(l.used + w.total <= w.lim AND l.used + w.total < w.thr AND "
        "(l.throttled_until IS NULL OR l.throttled_until <= %b)), false) AS ok "
        "FROM quota_locked l JOIN quota_want w "
        "ON (w.t, w.r, w.p) = (l.tenant_id, l.resource, l.period)), "
        "quota_counted AS (UPDATE quota_counters c SET used = c.used + w.total "
        "FROM quota_want w, quota_fits WHERE quota_fits.ok "
        "AND (c.tenant_id, c.resource, c.period) = (w.t, w.r, w.p) "
        "RETURNING c.tenant_id, c.resource, c.period, c.used), "
        f"quota_reserved AS (INSERT INTO quota_reservations ({_RESERVATION_COLUMNS}) "
        f"SELECT v.*, NULL FROM ({_RESERVATIONS}) AS v, quota_fits WHERE quota_fits.ok)")
    _PLAIN_GRANT_RESULT = "SELECT quota_counted.* FROM quota_counted"
    _PLAIN_GRANT = f"WITH {_PLAIN_GRANT_ITEMS} {_PLAIN_GRANT_RESULT}"

    def grant_plainly(self, cursor: Any, ops: Sequence[QuotaReserve]) -> bool:
        want, params = self.plain_grant(ops)
        cursor.execute(self._PLAIN_GRANT, params)
        return _granted(ops, want, cursor.fetchall())

    def plain_grant(self, ops: Sequence[QuotaReserve]
                    ) -> tuple[dict[Key, list[float]], list[Any]]:
        """Per key the batch's total and the strictest limit and threshold among its ops,
        and the parameters of ``_PLAIN_GRANT``."""
        want: dict[Key, list[float]] = {}
        for op in ops:
            for i in op.items:
                key = (op.tenant_id, i.resource, i.period)
                found = want.get(key)
                if found is None:
                    want[key] = [i.amount, i.limit, i.throttle_at]
                else:
                    found[0] += i.amount
                    found[1], found[2] = min(found[1], i.limit), min(found[2], i.throttle_at)
        rows = [(op.tenant_id, op.decision_id, i.resource, i.period, float(i.amount),
                 op.run_id, op.task_id, op.now) for op in ops for i in op.items]
        keys = list(want)
        return want, [*_columns(keys), *([float(v) for v in c] for c in zip(*want.values())),
                      min(op.now for op in ops), json_rows(_RESERVED_COLUMNS, rows)]

    def write(self, cursor: Any, counters: Sequence[tuple[Any, ...]],
              reservations: Sequence[tuple[Any, ...]]) -> None:
        if counters and reservations:
            cursor.execute(self._UPDATE_AND_INSERT,
                           [*self._counter_params(counters),
                            json_rows(_RESERVED_COLUMNS, reservations)])
        else:
            super().write(cursor, counters, reservations)

    def write_counters(self, cursor: Any, rows: Sequence[tuple[Any, ...]]) -> None:
        cursor.execute(self._UPDATE, self._counter_params(rows))

    @staticmethod
    def _counter_params(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
        t, r, p, used, until = (list(c) for c in zip(*rows))
        return [t, r, p, [float(u) for u in used], until]

    def insert_reservations(self, cursor: Any, rows: Sequence[tuple[Any, ...]]) -> None:
        cursor.execute(self._INSERT, [json_rows(_RESERVED_COLUMNS, rows)])


def _granted(ops: Sequence[QuotaReserve], want: dict[Key, list[float]],
             counted: Iterable[Sequence[Any]]) -> bool:
    """Hands each op its outcome when the plain grant counted every key (``counted``: the
    counters it updated, (tenant, resource, period, used after)); False (nothing was
    written) when it did not."""
    after = {(t, r, p): float(used) for t, r, p, used in counted}
    if len(after) != len(want):
        return False  # not all plain: nothing was written
    running = {key: after[key] - want[key][0] for key in want}
    for op in ops:
        op._granted_plainly(running)
    return True


def _columns(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    return [list(c) for c in zip(*rows)]


_RESERVE_SQL = {"sqlite": _ReserveSql(), "postgresql": _PostgresReserveSql()}


def _sqlite_time(value: str | None) -> dt.datetime | None:
    """A DATETIME as SQLAlchemy stores it in SQLite (UTC text), read on the driver."""
    return None if value is None else dt.datetime.fromisoformat(value).replace(
        tzinfo=dt.timezone.utc)


# -- settling ------------------------------------------------------------------------------

HELD, CONSUMED, PERSISTENT = "held", "consumed", "persistent"


class QuotaSettle:
    """Settles a decision's reservations once: held resources are released; consumed and
    persistent ones are corrected from the reserved to the actual amount (a resource the
    report does not mention stays as reserved). ``refund`` gives everything back: a
    decision that was not allowed after all."""

    apply_order: ClassVar[int] = 6

    def __init__(self, *, tenant_id: str, decision_id: str, actual: Mapping[str, float],
                 kinds: Mapping[str, str], now: dt.datetime, refund: bool = False) -> None:
        self.tenant_id, self.decision_id = tenant_id, decision_id
        self.actual, self.kinds, self.now, self.refund = actual, kinds, now, refund
        self.settled: dict[str, float] = {}

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["QuotaSettle"]) -> None:
        for op in ops:
            op.settled = {}
            rows = conn.execute(sa.update(RESERVATIONS).where(
                RESERVATIONS.c.tenant_id == op.tenant_id,
                RESERVATIONS.c.decision_id == op.decision_id,
                RESERVATIONS.c.settled_at.is_(None)).values(settled_at=op.now).returning(
                RESERVATIONS.c.resource, RESERVATIONS.c.period, RESERVATIONS.c.amount)).all()
            for resource, period, amount in rows:
                if op.refund or op.kinds.get(resource, HELD) == HELD:
                    delta = -amount
                else:
                    delta = op.actual.get(resource, amount) - amount
                op.settled[resource] = delta
                if delta:
                    new_used = COUNTERS.c.used + delta
                    conn.execute(sa.update(COUNTERS).where(
                        COUNTERS.c.tenant_id == op.tenant_id,
                        COUNTERS.c.resource == resource, COUNTERS.c.period == period
                    ).values(used=sa.case((new_used < 0, 0.0), else_=new_used)))


class InsertQuotaViolations:
    apply_order: ClassVar[int] = 100

    def __init__(self, rows: Sequence[Mapping[str, object]]) -> None:
        self.rows = rows

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["InsertQuotaViolations"]) -> None:
        rows = [row for op in ops for row in op.rows]
        if rows:
            conn.execute(sa.insert(QuotaViolationRow.__table__), rows)


class InsertUsageRecords:
    apply_order: ClassVar[int] = 100

    def __init__(self, rows: Sequence[Mapping[str, object]]) -> None:
        self.rows = rows

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["InsertUsageRecords"]) -> None:
        rows = [row for op in ops for row in op.rows]
        if rows:
            conn.execute(sa.insert(UsageRecordRow.__table__), rows)
