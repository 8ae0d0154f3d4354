"""Deliberation scores and per-tenant scoring settings (the deliberation plugin's tables).

Scores hold numbers, counts and a keyed hash of the reasoning: never its text (SPEC G1).
They are written with the decision, in its group-commit transaction, and are append-only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bastion.storage.base import Base, TenantScoped, UtcDateTime, as_utc, sqlite_ts
from bastion.storage.database import Database
from bastion.storage.group_commit import Statement
from bastion.storage.migrate import MIGRATIONS_DIR
from bastion.storage.pg_json import json_rows, populate
from bastion.storage.sqlite_insert import insert_many
from bastion.storage.upsert import upsert

DELIBERATION_VERSIONS = MIGRATIONS_DIR / "deliberation"


class DeliberationScoreRow(TenantScoped, Base):
    __tablename__ = "deliberation_scores"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    decision_id: Mapped[str] = mapped_column(sa.String(64))
    run_id: Mapped[str] = mapped_column(sa.String(256))
    task_id: Mapped[str] = mapped_column(sa.String(256))
    agent_id: Mapped[str] = mapped_column(sa.String(256))
    phase: Mapped[str] = mapped_column(sa.String(16))
    model: Mapped[str] = mapped_column(sa.String(256))
    depth: Mapped[float] = mapped_column(sa.Float)
    coherence: Mapped[float] = mapped_column(sa.Float)
    relevance: Mapped[float] = mapped_column(sa.Float)
    overall: Mapped[float] = mapped_column(sa.Float)
    steps: Mapped[int] = mapped_column(sa.Integer)
    logical_issues: Mapped[int] = mapped_column(sa.Integer)
    off_topic_segments: Mapped[int] = mapped_column(sa.Integer)
    thinking_tokens: Mapped[int] = mapped_column(sa.BigInteger)
    recommendation: Mapped[str] = mapped_column(sa.String(16))
    text_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class DeliberationSettingsRow(TenantScoped, Base):
    __tablename__ = "deliberation_settings"

    tenant_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    settings_json: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(sa.String(256))


SCORE_COLUMNS = ("decision_id", "run_id", "task_id", "agent_id", "phase", "model", "depth",
                 "coherence", "relevance", "overall", "steps", "logical_issues",
                 "off_topic_segments", "thinking_tokens", "recommendation", "text_hash",
                 "created_at")


_SCORE_COLUMNS = ("tenant_id", *SCORE_COLUMNS)
# One JSON parameter: one statement text whatever the batch size (storage/pg_json.py).
_POSTGRES_INSERT = (
    f"INSERT INTO deliberation_scores ({', '.join(_SCORE_COLUMNS)}) "
    f"SELECT {', '.join(_SCORE_COLUMNS)} FROM {populate('deliberation_scores')}")


class InsertScores:
    """One score row per decision; every row of a group-commit batch in one statement,
    on the driver's cursor (SQLAlchemy's executemany cost the committer thread, which
    competes with the event loop for the GIL, about 0.1–0.4 ms per Check)."""

    apply_order: ClassVar[int] = 60

    def __init__(self, row: Mapping[str, Any]) -> None:
        self.row = row

    @classmethod
    def statement(cls, engine: Any, ops: Sequence["InsertScores"]) -> Statement:
        """The batch's insert, for the group committer to run with the batch's other
        statements (PostgreSQL): a judged Check's batch is then one round trip."""
        return Statement(_POSTGRES_INSERT, [json_rows(_SCORE_COLUMNS, _rows(ops))])

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["InsertScores"]) -> None:
        rows = _rows(ops)
        cursor = conn.connection.cursor()
        try:
            if conn.dialect.name == "postgresql":
                cursor.execute(_POSTGRES_INSERT, [json_rows(_SCORE_COLUMNS, rows)])
            else:
                insert_many(cursor, "deliberation_scores", _SCORE_COLUMNS,
                            [(*row[:-1], sqlite_ts(row[-1])) for row in rows])
        finally:
            cursor.close()


def _rows(ops: Sequence[InsertScores]) -> list[tuple[Any, ...]]:
    return [tuple(op.row[c] for c in _SCORE_COLUMNS) for op in ops]


class SaveSettings:
    """A tenant's setting overrides (``None``: back to the defaults), in the transaction
    that ledgers the change."""

    apply_order: ClassVar[int] = 50

    def __init__(self, *, tenant_id: str, overrides: Mapping[str, Any] | None, actor: str,
                 now: dt.datetime) -> None:
        self.tenant_id, self.overrides, self.actor, self.now = tenant_id, overrides, actor, now

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["SaveSettings"]) -> None:
        table = DeliberationSettingsRow.__table__
        for op in ops:
            if op.overrides is None:
                conn.execute(sa.delete(table).where(table.c.tenant_id == op.tenant_id))
                continue
            upsert(conn, table, {"tenant_id": op.tenant_id,
                                 "settings_json": json.dumps(op.overrides, sort_keys=True),
                                 "updated_at": op.now, "updated_by": op.actor},
                   keys=["tenant_id"])


def tenant_overrides(db: Database, tenant_id: str) -> dict[str, Any] | None:
    with db.read() as session:
        raw = session.scalar(sa.select(DeliberationSettingsRow.settings_json).where(
            DeliberationSettingsRow.tenant_id == tenant_id))
    return json.loads(raw) if raw is not None else None


def list_scores(db: Database, tenant_id: str, *, run_id: str, below: float | None,
                after_id: int, limit: int) -> list[dict[str, Any]]:
    """The tenant's scores (of ``run_id`` when given; only overall < ``below`` when
    given), oldest first, after ``after_id``."""
    t = DeliberationScoreRow.__table__
    query = sa.select(t).where(t.c.tenant_id == tenant_id, t.c.id > after_id)
    if run_id:
        query = query.where(t.c.run_id == run_id)
    if below is not None:
        query = query.where(t.c.overall < below)
    with db.read() as session:
        rows = session.execute(query.order_by(t.c.id).limit(limit)).mappings().all()
    return [{**row, "created_at": as_utc(row["created_at"])} for row in rows]
