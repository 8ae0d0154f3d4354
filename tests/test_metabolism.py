"""SPEC D2 with hand-computed values, and the service through a real server."""

from __future__ import annotations

import grpc
import pytest
from grpc_status import rpc_status

from bastion.plugins.metabolism.model import (
    HIGH_WORKLOAD,
    LOW_ENERGY,
    SLOW_RECOVERY,
    MetabolismInputs,
    compute_snapshot,
    plan_task_generation,
)
from bastion.testing.harness import make_test_settings, running_server
from bastion.v1 import decision_pb2
from bastion.v1 import metabolism_service_pb2 as pb
from tests.guards import DenyPrefix


def test_worked_example() -> None:
    # base = 0.6·80 + 0.2·70 + 0.2·60 = 74; workload = 0.5·(2/5) + 0.5·(8/20) = 0.4
    # fatigue = 0.3 + 0.7·0.4 − 0.002·60 = 0.46; recovery = 0.1 + 0.45·0.7 + 0.45·0.6 = 0.685
    # effective = 74·(1 − 0.23) = 56.98 → 57; capacity = (5 + 0.15·56.98)·0.8·(0.8 + 0.274)
    #           = 13.547·0.8·1.074 = 11.6395824
    s = compute_snapshot(MetabolismInputs(80, 70, 60, 2, 8))
    assert s.energy_capacity == 57
    assert s.workload_index == pytest.approx(0.4)
    assert s.fatigue == pytest.approx(0.46)
    assert s.recovery_rate == pytest.approx(0.685)
    assert s.projected_weekly_capacity == pytest.approx(11.6395824)
    assert s.risks == ()
    assert s.basis == MetabolismInputs(80, 70, 60, 2, 8)


def test_saturated_workload_low_energy_slow_recovery() -> None:
    # workload = 0.5·min(10/5, 1) + 0.5·min(40/20, 1) = 1.0 (capped)
    # base = 0.6·30 + 0.2·10 + 0.2·10 = 22; fatigue = clamp(0.3 + 0.7 − 0.02) = 0.98
    # recovery = 0.1 + 0.045 + 0.045 = 0.19; effective = 22·(1 − 0.49) = 11.22 → 11
    # capacity = max(3, (5 + 1.683)·max(0.5, 0.2)·(0.8 + 0.076)) = max(3, 2.927) = 3
    s = compute_snapshot(MetabolismInputs(30, 10, 10, 10, 40))
    assert s.workload_index == 1.0
    assert s.fatigue == pytest.approx(0.98)
    assert s.recovery_rate == pytest.approx(0.19)
    assert s.energy_capacity == 11
    assert s.projected_weekly_capacity == 3.0
    assert s.risks == (HIGH_WORKLOAD, LOW_ENERGY, SLOW_RECOVERY)


def test_fatigue_is_clamped_at_zero_and_one() -> None:
    # no work, happy customers: 0.3 + 0 − 0.002·100 = 0.1; full load, no customers: 1.0
    assert compute_snapshot(MetabolismInputs(100, 100, 100, 0, 0)).fatigue == pytest.approx(0.1)
    assert compute_snapshot(MetabolismInputs(0, 0, 0, 5, 20)).fatigue == 1.0


def test_risk_thresholds_are_strict() -> None:
    # workload exactly 0.9 > 0.85 → risk; goals 5 → 0.5, tasks 16 → 0.4: 0.9
    assert HIGH_WORKLOAD in compute_snapshot(MetabolismInputs(100, 100, 100, 5, 16)).risks
    # workload 0.8 (goals 4, tasks 16) → no workload risk
    assert HIGH_WORKLOAD not in compute_snapshot(MetabolismInputs(100, 100, 100, 4, 16)).risks


def test_pacing() -> None:
    inputs = MetabolismInputs(80, 70, 60, 2, 8)          # capacity 11.64
    assert plan_task_generation(inputs, 9).max_new_tasks == 2     # int(2.64)
    assert plan_task_generation(inputs, 0).max_new_tasks == 5     # min(5, 11)
    assert plan_task_generation(inputs, 30).max_new_tasks == 1    # max(1, −18)
    uncapped = plan_task_generation(None, 3)
    assert (uncapped.capped, uncapped.max_new_tasks, uncapped.snapshot) == (False, 0, None)
    assert "uncapped" in uncapped.explanation


def test_service_returns_the_model(agent) -> None:  # type: ignore[no-untyped-def]
    inputs = pb.MetabolismInputs(health_score=80, operations_score=70, customer_score=60,
                                 active_goals=2, pending_tasks=8)
    reply = agent.metabolism.ComputeSnapshot(pb.ComputeSnapshotRequest(inputs=inputs),
                                             metadata=agent.metadata)
    assert reply.snapshot.energy_capacity == 57
    assert reply.snapshot.projected_weekly_capacity == pytest.approx(11.6395824)
    assert reply.decision_id.startswith("dec_")
    plan = agent.metabolism.PlanTaskGeneration(
        pb.PlanTaskGenerationRequest(inputs=inputs, existing_todo_count=9),
        metadata=agent.metadata)
    assert (plan.max_new_tasks, plan.capped) == (2, True)


@pytest.mark.parametrize("inputs, field", [
    ({"health_score": 101}, "inputs.health_score"),
    ({"operations_score": -1}, "inputs.operations_score"),
    ({"customer_score": float("nan")}, "inputs.customer_score"),
    ({"active_goals": -2}, "inputs.active_goals"),
])
def test_out_of_range_inputs_name_the_field(agent, inputs, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as info:
        agent.metabolism.ComputeSnapshot(
            pb.ComputeSnapshotRequest(inputs=pb.MetabolismInputs(**inputs)),
            metadata=agent.metadata)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.details().startswith(field + ":")


def test_missing_inputs_is_invalid(agent) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as info:
        agent.metabolism.ComputeSnapshot(pb.ComputeSnapshotRequest(), metadata=agent.metadata)
    assert info.value.details().startswith("inputs:")


def test_a_deny_stops_the_call_and_is_ledgered(database_url) -> None:  # type: ignore[no-untyped-def]
    from bastion.clients import BastionClient

    with running_server(make_test_settings(database_url), [DenyPrefix]) as handle:
        keys = handle.create_tenant()
        with grpc.insecure_channel(handle.target) as channel:
            from bastion.v1 import metabolism_service_pb2_grpc
            stub = metabolism_service_pb2_grpc.MetabolismServiceStub(channel)
            with pytest.raises(grpc.RpcError) as info:
                stub.ComputeSnapshot(pb.ComputeSnapshotRequest(inputs=pb.MetabolismInputs()),
                                     metadata=[("authorization", f"Bearer {keys.agent_token}")])
        with BastionClient(handle.target, api_key=keys.agent_token) as client:
            ledgered = client.list_ledger().entries
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    status = rpc_status.from_call(info.value)
    decisions = [d for d in status.details if d.Is(decision_pb2.Decision.DESCRIPTOR)]
    decision = decision_pb2.Decision()
    decisions[0].Unpack(decision)
    assert decision.verdict == decision_pb2.VERDICT_DENY
    assert decision.reasons[0].guard == "deny_prefix"
    assert [e.payload["decision"]["verdict"] for e in ledgered] == ["DENY"]
    assert ledgered[0].subject_id == decision.decision_id
