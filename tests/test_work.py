"""Units of work (SPEC W1, W2, G4) through a real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.plugins.ledger.canonical import canonical_json
from bastion.runtime.work import content_hash
from bastion.storage import ledger as ledger_store
from bastion.storage import work as work_store
from bastion.testing.harness import make_test_settings, running_server
from bastion.v1 import admin_service_pb2 as apb
from bastion.v1 import decision_pb2
from bastion.v1 import guard_service_pb2 as gpb
from bastion.v1 import ledger_service_pb2 as lpb
from bastion.v1 import work_service_pb2 as wpb
from tests.conftest import Stubs

OTHER_LEASE = "lease_" + "0" * 32
P0, P1, P2, P3 = (decision_pb2.PRIORITY_P0, decision_pb2.PRIORITY_P1, decision_pb2.PRIORITY_P2,
                  decision_pb2.PRIORITY_P3)
S = wpb.UnitStatus


@pytest.fixture
def dial_tenant():  # type: ignore[no-untyped-def]
    """``dial_tenant(handle)`` → (agent, admin, keys) of a new tenant on that server."""
    channels: list[grpc.Channel] = []

    def _dial(handle):  # type: ignore[no-untyped-def]
        keys = handle.create_tenant()
        channels.append(grpc.insecure_channel(handle.target))
        return Stubs(channels[-1], keys.agent_token), Stubs(channels[-1], keys.admin_token), keys

    yield _dial
    for channel in channels:
        channel.close()


def submit(stubs: Stubs, **fields) -> wpb.Unit:  # type: ignore[no-untyped-def]
    return stubs.work.Submit(wpb.SubmitRequest(**fields), metadata=stubs.metadata).unit


def lease(stubs: Stubs, **fields) -> wpb.LeaseResponse:  # type: ignore[no-untyped-def]
    return stubs.work.Lease(wpb.LeaseRequest(**fields), metadata=stubs.metadata)


def call(stubs: Stubs, method: str, request):  # type: ignore[no-untyped-def]
    return getattr(stubs.work, method)(request, metadata=stubs.metadata)


def refused(stubs: Stubs, method: str, request) -> grpc.RpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as raised:
        call(stubs, method, request)
    return raised.value


def history(stubs: Stubs, unit_id: str) -> list[tuple[int, int, str]]:
    entries = call(stubs, "GetHistory", wpb.GetHistoryRequest(unit_id=unit_id)).entries
    return [(e.prev_status, e.new_status, e.reason) for e in entries]


def test_submit_hashes_the_canonical_attributes(agent) -> None:  # type: ignore[no-untyped-def]
    attributes = {"b": [1, 2.5, "é"], "a": {"z": None, "y": True}}
    unit = submit(agent, run_id="r1", attributes_json=json.dumps(attributes))
    expected = hashlib.sha256(canonical_json(attributes).encode()).hexdigest()
    assert unit.content_hash == expected == content_hash(attributes)
    assert (unit.status, unit.priority, unit.run_id) == (S.UNIT_STATUS_PENDING, P2, "r1")
    assert call(agent, "Verify", wpb.VerifyRequest(unit_id=unit.unit_id)).ok


def test_idempotent_submit_returns_the_first_unit(agent) -> None:  # type: ignore[no-untyped-def]
    first = agent.work.Submit(wpb.SubmitRequest(idempotency_key="job-7"), metadata=agent.metadata)
    again = agent.work.Submit(wpb.SubmitRequest(idempotency_key="job-7", run_id="other"),
                              metadata=agent.metadata)
    assert first.created and not again.created
    assert again.unit.unit_id == first.unit.unit_id and again.unit.run_id == ""


def test_lease_takes_the_highest_class_then_the_oldest(agent) -> None:  # type: ignore[no-untyped-def]
    ids = {}
    for name, priority in [("p3", P3), ("p2a", P2), ("p0", P0), ("p2b", P2), ("p1", P1)]:
        ids[submit(agent, priority=priority).unit_id] = name
    order = []
    while (leased := lease(agent, worker_id="w1")).HasField("unit"):
        assert leased.unit.status == S.UNIT_STATUS_ACTIVE and leased.unit.lease_holder == "w1"
        order.append(ids[leased.unit.unit_id])
    assert order == ["p0", "p1", "p2a", "p2b", "p3"]
    assert lease(agent) == wpb.LeaseResponse()            # nothing pending: empty, not an error


def test_lease_can_be_limited_to_a_run(agent) -> None:  # type: ignore[no-untyped-def]
    submit(agent, run_id="a", priority=P0)
    wanted = submit(agent, run_id="b", priority=P3)
    assert lease(agent, run_id="b").unit.unit_id == wanted.unit_id


def test_the_lease_holder_heartbeats_checkpoints_and_completes(agent) -> None:  # type: ignore[no-untyped-def]
    unit = submit(agent, attributes_json='{"task": "index"}')
    held = lease(agent, worker_id="w1")
    beat = call(agent, "Heartbeat", wpb.HeartbeatRequest(unit_id=unit.unit_id,
                                                          lease_id=held.lease_id, progress=0.4))
    assert beat.lease_expires_at.ToDatetime() >= held.unit.lease_expires_at.ToDatetime()
    call(agent, "Checkpoint", wpb.CheckpointRequest(unit_id=unit.unit_id, lease_id=held.lease_id,
                                                    checkpoint_json='{"page": 3}'))
    wrong = refused(agent, "Heartbeat", wpb.HeartbeatRequest(unit_id=unit.unit_id,
                                                             lease_id=OTHER_LEASE))
    assert wrong.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "not held" in wrong.details()
    done = call(agent, "Complete", wpb.CompleteRequest(unit_id=unit.unit_id,
                                                       lease_id=held.lease_id))
    assert done.unit.status == S.UNIT_STATUS_COMPLETED and not done.replayed
    assert done.unit.checkpoint_json == '{"page": 3}'
    assert done.unit.progress == 1 and done.unit.lease_holder == ""
    assert history(agent, unit.unit_id) == [
        (S.UNIT_STATUS_UNSPECIFIED, S.UNIT_STATUS_PENDING, "submitted"),
        (S.UNIT_STATUS_PENDING, S.UNIT_STATUS_ACTIVE, "leased"),
        (S.UNIT_STATUS_ACTIVE, S.UNIT_STATUS_COMPLETED, "completed")]


def test_completing_twice_is_a_no_op_for_the_same_lease_only(agent) -> None:  # type: ignore[no-untyped-def]
    unit = submit(agent)
    held = lease(agent)
    complete = wpb.CompleteRequest(unit_id=unit.unit_id, lease_id=held.lease_id)
    first = call(agent, "Complete", complete)
    again = call(agent, "Complete", complete)      # a retry (say, after a lost response)
    assert again.replayed and again.unit == first.unit
    other = refused(agent, "Complete", wpb.CompleteRequest(unit_id=unit.unit_id,
                                                           lease_id=OTHER_LEASE))
    assert other.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "COMPLETED" in other.details()
    failed = refused(agent, "Fail", wpb.FailRequest(unit_id=unit.unit_id,
                                                    lease_id=held.lease_id))
    assert failed.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "is COMPLETED; fail needs ACTIVE" in failed.details()
    beat = refused(agent, "Heartbeat", wpb.HeartbeatRequest(unit_id=unit.unit_id,
                                                            lease_id=held.lease_id))
    assert beat.code() == grpc.StatusCode.FAILED_PRECONDITION and "COMPLETED" in beat.details()
    # One status change, one history row: the replay wrote none.
    assert [r for _, _, r in history(agent, unit.unit_id)] == ["submitted", "leased",
                                                               "completed"]


def test_failing_twice_with_the_same_lease_is_a_no_op(agent) -> None:  # type: ignore[no-untyped-def]
    unit = submit(agent)
    held = lease(agent)
    request = wpb.FailRequest(unit_id=unit.unit_id, lease_id=held.lease_id, reason="oom")
    assert not call(agent, "Fail", request).replayed
    again = call(agent, "Fail", wpb.FailRequest(unit_id=unit.unit_id, lease_id=held.lease_id,
                                                reason="other"))
    assert again.replayed and again.unit.failure_reason == "oom"
    done = refused(agent, "Complete", wpb.CompleteRequest(unit_id=unit.unit_id,
                                                          lease_id=held.lease_id))
    assert done.code() == grpc.StatusCode.FAILED_PRECONDITION and "FAILED" in done.details()


def test_heartbeat_progress_is_optional_and_zero_is_a_value(agent) -> None:  # type: ignore[no-untyped-def]
    unit = submit(agent)
    held = lease(agent)
    beat = wpb.HeartbeatRequest(unit_id=unit.unit_id, lease_id=held.lease_id)
    call(agent, "Heartbeat", wpb.HeartbeatRequest(unit_id=unit.unit_id, lease_id=held.lease_id,
                                                  progress=0.5))
    call(agent, "Heartbeat", beat)                                      # keeps 0.5
    assert call(agent, "GetUnit", wpb.GetUnitRequest(unit_id=unit.unit_id)).unit.progress == 0.5
    call(agent, "Heartbeat", wpb.HeartbeatRequest(unit_id=unit.unit_id, lease_id=held.lease_id,
                                                  progress=0.0))
    assert call(agent, "GetUnit", wpb.GetUnitRequest(unit_id=unit.unit_id)).unit.progress == 0


def test_lease_deadline_is_the_ttl_capped_at_the_zombie_timeout(database_url, dial_tenant) -> None:  # type: ignore[no-untyped-def]
    with running_server(make_test_settings(database_url, lease_ttl_s=30.0,
                                           zombie_sweep_interval_s=0)) as handle:
        agent, _, _ = dial_tenant(handle)
        unit = submit(agent)
        held = lease(agent).unit
        assert held.leased_at == held.last_heartbeat_at
        ttl = held.lease_expires_at.ToDatetime() - held.last_heartbeat_at.ToDatetime()
        assert ttl.total_seconds() == 30
        stored = call(agent, "GetUnit", wpb.GetUnitRequest(unit_id=unit.unit_id)).unit
        assert stored.lease_expires_at == held.lease_expires_at
    with running_server(make_test_settings(database_url, lease_ttl_s=30.0, zombie_timeout_s=10.0,
                                           zombie_sweep_interval_s=0)) as handle:
        agent, _, _ = dial_tenant(handle)
        submit(agent)
        held = lease(agent).unit
        ttl = held.lease_expires_at.ToDatetime() - held.last_heartbeat_at.ToDatetime()
        assert ttl.total_seconds() == 10


def test_fail_records_the_reason(agent) -> None:  # type: ignore[no-untyped-def]
    unit = submit(agent)
    held = lease(agent)
    failed = call(agent, "Fail", wpb.FailRequest(unit_id=unit.unit_id, lease_id=held.lease_id,
                                                 reason="disk full")).unit
    assert (failed.status, failed.failure_reason) == (S.UNIT_STATUS_FAILED, "disk full")


def test_preempt_keeps_the_checkpoint_and_resume_requeues(agent) -> None:  # type: ignore[no-untyped-def]
    unit = submit(agent, priority=P3)
    held = lease(agent)
    preempted = call(agent, "Preempt", wpb.PreemptRequest(
        unit_id=unit.unit_id, reason="make room", checkpoint_json='{"step": 5}')).unit
    assert preempted.status == S.UNIT_STATUS_PREEMPTED and preempted.preemption_count == 1
    gone = refused(agent, "Heartbeat", wpb.HeartbeatRequest(unit_id=unit.unit_id,
                                                            lease_id=held.lease_id))
    assert gone.code() == grpc.StatusCode.FAILED_PRECONDITION and "PREEMPTED" in gone.details()
    call(agent, "Resume", wpb.ResumeRequest(unit_id=unit.unit_id))
    again = lease(agent)
    assert again.unit.unit_id == unit.unit_id and again.unit.checkpoint_json == '{"step": 5}'


def test_a_unit_preempted_more_than_three_times_fails(agent) -> None:  # type: ignore[no-untyped-def]
    unit = submit(agent, priority=P2)
    for n in range(1, 4):
        call(agent, "Preempt", wpb.PreemptRequest(unit_id=unit.unit_id))
        call(agent, "Resume", wpb.ResumeRequest(unit_id=unit.unit_id))
    last = call(agent, "Preempt", wpb.PreemptRequest(unit_id=unit.unit_id)).unit
    assert (last.status, last.failure_reason, last.preemption_count) == (
        S.UNIT_STATUS_FAILED, "max_preemptions", 4)
    assert history(agent, unit.unit_id)[-1][2] == "max_preemptions"


def test_p0_is_never_preempted(agent) -> None:  # type: ignore[no-untyped-def]
    unit = submit(agent, priority=P0)
    error = refused(agent, "Preempt", wpb.PreemptRequest(unit_id=unit.unit_id))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and "P0" in error.details()


def test_verify_detects_attributes_changed_behind_the_service(agent, server) -> None:  # type: ignore[no-untyped-def]
    unit = submit(agent, attributes_json='{"amount": 10}')
    with server.server.database.engine.begin() as conn:
        conn.execute(sa.text("UPDATE work_units SET attributes_json = :a WHERE id = :i"),
                     {"a": '{"amount": 1000}', "i": unit.unit_id})
    result = call(agent, "Verify", wpb.VerifyRequest(unit_id=unit.unit_id))
    assert not result.ok and result.stored_hash == unit.content_hash
    assert result.computed_hash == content_hash({"amount": 1000})


@pytest.mark.parametrize("statement", [
    "UPDATE work_unit_history SET reason = 'rewritten'", "DELETE FROM work_unit_history"])
def test_history_is_append_only(agent, server, statement) -> None:  # type: ignore[no-untyped-def]
    submit(agent)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with server.server.database.engine.begin() as conn:
            conn.execute(sa.text(statement))


def test_tenants_never_see_each_others_units(agent, server, connect) -> None:  # type: ignore[no-untyped-def]
    unit = submit(agent, priority=P0)
    other = connect(server.create_tenant().agent_token)
    assert lease(other) == wpb.LeaseResponse()
    for method, request in [("GetUnit", wpb.GetUnitRequest(unit_id=unit.unit_id)),
                            ("GetHistory", wpb.GetHistoryRequest(unit_id=unit.unit_id)),
                            ("Verify", wpb.VerifyRequest(unit_id=unit.unit_id)),
                            ("Preempt", wpb.PreemptRequest(unit_id=unit.unit_id)),
                            ("Resume", wpb.ResumeRequest(unit_id=unit.unit_id))]:
        assert refused(other, method, request).code() == grpc.StatusCode.NOT_FOUND, method
    held = lease(agent)
    stolen = refused(other, "Complete", wpb.CompleteRequest(unit_id=unit.unit_id,
                                                            lease_id=held.lease_id))
    assert stolen.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(("method", "request_", "field"), [
    ("Submit", wpb.SubmitRequest(priority=9), "priority"),
    ("Submit", wpb.SubmitRequest(attributes_json="[1]"), "attributes_json"),
    ("Submit", wpb.SubmitRequest(attributes_json='{"a": NaN}'), "attributes_json"),
    ("Submit", wpb.SubmitRequest(run_id="x" * 300), "run_id"),
    ("SubmitMany", wpb.SubmitManyRequest(), "units"),
    ("SubmitMany", wpb.SubmitManyRequest(units=[wpb.SubmitRequest(), wpb.SubmitRequest(
        priority=-1)]), "units[1].priority"),
    ("Submit", wpb.SubmitRequest(priority=5), "priority"),
    ("Submit", wpb.SubmitRequest(attributes_json="{"), "attributes_json"),
    ("Heartbeat", wpb.HeartbeatRequest(unit_id="unit_x"), "lease_id"),
    ("Heartbeat", wpb.HeartbeatRequest(unit_id="unit_x", lease_id="lease_x"), "lease_id"),
    ("Heartbeat", wpb.HeartbeatRequest(unit_id="unit_x", lease_id=OTHER_LEASE, progress=1.5),
     "progress"),
    ("Heartbeat", wpb.HeartbeatRequest(unit_id="unit_x", lease_id=OTHER_LEASE,
                                       progress=float("nan")), "progress"),
    ("Checkpoint", wpb.CheckpointRequest(unit_id="u", lease_id=OTHER_LEASE,
                                         checkpoint_json="{"), "checkpoint_json"),
    ("Complete", wpb.CompleteRequest(lease_id=OTHER_LEASE), "unit_id"),
    ("Complete", wpb.CompleteRequest(unit_id="u", lease_id="not a lease"), "lease_id"),
    ("Fail", wpb.FailRequest(unit_id="u", lease_id=OTHER_LEASE, reason="r" * 300), "reason"),
    ("Preempt", wpb.PreemptRequest(unit_id="u", checkpoint_json="[]"), "checkpoint_json"),
    ("Resume", wpb.ResumeRequest(), "unit_id"),
    ("ListUnits", wpb.ListUnitsRequest(page_size=1001), "page_size"),
    ("ListUnits", wpb.ListUnitsRequest(statuses=[42]), "statuses[0]"),
])
def test_bad_input_names_the_field(agent, method, request_, field) -> None:  # type: ignore[no-untyped-def]
    error = refused(agent, method, request_)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith(field), error.details()


def test_submit_many_is_one_all_or_nothing_batch(agent, tenant, server) -> None:  # type: ignore[no-untyped-def]
    requests = [wpb.SubmitRequest(run_id="bulk", attributes_json=json.dumps({"n": n}))
                for n in range(500)]
    reply = call(agent, "SubmitMany", wpb.SubmitManyRequest(units=requests))
    assert reply.created == 500 and len(set(reply.unit_ids)) == 500
    with pytest.raises(grpc.RpcError):
        call(agent, "SubmitMany", wpb.SubmitManyRequest(
            units=[*requests[:3], wpb.SubmitRequest(attributes_json="nope")]))
    assert work_store.count_by_status(server.server.database, tenant.tenant_id) == {
        "PENDING": 500}


def test_fresh_heartbeats_are_never_reclaimed(agent, admin) -> None:  # type: ignore[no-untyped-def]
    submit(agent)
    lease(agent)
    reply = admin.admin.RunZombieProtocol(apb.RunZombieProtocolRequest(),
                                          metadata=admin.metadata)
    assert reply.reclaimed == 0


def test_zombies_are_reclaimed_with_history_and_ledger_entry(database_url, dial_tenant) -> None:  # type: ignore[no-untyped-def]
    # Timeout 0: every ACTIVE unit's heartbeat is already too old.
    settings_ = make_test_settings(database_url, zombie_timeout_s=0.0, max_reclaims=1,
                                   zombie_sweep_interval_s=0)
    with running_server(settings_) as handle:
        agent, admin, tenant = dial_tenant(handle)
        first, second = submit(agent), submit(agent)
        lease(agent, worker_id="crashed")
        lease(agent, worker_id="crashed")
        reply = admin.admin.RunZombieProtocol(apb.RunZombieProtocolRequest(),
                                              metadata=admin.metadata)
        assert (reply.reclaimed, reply.requeued, reply.failed) == (2, 2, 0)
        unit = call(agent, "GetUnit", wpb.GetUnitRequest(unit_id=first.unit_id)).unit
        assert (unit.status, unit.reclaim_count, unit.lease_holder) == (
            S.UNIT_STATUS_PENDING, 1, "")
        assert history(agent, first.unit_id)[-1] == (
            S.UNIT_STATUS_ACTIVE, S.UNIT_STATUS_PENDING, "zombie_reclaimed")
        entries = ledger_store.list_entries(handle.server.database, tenant.tenant_id,
                                            after_sequence=0, limit=1000)
        reclaims = [e for e in entries if e.action_type == "work.zombie_reclaimed"]
        assert {e.subject_id for e in reclaims} == {first.unit_id, second.unit_id}
        # Reclaimed more than max_reclaims (1) times: FAILED with reason zombie.
        lease(agent)
        lease(agent)
        reply = admin.admin.RunZombieProtocol(apb.RunZombieProtocolRequest(),
                                              metadata=admin.metadata)
        assert (reply.reclaimed, reply.failed) == (2, 2)
        unit = call(agent, "GetUnit", wpb.GetUnitRequest(unit_id=second.unit_id)).unit
        assert (unit.status, unit.failure_reason) == (S.UNIT_STATUS_FAILED, "zombie")
        verified = admin.ledger.Verify(lpb.LedgerServiceVerifyRequest(),
                                       metadata=admin.metadata)
        assert verified.overall_ok


def test_priority_guard_preempts_lower_classes_under_pressure(agent, admin) -> None:  # type: ignore[no-untyped-def]
    admin.admin.SetQuota(apb.SetQuotaRequest(limits={"memory": 10}, throttle_threshold=1.0),
                         metadata=admin.metadata)
    background = submit(agent, priority=P3)
    critical = submit(agent, priority=P0)
    lease(agent)                                      # the P0 unit
    lease(agent)                                      # the P3 unit
    grant = agent.guard.Check(gpb.CheckRequest(action="train", priority=P3,
                                               resources={"memory": 8.6}),
                              metadata=agent.metadata).decision
    assert grant.verdict == decision_pb2.VERDICT_ALLOW   # 86% of memory: pressure (85%)
    decision = agent.guard.Check(gpb.CheckRequest(action="serve", priority=P1),
                                 metadata=agent.metadata).decision
    assert decision.verdict == decision_pb2.VERDICT_ALLOW
    reasons = [r for r in decision.reasons if r.guard == "priority"]
    assert [r.code for r in reasons] == ["preempted_lower_priority"]
    assert reasons[0].details["units_preempted"] == background.unit_id
    assert reasons[0].details["pressure_resource"] == "memory"
    assert call(agent, "GetUnit", wpb.GetUnitRequest(unit_id=background.unit_id)
                ).unit.status == S.UNIT_STATUS_PREEMPTED
    assert call(agent, "GetUnit", wpb.GetUnitRequest(unit_id=critical.unit_id)
                ).unit.status == S.UNIT_STATUS_ACTIVE
    entries = call(agent, "GetHistory", wpb.GetHistoryRequest(unit_id=background.unit_id)).entries
    assert json.loads(entries[-1].metadata_json) == {"resource": "memory", "threshold": 0.85}
    # Nothing lower left to preempt: the guard is not concerned.
    again = agent.guard.Check(gpb.CheckRequest(action="serve", priority=P1),
                              metadata=agent.metadata).decision
    assert not [r for r in again.reasons if r.guard == "priority"]


def test_budget_thresholds_preempt_and_pause_the_runs_units(agent, connect, tenant) -> None:  # type: ignore[no-untyped-def]
    operator = connect(tenant.operator_token)
    operator.admin.SetBudget(apb.SetBudgetRequest(run_id="run-b", total_usd=10),
                             metadata=operator.metadata)
    p3 = submit(agent, run_id="run-b", priority=P3)
    p2 = submit(agent, run_id="run-b", priority=P2)
    p1 = submit(agent, run_id="run-b", priority=P1)
    elsewhere = submit(agent, run_id="run-other", priority=P3)

    def spend(cost: float) -> None:
        decision = agent.guard.Check(gpb.CheckRequest(action="llm", run_id="run-b",
                                                      priority=P1),
                                     metadata=agent.metadata).decision
        agent.guard.Report(gpb.ReportRequest(decision_id=decision.decision_id, cost_usd=cost),
                           metadata=agent.metadata)

    def status(unit: wpb.Unit) -> int:
        return call(agent, "GetUnit", wpb.GetUnitRequest(unit_id=unit.unit_id)).unit.status

    spend(8.2)                                                          # 82%
    assert [status(u) for u in (p3, p2, p1, elsewhere)] == [
        S.UNIT_STATUS_PREEMPTED, S.UNIT_STATUS_PENDING, S.UNIT_STATUS_PENDING,
        S.UNIT_STATUS_PENDING]
    spend(1.0)                                                          # 92%
    assert status(p2) == S.UNIT_STATUS_PREEMPTED
    spend(0.5)                                                          # 97%
    assert status(p1) == S.UNIT_STATUS_PAUSED and status(elsewhere) == S.UNIT_STATUS_PENDING
    events = operator.admin.GetBudget(apb.GetBudgetRequest(run_id="run-b"),
                                      metadata=operator.metadata).budget.events
    assert [(e.action, list(e.units_affected)) for e in events] == [
        ("alert", []), ("preempt_p3", [p3.unit_id]), ("preempt_p2_p3", [p2.unit_id]),
        ("pause", [p1.unit_id])]


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(max_size=8), st.integers(-2**53 + 1, 2**53 - 1)
                       | st.text(max_size=8) | st.booleans() | st.none(), max_size=6))
def test_content_hash_ignores_key_order_and_spacing(attributes) -> None:  # type: ignore[no-untyped-def]
    reordered = dict(reversed(list(attributes.items())))
    assert content_hash(attributes) == content_hash(json.loads(json.dumps(reordered, indent=2)))


def test_a_run_out_of_budget_refuses_new_work_with_typed_details(agent, connect, tenant) -> None:  # type: ignore[no-untyped-def]
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    operator = connect(tenant.operator_token)
    operator.admin.SetBudget(apb.SetBudgetRequest(run_id="spent", total_usd=1),
                             metadata=operator.metadata)
    decision = agent.guard.Check(gpb.CheckRequest(action="llm", run_id="spent"),
                                 metadata=agent.metadata).decision
    agent.guard.Report(gpb.ReportRequest(decision_id=decision.decision_id, cost_usd=1),
                       metadata=agent.metadata)
    error = refused(agent, "Submit", wpb.SubmitRequest(run_id="spent"))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    details = {d.TypeName(): d for d in rpc_status.from_call(error).details}
    failure = error_details_pb2.QuotaFailure()
    details["google.rpc.QuotaFailure"].Unpack(failure)
    assert failure.violations[0].subject == "cost"
    refusal = decision_pb2.Decision()
    details["bastion.v1.Decision"].Unpack(refusal)
    assert [r.code for r in refusal.reasons] == ["budget_exhausted"]
    assert submit(agent, run_id="other-run").status == S.UNIT_STATUS_PENDING


# -- the guards' API: preempt_units, pause_units, PreemptUnits (storage, in one transaction) --

def _write(server):  # type: ignore[no-untyped-def]
    """A write transaction on the server's database, as the group committer opens one."""
    return server.server.database.engine.connect().execution_options(bastion_write=True)


