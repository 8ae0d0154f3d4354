"""Group commit on both engines: stale ledger heads from another process, failure isolation."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Sequence
from typing import ClassVar

import pytest
import sqlalchemy as sa

from bastion.plugins.ledger.chain import Sealer, verify
from bastion.storage import Database, GroupCommitter
from bastion.storage import deliberations as scores
from bastion.storage import ledger as store
from bastion.storage.deliberations import DELIBERATION_VERSIONS
from bastion.storage.group_commit import _Pending
from bastion.storage.migrate import LEDGER_VERSIONS, upgrade

SEALER = Sealer("group-commit-test")


def _score(tenant: str, n: int) -> scores.InsertScores:
    return scores.InsertScores({
        "tenant_id": tenant, "decision_id": f"dec-{n}", "run_id": "run-1", "task_id": "",
        "agent_id": "a", "phase": "build", "model": "m", "depth": 0.5, "coherence": 1.0,
        "relevance": 0.25, "overall": 0.6, "steps": 3, "logical_issues": 0,
        "off_topic_segments": 0, "thinking_tokens": 10, "recommendation": "pass",
        "text_hash": "0" * 64, "created_at": dt.datetime.now(dt.timezone.utc)})


def _append(tenant: str, n: int) -> store.LedgerAppend:
    return store.LedgerAppend(tenant_id=tenant, ts=dt.datetime.now(dt.timezone.utc),
                              action_type="decision", actor="test", subject_id=f"s{n}",
                              payload_json=f'{{"n":{n}}}', sealer=SEALER)


@pytest.fixture
def two_processes(database_url):  # type: ignore[no-untyped-def]
    """Two engines on one database: what two server processes look like to storage."""
    first, second = Database(database_url), Database(database_url)
    upgrade(first, [LEDGER_VERSIONS])
    yield GroupCommitter(first), GroupCommitter(second), first
    first.dispose()
    second.dispose()


def test_a_stale_cached_head_is_detected_and_the_batch_retried(two_processes) -> None:  # type: ignore[no-untyped-def]
    one, other, db = two_processes
    for n in range(12):
        # Alternate: each committer's cached head is stale every other time.
        (one if n % 2 == 0 else other).commit([_append("tnt_x", n)])
    one.commit([_append("tnt_x", 12), _append("tnt_x", 13)])
    records = list(store.iter_entries(db, "tnt_x", from_sequence=1, limit=100))
    assert [r.sequence for r in records] == list(range(1, 15))
    assert [r.subject_id for r in records] == [f"s{n}" for n in range(14)]
    report = verify(records, SEALER, None)
    assert report.chain_ok and report.overall_ok


def test_a_tenant_appended_to_by_two_processes_stops_retrying_batches(two_processes,
                                                                      monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A stale cached head costs its batch a retry; after one, the tenant's head is read
    under its lock for a while instead, so replicas sharing a tenant do not retry every
    other batch."""
    one, other, db = two_processes
    retries = []  # a batch runs again after its ops are rolled back (nothing else fails)
    real = store.LedgerAppend.rolled_back.__func__  # type: ignore[attr-defined]

    def counting(cls, ops):  # type: ignore[no-untyped-def]
        retries.append(len(ops))
        real(cls, ops)
    monkeypatch.setattr(store.LedgerAppend, "rolled_back", classmethod(counting))
    for n in range(20):
        (one if n % 2 == 0 else other).commit([_append("tnt_c", n)])
    # The first stale head of each process: two retries, not one per alternation.
    assert len(retries) == 2
    records = list(store.iter_entries(db, "tnt_c", from_sequence=1, limit=100))
    assert [r.subject_id for r in records] == [f"s{n}" for n in range(20)]
    assert verify(records, SEALER, None).chain_ok
    # Once the window is over the cached head is tried again: stale (the other process
    # appended last), it costs one more retry, and the tenant is read under the lock again.
    store._CONTENDED.clear()
    for n in range(20, 24):
        one.commit([_append("tnt_c", n)])
    assert len(retries) == 3
    records = list(store.iter_entries(db, "tnt_c", from_sequence=1, limit=100))
    assert [r.sequence for r in records] == list(range(1, 25))
    assert verify(records, SEALER, None).chain_ok


class _Boom:
    apply_order: ClassVar[int] = 10

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["_Boom"]) -> None:
        raise ValueError("bad write")


