"""Graceful shutdown and storage outages.

- SIGTERM to a real `bastion serve` under load: it exits 0 within the grace period, every
  Check it acknowledged is in the ledger after a restart (and the chain verifies), health
  watchers see NOT_SERVING while it drains, and later calls fail with UNAVAILABLE rather
  than being lost silently.
- grpc.health.v1 follows storage: NOT_SERVING while PostgreSQL refuses connections, SERVING
  again once it is back; calls meanwhile answer UNAVAILABLE (retryable), never
  UNKNOWN/INTERNAL.
"""

from __future__ import annotations

import collections
import json
import queue
import threading
import time

import grpc
import pytest
import sqlalchemy as sa
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bastion.runtime.auth import create_api_key
from bastion.runtime.principal import Role
from bastion.storage import Database
from bastion.storage import ledger as ledger_store
from bastion.testing.harness import (
    make_test_settings,
    postgres_admin_url,
    running_server,
    temporary_database,
)
from bastion.v1 import decision_pb2
from bastion.v1 import guard_service_pb2 as gpb
from bastion.v1 import guard_service_pb2_grpc
from bastion.v1 import ledger_service_pb2 as lpb
from bastion.v1 import ledger_service_pb2_grpc
from bastion.v1 import metabolism_service_pb2 as mpb
from bastion.v1 import metabolism_service_pb2_grpc
from tests.helpers_process import assert_clean_exit, serving, set_up_tenant

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
GRACE_S = 3.0
HAMMERS = 6
BEFORE_SIGTERM = 150  # acknowledged Checks before the signal
CHECK_METHOD = "/bastion.v1.GuardService/Check"


def _bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def _code(call) -> grpc.StatusCode:  # type: ignore[no-untyped-def]
    try:
        call()
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