def _status(agent, unit_id: str) -> wpb.Unit:  # type: ignore[no-untyped-def]
    return call(agent, "GetUnit", wpb.GetUnitRequest(unit_id=unit_id)).unit


def test_preempt_units_takes_the_lowest_class_then_the_newest_lease(agent, tenant, server) -> None:  # type: ignore[no-untyped-def]
    p2_old, p2_new, p3, p1, p0 = (submit(agent, priority=p) for p in (P2, P2, P3, P1, P0))
    for _ in range(5):
        lease(agent)                       # leased P0, P1, P2 (old), P2 (new), P3 in turn
    now = work_store.dt.datetime.now(work_store.dt.timezone.utc)
    with _write(server) as conn, conn.begin():
        assert work_store.preempt_units(conn, tenant_id=tenant.tenant_id, priorities=[0],
                                        reason="r", actor="test", now=now) == []
        first = work_store.preempt_units(
            conn, tenant_id=tenant.tenant_id, priorities=[0, 1, 2, 3], limit=2,
            reason="memory pressure", actor="priority", now=now, resource="memory",
            threshold=0.85)
    assert first == [p3.unit_id, p2_new.unit_id]
    with _write(server) as conn, conn.begin():
        rest = work_store.preempt_units(conn, tenant_id=tenant.tenant_id,
                                        priorities=[0, 1, 2, 3], reason="r", actor="t", now=now)
    assert rest == [p2_old.unit_id, p1.unit_id]                  # never P0
    assert _status(agent, p0.unit_id).status == S.UNIT_STATUS_ACTIVE
    unit = _status(agent, p3.unit_id)
    assert (unit.status, unit.preemption_count, unit.lease_holder) == (
        S.UNIT_STATUS_PREEMPTED, 1, "")
    entry = call(agent, "GetHistory", wpb.GetHistoryRequest(unit_id=p3.unit_id)).entries[-1]
    assert (entry.prev_status, entry.new_status, entry.reason, entry.actor) == (
        S.UNIT_STATUS_ACTIVE, S.UNIT_STATUS_PREEMPTED, "memory pressure", "priority")
    assert json.loads(entry.metadata_json) == {"resource": "memory", "threshold": 0.85}


