"""Run budgets (SPEC G3): total and spend per run in integer micro-USD (sums are exact),
which thresholds have fired, and the append-only budget events.

Spend is added with one UPDATE per report; the row lock it takes (PostgreSQL) or the
single writer (SQLite) orders concurrent reports, so each threshold is seen crossed by
exactly one of them and fires once, even with several replicas.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bastion.storage.base import Base, TenantScoped, UtcDateTime
from bastion.storage.database import Database
from bastion.storage.upsert import insert_ignoring_conflicts

MICROS = 1_000_000


def to_micros(usd: float) -> int:
    return round(usd * MICROS)


class RunBudgetRow(TenantScoped, Base):
    __tablename__ = "run_budgets"
    __table_args__ = (sa.PrimaryKeyConstraint("tenant_id", "run_id"),)

    run_id: Mapped[str] = mapped_column(sa.String(256))
    # NULL: spend is tracked but the run has no budget (yet).
    total_micros: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    spent_micros: Mapped[int] = mapped_column(sa.BigInteger)
    # Bit i set: threshold i has fired for this run.
    fired_mask: Mapped[int] = mapped_column(sa.Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class BudgetEventRow(TenantScoped, Base):
    __tablename__ = "budget_events"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(sa.String(256))
    threshold: Mapped[float] = mapped_column(sa.Float)
    action: Mapped[str] = mapped_column(sa.String(32))
    total_micros: Mapped[int] = mapped_column(sa.BigInteger)
    spent_micros: Mapped[int] = mapped_column(sa.BigInteger)
    units_affected: Mapped[str] = mapped_column(sa.Text)  # JSON list of unit ids
    priorities_preempted: Mapped[str] = mapped_column(sa.Text)  # JSON list, e.g. ["P3"]
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


BUDGETS = RunBudgetRow.__table__
EVENTS = BudgetEventRow.__table__


@dataclass(frozen=True)
class RunBudget:
    run_id: str
    total_micros: int | None
    spent_micros: int


@dataclass(frozen=True)
class BudgetEvent:
    run_id: str
    threshold: float
    action: str
    total_micros: int
    spent_micros: int
    units_affected: tuple[str, ...]
    priorities_preempted: tuple[str, ...]
    at: dt.datetime


def get_budget(db: Database, tenant_id: str, run_id: str) -> RunBudget | None:
    with db.read() as session:
        row = session.execute(sa.select(BUDGETS.c.total_micros, BUDGETS.c.spent_micros).where(
            BUDGETS.c.tenant_id == tenant_id, BUDGETS.c.run_id == run_id)).first()
    return None if row is None else RunBudget(run_id, row.total_micros, row.spent_micros)


def list_events(db: Database, tenant_id: str, run_id: str) -> list[BudgetEvent]:
    with db.read() as session:
        rows = session.execute(sa.select(EVENTS).where(
            EVENTS.c.tenant_id == tenant_id, EVENTS.c.run_id == run_id).order_by(
            EVENTS.c.id)).all()
    return [BudgetEvent(r.run_id, r.threshold, r.action, r.total_micros, r.spent_micros,
                        tuple(json.loads(r.units_affected)),
                        tuple(json.loads(r.priorities_preempted)), r.at) for r in rows]


class SetRunBudget:
    """Sets a run's total (AdminService.SetBudget); its spend and fired thresholds are
    kept. ``spent_micros`` holds the spend after commit."""

    apply_order: ClassVar[int] = 50

    def __init__(self, *, tenant_id: str, run_id: str, total_micros: int,
                 now: dt.datetime) -> None:
        self.tenant_id, self.run_id, self.total_micros, self.now = (
            tenant_id, run_id, total_micros, now)
        self.spent_micros = 0

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["SetRunBudget"]) -> None:
        for op in ops:
            insert_ignoring_conflicts(conn, BUDGETS, [{
                "tenant_id": op.tenant_id, "run_id": op.run_id, "total_micros": op.total_micros,
                "spent_micros": 0, "fired_mask": 0, "updated_at": op.now}])
            op.spent_micros = int(conn.execute(sa.update(BUDGETS).where(
                BUDGETS.c.tenant_id == op.tenant_id, BUDGETS.c.run_id == op.run_id).values(
                total_micros=op.total_micros, updated_at=op.now).returning(
                BUDGETS.c.spent_micros)).scalar() or 0)


@dataclass(frozen=True)
class Threshold:
    """At ``fraction`` of the budget, do ``action`` (``alert``, ``preempt`` or ``pause``);
    ``preempt`` preempts the run's units of ``priorities``."""

    fraction: float
    action: str
    priorities: tuple[int, ...] = ()


# (conn, tenant_id, run_id, threshold) → ids of the units affected.
UnitAction = Callable[[sa.Connection, str, str, Threshold], list[str]]


class RecordRunCost:
    """Adds a report's cost to its run and fires the thresholds it crosses, in the
    report's transaction. Never refuses: recording a cost does not block (SPEC G3)."""

    apply_order: ClassVar[int] = 20

    def __init__(self, *, tenant_id: str, run_id: str, cost_micros: int, now: dt.datetime,
                 thresholds: Sequence[Threshold], on_threshold: UnitAction) -> None:
        self.tenant_id, self.run_id, self.cost_micros = tenant_id, run_id, cost_micros
        self.now, self.thresholds, self.on_threshold = now, thresholds, on_threshold
        self.fired: list[BudgetEvent] = []

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["RecordRunCost"]) -> None:
        for op in ops:
            op.fired = []
            op._apply(conn)

    def _apply(self, conn: sa.Connection) -> None:
        key = (BUDGETS.c.tenant_id == self.tenant_id, BUDGETS.c.run_id == self.run_id)
        add = sa.update(BUDGETS).where(*key).values(
            spent_micros=BUDGETS.c.spent_micros + self.cost_micros, updated_at=self.now
        ).returning(BUDGETS.c.total_micros, BUDGETS.c.spent_micros, BUDGETS.c.fired_mask)
        row = conn.execute(add).first()
        if row is None:
            insert_ignoring_conflicts(conn, BUDGETS, [{
                "tenant_id": self.tenant_id, "run_id": self.run_id, "total_micros": None,
                "spent_micros": 0, "fired_mask": 0, "updated_at": self.now}])
            row = conn.execute(add).first()
        total, spent, mask = row.total_micros, row.spent_micros, row.fired_mask
        if not total:
            return
        crossed = [i for i, t in enumerate(self.thresholds)
                   if spent >= t.fraction * total and not mask & (1 << i)]
        if not crossed:
            return
        for i in crossed:
            mask |= 1 << i
        conn.execute(sa.update(BUDGETS).where(*key).values(fired_mask=mask))
        for i in crossed:
            threshold = self.thresholds[i]
            units = self.on_threshold(conn, self.tenant_id, self.run_id, threshold)
            self.fired.append(BudgetEvent(
                self.run_id, threshold.fraction, threshold.action, total, spent, tuple(units),
                tuple(f"P{p}" for p in threshold.priorities), self.now))
        conn.execute(sa.insert(EVENTS), [{
            "tenant_id": self.tenant_id, "run_id": e.run_id, "threshold": e.threshold,
            "action": e.action, "total_micros": e.total_micros, "spent_micros": e.spent_micros,
            "units_affected": json.dumps(list(e.units_affected)),
            "priorities_preempted": json.dumps(list(e.priorities_preempted)), "at": e.at}
            for e in self.fired])


__all__ = ["BudgetEvent", "RecordRunCost", "RunBudget", "Threshold", "get_budget",
           "list_events", "SetRunBudget", "to_micros"]
