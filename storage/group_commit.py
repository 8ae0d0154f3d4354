"""Group commit: the writes of many concurrent requests share one transaction.

A commit per request caps throughput at the database's commit rate (about 1,600/s on
PostgreSQL and 4,900/s on SQLite here). Request threads hand their staged writes to
:class:`GroupCommitter` and block until the transaction holding them is durable; a single
committer thread drains whatever has queued up meanwhile into one transaction. Under load
batches grow by themselves; at concurrency 1 a batch is one request and nothing waits.

If a batch fails, each of its requests is retried alone, so one bad request cannot fail
the others: every request is either committed with all its writes or gets the error.

Under concurrency the committer lingers briefly before committing (see
:meth:`GroupCommitter._gather`): a batch's cost is mostly fixed (BEGIN, COMMIT and its
fsync, and each statement's hand-back of the GIL from the busy event loop), and without a
pause the committer took whatever had queued during the previous commit, about 4 requests
at concurrency 64, for about 120 µs of CPU per request.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, NamedTuple, Protocol

import structlog
from sqlalchemy import Connection

from bastion.storage.database import Database, StorageUnavailable, translate_errors

log = structlog.get_logger("bastion.storage.group_commit")


class WriteOp(Protocol):
    """One staged write. Ops of one class are applied together, in ``apply_order``.

    ``apply_all`` runs inside the shared transaction on a SQLAlchemy Core ``Connection``
    (Core, not an ORM session: it costs less than half the CPU per batch) and receives every
    op of its class in the batch, so it can use one multi-row statement. It may set
    attributes on the ops (results such as a ledger sequence number) that the request reads
    after commit, and raise :class:`RetryBatch` to have the batch run again. Optional class
    methods ``committed(ops)`` and ``rolled_back(ops)`` are called after the transaction.

    Optional, for PostgreSQL: ``statement(engine, ops) -> Statement | None``, the one
    statement that writes all of ``ops`` (positional psycopg parameters), or None when it needs
    more (then ``apply_all`` runs, in a transaction). When every class of a batch has one,
    the committer runs them as a single statement (each class's in a ``WITH`` item) on an
    autocommit connection: one round trip instead of BEGIN, a statement per class and
    COMMIT, with the same atomicity and durability. Returning None must be cheap: the
    classes are asked in ``apply_order`` and the first None ends the asking. A class that
    may withdraw (:class:`ConditionalOp`) offers a statement only with ``requires``: the
    condition under which it withdraws nothing.
    """

    apply_order: ClassVar[int]

    @classmethod
    def apply_all(cls, conn: Connection, ops: Sequence["WriteOp"]) -> None: ...


class Statement(NamedTuple):
    """One op class's writes as a single statement (see :class:`WriteOp`)."""

    sql: str
    params: Sequence[Any]
    # Called once the statement has run, with its rows (as dicts) when ``returns``, else [].
    done: Callable[[list[dict[str, Any]]], None] | None = None
    # Called when it broke a unique constraint; the batch then runs again, each class's
    # apply_all in a transaction (the ledger: its cached chain head was stale).
    conflicted: Callable[[], None] | None = None
    # A condition the batch's writes need, in SQL over ``{item}`` (the WITH item holding
    # this statement's rows), e.g. ``(SELECT count(*) FROM {item}) = 3``. When it does not
    # hold the whole batch statement is undone (nothing is written) and the batch runs in
    # a transaction, each class's apply_all deciding. Required of classes that withdraw.
    requires: str | None = None
    # Whether ``done`` needs the rows the statement returns.
    returns: bool = False
    # WITH items the statement needs at the top level (PostgreSQL refuses data-modifying
    # WITH items anywhere else), with their parameters; names prefixed by the table, as
    # every class's items share one WITH.
    with_items: str = ""
    with_params: Sequence[Any] = ()


# The SQLSTATE of bastion_require() (migration core_0007): a ``requires`` did not hold.
REQUIREMENT_FAILED = "BQ001"


class _RequirementFailed(Exception):
    """A batch run as one statement was undone: a ``Statement.requires`` did not hold."""


class ConditionalOp(WriteOp, Protocol):
    """An op staged on an optimistic answer, which may find at commit that the answer does
    not hold. A class whose ``may_withdraw`` is true sets ``withdrawn`` on such ops in its
    ``apply_all`` (writing nothing for them); the committer then applies none of the
    request's later ops and raises :class:`Withdrawn` to it, naming ``guard``. Such classes
    must come first (the lowest ``apply_order``) among the ops of the requests using them.
    """

    may_withdraw: ClassVar[bool]
    withdrawn: bool
    guard: str


class RetryBatch(Exception):
    """Raised by an op's ``apply_all`` when the whole batch must run again from the start
    (an optimistic read turned out stale): the transaction is rolled back and retried."""


class Withdrawn(Exception):
    """Nothing of the request was written: one of its ops (:class:`ConditionalOp`), staged
    on an optimistic answer of ``guard``, did not hold at commit."""

    def __init__(self, guard: str) -> None:
        super().__init__(f"withdrawn at commit: the {guard} guard's answer did not hold")
        self.guard = guard


_MAX_ATTEMPTS = 8
# How far back the largest batch is remembered (the current and the previous window): a
# caller left alone after a burst stops waiting for company within 0.1-0.2 s. With 0.5 s,
# SubmitMany right after 8 concurrent Checks lingered (10 ms each) for a second: 20.1-20.4k
# against 21.2-23.1k units/s.
_SIZE_WINDOW_S = 0.1


def group_ops(ops: Sequence[WriteOp]) -> dict[type, list[WriteOp]]:
    """Ops by class, in ``apply_order`` (the order :func:`apply_grouped` applies them)."""
    by_class: dict[type, list[WriteOp]] = defaultdict(list)
    for op in ops:
        by_class[type(op)].append(op)
    return {c: by_class[c] for c in sorted(by_class, key=lambda c: c.apply_order)}


def apply_grouped(conn: Connection, by_class: dict[type, list[WriteOp]]) -> None:
    """Applies grouped ops in the caller's transaction (for work that must read, decide
    and stage in one transaction of its own, like the zombie protocol)."""
    for op_class, ops in by_class.items():
        op_class.apply_all(conn, ops)


def notify(by_class: dict[type, list[WriteOp]], hook: str) -> None:
    """Calls the optional ``committed(ops)`` / ``rolled_back(ops)`` class hooks."""
    for op_class, ops in by_class.items():
        callback = getattr(op_class, hook, None)
        if callback is not None:
            callback(ops)


class _Pending:
    """A request waiting for its writes: woken through a threading.Event (sync callers) or
    an asyncio future resolved on its own loop (async callers)."""

    __slots__ = ("ops", "done", "error", "future", "loop")

    def __init__(self, ops: Sequence[WriteOp], loop: asyncio.AbstractEventLoop | None = None,
                 future: asyncio.Future[None] | None = None) -> None:
        self.ops = ops
        self.error: BaseException | None = None
        self.loop = loop
        self.future = future
        self.done = threading.Event() if future is None else None


def _apply_conditionally(conn: Connection, batch: list[_Pending],
                         by_class: dict[type, list[WriteOp]], ordered: list[type]
                         ) -> tuple[dict[type, list[WriteOp]], dict[_Pending, Any]]:
    """Applies the batch as :meth:`GroupCommitter._apply` does, leaving out every later op
    of a request one of whose :class:`ConditionalOp` withdrew. Returns the ops applied by
    class, and the withdrawn requests with the op that withdrew each."""
    owner = {id(op): pending for pending in batch for op in pending.ops}
    withdrawn: dict[_Pending, Any] = {}
    applied: dict[type, list[WriteOp]] = {}
    for op_class in ordered:
        ops = by_class[op_class]
        if withdrawn:
            ops = [op for op in ops if owner[id(op)] not in withdrawn]
        if not ops:
            continue
        op_class.apply_all(conn, ops)
        applied[op_class] = ops
        if getattr(op_class, "may_withdraw", False):
            for op in ops:
                if op.withdrawn:  # type: ignore[attr-defined]
                    withdrawn[owner[id(op)]] = op
    return applied, withdrawn


def _release(batch: list[_Pending]) -> None:
    """Wakes every waiter; async ones with one thread-safe call per event loop (each call
    writes to the loop's self-pipe, so one per request would cost a syscall each)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Pending]] = defaultdict(list)
    for pending in batch:
        if pending.done is not None:
            pending.done.set()
        elif pending.loop is not None:
            by_loop[pending.loop].append(pending)
    for loop, group in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve_all, group)
        except RuntimeError:
            pass  # the loop was closed: nobody is waiting any more


def _resolve_all(group: list[_Pending]) -> None:
    for pending in group:
        future = pending.future
        if future is None or future.done():
            continue  # the caller was cancelled; its writes committed or not, as reported
        if pending.error is not None:
            future.set_exception(pending.error)
        else:
            future.set_result(None)


_STOP = object()


class GroupCommitter:
    """Commits staged writes of concurrent requests in shared transactions."""

    def __init__(self, database: Database, *, max_batch: int = 512,
                 linger_s: float = 0.010) -> None:
        """:param linger_s: at most this long to wait for more requests before committing
            a batch, and only while recent batches show concurrent requests (0: never)."""
        self._database = database
        self._max_batch = max_batch
        self._linger_s = linger_s
        # The largest batch of the current and the previous window: how many requests
        # tend to be waiting at once (an estimate of the concurrency behind the queue).
        self._sizes = [0, 0]
        self._window_ends = 0.0
        self._wanted = 0  # while lingering: how many more requests end the wait early
        self._enough = threading.Event()
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        # The committer's own connections, kept across batches: transactional, and
        # autocommit (for batches of one statement, see WriteOp).
        self._conns: dict[bool, Connection] = {}
        self.batches = 0
        self.requests = 0
        self.busy_s = 0.0  # wall time spent committing (for the stats log)

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
        self._close_writer()
        if thread is not None:
            log.info("group_commit_stats", batches=self.batches, requests=self.requests,
                     mean_batch=round(self.requests / max(1, self.batches), 2),
                     mean_commit_ms=round(self.busy_s * 1000 / max(1, self.batches), 3))

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
        self._queued()
        assert pending.done is not None
        pending.done.wait()
        if pending.error is not None:
            raise pending.error

    async def commit_async(self, ops: Sequence[WriteOp]) -> None:
        """Awaits until ``ops`` are durable, without blocking the event loop."""
        if not ops:
            return
        if self._thread is None:
            raise RuntimeError("the group committer is not running")
        loop = asyncio.get_running_loop()
        pending = _Pending(ops, loop, loop.create_future())
        self._queue.put(pending)
        self._queued()
        assert pending.future is not None
        # A cancelled caller cancels the future; the committer then skips it (_resolve_all).
        await pending.future

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch: list[_Pending] = [first]  # type: ignore[list-item]
            stop = self._drain(batch) or self._gather(batch)
            self._commit_batch(batch)
            if stop:
                return

    def _drain(self, batch: list[_Pending]) -> bool:
        """Moves what is queued into ``batch``; True when the stop marker was among it."""
        while len(batch) < self._max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return False
            if item is _STOP:
                return True
            batch.append(item)  # type: ignore[arg-type]
        return False

    def _gather(self, batch: list[_Pending]) -> bool:
        """Waits up to ``linger_s`` for more requests while fewer have queued than the
        recent largest batch; True when the stop marker arrived meanwhile.

        A lone caller (recent batches of one) never waits; the wait ends early once as
        many requests as the recent largest batch have queued (:meth:`_queued` wakes it).
        Waiting releases the GIL, so the event loop runs on undisturbed and hands over a
        larger batch. Under sustained load the wait usually runs out before the recent
        largest batch has queued, so ``linger_s`` sets the batch size there: a batch
        costs the committer ~180 µs of CPU plus ~25 per request, and at 64 concurrent
        Checks 10 ms (batches of ~30) took 40-60 µs less server CPU per Check than 2 ms
        (batches of ~8) with no worse p99 (bench/RESULTS.md, 2026-12-06, sixth VM).
        """
        now = time.perf_counter()
        if now >= self._window_ends:
            # The window that just ended becomes the previous one; after a quiet spell
            # longer than a window, neither says anything about who is waiting now.
            recent = now < self._window_ends + _SIZE_WINDOW_S
            self._sizes = [0, self._sizes[0] if recent else 0]
            self._window_ends = now + _SIZE_WINDOW_S
        expected = min(max(self._sizes), self._max_batch)
        stop = False
        if self._linger_s > 0 and len(batch) < expected:
            self._enough.clear()
            self._wanted = expected - len(batch)
            if self._queue.qsize() < self._wanted:
                self._enough.wait(self._linger_s)
            self._wanted = 0
            stop = self._drain(batch)
        if len(batch) > self._sizes[0]:
            self._sizes[0] = len(batch)
        return stop

    def _queued(self) -> None:
        """After a put: wakes a lingering committer once enough requests have queued."""
        wanted = self._wanted
        if wanted and self._queue.qsize() >= wanted:
            self._enough.set()

    def apply_batch(self, batch: list[_Pending]) -> None:
        """Commits ``batch`` now, on the calling thread (tests; what the committer thread
        does with each batch)."""
        self._commit_batch(batch)

    def _commit_batch(self, batch: list[_Pending]) -> None:
        started = time.perf_counter()
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
            self.busy_s += time.perf_counter() - started
            self.batches += 1
            self.requests += len(batch)
            _release(batch)

    def _apply(self, batch: list[_Pending]) -> None:
        by_class: dict[type, list[WriteOp]] = defaultdict(list)
        for pending in batch:
            for op in pending.ops:
                by_class[type(op)].append(op)
        ordered = sorted(by_class, key=lambda c: c.apply_order)
        conditional = any(getattr(c, "may_withdraw", False) for c in ordered)
        as_one = True
        for _ in range(_MAX_ATTEMPTS):
            statements = self._statements(ordered, by_class, conditional) if as_one else None
            applied, withdrawn = by_class, {}
            try:
                if statements is not None:
                    self._run_as_one(statements)
                else:
                    conn = self._writer()
                    with translate_errors(), conn.begin():
                        if conditional:
                            applied, withdrawn = _apply_conditionally(conn, batch, by_class,
                                                                      ordered)
                        else:
                            for op_class in ordered:
                                op_class.apply_all(conn, by_class[op_class])
            except _RequirementFailed:
                as_one = False  # nothing was written: decide in a transaction
                continue
            except RetryBatch:
                notify(by_class, "rolled_back")
                continue
            except BaseException:
                notify(by_class, "rolled_back")
                # A failed connection is not reused.
                self._drop_writer(autocommit=statements is not None)
                raise
            notify(applied, "committed")
            for pending, op in withdrawn.items():
                pending.error = Withdrawn(op.guard)
            return
        raise StorageUnavailable("write contention: batch retried too often")

    def _statements(self, ordered: list[type], by_class: dict[type, list[WriteOp]],
                    conditional: bool) -> list[Statement] | None:
        """Each class's one statement, or None as soon as one class has none (or a class
        that may withdraw offers one without its condition)."""
        engine = self._database.engine
        if engine.dialect.name != "postgresql":
            return None
        statements = []
        for op_class in ordered:
            make = getattr(op_class, "statement", None)
            statement = make(engine, by_class[op_class]) if make is not None else None
            if statement is None or (conditional and statement.requires is None
                                     and getattr(op_class, "may_withdraw", False)):
                return None
            statements.append(statement)
        return statements

    def _run_as_one(self, statements: list[Statement]) -> None:
        """Runs the statements as one, outside an explicit transaction (atomic and durable
        on its own). A unique violation → :class:`RetryBatch`; an unmet ``requires`` →
        :class:`_RequirementFailed` (nothing was written)."""
        sql, params = _as_one(statements)
        conn = self._writer(autocommit=True)
        with translate_errors():
            cursor = conn.connection.cursor()
            try:
                cursor.execute(sql, params)
                row = cursor.fetchone() if cursor.description is not None else None
            except conn.dialect.dbapi.IntegrityError:  # type: ignore[union-attr]
                for statement in statements:
                    if statement.conflicted is not None:
                        statement.conflicted()
                raise RetryBatch from None
            except conn.dialect.dbapi.Error as error:  # type: ignore[union-attr]
                if getattr(error, "sqlstate", None) == REQUIREMENT_FAILED:
                    raise _RequirementFailed from None
                raise
            finally:
                cursor.close()
        outputs = iter(row[1:] if row is not None else ())
        for statement in statements:
            rows = next(outputs) if statement.returns else []
            if statement.done is not None:
                statement.done(rows)

    def _close_writer(self) -> None:
        conns, self._conns = self._conns, {}
        for conn in conns.values():
            conn.close()

    def _writer(self, *, autocommit: bool = False) -> Connection:
        """The committer's own connection, kept across batches: checking one out of the
        pool and resetting it on return cost 60-300 µs of CPU per batch."""
        conn = self._conns.get(autocommit)
        if conn is None:
            options: dict[str, Any] = {"bastion_write": True}
            if autocommit:
                options["isolation_level"] = "AUTOCOMMIT"
            with translate_errors():
                conn = self._conns[autocommit] = self._database.engine.connect(
                    ).execution_options(**options)
        return conn

    def _drop_writer(self, *, autocommit: bool = False) -> None:
        conn = self._conns.pop(autocommit, None)
        if conn is not None:
            try:
                conn.invalidate()
                conn.close()
            except Exception:  # noqa: BLE001 - it is being thrown away
                pass


def _as_one(statements: list[Statement]) -> tuple[str, list[Any]]:
    """One statement: the hoisted WITH items, each statement in a WITH item of its own,
    then ``bastion_require`` of their conditions and the rows of those that return them
    (as JSON arrays)."""
    params = [value for s in statements for value in s.with_params]
    params += [value for s in statements for value in s.params]
    hoisted = [s.with_items for s in statements if s.with_items]
    if len(statements) == 1 and statements[0].requires is None and not statements[0].returns:
        return (f"WITH {hoisted[0]} " if hoisted else "") + statements[0].sql, params
    items = ", ".join([*hoisted, *(f"w{n} AS ({s.sql})" for n, s in enumerate(statements))])
    conditions = " AND ".join(f"({s.requires.format(item=f'w{n}')})"
                              for n, s in enumerate(statements) if s.requires)
    first = f"bastion_require({conditions})" if conditions else "1"
    outputs = "".join(f", (SELECT coalesce(json_agg(w{n}), '[]'::json) FROM w{n})"
                      for n, s in enumerate(statements) if s.returns)
    return f"WITH {items} SELECT {first}{outputs}", params
