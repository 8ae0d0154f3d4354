"""Telemetry (issue #4, SPEC W3): ``record()`` entries per second in-process (target
>= 1,000,000/s) against a bare ``deque.append`` of a tuple in the same run, and the
flush to PostgreSQL in entries per second (target >= 100,000/s) against a bare COPY of
the same rows through psycopg in the same run.

    .venv/bin/python bench/telemetry.py [--entries 200000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import pathlib
import sys
import tempfile
import time
from collections import deque

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from check_throughput import machine  # noqa: E402

from bastion.runtime.app import migrate  # noqa: E402
from bastion.runtime.config import Settings  # noqa: E402
from bastion.runtime.telemetry import EntryType, TelemetryBuffer, TelemetryFlusher, _row  # noqa: E402
from bastion.storage import Database  # noqa: E402
from bastion.storage import telemetry as store  # noqa: E402
from bastion.storage.pg_copy import copy_rows  # noqa: E402
from bastion.testing.harness import temporary_database  # noqa: E402

DETAILS = {"policy_id": "p-17", "effect": "deny", "mode": "shadow", "action": "tool.exec"}


def record_rate(n: int) -> tuple[float, float]:
    """In rounds of 10,000 (the default capacity), drained between rounds as the flusher
    would: the buffer never holds more, so the garbage collector sees what it sees in a
    server."""
    rounds, size = max(1, n // 10_000), 10_000
    buffer = TelemetryBuffer(capacity=size, batch_size=size + 1)
    record, kind = buffer.record, EntryType.GUARDIAN_DECISION
    spent = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(size):
            record("tnt_bench", kind, "bench", DETAILS, decision_id="dec_1")
        spent += time.perf_counter() - started
        buffer.take(size)
    plain: deque = deque()
    append, now, spent_plain = plain.append, time.time, 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(size):
            append(("tnt_bench", kind, "bench", DETAILS, None, "", "dec_1", now()))
        spent_plain += time.perf_counter() - started
        plain.clear()
    return rounds * size / spent, rounds * size / spent_plain


def flush_rate(n: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp, \
            temporary_database("postgresql", pathlib.Path(tmp)) as url:
        migrate(Settings(database_url=url))
        db = Database(url)
        try:
            buffer = TelemetryBuffer(capacity=n + 1, batch_size=1000)
            for i in range(n):
                buffer.record("tnt_bench", EntryType.TELEMETRY, "bench", {"n": i, **DETAILS})
            flusher = TelemetryFlusher(buffer, lambda rows: store.insert_rows(db, rows), 3600)
            started = time.perf_counter()
            assert flusher.flush_all() == n
            flushed = n / (time.perf_counter() - started)
            # Baseline: the same rows, already serialised, COPYed in batches of 1,000.
            rows = [(*row[:-1], dt.datetime.fromtimestamp(row[-1], dt.timezone.utc))
                    for row in (_row(buffer_entry(i)) for i in range(n))]
            started = time.perf_counter()
            with db.engine.begin() as conn:
                cursor = conn.connection.cursor()
                for start in range(0, n, 1000):
                    copy_rows(cursor, "telemetry", store.COLUMNS, rows[start:start + 1000])
            copied = n / (time.perf_counter() - started)
        finally:
            db.dispose()
    return flushed, copied


def buffer_entry(i: int):  # type: ignore[no-untyped-def]
    buffer = TelemetryBuffer()
    buffer.record("tnt_bench", EntryType.TELEMETRY, "bench", {"n": i, **DETAILS})
    return buffer.take(1)[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=200_000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    recorded, appended = record_rate(args.entries)
    print(f"record():            {recorded:12,.0f} entries/s  (deque.append baseline "
          f"{appended:,.0f}/s, ratio {recorded / appended:.2f}; target >= 1,000,000/s)")
    flushed, copied = flush_rate(args.entries)
    print(f"flush to PostgreSQL: {flushed:12,.0f} entries/s  (bare COPY baseline "
          f"{copied:,.0f}/s, ratio {flushed / copied:.2f}; target >= 100,000/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
