"""Rows passed to PostgreSQL as one JSON parameter (storage/pg_json.py) come back exactly as
they were written: text with every character JSON escapes, microsecond timestamps, floats
that binary fractions only approximate, large integers."""

from __future__ import annotations

import datetime as dt
import pathlib

import psycopg
import pytest
import sqlalchemy as sa

from bastion.storage.pg_json import json_rows, populate
from bastion.testing.harness import temporary_database

COLUMNS = ("label", "amount", "count", "at", "flag", "note")
ROWS = [
    ("quotes \" and \\ backslashes", 0.1, 2**53 - 1,
     dt.datetime(2026, 12, 6, 1, 2, 3, 456789, tzinfo=dt.timezone.utc), True, None),
    ("line\nbreaks\ttabs \u2028 and déjà vu 🚀", 1e-7, -(2**62),
     dt.datetime(1999, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))), False,
     '{"nested": "json as text"}'),
    ("", 123456789.123456789, 0,
     dt.datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=dt.timezone.utc), False, ""),
]


@pytest.fixture
def pg_url(tmp_path: pathlib.Path):
    with temporary_database("postgresql", tmp_path) as url:
        yield url


def test_json_rows_round_trip_exactly(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE probe (id bigserial PRIMARY KEY, label text, amount float8, "
                "count int8, at timestamptz, flag boolean, note text)")
            cursor = conn.connection.cursor()
            cursor.execute(f"INSERT INTO probe ({', '.join(COLUMNS)}) "
                           f"SELECT {', '.join(COLUMNS)} FROM {populate('probe')}",
                           [json_rows(COLUMNS, ROWS)])
            cursor.close()
        with engine.connect() as conn:
            back = conn.exec_driver_sql(
                f"SELECT {', '.join(COLUMNS)} FROM probe ORDER BY id").fetchall()
    finally:
        engine.dispose()
    assert [tuple(row) for row in back] == ROWS


def test_a_text_postgresql_cannot_hold_is_refused_not_altered(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE probe (id bigserial PRIMARY KEY, label text)")
        with pytest.raises(psycopg.errors.UntranslatableCharacter), engine.begin() as conn:
            cursor = conn.connection.cursor()
            cursor.execute(f"INSERT INTO probe (label) SELECT label FROM {populate('probe')}",
                           [json_rows(("label",), [("nul \x00 inside",)])])
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM probe").scalar() == 0
    finally:
        engine.dispose()