def test_preempt_units_filters_by_run_and_status_and_fails_beyond_the_maximum(agent, tenant, server) -> None:  # type: ignore[no-untyped-def]
    mine = submit(agent, run_id="mine", priority=P3, attributes_json='{"x": 1}')
    pending = submit(agent, run_id="mine", priority=P3)
    other = submit(agent, run_id="other", priority=P3)
    held = lease(agent, run_id="mine")
    call(agent, "Checkpoint", wpb.CheckpointRequest(unit_id=mine.unit_id, lease_id=held.lease_id,
                                                    checkpoint_json='{"step": 2}'))
    lease(agent, run_id="other")
    now = work_store.dt.datetime.now(work_store.dt.timezone.utc)
    with _write(server) as conn, conn.begin():
        done = work_store.preempt_units(conn, tenant_id=tenant.tenant_id, priorities=[3],
                                        run_id="mine", statuses=("ACTIVE", "PENDING"),
                                        reason="budget", actor="budget", now=now,
                                        max_preemptions=0)
    assert sorted(done) == sorted([mine.unit_id, pending.unit_id])
    failed = _status(agent, mine.unit_id)
    assert (failed.status, failed.failure_reason, failed.checkpoint_json) == (
        S.UNIT_STATUS_FAILED, "max_preemptions", '{"step": 2}')
    assert history(agent, mine.unit_id)[-1] == (S.UNIT_STATUS_ACTIVE, S.UNIT_STATUS_FAILED,
                                                "max_preemptions")
    assert _status(agent, other.unit_id).status == S.UNIT_STATUS_ACTIVE


