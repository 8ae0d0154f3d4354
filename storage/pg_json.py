"""Rows passed to PostgreSQL as one JSON parameter (``json_populate_recordset``).

A batch written by the group committer is one statement whatever its size: the rows go
as a single JSON array of objects that orjson writes in C, and the server turns it back
into typed rows with ``json_populate_recordset(NULL::<table>, %s::json)``. Passing one
array per column (``unnest``) cost the committer thread twice the CPU: psycopg dumps each
array element by element in Python, while the committer holds the GIL the event loop
wants (bench/RESULTS.md, 2026-12-06).

Values must be JSON-representable as PostgreSQL reads them back: str, int, finite float,
bool, None and timezone-aware datetimes (RFC 3339, microseconds kept). A text PostgreSQL
cannot hold (a NUL character) is refused by the server, as it was in an array.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson


def json_rows(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """``rows`` (values in ``columns`` order) as a JSON array of objects."""
    return orjson.dumps([dict(zip(columns, row)) for row in rows]).decode()


def populate(table: str) -> str:
    """The ``FROM`` item reading one :func:`json_rows` parameter as rows of ``table``."""
    return f"json_populate_recordset(NULL::{table}, %s::json)"