class _Noted:
    """An op of another class that writes nothing."""

    apply_order: ClassVar[int] = 10

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["_Noted"]) -> None:
        pass


def test_one_failing_request_does_not_fail_its_batch(two_processes) -> None:  # type: ignore[no-untyped-def]
    committer, _, db = two_processes
    good, bad = _Pending([_append("tnt_y", 1)]), _Pending([_append("tnt_y", 2), _Boom()])
    also_good = _Pending([_append("tnt_y", 3)])
    committer.apply_batch([good, bad, also_good])
    assert good.error is None and also_good.error is None
    assert isinstance(bad.error, ValueError)
    records = list(store.iter_entries(db, "tnt_y", from_sequence=1, limit=10))
    assert [r.subject_id for r in records] == ["s1", "s3"]  # nothing of the failed request
    assert verify(records, SEALER, None).chain_ok



def test_concurrent_callers_share_batches_and_a_lone_caller_does_not_linger(two_processes) -> None:  # type: ignore[no-untyped-def]
    _, _, db = two_processes
    committer = GroupCommitter(db, linger_s=0.5)
    committer.start()
    try:
        # Alone (no recent batch of more than one): committed at once.
        started = time.perf_counter()
        committer.commit([_append("tnt_z", 0)])
        assert time.perf_counter() - started < 0.4
        for round_ in range(3):
            threads = [threading.Thread(target=committer.commit,
                                        args=([_append("tnt_z", 1 + round_ * 8 + i)],))
                       for i in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        committer.stop()
    assert committer.requests == 25 and committer.batches < 25
    records = list(store.iter_entries(db, "tnt_z", from_sequence=1, limit=100))
    assert [r.subject_id for r in records][:1] == ["s0"] and len(records) == 25
    assert verify(records, SEALER, None).chain_ok


def test_the_linger_ends_once_the_recent_batch_size_has_queued(two_processes) -> None:  # type: ignore[no-untyped-def]
    _, _, db = two_processes
    committer = GroupCommitter(db, linger_s=30.0)
    committer._sizes, committer._window_ends = [4, 4], float("inf")  # recent batches of 4

    def enqueue_three() -> None:
        time.sleep(0.05)
        for n in range(3):
            committer._queue.put(_Pending([_append("tnt_w", n)]))
            committer._queued()

    batch = [_Pending([_append("tnt_w", 9)])]
    threading.Thread(target=enqueue_three).start()
    started = time.perf_counter()
    assert committer._gather(batch) is False
    assert len(batch) == 4 and time.perf_counter() - started < 10


class _Gate:
    """A conditional op that holds when ``ok``."""

    apply_order: ClassVar[int] = 1
    may_withdraw: ClassVar[bool] = True
    guard = "gate"

    def __init__(self, ok: bool) -> None:
        self.ok, self.withdrawn = ok, False

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["_Gate"]) -> None:
        for op in ops:
            op.withdrawn = not op.ok


def test_a_withdrawn_request_writes_nothing_and_its_batch_commits(two_processes) -> None:  # type: ignore[no-untyped-def]
    from bastion.storage import Withdrawn

    one, _, db = two_processes
    held_append, failed_append = _append("tnt_g", 1), _append("tnt_g", 2)
    held = _Pending([_Gate(True), held_append])
    failed = _Pending([_Gate(False), failed_append])
    plain = _Pending([_append("tnt_g", 3)])
    one.apply_batch([held, failed, plain])
    assert held.error is None and plain.error is None
    assert isinstance(failed.error, Withdrawn) and failed.error.guard == "gate"
    # The withdrawn request's ledger append was never applied: the chain has no gap, and
    # it was told nothing was appended.
    records = list(store.iter_entries(db, "tnt_g", from_sequence=1, limit=10))
    assert [(r.sequence, r.subject_id) for r in records] == [(1, "s1"), (2, "s3")]
    assert verify(records, SEALER, None).overall_ok
    assert held_append.record is not None and failed_append.record is None


