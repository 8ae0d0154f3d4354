"""What each client method sends and how its answer converts, shared by the sync and async
clients so the two cannot drift: ``(service, method, request, convert)``."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from bastion.clients import convert
from bastion.clients import types as t
from bastion.v1 import (
    admin_service_pb2,
    guard_service_pb2,
    ledger_service_pb2,
    metabolism_service_pb2,
)


class Call(NamedTuple):
    service: str
    method: str
    request: Any
    convert: Callable[[Any], Any]


def check(action: str, **kwargs: Any) -> Call:
    return Call("guard", "Check", convert.check_request(action, **kwargs),
                lambda r: convert.decision_from_pb(r.decision))


def report(decision_id: str, cost_usd: float, usage: Mapping[str, float] | None,
           outcome: str) -> Call:
    return Call("guard", "Report", guard_service_pb2.ReportRequest(
        decision_id=decision_id, cost_usd=cost_usd, usage=dict(usage or {}), outcome=outcome),
        lambda r: r.report_id)


def explain(decision_id: str) -> Call:
    return Call("guard", "Explain", guard_service_pb2.ExplainRequest(decision_id=decision_id),
                lambda r: t.Explanation(convert.decision_from_pb(r.decision),
                                        json.loads(r.request_json or "{}")))


def compute_snapshot(inputs: t.MetabolismInputs) -> Call:
    return Call("metabolism", "ComputeSnapshot", metabolism_service_pb2.ComputeSnapshotRequest(
        inputs=convert.inputs_to_pb(inputs)),
        lambda r: convert.snapshot_from_pb(r.snapshot, r.decision_id))


def plan_task_generation(inputs: t.MetabolismInputs | Mapping[str, Any] | None,
                         existing_todo_count: int) -> Call:
    request = metabolism_service_pb2.PlanTaskGenerationRequest(
        existing_todo_count=existing_todo_count)
    if inputs is not None:
        request.inputs.CopyFrom(convert.inputs_to_pb(inputs))
    return Call("metabolism", "PlanTaskGeneration", request, convert.plan_from_pb)


def list_ledger(page_size: int, page_token: str, action_type: str) -> Call:
    return Call("ledger", "List", ledger_service_pb2.LedgerServiceListRequest(
        page_size=page_size, page_token=page_token, action_type=action_type),
        convert.ledger_page_from_pb)


def verify_ledger(limit: int, from_sequence: int) -> Call:
    return Call("ledger", "Verify", ledger_service_pb2.LedgerServiceVerifyRequest(
        limit=limit, from_sequence=from_sequence), convert.verification_from_pb)


def list_plugins() -> Call:
    return Call("admin", "ListPlugins", admin_service_pb2.ListPluginsRequest(),
                convert.plugins_from_pb)
