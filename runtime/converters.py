"""Protobuf ↔ domain conversions for the core services. Servicers call these; nothing
below the servicers sees a protobuf message."""

from __future__ import annotations

import datetime as dt

from google.protobuf import any_pb2

from bastion.runtime import validation as v
from bastion.runtime.actions import RESOURCES, ActionRequest, Reasoning
from bastion.runtime.config import Settings
from bastion.runtime.principal import Principal
from bastion.runtime.verdicts import Decision, GuardResult, Verdict
from bastion.v1 import decision_pb2, guard_service_pb2

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
PRIORITIES = {0: 2, decision_pb2.PRIORITY_P0: 0, decision_pb2.PRIORITY_P1: 1,
              decision_pb2.PRIORITY_P2: 2, decision_pb2.PRIORITY_P3: 3}
PHASES = ("", "plan", "design", "build", "test", "deploy")
_VERDICT_TO_PB = {Verdict.ALLOW: decision_pb2.VERDICT_ALLOW,
                  Verdict.REVIEW: decision_pb2.VERDICT_REVIEW,
                  Verdict.DEFER: decision_pb2.VERDICT_DEFER,
                  Verdict.DENY: decision_pb2.VERDICT_DENY}


def action_from_check(req: guard_service_pb2.CheckRequest, principal: Principal,
                      settings: Settings, decision_id: str = "") -> ActionRequest:
    limit = settings.max_name_chars
    reasoning = None
    if req.HasField("reasoning"):
        r = req.reasoning
        phase = v.text(r.phase, "reasoning.phase", 16).lower()
        if phase not in PHASES:
            raise v.InvalidArgument("reasoning.phase",
                                    "must be one of plan, design, build, test, deploy")
        if not 0 <= r.thinking_tokens <= v.MAX_SAFE_INTEGER:
            raise v.InvalidArgument("reasoning.thinking_tokens",
                                    "must be between 0 and 2**53 - 1")
        reasoning = Reasoning(
            text=v.text(r.text, "reasoning.text", settings.max_reasoning_chars),
            goal=v.text(r.goal, "reasoning.goal", 4096), phase=phase,
            model=v.text(r.model, "reasoning.model", limit),
            thinking_tokens=r.thinking_tokens)
    return ActionRequest(
        principal=principal,
        action=v.action_name(req.action, "action", limit),
        resource=v.text(req.resource, "resource", 4096),
        agent_id=v.identifier(req.agent_id, "agent_id", limit),
        run_id=v.identifier(req.run_id, "run_id", limit),
        task_id=v.identifier(req.task_id, "task_id", limit),
        priority=v.enum_value(req.priority, "priority", PRIORITIES),
        estimated_cost_usd=v.amount(req.estimated_cost_usd, "estimated_cost_usd"),
        resources=v.amounts(req.resources, "resources", known=RESOURCES),
        attributes=v.json_object(req.attributes_json, "attributes_json",
                                 settings.max_attributes_bytes),
        reasoning=reasoning,
        decision_id=decision_id,
    )


def guard_result_to_pb(result: GuardResult) -> decision_pb2.GuardResult:
    pb = decision_pb2.GuardResult()
    _fill_guard_result(pb, result)
    return pb


# The fill_* functions write into a message in place: a message passed to a constructor or
# a repeated field is copied, which cost half of a judged decision's conversion.
def _fill_guard_result(pb: decision_pb2.GuardResult, result: GuardResult) -> None:
    pb.guard = result.guard
    pb.verdict = _VERDICT_TO_PB[result.verdict]
    for reason in result.reasons:
        r_pb = pb.reasons.add()
        r_pb.guard, r_pb.code, r_pb.message = reason.guard, reason.code, reason.message
        if reason.details:
            r_pb.details.update(reason.details)
    for obligation in result.obligations:
        o_pb = pb.obligations.add()
        o_pb.guard, o_pb.code = obligation.guard, obligation.code
        if obligation.params:
            o_pb.params.update(obligation.params)
    if result.scores:
        pb.scores.update(result.scores)
    pb.shadow = result.shadow
    pb.duration_us = result.duration_us
    policy_ids = _policy_ids(result)
    if policy_ids:
        pb.policy_ids.extend(policy_ids)
    if result.retry_after_s is not None:
        pb.retry_after.FromMilliseconds(int(result.retry_after_s * 1000))


def _policy_ids(result: GuardResult) -> list[str]:
    ids = [r.details["policy_id"] for r in result.reasons if "policy_id" in r.details]
    return list(dict.fromkeys(ids)) if len(ids) > 1 else ids


def decision_to_pb(decision: Decision) -> decision_pb2.Decision:
    pb = decision_pb2.Decision()
    fill_decision(pb, decision)
    return pb


def fill_decision(pb: decision_pb2.Decision, decision: Decision) -> None:
    """Writes ``decision`` into ``pb`` (a response's ``decision`` field, say)."""
    pb.decision_id = decision.decision_id
    pb.verdict = _VERDICT_TO_PB[decision.verdict]
    pb.action = decision.action
    for result in decision.guard_results:
        _fill_guard_result(pb.guard_results.add(), result)
    for result in decision.shadow_results:
        _fill_guard_result(pb.shadow_results.add(), result)
    # The merged reasons and obligations (Decision.reasons, .obligations), copied from the
    # enforced results just built: a copy in C is cheaper than building each again.
    for result_pb in pb.guard_results:
        if result_pb.reasons:
            pb.reasons.extend(result_pb.reasons)
        if result_pb.obligations:
            pb.obligations.extend(result_pb.obligations)
    if decision.retry_after_s is not None:
        pb.retry_after.FromMilliseconds(int(decision.retry_after_s * 1000))
    if decision.ledger_entry is not None:
        pb.ledger_entry.sequence = decision.ledger_entry.sequence
        pb.ledger_entry.entry_hash = decision.ledger_entry.entry_hash
    # Timestamp.FromDatetime costs ~12 µs; this is the same exact arithmetic.
    since_epoch = decision.decided_at - _EPOCH
    pb.decided_at.seconds = since_epoch.days * 86400 + since_epoch.seconds
    pb.decided_at.nanos = since_epoch.microseconds * 1000


def decision_as_any(decision: Decision) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(decision_to_pb(decision))
    return packed
