"""API keys: long random tokens, stored only as a hash (SPEC S)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bastion.storage.base import Base, TenantScoped, UtcDateTime, as_utc, utcnow
from bastion.storage.database import Database


class ApiKeyRow(TenantScoped, Base):
    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    # Hex SHA-256 (or HMAC-SHA256 with the configured pepper) of the secret part.
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    role: Mapped[str] = mapped_column(sa.String(16))
    description: Mapped[str] = mapped_column(sa.String(256), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


@dataclass(frozen=True)
class StoredApiKey:
    key_id: str
    tenant_id: str
    secret_hash: str
    role: str
    description: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


def _to_key(row: ApiKeyRow) -> StoredApiKey:
    return StoredApiKey(
        key_id=row.key_id, tenant_id=row.tenant_id, secret_hash=row.secret_hash, role=row.role,
        description=row.description, created_at=as_utc(row.created_at),
        revoked_at=as_utc(row.revoked_at) if row.revoked_at else None)


def insert_api_key(db: Database, *, key_id: str, tenant_id: str, secret_hash: str, role: str,
                   description: str) -> StoredApiKey:
    with db.write() as session:
        row = ApiKeyRow(key_id=key_id, tenant_id=tenant_id, secret_hash=secret_hash, role=role,
                        description=description, created_at=utcnow())
        session.add(row)
        session.flush()
        return _to_key(row)


def get_api_key(db: Database, key_id: str) -> StoredApiKey | None:
    """Looks a key up by its public id (authentication: the tenant is not known yet)."""
    with db.read() as session:
        row = session.get(ApiKeyRow, key_id)
        return _to_key(row) if row is not None else None


def list_api_keys(db: Database, tenant_id: str) -> list[StoredApiKey]:
    with db.read() as session:
        rows = session.scalars(sa.select(ApiKeyRow).where(ApiKeyRow.tenant_id == tenant_id)
                               .order_by(ApiKeyRow.created_at)).all()
        return [_to_key(r) for r in rows]


def revoke_api_key(db: Database, tenant_id: str, key_id: str) -> StoredApiKey | None:
    """Revokes a key of ``tenant_id``; None when the tenant has no such key."""
    with db.write() as session:
        row = session.scalar(sa.select(ApiKeyRow).where(
            ApiKeyRow.tenant_id == tenant_id, ApiKeyRow.key_id == key_id))
        if row is None:
            return None
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        session.flush()
        return _to_key(row)


class InsertApiKey:
    """A staged key insert (commits with the ledger entry recording it)."""

    apply_order: ClassVar[int] = 100

    def __init__(self, **values: object) -> None:
        self.values = values

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["InsertApiKey"]) -> None:
        conn.execute(sa.insert(ApiKeyRow.__table__), [op.values for op in ops])


class RevokeApiKey:
    """A staged revocation of a key of a tenant."""

    apply_order: ClassVar[int] = 100

    def __init__(self, tenant_id: str, key_id: str, at: dt.datetime) -> None:
        self.tenant_id, self.key_id, self.at = tenant_id, key_id, at

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["RevokeApiKey"]) -> None:
        table = ApiKeyRow.__table__
        for op in ops:
            conn.execute(sa.update(table).where(
                table.c.tenant_id == op.tenant_id, table.c.key_id == op.key_id,
                table.c.revoked_at.is_(None)).values(revoked_at=op.at))


def get_tenant_key(db: Database, tenant_id: str, key_id: str) -> StoredApiKey | None:
    with db.read() as session:
        row = session.scalar(sa.select(ApiKeyRow).where(
            ApiKeyRow.tenant_id == tenant_id, ApiKeyRow.key_id == key_id))
        return _to_key(row) if row is not None else None
