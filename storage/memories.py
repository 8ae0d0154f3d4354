"""Agent memories (SPEC W4): key/value attributes per tenant, role and key, with the last
time an agent read them, a toxic flag, and decay by the janitor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from bastion.storage.base import Base, TenantScoped, UtcDateTime, as_utc
from bastion.storage.database import Database


class MemoryRow(TenantScoped, Base):
    __tablename__ = "memories"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "role", "key",
                                          name="uq_memories_tenant_id"),)

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(128))
    key: Mapped[str] = mapped_column(sa.String(256))
    value_json: Mapped[str] = mapped_column(sa.Text)
    toxic: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    toxic_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_accessed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True,
                                                                 index=True)


T = MemoryRow.__table__


def _memory(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    for key in ("created_at", "updated_at", "last_accessed_at"):
        if out[key] is not None:
            out[key] = as_utc(out[key])
    return out


class PutMemory:
    """Creates or replaces a memory (same tenant, role and key: same id), marking it
    accessed now; written in the transaction that ledgers the put. A replaced value keeps
    its toxic flag: changing the value does not launder a memory."""

    apply_order: ClassVar[int] = 50

    def __init__(self, *, memory_id: str, tenant_id: str, role: str, key: str,
                 value_json: str, now: dt.datetime) -> None:
        self.row = {"id": memory_id, "tenant_id": tenant_id, "role": role, "key": key,
                    "value_json": value_json, "toxic": False, "created_at": now,
                    "updated_at": now, "last_accessed_at": now}
        self.memory: dict[str, Any] | None = None

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["PutMemory"]) -> None:
        for op in ops:
            row = op.row
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            insert = dialect.insert(T).values(**row)
            statement = insert.on_conflict_do_update(
                index_elements=["tenant_id", "role", "key"],
                set_={"value_json": insert.excluded.value_json,
                      "updated_at": insert.excluded.updated_at,
                      "last_accessed_at": insert.excluded.last_accessed_at}).returning(T)
            op.memory = _memory(conn.execute(statement).one())


def get(db: Database, tenant_id: str, role: str, key: str, *, include_toxic: bool,
        now: dt.datetime) -> dict[str, Any] | None:
    """The memory, marked accessed now (one UPDATE … RETURNING); toxic ones only when
    ``include_toxic``."""
    condition = [T.c.tenant_id == tenant_id, T.c.role == role, T.c.key == key]
    if not include_toxic:
        condition.append(T.c.toxic.is_(False))
    with db.write() as session:
        row = session.execute(sa.update(T).where(*condition).values(last_accessed_at=now)
                              .returning(T)).one_or_none()
    return _memory(row) if row is not None else None


def context(db: Database, tenant_id: str, role: str, *, limit: int,
            now: dt.datetime) -> list[dict[str, Any]]:
    """What an agent of ``role`` sees: its non-toxic memories by key (at most ``limit``),
    each marked accessed now, in one transaction."""
    with db.write() as session:
        ids = session.scalars(sa.select(T.c.id).where(
            T.c.tenant_id == tenant_id, T.c.role == role, T.c.toxic.is_(False))
            .order_by(T.c.key).limit(limit)).all()
        if not ids:
            return []
        rows = session.execute(sa.update(T).where(T.c.tenant_id == tenant_id,
                                                  T.c.id.in_(ids), T.c.toxic.is_(False))
                               .values(last_accessed_at=now).returning(T)).all()
    return sorted((_memory(r) for r in rows), key=lambda m: m["key"])


def find(db: Database, tenant_id: str, memory_id: str) -> dict[str, Any] | None:
    with db.read() as session:
        row = session.execute(sa.select(T).where(T.c.tenant_id == tenant_id,
                                                 T.c.id == memory_id)).one_or_none()
    return _memory(row) if row is not None else None


class MarkToxic:
    """Flags a memory toxic with its reason, in the transaction that ledgers it."""

    apply_order: ClassVar[int] = 50

    def __init__(self, *, tenant_id: str, memory_id: str, reason: str,
                 now: dt.datetime) -> None:
        self.tenant_id, self.memory_id, self.reason, self.now = tenant_id, memory_id, reason, now
        self.found = False

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["MarkToxic"]) -> None:
        for op in ops:
            result = conn.execute(sa.update(T).where(
                T.c.tenant_id == op.tenant_id, T.c.id == op.memory_id).values(
                toxic=True, toxic_reason=op.reason, updated_at=op.now))
            op.found = bool(result.rowcount)


def decay(db: Database, *, cutoff: dt.datetime, tenant_id: str | None = None) -> int:
    """Deletes memories last accessed before ``cutoff`` (of one tenant, or all); memories
    without a timestamp are kept. Returns how many were deleted."""
    condition = [T.c.last_accessed_at.is_not(None), T.c.last_accessed_at < cutoff]
    if tenant_id is not None:
        condition.append(T.c.tenant_id == tenant_id)
    with db.write() as session:
        return session.execute(sa.delete(T).where(*condition)).rowcount or 0


def insert_for_tests(db: Database, rows: Sequence[dict[str, Any]]) -> None:
    """Rows as given (timestamps included): for tests and imports of existing memories."""
    with db.write() as session:
        session.execute(sa.insert(T), list(rows))
