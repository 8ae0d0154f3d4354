"""Conversions between the generated messages and the client's dataclasses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bastion.clients import types as t
from bastion.v1 import (
    admin_service_pb2,
    decision_pb2,
    guard_service_pb2,
    ledger_service_pb2,
    metabolism_service_pb2,
)

_VERDICTS = {decision_pb2.VERDICT_ALLOW: t.Verdict.ALLOW,
             decision_pb2.VERDICT_REVIEW: t.Verdict.REVIEW,
             decision_pb2.VERDICT_DEFER: t.Verdict.DEFER,
             decision_pb2.VERDICT_DENY: t.Verdict.DENY}
PRIORITIES = {"P0": decision_pb2.PRIORITY_P0, "P1": decision_pb2.PRIORITY_P1,
              "P2": decision_pb2.PRIORITY_P2, "P3": decision_pb2.PRIORITY_P3}


def _seconds(duration: Any, present: bool) -> float | None:
    return duration.ToMilliseconds() / 1000 if present else None


def _reason(r: decision_pb2.Reason) -> t.Reason:
    return t.Reason(guard=r.guard, code=r.code, message=r.message, details=dict(r.details))


def _obligation(o: decision_pb2.Obligation) -> t.Obligation:
    return t.Obligation(guard=o.guard, code=o.code, params=dict(o.params))


def guard_result_from_pb(g: decision_pb2.GuardResult) -> t.GuardResult:
    return t.GuardResult(
        guard=g.guard, verdict=_VERDICTS.get(g.verdict, t.Verdict.UNSPECIFIED),
        reasons=tuple(_reason(r) for r in g.reasons),
        obligations=tuple(_obligation(o) for o in g.obligations), scores=dict(g.scores),
        retry_after=_seconds(g.retry_after, g.HasField("retry_after")), shadow=g.shadow,
        duration_us=g.duration_us)


def decision_from_pb(d: decision_pb2.Decision) -> t.Decision:
    return t.Decision(
        decision_id=d.decision_id, verdict=_VERDICTS.get(d.verdict, t.Verdict.UNSPECIFIED),
        action=d.action,
        guard_results=tuple(guard_result_from_pb(g) for g in d.guard_results),
        shadow_results=tuple(guard_result_from_pb(g) for g in d.shadow_results),
        reasons=tuple(_reason(r) for r in d.reasons),
        obligations=tuple(_obligation(o) for o in d.obligations),
        retry_after=_seconds(d.retry_after, d.HasField("retry_after")),
        ledger_entry=(t.LedgerRef(d.ledger_entry.sequence, d.ledger_entry.entry_hash)
                      if d.HasField("ledger_entry") else None),
        decided_at=d.decided_at.ToDatetime(tzinfo=__import__("datetime").timezone.utc)
        if d.HasField("decided_at") else None)


def check_request(action: str, *, resource: str = "", agent_id: str = "", run_id: str = "",
                  task_id: str = "", priority: str | None = None,
                  estimated_cost_usd: float = 0.0, resources: Mapping[str, float] | None = None,
                  attributes: Mapping[str, Any] | None = None,
                  reasoning: t.Reasoning | Mapping[str, Any] | None = None
                  ) -> guard_service_pb2.CheckRequest:
    request = guard_service_pb2.CheckRequest(
        action=action, resource=resource, agent_id=agent_id, run_id=run_id, task_id=task_id,
        estimated_cost_usd=estimated_cost_usd, resources=dict(resources or {}),
        attributes_json=json.dumps(dict(attributes)) if attributes else "")
    if priority is not None:
        if priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {sorted(PRIORITIES)}")
        request.priority = PRIORITIES[priority]
    if reasoning is not None:
        r = reasoning if isinstance(reasoning, t.Reasoning) else t.Reasoning(**reasoning)
        request.reasoning.CopyFrom(guard_service_pb2.Reasoning(
            text=r.text, goal=r.goal, phase=r.phase, model=r.model,
            thinking_tokens=r.thinking_tokens))
    return request


def inputs_to_pb(inputs: t.MetabolismInputs | Mapping[str, Any]
                 ) -> metabolism_service_pb2.MetabolismInputs:
    values = inputs.__dict__ if isinstance(inputs, t.MetabolismInputs) else dict(inputs)
    return metabolism_service_pb2.MetabolismInputs(**values)


def snapshot_from_pb(s: metabolism_service_pb2.MetabolismSnapshot,
                     decision_id: str = "") -> t.MetabolismSnapshot:
    b = s.basis
    return t.MetabolismSnapshot(
        energy_capacity=s.energy_capacity, fatigue=s.fatigue, recovery_rate=s.recovery_rate,
        workload_index=s.workload_index, projected_weekly_capacity=s.projected_weekly_capacity,
        risks=tuple(s.risks), decision_id=decision_id,
        basis=t.MetabolismInputs(b.health_score, b.operations_score, b.customer_score,
                                 b.active_goals, b.pending_tasks))


def plan_from_pb(p: metabolism_service_pb2.PlanTaskGenerationResponse) -> t.TaskPlan:
    return t.TaskPlan(max_new_tasks=p.max_new_tasks, capped=p.capped,
                      snapshot=snapshot_from_pb(p.snapshot) if p.HasField("snapshot") else None,
                      explanation=p.explanation, decision_id=p.decision_id)


def ledger_page_from_pb(r: ledger_service_pb2.LedgerServiceListResponse) -> t.LedgerPage:
    import datetime as dt

    return t.LedgerPage(entries=tuple(
        t.LedgerEntry(sequence=e.sequence, ts=e.ts.ToDatetime(tzinfo=dt.timezone.utc),
                      action_type=e.action_type, actor=e.actor, subject_id=e.subject_id,
                      payload=json.loads(e.payload_json), parent_hash=e.parent_hash,
                      entry_hash=e.entry_hash, signature=e.signature)
        for e in r.entries), next_page_token=r.next_page_token)


def verification_from_pb(r: ledger_service_pb2.LedgerServiceVerifyResponse
                         ) -> t.LedgerVerification:
    return t.LedgerVerification(
        overall_ok=r.overall_ok if r.HasField("overall_ok") else None, chain_ok=r.chain_ok,
        count=r.count, has_secret=r.has_secret,
        entries=tuple(t.EntryVerification(e.sequence, e.sig_ok if e.HasField("sig_ok") else None,
                                          e.chain_ok, e.reason) for e in r.entries))


def plugins_from_pb(r: admin_service_pb2.ListPluginsResponse) -> list[t.PluginInfo]:
    return [t.PluginInfo(p.name, p.version, tuple(p.hooks), p.source) for p in r.plugins]
