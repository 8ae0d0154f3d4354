"""The telemetry buffer (SPEC W3): non-blocking record with honest drops, batched flushes,
nothing lost on a clean shutdown under load, and ListTelemetry per tenant, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import threading

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf import timestamp_pb2

from bastion.runtime.metrics import TELEMETRY_DROPPED
from bastion.runtime.telemetry import EntryType, TelemetryBuffer, TelemetryFlusher
from bastion.storage import Database
from bastion.storage import telemetry as telemetry_store
from bastion.v1 import admin_service_pb2 as apb
from bastion.v1 import guard_service_pb2 as gpb
from bastion.v1 import guard_service_pb2_grpc
from tests.guards import Raises
from tests.helpers_process import serving, set_up_tenant

GUARDIAN, ERROR = apb.TELEMETRY_TYPE_GUARDIAN_DECISION, apb.TELEMETRY_TYPE_ERROR


def test_record_refuses_when_full_and_counts_the_drops() -> None:
    buffer = TelemetryBuffer(capacity=5, batch_size=100)
    before = TELEMETRY_DROPPED._value.get()
    accepted = [buffer.record("t", EntryType.TELEMETRY, "test", {"n": n}) for n in range(8)]
    assert accepted == [True] * 5 + [False] * 3
    assert buffer.dropped == 3 and len(buffer) == 5
    assert TELEMETRY_DROPPED._value.get() - before == 3
    assert [e.details["n"] for e in buffer.take(10)] == [0, 1, 2, 3, 4]   # oldest kept


def test_the_flusher_writes_batches_and_keeps_a_batch_it_could_not_write() -> None:
    buffer = TelemetryBuffer(capacity=100, batch_size=4)
    written: list[list[tuple]] = []
    failing = [True]

    def write(rows):  # type: ignore[no-untyped-def]
        if failing[0]:
            raise OSError("database down")
        written.append(list(rows))

    flusher = TelemetryFlusher(buffer, write, interval_s=3600, rows_per_write=4)
    for n in range(10):
        buffer.record("t", EntryType.ERROR, "test", {"n": n}, error={"type": "X"})
    assert flusher.flush() == 0 and len(buffer) == 10          # put back, in order
    failing[0] = False
    assert flusher.flush_all() == 10
    assert [len(batch) for batch in written] == [4, 4, 2]
    rows = [row for batch in written for row in batch]
    assert [json.loads(r[3])["n"] for r in rows] == list(range(10))
    assert json.loads(rows[0][4]) == {"type": "X"} and rows[0][1] == "ERROR"


def test_a_flusher_that_is_behind_writes_several_batches_per_transaction() -> None:
    buffer = TelemetryBuffer(capacity=100, batch_size=4)
    written: list[list[tuple]] = []
    flusher = TelemetryFlusher(buffer, lambda rows: written.append(list(rows)), 3600)
    assert flusher.rows_per_write == 40                     # ten batches by default
    for n in range(50):
        buffer.record("t", EntryType.TELEMETRY, "test", {"n": n, "at": 1.5})
    assert flusher.flush_all() == 50
    assert [len(rows) for rows in written] == [40, 10]
    assert [json.loads(r[3]) for r in written[1]][0] == {"at": 1.5, "n": 40}


def _list(admin, **fields) -> apb.ListTelemetryResponse:  # type: ignore[no-untyped-def]
    return admin.admin.ListTelemetry(apb.ListTelemetryRequest(**fields),
                                     metadata=admin.metadata)


def test_decisions_and_guard_errors_are_listed_per_tenant(server, connect, tenant) -> None:  # type: ignore[no-untyped-def]
    agent, operator = connect(tenant.agent_token), connect(tenant.operator_token)
    decisions = [agent.guard.Check(gpb.CheckRequest(action="tool.exec", run_id="r-7"),
                                   metadata=agent.metadata).decision for _ in range(3)]
    server.server.runtime.telemetry_flusher.flush()
    listed = _list(operator, types=[GUARDIAN]).entries
    assert [e.decision_id for e in listed] == [d.decision_id for d in decisions]
    entry = listed[0]
    assert (entry.source, entry.run_id, entry.type) == ("runtime", "r-7", GUARDIAN)
    assert json.loads(entry.details_json)["verdict"] == "ALLOW"
    assert entry.recorded_at.seconds > 0 and entry.error_json == ""
    assert not _list(operator, types=[ERROR]).entries
    # Paging, and time filters.
    first = _list(operator, types=[GUARDIAN], page_size=2)
    second = _list(operator, types=[GUARDIAN], page_size=2, page_token=first.next_page_token)
    assert [e.id for e in [*first.entries, *second.entries]] == [e.id for e in listed]
    assert second.next_page_token == ""
    after = timestamp_pb2.Timestamp(seconds=listed[-1].recorded_at.seconds + 3600)
    assert not _list(operator, since=after).entries
    assert len(_list(operator, types=[GUARDIAN], until=after).entries) == 3
    # Another tenant sees none of them.
    other = connect(server.create_tenant().operator_token)
    assert not _list(other).entries
    # Agents may not read telemetry.
    with pytest.raises(grpc.RpcError) as caught:
        _list(agent)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


def _stored(tenant_id: str, at: float, n: int, kind: str = "TELEMETRY") -> tuple:
    return (tenant_id, kind, "test", json.dumps({"n": n}), None, "", "", at)


def test_entries_come_in_recorded_order_and_pages_cover_equal_times(server, connect, tenant) -> None:  # type: ignore[no-untyped-def]
    # Written out of time order (as two replicas' flushes interleave), two entries sharing
    # a timestamp: the listing is by recorded_at, then id, and keyset pages of one miss
    # nothing and repeat nothing.
    t0 = 1_800_000_000.25
    telemetry_store.insert_rows(server.server.database, [
        _stored(tenant.tenant_id, t0 + 2, 3), _stored(tenant.tenant_id, t0, 0),
        _stored(tenant.tenant_id, t0 + 1, 1), _stored(tenant.tenant_id, t0 + 1, 2)])
    operator = connect(tenant.operator_token)
    since = timestamp_pb2.Timestamp(seconds=int(t0) - 1)
    listed = _list(operator, since=since).entries
    assert [json.loads(e.details_json)["n"] for e in listed] == [0, 1, 2, 3]
    assert [(e.recorded_at.seconds, e.recorded_at.nanos) for e in listed][:2] == [
        (int(t0), 250_000_000), (int(t0) + 1, 250_000_000)]
    paged, token = [], ""
    while True:
        page = _list(operator, since=since, page_size=1, page_token=token)
        paged.extend(json.loads(e.details_json)["n"] for e in page.entries)
        if not (token := page.next_page_token):
            break
    assert paged == [0, 1, 2, 3]


def test_the_janitor_deletes_entries_past_retention_for_every_tenant(server) -> None:  # type: ignore[no-untyped-def]
    import dataclasses
    import datetime as dt
    import time

    from bastion.runtime.memory import run_janitor

    first, second = server.create_tenant(), server.create_tenant()
    old, fresh = time.time() - 10 * 86400, time.time() - 60
    telemetry_store.insert_rows(server.server.database, [
        _stored(first.tenant_id, old, 1), _stored(first.tenant_id, fresh, 2),
        _stored(second.tenant_id, old, 3), _stored(second.tenant_id, old + 1, 4),
        _stored(second.tenant_id, fresh, 5)])
    settings = dataclasses.replace(server.settings, telemetry_retention_days=7)
    assert run_janitor(server.server.database, settings)["telemetry"] >= 3
    for keys, kept in ((first, [2]), (second, [5])):
        rows = telemetry_store.list_entries(
            server.server.database, keys.tenant_id, entry_types=[], after=None,
            since=dt.datetime.fromtimestamp(old - 1, dt.timezone.utc), until=None, limit=10)
        assert [json.loads(r["details_json"])["n"] for r in rows] == kept


def test_the_migration_builds_the_telemetry_table_of_the_model(server) -> None:  # type: ignore[no-untyped-def]
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    metadata = sa.MetaData()
    telemetry_store.TELEMETRY.to_metadata(metadata)
    with server.server.database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = [d for d in compare_metadata(context, metadata) if "telemetry" in repr(d)]
    assert differences == []


@pytest.mark.parametrize("fields, field", [
    ({"types": [99]}, "types[0]"),
    ({"page_size": 5000}, "page_size"),
    ({"page_token": "abc"}, "page_token"),
    ({"page_token": "12"}, "page_token"),
    ({"page_token": "999999999999999999.1"}, "page_token"),
    ({"since": timestamp_pb2.Timestamp(seconds=200),
      "until": timestamp_pb2.Timestamp(seconds=100)}, "until"),
])
def test_bad_telemetry_filters_name_the_field(connect, tenant, fields, field) -> None:  # type: ignore[no-untyped-def]
    operator = connect(tenant.operator_token)
    with pytest.raises(grpc.RpcError) as caught:
        _list(operator, **fields)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith(f"{field}:")


def test_a_failing_guard_is_error_telemetry(database_url) -> None:  # type: ignore[no-untyped-def]
    from bastion.testing.harness import make_test_settings, running_server
    from tests.conftest import Stubs

    with running_server(make_test_settings(database_url), [Raises()]) as handle:
        keys = handle.create_tenant()
        with grpc.insecure_channel(handle.target) as channel:
            agent, operator = Stubs(channel, keys.agent_token), Stubs(channel,
                                                                      keys.operator_token)
            decision = agent.guard.Check(gpb.CheckRequest(action="x.y"),
                                         metadata=agent.metadata).decision
            handle.server.runtime.telemetry_flusher.flush()
            [error] = _list(operator, types=[ERROR]).entries
    assert error.decision_id == decision.decision_id
    assert json.loads(error.details_json)["code"] == "guard_error"
    assert json.loads(error.error_json)["type"] == "RuntimeError"


def test_a_clean_shutdown_under_load_loses_no_telemetry(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Nothing flushes on its own (an hour's interval, batches larger than the run): every
    entry reaches the database through the shutdown's flush_all."""
    setup = set_up_tenant(database_url)
    acknowledged: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()
    with serving(database_url, tmp_path, 1, BASTION_TELEMETRY_FLUSH_INTERVAL_S="3600",
                 BASTION_CONFIG=str(_config(tmp_path))) as (server,):
        def hammer() -> None:
            with grpc.insecure_channel(server.target) as channel:
                stub = guard_service_pb2_grpc.GuardServiceStub(channel)
                while True:
                    try:
                        reply = stub.Check(gpb.CheckRequest(action="tool.exec"), timeout=30,
                                           metadata=[("authorization",
                                                      f"Bearer {setup.agent_token}")])
                    except grpc.RpcError:
                        return
                    with lock:
                        acknowledged.append(reply.decision.decision_id)
                        if len(acknowledged) >= 300:
                            enough.set()

        threads = [threading.Thread(target=hammer) for _ in range(8)]
        for thread in threads:
            thread.start()
        assert enough.wait(60)
        server.sigterm()
        assert server.wait_exit(timeout=60) == 0
        for thread in threads:
            thread.join(30)
    db = Database(database_url)
    try:
        with db.engine.connect() as conn:
            recorded = set(conn.execute(sa.text(
                "SELECT decision_id FROM telemetry WHERE entry_type = 'GUARDIAN_DECISION' "
                "AND tenant_id = :t"), {"t": setup.tenant_id}).scalars())
    finally:
        db.dispose()
    assert len(acknowledged) >= 300
    missing = set(acknowledged) - recorded
    assert not missing, f"{len(missing)} acknowledged decisions have no telemetry"


def _config(tmp_path) -> object:  # type: ignore[no-untyped-def]
    path = tmp_path / "telemetry.toml"
    path.write_text("telemetry_batch_size = 100000\ntelemetry_capacity = 100000\n")
    return path