def test_preempt_units_op_commits_through_the_group_committer(agent, tenant, server) -> None:  # type: ignore[no-untyped-def]
    unit = submit(agent, priority=P2)
    lease(agent)
    op = work_store.PreemptUnits(tenant_id=tenant.tenant_id, priorities=[2, 3], reason="room",
                                 actor="priority", now=work_store.dt.datetime.now(
                                     work_store.dt.timezone.utc), limit=5)
    server.server.committer.commit([op])
    assert op.preempted == [unit.unit_id]
    assert _status(agent, unit.unit_id).status == S.UNIT_STATUS_PREEMPTED


def test_pause_units_pauses_the_runs_open_units_and_resume_requeues_them(agent, tenant, server) -> None:  # type: ignore[no-untyped-def]
    active = submit(agent, run_id="paused-run", priority=P1)
    pending = submit(agent, run_id="paused-run", priority=P2)
    elsewhere = submit(agent, run_id="running", priority=P2)
    held = lease(agent, run_id="paused-run")
    done = submit(agent, run_id="paused-run")
    done_lease = lease(agent, run_id="paused-run")
    assert done_lease.unit.unit_id == pending.unit_id
    call(agent, "Complete", wpb.CompleteRequest(unit_id=pending.unit_id,
                                                lease_id=done_lease.lease_id))
    now = work_store.dt.datetime.now(work_store.dt.timezone.utc)
    with _write(server) as conn, conn.begin():
        paused = work_store.pause_units(conn, tenant_id=tenant.tenant_id, run_id="paused-run",
                                        reason="budget_95%_pause", actor="budget", now=now)
    assert sorted(paused) == sorted([active.unit_id, done.unit_id])
    assert _status(agent, elsewhere.unit_id).status == S.UNIT_STATUS_PENDING
    assert _status(agent, pending.unit_id).status == S.UNIT_STATUS_COMPLETED
    assert history(agent, active.unit_id)[-1] == (S.UNIT_STATUS_ACTIVE, S.UNIT_STATUS_PAUSED,
                                                  "budget_95%_pause")
    gone = refused(agent, "Heartbeat", wpb.HeartbeatRequest(unit_id=active.unit_id,
                                                            lease_id=held.lease_id))
    assert gone.code() == grpc.StatusCode.FAILED_PRECONDITION and "PAUSED" in gone.details()
    assert lease(agent, run_id="paused-run") == wpb.LeaseResponse()
    resumed = call(agent, "Resume", wpb.ResumeRequest(unit_id=active.unit_id)).unit
    assert resumed.status == S.UNIT_STATUS_PENDING
    assert lease(agent, run_id="paused-run").unit.unit_id == active.unit_id


