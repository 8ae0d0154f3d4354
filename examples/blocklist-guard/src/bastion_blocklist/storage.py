"""The plugin's table and its SQL (a plugin keeps its SQL in its own storage module)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bastion.storage import Base, Database
from bastion.storage.base import TenantScoped, UtcDateTime, utcnow


class BlocklistEntry(TenantScoped, Base):
    __tablename__ = "blocklist_entries"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "pattern"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    pattern: Mapped[str] = mapped_column(sa.String(256))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


_TABLE = BlocklistEntry.__table__


def patterns(db: Database, tenant_id: str) -> list[str]:
    with db.read() as session:
        return list(session.scalars(sa.select(BlocklistEntry.pattern)
                                    .where(BlocklistEntry.tenant_id == tenant_id)
                                    .order_by(BlocklistEntry.pattern)))


class AddEntry:
    """Staged insert (commits with the ledger entry of the call); adding twice is a no-op."""

    apply_order: ClassVar[int] = 100

    def __init__(self, tenant_id: str, pattern: str) -> None:
        self.tenant_id, self.pattern = tenant_id, pattern

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["AddEntry"]) -> None:
        for op in ops:
            exists = conn.execute(sa.select(_TABLE.c.id).where(
                _TABLE.c.tenant_id == op.tenant_id, _TABLE.c.pattern == op.pattern)).first()
            if exists is None:
                conn.execute(sa.insert(_TABLE).values(tenant_id=op.tenant_id,
                                                      pattern=op.pattern, created_at=utcnow()))


class RemoveEntry:
    apply_order: ClassVar[int] = 100

    def __init__(self, tenant_id: str, pattern: str) -> None:
        self.tenant_id, self.pattern = tenant_id, pattern

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["RemoveEntry"]) -> None:
        for op in ops:
            conn.execute(sa.delete(_TABLE).where(_TABLE.c.tenant_id == op.tenant_id,
                                                 _TABLE.c.pattern == op.pattern))
