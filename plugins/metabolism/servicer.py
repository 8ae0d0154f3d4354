"""MetabolismService: every call is the action ``metabolism.<rpc>`` through the guards."""

from __future__ import annotations

import grpc

from bastion.plugins.metabolism import model
from bastion.runtime import validation as v
from bastion.runtime.domain_calls import guarded_call
from bastion.runtime.lifecycle import Lifecycle
from bastion.v1 import metabolism_service_pb2 as pb
from bastion.v1 import metabolism_service_pb2_grpc


def inputs_from_pb(msg: pb.MetabolismInputs, field: str) -> model.MetabolismInputs:
    return model.MetabolismInputs(
        health_score=v.in_range(msg.health_score, f"{field}.health_score", 0, 100),
        operations_score=v.in_range(msg.operations_score, f"{field}.operations_score", 0, 100),
        customer_score=v.in_range(msg.customer_score, f"{field}.customer_score", 0, 100),
        active_goals=int(v.in_range(msg.active_goals, f"{field}.active_goals", 0, 1_000_000)),
        pending_tasks=int(v.in_range(msg.pending_tasks, f"{field}.pending_tasks", 0, 1_000_000)))


def inputs_to_pb(inputs: model.MetabolismInputs) -> pb.MetabolismInputs:
    return pb.MetabolismInputs(
        health_score=inputs.health_score, operations_score=inputs.operations_score,
        customer_score=inputs.customer_score, active_goals=inputs.active_goals,
        pending_tasks=inputs.pending_tasks)


def snapshot_to_pb(snapshot: model.MetabolismSnapshot) -> pb.MetabolismSnapshot:
    return pb.MetabolismSnapshot(
        energy_capacity=snapshot.energy_capacity, fatigue=snapshot.fatigue,
        recovery_rate=snapshot.recovery_rate, workload_index=snapshot.workload_index,
        projected_weekly_capacity=snapshot.projected_weekly_capacity,
        risks=list(snapshot.risks), basis=inputs_to_pb(snapshot.basis))


def _attributes(inputs: model.MetabolismInputs | None) -> dict[str, object]:
    return dict(inputs.__dict__) if inputs is not None else {}


class MetabolismServicer(metabolism_service_pb2_grpc.MetabolismServiceServicer):
    def __init__(self, lifecycle: Lifecycle) -> None:
        self._lifecycle = lifecycle

    async def ComputeSnapshot(self, request: pb.ComputeSnapshotRequest,
                              context: grpc.aio.ServicerContext) -> pb.ComputeSnapshotResponse:
        if not request.HasField("inputs"):
            raise v.InvalidArgument("inputs", "is required")
        inputs = inputs_from_pb(request.inputs, "inputs")
        snapshot, decision = await guarded_call(
            self._lifecycle, "metabolism.compute_snapshot",
            lambda uow: model.compute_snapshot(inputs), attributes=_attributes(inputs))
        return pb.ComputeSnapshotResponse(snapshot=snapshot_to_pb(snapshot),
                                          decision_id=decision.decision_id)

    async def PlanTaskGeneration(self, request: pb.PlanTaskGenerationRequest,
                                 context: grpc.aio.ServicerContext
                                 ) -> pb.PlanTaskGenerationResponse:
        inputs = inputs_from_pb(request.inputs, "inputs") if request.HasField("inputs") else None
        existing = int(v.in_range(request.existing_todo_count, "existing_todo_count", 0,
                                  1_000_000))
        plan, decision = await guarded_call(
            self._lifecycle, "metabolism.plan_task_generation",
            lambda uow: model.plan_task_generation(inputs, existing),
            attributes={**_attributes(inputs), "existing_todo_count": existing})
        response = pb.PlanTaskGenerationResponse(
            max_new_tasks=plan.max_new_tasks, capped=plan.capped,
            explanation=plan.explanation, decision_id=decision.decision_id)
        if plan.snapshot is not None:
            response.snapshot.CopyFrom(snapshot_to_pb(plan.snapshot))
        return response