# -- batches: several requests' ops in one transaction ----------------------------------------

def test_one_batch_leases_distinct_units_in_queue_order(agent, tenant, server) -> None:  # type: ignore[no-untyped-def]
    low, high, mid = (submit(agent, priority=p).unit_id for p in (P3, P0, P2))
    now = work_store.dt.datetime.now(work_store.dt.timezone.utc)
    later = now + work_store.dt.timedelta(seconds=60)
    ops = [work_store.LeaseNext(tenant_id=tenant.tenant_id, run_id="", lease_id=f"lease_{n:032x}",
                                holder=f"w{n}", now=now, expires_at=later) for n in range(4)]
    with _write(server) as conn, conn.begin():
        work_store.LeaseNext.apply_all(conn, ops)
    assert [op.unit.unit_id if op.unit else None for op in ops] == [high, mid, low, None]
    assert [op.unit.lease_holder for op in ops[:3]] == ["w0", "w1", "w2"]
    assert _status(agent, mid).lease_holder == "w1"
    # Two changes to one unit and one to another in one batch apply in order.
    beat = work_store.ChangeUnit(tenant_id=tenant.tenant_id, unit_id=high,
                                 change=work_store.Change("heartbeat", ("ACTIVE",),
                                                          lease_id=ops[0].lease_id,
                                                          progress=0.5, expires_at=later),
                                 actor="w0", now=now)
    complete = work_store.ChangeUnit(tenant_id=tenant.tenant_id, unit_id=high,
                                     change=work_store.Change("complete", ("ACTIVE",),
                                                              "COMPLETED",
                                                              lease_id=ops[0].lease_id),
                                     actor="w0", now=now)
    stale = work_store.ChangeUnit(tenant_id=tenant.tenant_id, unit_id=mid,
                                  change=work_store.Change("complete", ("ACTIVE",), "COMPLETED",
                                                           lease_id=ops[0].lease_id),
                                  actor="w0", now=now)
    foreign = work_store.ChangeUnit(tenant_id="tnt_other", unit_id=low,
                                    change=work_store.Change("complete", ("ACTIVE",),
                                                             "COMPLETED",
                                                             lease_id=ops[2].lease_id),
                                    actor="w2", now=now)
    with _write(server) as conn, conn.begin():
        work_store.ChangeUnit.apply_all(conn, [beat, complete, stale, foreign])
    assert beat.unit is not None and beat.unit.status == "ACTIVE"
    assert complete.unit is not None and complete.unit.status == "COMPLETED"
    assert complete.unit.progress == 0.5
    assert stale.refusal is not None and stale.refusal.kind == "precondition"
    assert foreign.refusal is not None and foreign.refusal.kind == "not_found"
    assert _status(agent, high).status == S.UNIT_STATUS_COMPLETED
    assert _status(agent, mid).status == S.UNIT_STATUS_ACTIVE
    assert _status(agent, low).status == S.UNIT_STATUS_ACTIVE


