"""The plugin's table and all of its SQL.

Reads take a :class:`bastion.storage.Database` and use a ``db.read()`` scope (call them off
the event loop). Writes are staged ops (``uow.add(op)``) so they commit in the same
transaction as the ledger entry of the call that made them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from bastion.storage import Base, Database
from bastion.storage.base import TenantScoped, UtcDateTime, as_utc


class BlocklistRow(TenantScoped, Base):
    """One blocked action pattern of a tenant (created by ``migrations/0001_blocklist.py``)."""

    __tablename__ = "blocklist_entries"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "pattern"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    pattern: Mapped[str] = mapped_column(sa.String(256))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


_TABLE = BlocklistRow.__table__


@dataclass(frozen=True)
class Entry:
    pattern: str
    created_at: dt.datetime


def list_entries(db: Database, tenant_id: str) -> list[Entry]:
    """The tenant's entries, sorted by pattern."""
    with db.read() as session:
        rows = session.execute(sa.select(BlocklistRow.pattern, BlocklistRow.created_at)
                               .where(BlocklistRow.tenant_id == tenant_id)
                               .order_by(BlocklistRow.pattern))
        return [Entry(pattern, as_utc(created_at)) for pattern, created_at in rows]


def patterns(db: Database, tenant_id: str) -> tuple[str, ...]:
    """Just the tenant's patterns (what the guard caches)."""
    with db.read() as session:
        return tuple(session.scalars(sa.select(BlocklistRow.pattern)
                                     .where(BlocklistRow.tenant_id == tenant_id)
                                     .order_by(BlocklistRow.pattern)))


def find_entry(db: Database, tenant_id: str, pattern: str) -> Entry | None:
    with db.read() as session:
        row = session.execute(sa.select(BlocklistRow.pattern, BlocklistRow.created_at).where(
            BlocklistRow.tenant_id == tenant_id, BlocklistRow.pattern == pattern)).first()
        return Entry(row.pattern, as_utc(row.created_at)) if row is not None else None


class InsertEntry:
    """A staged insert. Adding a pattern the tenant already has is a no-op (two operators
    adding the same pattern at once must not fail the batch both commit in)."""

    apply_order: ClassVar[int] = 100

    def __init__(self, tenant_id: str, entry: Entry) -> None:
        self.values = {"tenant_id": tenant_id, "pattern": entry.pattern,
                       "created_at": entry.created_at}

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence[InsertEntry]) -> None:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(_TABLE).on_conflict_do_nothing(
            index_elements=["tenant_id", "pattern"])
        conn.execute(statement, [op.values for op in ops])


class DeleteEntry:
    """A staged delete of one pattern of one tenant."""

    apply_order: ClassVar[int] = 100

    def __init__(self, tenant_id: str, pattern: str) -> None:
        self.values = {"b_tenant_id": tenant_id, "b_pattern": pattern}

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence[DeleteEntry]) -> None:
        conn.execute(sa.delete(_TABLE).where(_TABLE.c.tenant_id == sa.bindparam("b_tenant_id"),
                                             _TABLE.c.pattern == sa.bindparam("b_pattern")),
                     [op.values for op in ops])
