"""Per-tenant guard modes (``guard_modes``): guards an admin has put in shadow or enforce
mode for one tenant, overriding the server's configuration for that tenant."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bastion.storage.base import Base, TenantScoped
from bastion.storage.database import Database
from bastion.storage.upsert import upsert

MODES = ("enforce", "shadow")


class GuardModeRow(TenantScoped, Base):
    __tablename__ = "guard_modes"
    __table_args__ = (sa.CheckConstraint("mode IN ('enforce', 'shadow')", name="mode"),)

    tenant_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    guard: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    mode: Mapped[str] = mapped_column(sa.String(16))
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(sa.String(256))


def all_modes(db: Database) -> dict[str, dict[str, str]]:
    """tenant id → {guard: mode}, every override (a small table, read whole by each
    replica's refresh)."""
    modes: dict[str, dict[str, str]] = {}
    with db.read() as session:
        for tenant_id, guard, mode in session.execute(
                sa.select(GuardModeRow.tenant_id, GuardModeRow.guard, GuardModeRow.mode)):
            modes.setdefault(tenant_id, {})[guard] = mode
    return modes


class SetGuardMode:
    """Sets (``mode``) or removes (``None``) a tenant's override for one guard, in the
    transaction that ledgers the change (AdminService.SetGuardMode)."""

    apply_order: ClassVar[int] = 50

    def __init__(self, *, tenant_id: str, guard: str, mode: str | None, actor: str,
                 now: dt.datetime) -> None:
        self.tenant_id, self.guard, self.mode = tenant_id, guard, mode
        self.actor, self.now = actor, now

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["SetGuardMode"]) -> None:
        table = GuardModeRow.__table__
        for op in ops:
            if op.mode is None:
                conn.execute(sa.delete(table).where(table.c.tenant_id == op.tenant_id,
                                                    table.c.guard == op.guard))
            else:
                upsert(conn, table, {"tenant_id": op.tenant_id, "guard": op.guard,
                                     "mode": op.mode, "updated_at": op.now,
                                     "updated_by": op.actor}, keys=["tenant_id", "guard"])