def test_concurrent_workers_on_one_server_never_share_a_unit(agent, tenant, server) -> None:  # type: ignore[no-untyped-def]
    import concurrent.futures

    ids = set(call(agent, "SubmitMany", wpb.SubmitManyRequest(units=[
        wpb.SubmitRequest(run_id="race") for _ in range(120)])).unit_ids)

    def drain(worker: int) -> list[str]:
        taken = []
        while (held := lease(agent, run_id="race", worker_id=f"w{worker}")).HasField("unit"):
            taken.append(held.unit.unit_id)
            call(agent, "Heartbeat", wpb.HeartbeatRequest(unit_id=held.unit.unit_id,
                                                          lease_id=held.lease_id))
            call(agent, "Complete", wpb.CompleteRequest(unit_id=held.unit.unit_id,
                                                        lease_id=held.lease_id))
        return taken

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        taken = [u for batch in pool.map(drain, range(12)) for u in batch]
    assert len(taken) == len(set(taken)) == 120 and set(taken) == ids
    counts = work_store.count_by_status(server.server.database, tenant.tenant_id)
    assert counts == {"COMPLETED": 120}


# -- listing, verifying, idle polling, isolation -------------------------------------------

def test_list_units_pages_in_creation_order_with_filters(agent, connect, server) -> None:  # type: ignore[no-untyped-def]
    ids = [submit(agent, run_id="listed").unit_id for _ in range(5)]
    submit(agent, run_id="unlisted")
    held = lease(agent, run_id="listed")
    seen, token = [], ""
    while True:
        page = call(agent, "ListUnits", wpb.ListUnitsRequest(run_id="listed", page_size=2,
                                                             page_token=token))
        seen += [u.unit_id for u in page.units]
        if not (token := page.next_page_token):
            break
    assert seen == ids
    active = call(agent, "ListUnits", wpb.ListUnitsRequest(
        statuses=[S.UNIT_STATUS_ACTIVE])).units
    assert [u.unit_id for u in active] == [held.unit.unit_id]
    other = connect(server.create_tenant().agent_token)
    assert call(other, "ListUnits", wpb.ListUnitsRequest()).units == []


def test_verify_detects_unparseable_attributes_and_a_rewritten_hash(agent, server) -> None:  # type: ignore[no-untyped-def]
    broken, rehashed = submit(agent, attributes_json='{"a": 1}'), submit(agent)
    with server.server.database.engine.begin() as conn:
        conn.execute(sa.text("UPDATE work_units SET attributes_json = 'not json' WHERE id = :i"),
                     {"i": broken.unit_id})
        # Attributes and hash rewritten together: only the append-only history tells.
        forged = content_hash({"forged": True})
        conn.execute(sa.text("UPDATE work_units SET attributes_json = :a, content_hash = :h "
                             "WHERE id = :i"), {"a": '{"forged":true}', "h": forged,
                                                "i": rehashed.unit_id})
    result = call(agent, "Verify", wpb.VerifyRequest(unit_id=broken.unit_id))
    assert not result.ok and result.computed_hash == "" and "not a JSON object" in result.problem
    result = call(agent, "Verify", wpb.VerifyRequest(unit_id=rehashed.unit_id))
    assert not result.ok and result.computed_hash == result.stored_hash == forged
    assert result.history_hash == rehashed.content_hash and "history" in result.problem


def test_polling_an_empty_queue_is_not_ledgered_each_time(agent, tenant, server) -> None:  # type: ignore[no-untyped-def]
    def leases() -> int:
        entries = ledger_store.list_entries(server.server.database, tenant.tenant_id,
                                            after_sequence=0, limit=10_000)
        return sum(1 for e in entries
                   if json.loads(e.payload_json)["request"]["action"] == "work.lease")

    assert lease(agent, run_id="idle") == wpb.LeaseResponse()
    before = leases()
    for _ in range(5):
        assert lease(agent, run_id="idle") == wpb.LeaseResponse()
    assert leases() == before                         # answered from one read each
    unit = submit(agent, run_id="idle")
    assert lease(agent, run_id="idle").unit.unit_id == unit.unit_id
    assert leases() == before + 1


