"""Group commit: the writes of many concurrent requests share one transaction.

A commit per request caps throughput at the database's commit rate (about 1,600/s on
PostgreSQL and 4,900/s on SQLite here). Request threads hand their staged writes to
:class:`GroupCommitter` and block until the transaction holding them is durable; a single
committer thread drains whatever has queued up meanwhile into one transaction. Under load
batches grow by themselves; at concurrency 1 a batch is one request and nothing waits.

If a batch fails, each of its requests is retried alone, so one bad request cannot fail
the others: every request is either committed with all its writes or gets the error.
"""

from __future__ import annotations

import queue
import threading
from collections import defaultdict
from collections.abc import Sequence
from typing import ClassVar, Protocol

import structlog
from sqlalchemy import Connection

from bastion.storage.database import Database

log = structlog.get_logger("bastion.storage.group_commit")


class WriteOp(Protocol):
    """One staged write. Ops of one class are applied together, in ``apply_order``.

    ``apply_all`` runs inside the shared transaction on a SQLAlchemy Core ``Connection``
    (Core, not an ORM session: it costs less than half the CPU per batch) and receives every
    op of its class in the batch, so it can use one multi-row statement. It may set
    attributes on the ops (results such as a ledger sequence number) that the request reads
    after commit.
    """

    apply_order: ClassVar[int]

    @classmethod
    def apply_all(cls, conn: Connection, ops: Sequence["WriteOp"]) -> None: ...


class _Pending:
    __slots__ = ("ops", "done", "error")

    def __init__(self, ops: Sequence[WriteOp]) -> None:
        self.ops = ops
        self.done = threading.Event()
        self.error: BaseException | None = None


_STOP = object()


class GroupCommitter:
    """Commits staged writes of concurrent requests in shared transactions."""

    def __init__(self, database: Database, *, max_batch: int = 512) -> None:
        self._database = database
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = 0
        self.requests = 0

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="bastion-group-commit",
                                                daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Commits everything already queued, then stops the committer thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join()

    def commit(self, ops: Sequence[WriteOp]) -> None:
        """Blocks until ``ops`` are durable in the database, or raises why they are not."""
        if not ops:
            return
        if self._thread is None:
            # Not started (CLI, tests of repositories): commit inline.
            self._commit_batch([_Pending(ops)])
            return
        pending = _Pending(ops)
        self._queue.put(pending)
        pending.done.wait()
        if pending.error is not None:
            raise pending.error

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch: list[_Pending] = [first]  # type: ignore[list-item]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)  # type: ignore[arg-type]
            self._commit_batch(batch)
            if stop:
                return

    def _commit_batch(self, batch: list[_Pending]) -> None:
        try:
            self._apply(batch)
        except BaseException as error:  # noqa: BLE001 - every waiter must be released
            if len(batch) == 1:
                batch[0].error = error
            else:
                log.warning("group_commit_batch_failed_retrying_singly", size=len(batch),
                            error=type(error).__name__)
                for pending in batch:
                    try:
                        self._apply([pending])
                    except BaseException as single_error:  # noqa: BLE001
                        pending.error = single_error
        finally:
            self.batches += 1
            self.requests += len(batch)
            for pending in batch:
                pending.done.set()

    def _apply(self, batch: list[_Pending]) -> None:
        by_class: dict[type, list[WriteOp]] = defaultdict(list)
        for pending in batch:
            for op in pending.ops:
                by_class[type(op)].append(op)
        with self._database.write_connection() as conn:
            for op_class in sorted(by_class, key=lambda c: c.apply_order):
                op_class.apply_all(conn, by_class[op_class])
