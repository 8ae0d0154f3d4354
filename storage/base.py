"""The declarative base every Bastion table (built-in or a plugin's) derives from."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so Alembic migrations name the same constraint the same way on
# SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TenantScoped:
    """Mixin: every row carries its tenant, and every query filters on it."""

    tenant_id: Mapped[str] = mapped_column(String(64), index=True)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def sqlite_ts(value: dt.datetime) -> str:
    """``value`` as SQLAlchemy stores a DATETIME in SQLite, in UTC: the text that SQL run on
    the driver's cursor must write so the ORM reads it back and text order is time order."""
    t = as_utc(value)
    return "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (
        t.year, t.month, t.day, t.hour, t.minute, t.second, t.microsecond)


def as_utc(value: dt.datetime) -> dt.datetime:
    """Normalises a datetime read back from either engine to aware UTC.

    SQLite returns naive datetimes (we only ever store UTC); PostgreSQL returns aware ones in
    the session time zone.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


UtcDateTime = DateTime(timezone=True)