def test_other_tenants_cannot_touch_a_held_unit_or_its_lease(agent, server, connect) -> None:  # type: ignore[no-untyped-def]
    unit = submit(agent)
    held = lease(agent)
    other = connect(server.create_tenant().agent_token)
    for method, request in [
            ("Heartbeat", wpb.HeartbeatRequest(unit_id=unit.unit_id, lease_id=held.lease_id)),
            ("Checkpoint", wpb.CheckpointRequest(unit_id=unit.unit_id, lease_id=held.lease_id)),
            ("Fail", wpb.FailRequest(unit_id=unit.unit_id, lease_id=held.lease_id))]:
        assert refused(other, method, request).code() == grpc.StatusCode.NOT_FOUND, method
    assert _status(agent, unit.unit_id).status == S.UNIT_STATUS_ACTIVE


def test_submit_many_with_a_repeated_key_creates_one_unit(agent, tenant, server) -> None:  # type: ignore[no-untyped-def]
    reply = call(agent, "SubmitMany", wpb.SubmitManyRequest(units=[
        wpb.SubmitRequest(idempotency_key="k1"), wpb.SubmitRequest(idempotency_key="k1"),
        wpb.SubmitRequest(idempotency_key="k2")]))
    assert reply.created == 2 and reply.unit_ids[0] == reply.unit_ids[1] != reply.unit_ids[2]
    again = agent.work.Submit(wpb.SubmitRequest(idempotency_key="k2"), metadata=agent.metadata)
    assert not again.created and again.unit.unit_id == reply.unit_ids[2]
    assert work_store.count_by_status(server.server.database, tenant.tenant_id) == {
        "PENDING": 2}


def test_resume_of_a_paused_runs_unit_goes_through_the_budget_guard(agent, connect, tenant) -> None:  # type: ignore[no-untyped-def]
    operator = connect(tenant.operator_token)
    operator.admin.SetBudget(apb.SetBudgetRequest(run_id="halted", total_usd=10),
                             metadata=operator.metadata)
    unit = submit(agent, run_id="halted", priority=P1)
    decision = agent.guard.Check(gpb.CheckRequest(action="llm", run_id="halted", priority=P1),
                                 metadata=agent.metadata).decision
    agent.guard.Report(gpb.ReportRequest(decision_id=decision.decision_id, cost_usd=9.6),
                       metadata=agent.metadata)                         # 96%: paused
    assert _status(agent, unit.unit_id).status == S.UNIT_STATUS_PAUSED
    error = refused(agent, "Resume", wpb.ResumeRequest(unit_id=unit.unit_id))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "is paused" in error.details()
    assert _status(agent, unit.unit_id).status == S.UNIT_STATUS_PAUSED


def test_work_settings_come_from_the_environment() -> None:
    from bastion.runtime.config import load_settings

    loaded = load_settings(env={"BASTION_LEASE_TTL_S": "45", "BASTION_ZOMBIE_TIMEOUT_S": "90",
                                "BASTION_ZOMBIE_SWEEP_INTERVAL_S": "15",
                                "BASTION_MAX_RECLAIMS": "5", "BASTION_MAX_PREEMPTIONS": "2"})
    assert (loaded.lease_ttl_s, loaded.zombie_timeout_s, loaded.zombie_sweep_interval_s,
            loaded.max_reclaims, loaded.max_preemptions) == (45, 90, 15, 5, 2)
    with pytest.raises(ValueError, match="max_preemptions"):
        load_settings(env={"BASTION_MAX_PREEMPTIONS": "-1"})


def test_only_admins_run_the_zombie_protocol(connect, tenant) -> None:  # type: ignore[no-untyped-def]
    for token in (tenant.agent_token, tenant.operator_token):
        stubs = connect(token)
        with pytest.raises(grpc.RpcError) as raised:
            stubs.admin.RunZombieProtocol(apb.RunZombieProtocolRequest(),
                                          metadata=stubs.metadata)
        assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_replicas_sweeping_at_once_reclaim_each_zombie_once(agent, tenant, server) -> None:  # type: ignore[no-untyped-def]
    import concurrent.futures

    from bastion.runtime.work import run_zombie_protocol

    zombies = call(agent, "SubmitMany", wpb.SubmitManyRequest(units=[
        wpb.SubmitRequest(run_id="zombie") for _ in range(300)])).unit_ids
    fresh = submit(agent, run_id="fresh")
    held = lease(agent, run_id="fresh")
    with server.server.database.engine.begin() as conn:
        conn.execute(sa.update(work_store.UNITS).where(
            work_store.UNITS.c.tenant_id == tenant.tenant_id,
            work_store.UNITS.c.run_id == "zombie").values(
            status="ACTIVE", lease_id="lease_" + "1" * 32, lease_holder="gone",
            last_heartbeat_at=work_store.dt.datetime(2000, 1, 1, tzinfo=work_store.dt.timezone.utc)))
    settings_ = make_test_settings(server.server.settings.database_url, zombie_timeout_s=60.0)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        sweeps = list(pool.map(lambda _: run_zombie_protocol(
            server.server.database, server.server.pm, settings_, tenant.tenant_id), range(4)))
    reclaimed = [r.unit_id for sweep in sweeps for r in sweep]
    assert sorted(reclaimed) == sorted(zombies)                       # each exactly once
    for unit_id in zombies[:20]:
        assert [r for _, _, r in history(agent, unit_id)].count("zombie_reclaimed") == 1
    assert _status(agent, fresh.unit_id).status == S.UNIT_STATUS_ACTIVE
    call(agent, "Heartbeat", wpb.HeartbeatRequest(unit_id=fresh.unit_id, lease_id=held.lease_id))
    entries = ledger_store.list_entries(server.server.database, tenant.tenant_id,
                                        after_sequence=0, limit=10_000,
                                        action_type="work.zombie_reclaimed")
    assert sorted(e.subject_id for e in entries) == sorted(zombies)


def test_the_background_sweeper_reclaims_without_being_asked(database_url, dial_tenant) -> None:  # type: ignore[no-untyped-def]
    import time

    settings_ = make_test_settings(database_url, zombie_timeout_s=0.0,
                                   zombie_sweep_interval_s=0.05)
    with running_server(settings_) as handle:
        agent, _, _ = dial_tenant(handle)
        unit = submit(agent)
        lease(agent, worker_id="crashed")
        deadline = time.monotonic() + 30
        while (found := _status(agent, unit.unit_id)).reclaim_count == 0:
            assert time.monotonic() < deadline, "the sweeper never reclaimed the unit"
            time.sleep(0.05)  # polling a condition with a deadline
        assert found.status in (S.UNIT_STATUS_PENDING, S.UNIT_STATUS_FAILED)
        assert "zombie_reclaimed" in [r for _, _, r in history(agent, unit.unit_id)]


