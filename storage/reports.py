"""Usage reports: what an action really used and cost (GuardService.Report)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bastion.storage.base import Base, TenantScoped, UtcDateTime


class UsageReportRow(TenantScoped, Base):
    __tablename__ = "usage_reports"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    decision_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    ts: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    cost_usd: Mapped[float] = mapped_column(sa.Float)
    usage_json: Mapped[str] = mapped_column(sa.Text)
    outcome: Mapped[str] = mapped_column(sa.String(64))
    actor: Mapped[str] = mapped_column(sa.String(128))


class InsertUsageReport:
    """A staged insert of one report, grouped with its neighbours into one statement."""

    apply_order: ClassVar[int] = 100

    def __init__(self, **values: object) -> None:
        self.values = values

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["InsertUsageReport"]) -> None:
        conn.execute(sa.insert(UsageReportRow.__table__), [op.values for op in ops])
