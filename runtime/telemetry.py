"""The telemetry buffer (SPEC W3): ``record()`` never blocks, a background flusher writes
batches, ``flush_all()`` drains on shutdown.

This module is the contract every component records through. Plugins receive the buffer
in ``bastion_configure(..., telemetry=...)`` and call::

    telemetry.record(tenant_id, EntryType.ERROR, "semantic",
                     {"policy_id": "p1", "message": "no such key"},
                     error={"type": "EvalError", "message": "no such key"})

``record`` returns False when the buffer is full (the entry is dropped and counted), so a
caller on the hot path never waits for storage. The timestamp is taken at record time.
Entries must never carry secrets or raw agent reasoning.
"""

from __future__ import annotations

import enum
import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import Any, NamedTuple

import orjson
import structlog

from bastion.runtime.metrics import TELEMETRY_DROPPED, TELEMETRY_FLUSHED, TELEMETRY_FAILED

log = structlog.get_logger("bastion.telemetry")


class EntryType(str, enum.Enum):
    INTERACTION = "INTERACTION"
    TELEMETRY = "TELEMETRY"
    ERROR = "ERROR"
    GUARDIAN_DECISION = "GUARDIAN_DECISION"
    STATE_TRANSITION = "STATE_TRANSITION"


class TelemetryEntry(NamedTuple):
    """One recorded entry; ``recorded_at`` is Unix seconds taken when ``record`` ran.

    ``details`` is a mapping, or an object with ``telemetry_details() -> mapping`` (a
    decision): the flusher thread serialises it, not the request that recorded it."""

    tenant_id: str
    entry_type: EntryType
    source: str
    details: Any
    error: Mapping[str, str] | None
    run_id: str
    decision_id: str
    recorded_at: float


class TelemetryBuffer:
    """A bounded in-memory queue of entries.

    :param capacity: entries held before ``record`` starts refusing (SPEC W3: 10,000).
    :param batch_size: when this many are queued the flusher is woken early.
    """

    def __init__(self, capacity: int = 10_000, batch_size: int = 1_000) -> None:
        self.capacity = capacity
        self.batch_size = batch_size
        self.dropped = 0
        self.wake = threading.Event()
        self._entries: deque[tuple[Any, ...]] = deque()

    def record(self, tenant_id: str, entry_type: EntryType, source: str,
               details: Any, *, error: Mapping[str, str] | None = None,
               run_id: str = "", decision_id: str = "") -> bool:
        """Enqueues an entry; False (and the entry dropped and counted) when full."""
        entries = self._entries
        if len(entries) >= self.capacity:
            self.dropped += 1
            TELEMETRY_DROPPED.inc()
            return False
        # A plain tuple (a NamedTuple's constructor is Python code); take() types it.
        entries.append((tenant_id, entry_type, source, details, error, run_id, decision_id,
                        _now()))
        if len(entries) == self.batch_size:
            self.wake.set()
        return True

    def take(self, limit: int) -> list[TelemetryEntry]:
        """Removes and returns up to ``limit`` of the oldest entries (for the flusher)."""
        entries, make = self._entries, TelemetryEntry._make
        return [make(entries.popleft()) for _ in range(min(limit, len(entries)))]

    def put_back(self, batch: list[TelemetryEntry]) -> None:
        """Returns a batch that could not be written to the front of the queue; what no
        longer fits is dropped and counted."""
        room = max(0, self.capacity - len(self._entries))
        kept, lost = batch[:room], len(batch) - min(room, len(batch))
        self._entries.extendleft(tuple(e) for e in reversed(kept))
        if lost:
            self.dropped += lost
            TELEMETRY_DROPPED.inc(lost)

    def __len__(self) -> int:
        return len(self._entries)


class TelemetryFlusher:
    """Writes the buffer to storage from a background thread: every ``interval_s``, or at
    once when ``batch_size`` entries are queued. A flush that finds the buffer behind
    writes up to ``rows_per_write`` entries (default ten batches) per transaction: a
    commit costs PostgreSQL as much as ingesting some hundreds of rows. ``flush_all``
    stops the thread and drains what is left (a clean stop loses nothing)."""

    def __init__(self, buffer: TelemetryBuffer, write: Any, interval_s: float, *,
                 rows_per_write: int | None = None) -> None:
        """:param write: ``write(rows)`` stores an iterable of rows
            (``storage.telemetry.COLUMNS`` order) in one transaction, or raises.
        """
        self.buffer, self._write, self.interval_s = buffer, write, interval_s
        self.rows_per_write = rows_per_write or 10 * buffer.batch_size
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one writer at a time (the thread, or flush_all)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="bastion-telemetry",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.buffer.wake.wait(self.interval_s)
            self.buffer.wake.clear()
            if not self._stop.is_set():
                self.flush(drain=False)

    def flush(self, drain: bool = True) -> int:
        """Writes queued entries; returns how many were written. Without ``drain`` it
        writes what is queued now (entries recorded meanwhile wait)."""
        written = 0
        with self._lock:
            todo = len(self.buffer)
            while todo > 0 or (drain and len(self.buffer)):
                batch = self.buffer.take(self.rows_per_write)
                if not batch:
                    break
                todo -= len(batch)
                try:
                    # Rows are serialised as storage consumes them (it writes in chunks).
                    self._write(_row(e) for e in batch)
                except Exception as error:  # noqa: BLE001 - storage outage: retry later
                    TELEMETRY_FAILED.inc(len(batch))
                    log.error("telemetry_flush_failed", entries=len(batch),
                              error=type(error).__name__)
                    self.buffer.put_back(batch)
                    break
                written += len(batch)
                TELEMETRY_FLUSHED.inc(len(batch))
        return written

    def flush_all(self) -> int:
        """Stops the background thread and writes everything still queued."""
        self._stop.set()
        self.buffer.wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        return self.flush(drain=True)


_now = time.time
_JSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
_dumps = orjson.dumps


def _row(entry: TelemetryEntry) -> tuple[Any, ...]:
    """An entry as a storage row (``storage.telemetry.COLUMNS`` order; ``recorded_at``
    as Unix seconds, formatted by storage). JSON is compact with sorted keys; a value
    JSON has no type for is written as its str()."""
    details, error = entry.details, entry.error
    # type() first: isinstance against the Mapping ABC costs ~1 µs per entry.
    if type(details) is not dict and not isinstance(details, Mapping):
        details = details.telemetry_details()
    return (entry.tenant_id, entry.entry_type.value, entry.source,
            _dumps(details, option=_JSON_OPTIONS, default=str).decode(),
            None if error is None else _dumps(error, option=_JSON_OPTIONS, default=str).decode(),
            entry.run_id, entry.decision_id, entry.recorded_at)