def test_the_migration_builds_the_work_tables_of_the_models(server) -> None:  # type: ignore[no-untyped-def]
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    metadata = sa.MetaData()
    for table in (work_store.UNITS, work_store.HISTORY):
        table.to_metadata(metadata)
    with server.server.database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = [d for d in compare_metadata(context, metadata)
                       if "work_unit" in repr(d)]
    assert differences == []


def test_bulk_submits_keep_every_character_of_the_attributes(agent) -> None:  # type: ignore[no-untyped-def]
    # 150 units: PostgreSQL takes them through COPY, whose text format escapes backslashes,
    # tabs and newlines (JSON strings carry them as escapes).
    tricky = {"s": "tab\there \\ back \"quoted\"\nline\r é 😀 \u2028", "k": "\\N", "e": ""}
    requests = [wpb.SubmitRequest(run_id="copy", idempotency_key=f"copy\\{n}\t",
                                  attributes_json=json.dumps({**tricky, "n": n}))
                for n in range(150)]
    ids = call(agent, "SubmitMany", wpb.SubmitManyRequest(units=requests)).unit_ids
    for n in (0, 77, 149):
        unit = call(agent, "GetUnit", wpb.GetUnitRequest(unit_id=ids[n])).unit
        assert json.loads(unit.attributes_json) == {**tricky, "n": n}
        assert unit.attributes_json == canonical_json({**tricky, "n": n})
        assert call(agent, "Verify", wpb.VerifyRequest(unit_id=ids[n])).ok
    again = agent.work.Submit(requests[77], metadata=agent.metadata)
    assert not again.created and again.unit.unit_id == ids[77]


def _committer_recording(database_url: str, monkeypatch: pytest.MonkeyPatch, op_class: type
                         ) -> tuple[Any, Any, list[int]]:
    """A migrated database, a group committer on it, and the sizes of the batches of
    ``op_class`` that ran through ``apply_all`` (in a transaction)."""
    from bastion.runtime.app import migrate
    from bastion.storage import Database, GroupCommitter
    from bastion.testing.harness import make_test_settings

    migrate(make_test_settings(database_url))
    db = Database(database_url)
    in_transaction: list[int] = []
    real = op_class.apply_all.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(op_class, "apply_all", classmethod(
        lambda cls, conn, ops: in_transaction.append(len(ops)) or real(cls, conn, ops)))
    return db, GroupCommitter(db), in_transaction

def test_submit_batches_without_idempotency_keys_commit_as_one_statement(database_url,
                                                                         monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL a Submit batch whose units carry no idempotency key is one statement
    (units and history) without BEGIN and COMMIT; with a key (looked up first), and on
    SQLite, it runs in a transaction. Either way every unit has its history row."""
    import datetime as dt

    from bastion.storage import work as store
    from bastion.storage.group_commit import _Pending

    db, committer, in_transaction = _committer_recording(database_url, monkeypatch,
                                                         store.SubmitUnits)

    def submit(unit_id: str, key: str | None = None) -> _Pending:
        unit = store.NewUnit(unit_id=unit_id, run_id="r", priority=2, attributes_json="{}",
                             content_hash="0" * 64, idempotency_key=key)
        return _Pending([store.SubmitUnits(tenant_id="t1", units=[unit], actor="a",
                                           now=dt.datetime.now(dt.timezone.utc))])

    try:
        plain = [submit("u1"), submit("u2")]
        committer.apply_batch(plain)
        keyed = [submit("u3", key="k"), submit("u4", key="k")]  # the second repeats the key
        committer.apply_batch(keyed)
        assert in_transaction == ([2] if db.dialect == "postgresql" else [2, 2])
        assert [op.unit_ids for p in plain + keyed for op in p.ops] == [
            ["u1"], ["u2"], ["u3"], ["u3"]]
        with db.engine.connect() as conn:
            units = conn.execute(sa.text("SELECT id FROM work_units ORDER BY id")).scalars()
            logged = conn.execute(sa.text(
                "SELECT unit_id FROM work_unit_history ORDER BY unit_id")).scalars()
            assert list(units) == ["u1", "u2", "u3"] and list(logged) == ["u1", "u2", "u3"]
    finally:
        db.dispose()


def test_lease_batches_of_one_tenant_and_run_commit_as_one_statement(database_url,
                                                                     monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL a batch of leases of one tenant and run is one statement (lock, lease,
    history) whose rows come back through JSON: the units handed out are the same, in
    priority order, with their times as timezone-aware datetimes."""
    import datetime as dt

    from bastion.storage import work as store
    from bastion.storage.group_commit import _Pending

    db, committer, in_transaction = _committer_recording(database_url, monkeypatch,
                                                         store.LeaseNext)
    now = dt.datetime.now(dt.timezone.utc)

    def lease(n: int, run_id: str = "r") -> store.LeaseNext:
        return store.LeaseNext(tenant_id="t1", run_id=run_id, lease_id=f"lease-{n}",
                               holder=f"worker-{n}", now=now,
                               expires_at=now + dt.timedelta(minutes=5))

    try:
        units = [store.NewUnit(unit_id=f"u{p}", run_id="r", priority=p, attributes_json="{}",
                               content_hash="0" * 64) for p in (3, 1, 2)]
        committer.apply_batch([_Pending([store.SubmitUnits(tenant_id="t1", units=units,
                                                           actor="a", now=now)])])
        first, second = lease(1), lease(2)
        committer.apply_batch([_Pending([first]), _Pending([second])])
        assert in_transaction == ([] if db.dialect == "postgresql" else [2])
        assert first.unit is not None and second.unit is not None
        assert (first.unit.unit_id, second.unit.unit_id) == ("u1", "u2")  # P1, then P2
        assert (first.unit.lease_id, first.unit.status) == ("lease-1", store.ACTIVE)
        assert first.unit.leased_at == now and first.unit.leased_at.tzinfo is not None
        third, elsewhere = lease(3), lease(4, run_id="other")  # two runs: a transaction
        committer.apply_batch([_Pending([third]), _Pending([elsewhere])])
        assert in_transaction[-1] == 2
        assert third.unit is not None and third.unit.unit_id == "u3" and elsewhere.unit is None
        with db.engine.connect() as conn:
            leased = conn.execute(sa.text(
                "SELECT unit_id FROM work_unit_history WHERE reason = 'leased' "
                "ORDER BY unit_id")).scalars()
            assert list(leased) == ["u1", "u2", "u3"]
    finally:
        db.dispose()
