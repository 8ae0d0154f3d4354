"""Tenants: the unit of isolation. Every other row carries a tenant id."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bastion.storage.base import Base, UtcDateTime, as_utc, utcnow
from bastion.storage.database import Database


class TenantRow(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(128), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    created_at: dt.datetime


class TenantExists(Exception):
    """A tenant with that name already exists."""


def _to_tenant(row: TenantRow) -> Tenant:
    return Tenant(id=row.id, name=row.name, created_at=as_utc(row.created_at))


def create_tenant(db: Database, name: str) -> Tenant:
    tenant_id = "tnt_" + secrets.token_hex(8)
    with db.write() as session:
        exists = session.scalar(sa.select(TenantRow.id).where(TenantRow.name == name))
        if exists is not None:
            raise TenantExists(name)
        row = TenantRow(id=tenant_id, name=name, created_at=utcnow())
        session.add(row)
        session.flush()
        return _to_tenant(row)


def find_tenant(db: Database, id_or_name: str) -> Tenant | None:
    with db.read() as session:
        row = session.scalar(sa.select(TenantRow).where(
            sa.or_(TenantRow.id == id_or_name, TenantRow.name == id_or_name)))
        return _to_tenant(row) if row is not None else None


def list_tenants(db: Database) -> list[Tenant]:
    with db.read() as session:
        rows = session.scalars(sa.select(TenantRow).order_by(TenantRow.name)).all()
        return [_to_tenant(r) for r in rows]
