"""Many rows into one SQLite table with as few statements as the parameter limit allows.

The group committer's thread competes with the event loop for the GIL, and every statement
the driver runs releases it and must win it back: ``executemany`` runs one statement per
row, so a batch of 30 rows waited for the GIL 30 times where one statement waits once.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

# Parameters per statement: well within SQLITE_MAX_VARIABLE_NUMBER (32,766 since SQLite 3.32).
_MAX_PARAMETERS = 5_000


def insert_many(cursor: Any, table: str, columns: Sequence[str],
                rows: Iterable[Sequence[Any]]) -> None:
    """``INSERT INTO table (columns) VALUES (...), (...), ...`` on a DB-API ``cursor``; each
    row holds one value per column. ``rows`` may be a generator: it is consumed chunk by
    chunk."""
    placeholders = "(" + ", ".join("?" * len(columns)) + ")"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    per_statement = max(1, _MAX_PARAMETERS // len(columns))
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, per_statement)):
        cursor.execute(head + ", ".join([placeholders] * len(chunk)),
                       [value for row in chunk for value in row])