class HealthWatch:
    """A grpc.health.v1 Watch stream read on a thread: every status it reports, in order."""

    def __init__(self, channel: grpc.Channel) -> None:
        self.statuses: queue.Queue[int] = queue.Queue()
        self.seen: list[int] = []
        self.ended = threading.Event()
        self._call = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest())
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for reply in self._call:
                self.statuses.put(reply.status)
        except grpc.RpcError:
            pass
        finally:
            self.ended.set()

    def wait_for(self, wanted: int, timeout: float = 30.0) -> None:
        """Blocks until the stream reports ``wanted`` (it reports every change)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"health never reported {wanted}; saw {self.seen}")
            try:
                status = self.statuses.get(timeout=remaining)
            except queue.Empty:
                continue
            self.seen.append(status)
            if status == wanted:
                return

    def drain(self, timeout: float) -> list[int]:
        """Every status until the stream ends."""
        self.ended.wait(timeout)
        while True:
            try:
                self.seen.append(self.statuses.get_nowait())
            except queue.Empty:
                return self.seen

    def cancel(self) -> None:
        self._call.cancel()
        self._thread.join(10)


@pytest.mark.multiprocess
def test_sigterm_under_load_loses_no_acknowledged_decision(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    setup = set_up_tenant(database_url)
    acknowledged: list[str] = []
    failures: list[grpc.StatusCode] = []
    lock = threading.Lock()
    enough = threading.Event()
    channels: list[grpc.Channel] = []

    # Access log at info: one JSON line per call with its final status (see below).
    with serving(database_url, tmp_path, 1, BASTION_GRACE_PERIOD_S=str(GRACE_S),
                 BASTION_LOG_LEVEL="info") as (server,):
        def hammer() -> None:
            channel = grpc.insecure_channel(server.target)
            with lock:
                channels.append(channel)
            stub = guard_service_pb2_grpc.GuardServiceStub(channel)
            while True:
                try:
                    reply = stub.Check(gpb.CheckRequest(action="tool.exec"), timeout=30,
                                       metadata=_bearer(setup.agent_token))
                except grpc.RpcError as error:
                    with lock:
                        failures.append(error.code())
                    return
                with lock:
                    acknowledged.append(reply.decision.decision_id)
                    if len(acknowledged) >= BEFORE_SIGTERM:
                        enough.set()

        health_channel = grpc.insecure_channel(server.target)
        watch = HealthWatch(health_channel)
        watch.wait_for(SERVING)
        threads = [threading.Thread(target=hammer) for _ in range(HAMMERS)]
        for thread in threads:
            thread.start()
        assert enough.wait(60), f"the server answered only {len(acknowledged)} checks"
        server.sigterm()  # while every hammer has a call in flight or about to be
        # Exit within the grace period (plus start-up of the interpreter's teardown): the
        # open health Watch is itself an in-flight call that only the grace period ends.
        exit_code = server.wait_exit(timeout=GRACE_S + 15)
        for thread in threads:
            thread.join(30)
        assert not any(t.is_alive() for t in threads), "a client hung after the server exited"
        statuses = watch.drain(10)
        health_channel.close()

        # Calls after shutdown fail visibly, on a new connection and on an old one.
        with grpc.insecure_channel(server.target) as fresh:
            after = [_code(lambda: guard_service_pb2_grpc.GuardServiceStub(fresh).Check(
                gpb.CheckRequest(action="tool.exec"), timeout=10,
                metadata=_bearer(setup.agent_token)))]
        after += [_code(lambda c=c: guard_service_pb2_grpc.GuardServiceStub(c).Check(
            gpb.CheckRequest(action="tool.exec"), timeout=10,
            metadata=_bearer(setup.agent_token))) for c in channels]
        for channel in channels:
            channel.close()

    assert exit_code == 0
    assert_clean_exit(server)
    assert NOT_SERVING in statuses, f"health watchers never saw the drain: {statuses}"
    assert set(after) == {grpc.StatusCode.UNAVAILABLE}, after
    # Each hammer stopped at its first failure, and that failure was a status a client can
    # see and retry, never a false success: UNAVAILABLE (connection refused or stream
    # refused by the draining server) or CANCELLED (accepted by grpc-core but never
    # started before the server stopped).
    assert len(failures) == HAMMERS
    assert set(failures) <= {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED}, failures

    # Nothing acknowledged is lost: straight from the database...
    db = Database(database_url)
    try:
        entries = list(ledger_store.iter_entries(db, setup.tenant_id, from_sequence=1,
                                                 limit=1_000_000))
    finally:
        db.dispose()
    recorded = {e.subject_id for e in entries if e.action_type == "decision"
                and json.loads(e.payload_json)["request"]["action"] == "tool.exec"}
    missing = set(acknowledged) - recorded
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged decisions lost"
    assert [e.sequence for e in entries] == list(range(1, len(entries) + 1))
    # In-flight calls were let finish: every Check the server started ended OK (none was
    # cut off by the shutdown), and each of them, acknowledged or not, is in the ledger.
    started = [line["status"] for line in server.json_logs()
               if line.get("event") == "rpc" and line.get("method") == CHECK_METHOD]
    assert started and set(started) == {"OK"}, collections.Counter(started)
    assert len(started) == len(recorded) >= len(acknowledged)

    # ...and through a restarted server: the chain verifies and continues.
    with serving(database_url, tmp_path, 1) as (restarted,):
        with grpc.insecure_channel(restarted.target) as channel:
            report = ledger_service_pb2_grpc.LedgerServiceStub(channel).Verify(
                lpb.LedgerServiceVerifyRequest(limit=100_000),
                metadata=_bearer(setup.admin_token), timeout=60)
            reply = guard_service_pb2_grpc.GuardServiceStub(channel).Check(
                gpb.CheckRequest(action="tool.exec"), timeout=30,
                metadata=_bearer(setup.agent_token))
    assert_clean_exit(restarted)
    assert report.HasField("overall_ok") and report.overall_ok and report.chain_ok
    assert report.count == len(entries)
    assert reply.decision.ledger_entry.sequence == len(entries) + 1


def test_health_follows_storage_and_calls_answer_unavailable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL only: the engine that can be made unreachable under a live server."""
    admin_engine = sa.create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")

    def set_reachable(name: str, allowed: bool) -> None:
        with admin_engine.connect() as conn:
            conn.exec_driver_sql(
                f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"true" if allowed else "false"}')
            if not allowed:
                conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE datname = %s", (name,))

    try:
        with temporary_database("postgresql", tmp_path) as url:
            name = sa.make_url(url).database
            assert name
            settings = make_test_settings(url)
            with running_server(settings) as handle:
                keys = handle.create_tenant()
                # A key never used before the outage: its authentication must reach storage.
                _, cold_token = create_api_key(handle.database, settings, keys.tenant_id,
                                               Role.AGENT)
                with grpc.insecure_channel(handle.target) as channel:
                    guard = guard_service_pb2_grpc.GuardServiceStub(channel)
                    ledger = ledger_service_pb2_grpc.LedgerServiceStub(channel)
                    metabolism = metabolism_service_pb2_grpc.MetabolismServiceStub(channel)
                    health = health_pb2_grpc.HealthStub(channel)
                    watch = HealthWatch(channel)
                    try:
                        watch.wait_for(SERVING)
                        check = gpb.CheckRequest(action="tool.exec")
                        first = guard.Check(check, metadata=_bearer(keys.agent_token),
                                            timeout=10)
                        assert first.decision.verdict == decision_pb2.VERDICT_ALLOW

                        set_reachable(name, False)
                        try:
                            watch.wait_for(NOT_SERVING)
                            assert health.Check(health_pb2.HealthCheckRequest(),
                                                timeout=5).status == NOT_SERVING
                            down: dict[str, grpc.StatusCode] = {}
                            details: list[str] = []

                            def attempt(label: str, call) -> None:  # type: ignore[no-untyped-def]
                                try:
                                    call()
                                    down[label] = grpc.StatusCode.OK
                                except grpc.RpcError as error:
                                    down[label] = error.code()
                                    details.append(error.details() or "")

                            attempt("check (key cached)", lambda: guard.Check(
                                check, metadata=_bearer(keys.agent_token), timeout=10))
                            attempt("check (key not cached)", lambda: guard.Check(
                                check, metadata=_bearer(cold_token), timeout=10))
                            attempt("metabolism", lambda: metabolism.ComputeSnapshot(
                                mpb.ComputeSnapshotRequest(inputs=mpb.MetabolismInputs(
                                    health_score=50, operations_score=50, customer_score=50)),
                                metadata=_bearer(keys.agent_token), timeout=10))
                            attempt("ledger list", lambda: ledger.List(
                                lpb.LedgerServiceListRequest(),
                                metadata=_bearer(keys.agent_token), timeout=10))
                            assert set(down.values()) == {grpc.StatusCode.UNAVAILABLE}, down
                            # The message says what to do and leaks no connection details.
                            assert not any(name in d or "postgres" in d for d in details), details
                        finally:
                            set_reachable(name, True)
                        watch.wait_for(SERVING)

                        # Back to normal at once: a call right after SERVING succeeds (no
                        # stale pooled connection answers for the outage), and the refused
                        # calls took no place in the chain.
                        again = guard.Check(check, metadata=_bearer(cold_token), timeout=10)
                        assert again.decision.verdict == decision_pb2.VERDICT_ALLOW
                        assert (again.decision.ledger_entry.sequence
                                == first.decision.ledger_entry.sequence + 1)
                        report = ledger.Verify(lpb.LedgerServiceVerifyRequest(),
                                               metadata=_bearer(keys.admin_token), timeout=30)
                        assert report.chain_ok and report.overall_ok
                        assert report.count == again.decision.ledger_entry.sequence
                    finally:
                        watch.cancel()
    finally:
        admin_engine.dispose()
