"""COPY in PostgreSQL's text format, formatted in Python: the fastest bulk path psycopg
offers for many rows (the work queue's bulk submits, the telemetry flusher)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

_COPY_CHUNK = 100         # rows per COPY write


def copy_text(value: str) -> str:
    """A text field of COPY's text format (backslash, tab, newline and CR escaped)."""
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def copy_rows(cursor: Any, table: str, columns: Sequence[str],
          rows: Iterable[Sequence[Any]]) -> None:
    """COPY in text format, formatted here: about 2 µs per unit row against 4.7 µs through
    psycopg's ``write_row`` (a batch's rows share their timestamps, formatted once). Sent
    every 100 rows, so the server works while the rest is formatted. Values: None, str,
    int, float, bool, aware datetime."""
    times: dict[dt.datetime, str] = {}
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        lines = []
        for row in rows:
            fields = []
            for value in row:
                kind = type(value)
                if value is None:
                    fields.append("\\N")
                elif kind is str:
                    fields.append(copy_text(value))
                elif kind is dt.datetime:
                    text = times.get(value)
                    if text is None:
                        text = times[value] = value.isoformat()
                    fields.append(text)
                elif kind is bool:
                    fields.append("t" if value else "f")
                else:
                    fields.append(str(value))
            lines.append("\t".join(fields))
            if len(lines) == _COPY_CHUNK:
                lines.append("")
                copy.write("\n".join(lines))
                lines = []
        if lines:
            lines.append("")
            copy.write("\n".join(lines))