def test_batches_that_are_one_statement_per_class_run_as_one(two_processes,
                                                            monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL a batch whose classes each write with one statement (one tenant's
    appends from a known head, deliberation scores) runs as a single statement without
    BEGIN and COMMIT; anything else, and every batch on SQLite, runs in a transaction. A
    stale head found that way is retried in a transaction, reading it under the lock."""
    one, other, db = two_processes
    upgrade(db, [DELIBERATION_VERSIONS])
    paths: list[str] = []
    real_statement = store.LedgerAppend.statement.__func__  # type: ignore[attr-defined]
    real_apply = store.LedgerAppend.apply_all.__func__  # type: ignore[attr-defined]

    def statement(cls, engine, ops):  # type: ignore[no-untyped-def]
        made = real_statement(cls, engine, ops)
        if made is not None:
            paths.append("one statement")
        return made

    def apply_all(cls, conn, ops):  # type: ignore[no-untyped-def]
        paths.append("transaction" if conn.in_transaction() else "no transaction?")
        real_apply(cls, conn, ops)
    monkeypatch.setattr(store.LedgerAppend, "statement", classmethod(statement))
    monkeypatch.setattr(store.LedgerAppend, "apply_all", classmethod(apply_all))

    one.commit([_append("tnt_one", 1)])              # head unknown: read under the lock
    one.commit([_append("tnt_one", 2), _append("tnt_one", 3)])  # head known
    one.commit([_append("tnt_one", 4), _append("tnt_two", 1)])  # two tenants
    one.commit([_append("tnt_one", 5), _Noted()])   # a class without a statement
    one.commit([_append("tnt_one", 6), _score("tnt_one", 6)])   # scores: a statement too
    other.commit([_append("tnt_one", 7)])            # the other process: head unknown
    one.commit([_append("tnt_one", 8), _score("tnt_one", 8)])   # stale head: retried
    expected = (["transaction", "one statement", "transaction", "transaction",
                 "one statement", "transaction", "one statement", "transaction"]
                if db.dialect == "postgresql" else ["transaction"] * 8)
    assert paths == expected
    records = list(store.iter_entries(db, "tnt_one", from_sequence=1, limit=100))
    assert [r.subject_id for r in records] == [f"s{n}" for n in range(1, 9)]
    assert verify(records, SEALER, None).chain_ok
    # The scores of the retried batch were written once, with its ledger entry.
    written = scores.list_scores(db, "tnt_one", run_id="run-1", below=None, after_id=0,
                                 limit=10)
    assert [row["decision_id"] for row in written] == ["dec-6", "dec-8"]


def test_a_caller_after_a_quiet_spell_does_not_wait_for_the_last_burst(two_processes) -> None:  # type: ignore[no-untyped-def]
    """Recent batch sizes predict who else is coming only while they are recent: the
    first request after a pause longer than the size window is committed at once."""
    from bastion.storage.group_commit import _SIZE_WINDOW_S

    _, _, db = two_processes
    committer = GroupCommitter(db, linger_s=30.0)
    # A burst of 8 whose window ended more than a window ago.
    committer._sizes = [8, 8]
    committer._window_ends = time.perf_counter() - 2 * _SIZE_WINDOW_S
    batch = [_Pending([_append("tnt_q", 0)])]
    started = time.perf_counter()
    assert committer._gather(batch) is False
    assert len(batch) == 1 and time.perf_counter() - started < 10  # not the 30 s linger


def test_the_linger_is_configurable_and_bounded(database_url) -> None:  # type: ignore[no-untyped-def]
    from bastion.runtime.app import build_runtime
    from bastion.runtime.config import load_settings

    assert load_settings(env={}).group_commit_linger_ms == 10.0
    for refused in ("-1", "1001", "nan"):
        with pytest.raises(ValueError, match="group_commit_linger_ms"):
            load_settings(env={"BASTION_GROUP_COMMIT_LINGER_MS": refused})
    settings = load_settings(env={"BASTION_GROUP_COMMIT_LINGER_MS": "1000",
                                  "BASTION_DATABASE_URL": database_url})
    runtime = build_runtime(settings)
    committer = runtime.committer
    committer._sizes, committer._window_ends = [4, 4], float("inf")  # recent batches of 4

    def enqueue_three() -> None:
        time.sleep(0.05)  # past the default linger: only the configured one waits for them
        for n in range(3):
            committer._queue.put(_Pending([_append("tnt_l", n)]))
            committer._queued()

    try:
        batch = [_Pending([_append("tnt_l", 9)])]
        threading.Thread(target=enqueue_three).start()
        assert committer._gather(batch) is False and len(batch) == 4
    finally:
        runtime.close()
