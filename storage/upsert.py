"""INSERT ... ON CONFLICT for both engines (SQLAlchemy keeps it per dialect)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignoring_conflicts(conn: sa.Connection, table: sa.Table,
                              rows: Sequence[Mapping[str, Any]]) -> None:
    """Inserts ``rows``; a row whose key exists already is left as it is."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).on_conflict_do_nothing(), list(rows))


def upsert(conn: sa.Connection, table: sa.Table, row: Mapping[str, Any],
           keys: Sequence[str]) -> None:
    """Inserts ``row`` or, when its key exists, updates the other columns."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**row)
    conn.execute(statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={k: statement.excluded[k] for k in row if k not in keys}))
