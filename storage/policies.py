"""Policy storage (SPEC G5): the semantic guard's CEL policies, per tenant or global, and
a version counter per scope so every replica notices a change.

A global policy is stored under the scope ``*`` (:data:`GLOBAL`), which no tenant id can
be (tenant ids are ``tnt_…``). Every change takes the next value of one change sequence
(the ``policy_versions`` row :data:`SEQUENCE`, incremented under its row lock, so
sequence order is commit order) and stores it as its scope's version, in the same
transaction. A replica caching compiled policies asks for the rows whose version is above
the highest it has seen (:func:`changes_since`): one indexed query per poll however many
tenants it serves, usually returning nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bastion.storage.base import Base, TenantScoped, UtcDateTime, as_utc
from bastion.storage.database import Database
from bastion.storage.upsert import insert_ignoring_conflicts, upsert

GLOBAL = "*"
SEQUENCE = "#"


class PolicyRow(TenantScoped, Base):
    __tablename__ = "policies"
    __table_args__ = (sa.PrimaryKeyConstraint("tenant_id", "id"),)

    id: Mapped[str] = mapped_column(sa.String(128))
    effect: Mapped[str] = mapped_column(sa.String(8))
    mode: Mapped[str] = mapped_column(sa.String(8))
    description: Mapped[str] = mapped_column(sa.String(1024))
    expression: Mapped[str] = mapped_column(sa.Text)
    enabled: Mapped[bool] = mapped_column(sa.Boolean)
    fail_open: Mapped[bool] = mapped_column(sa.Boolean)
    # How often this policy was written (1 on creation).
    revision: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(sa.String(128))


class PolicyVersionRow(Base):
    __tablename__ = "policy_versions"

    # A tenant id, GLOBAL, or SEQUENCE (the change sequence itself).
    tenant_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


POLICIES = PolicyRow.__table__
VERSIONS = PolicyVersionRow.__table__


@dataclass(frozen=True)
class StoredPolicy:
    tenant_id: str
    id: str
    effect: str
    mode: str
    description: str
    expression: str
    enabled: bool
    fail_open: bool
    revision: int
    created_at: dt.datetime
    updated_at: dt.datetime
    updated_by: str

    @property
    def is_global(self) -> bool:
        return self.tenant_id == GLOBAL


_COLUMNS = [POLICIES.c[name] for name in StoredPolicy.__dataclass_fields__]


def _to_policy(row: sa.Row) -> StoredPolicy:
    values = row._asdict()
    values["created_at"] = as_utc(values["created_at"])
    values["updated_at"] = as_utc(values["updated_at"])
    return StoredPolicy(**values)


def list_policies(db: Database, scopes: Sequence[str], *,
                  enabled_only: bool = False) -> list[StoredPolicy]:
    """The policies of ``scopes`` (tenant ids and/or GLOBAL), global first, then by id."""
    query = sa.select(*_COLUMNS).where(POLICIES.c.tenant_id.in_(list(scopes)))
    if enabled_only:
        query = query.where(POLICIES.c.enabled.is_(True))
    with db.read() as session:
        rows = session.execute(query).all()
    policies = [_to_policy(r) for r in rows]
    return sorted(policies, key=lambda p: (not p.is_global, p.id))


def get_policy(db: Database, scope: str, policy_id: str) -> StoredPolicy | None:
    with db.read() as session:
        row = session.execute(sa.select(*_COLUMNS).where(
            POLICIES.c.tenant_id == scope, POLICIES.c.id == policy_id)).first()
    return _to_policy(row) if row is not None else None


def changes_since(db: Database, seen: int) -> dict[str, int]:
    """Scopes whose version is above ``seen`` (and SEQUENCE, the highest version)."""
    with db.read() as session:
        rows = session.execute(sa.select(VERSIONS.c.tenant_id, VERSIONS.c.version).where(
            VERSIONS.c.version > seen)).all()
    return {scope: int(version) for scope, version in rows}


def _bump(conn: sa.Connection, scopes: set[str], now: dt.datetime) -> None:
    """Takes the next sequence value (the row lock orders concurrent changes) and makes it
    the version of each scope in ``scopes``."""
    seq = conn.execute(sa.update(VERSIONS).where(VERSIONS.c.tenant_id == SEQUENCE).values(
        version=VERSIONS.c.version + 1, updated_at=now).returning(VERSIONS.c.version)).scalar()
    if seq is None:
        insert_ignoring_conflicts(conn, VERSIONS, [
            {"tenant_id": SEQUENCE, "version": 0, "updated_at": now}])
        _bump(conn, scopes, now)
        return
    for scope in sorted(scopes):
        upsert(conn, VERSIONS, {"tenant_id": scope, "version": seq, "updated_at": now},
               keys=["tenant_id"])


class PutPolicy:
    """Creates or replaces a policy (enabled), in the transaction that ledgers it."""

    apply_order: ClassVar[int] = 50

    def __init__(self, *, scope: str, policy_id: str, effect: str, mode: str,
                 description: str, expression: str, fail_open: bool, actor: str,
                 now: dt.datetime) -> None:
        self.scope, self.policy_id, self.effect, self.mode = scope, policy_id, effect, mode
        self.description, self.expression, self.fail_open = description, expression, fail_open
        self.actor, self.now = actor, now
        self.revision = 0

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["PutPolicy"]) -> None:
        for op in ops:
            op._apply(conn)
        _bump(conn, {op.scope for op in ops}, ops[0].now)

    def _apply(self, conn: sa.Connection) -> None:
        key = (POLICIES.c.tenant_id == self.scope) & (POLICIES.c.id == self.policy_id)
        values = {"effect": self.effect, "mode": self.mode, "description": self.description,
                  "expression": self.expression, "enabled": True, "fail_open": self.fail_open,
                  "updated_at": self.now, "updated_by": self.actor}
        revision = conn.execute(sa.update(POLICIES).where(key).values(
            **values, revision=POLICIES.c.revision + 1).returning(POLICIES.c.revision)).scalar()
        if revision is None:
            conn.execute(sa.insert(POLICIES).values(
                tenant_id=self.scope, id=self.policy_id, revision=1, created_at=self.now,
                **values))
            revision = 1
        self.revision = int(revision)


class DisablePolicy:
    """Disables a policy (kept, and listed, but no longer evaluated)."""

    apply_order: ClassVar[int] = 50

    def __init__(self, *, scope: str, policy_id: str, actor: str, now: dt.datetime) -> None:
        self.scope, self.policy_id, self.actor, self.now = scope, policy_id, actor, now

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["DisablePolicy"]) -> None:
        for op in ops:
            conn.execute(sa.update(POLICIES).where(
                POLICIES.c.tenant_id == op.scope, POLICIES.c.id == op.policy_id).values(
                enabled=False, revision=POLICIES.c.revision + 1, updated_at=op.now,
                updated_by=op.actor))
        _bump(conn, {op.scope for op in ops}, ops[0].now)
