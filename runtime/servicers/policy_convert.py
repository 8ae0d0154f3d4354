"""Protobuf ↔ domain conversions for the policy RPCs of AdminService (SPEC G5)."""

from __future__ import annotations

import datetime as dt

from bastion.runtime import validation as v
from bastion.runtime.actions import RESOURCES
from bastion.runtime.config import Settings
from bastion.runtime.converters import _VERDICT_TO_PB
from bastion.runtime.errors import InvalidArgument
from bastion.runtime.policies import PolicyDef
from bastion.runtime.policy_tests import CaseRequest, CaseResult, PolicyCase
from bastion.storage.policies import StoredPolicy
from bastion.v1 import admin_service_pb2 as pb

EFFECTS = {pb.POLICY_EFFECT_DENY: "deny", pb.POLICY_EFFECT_REVIEW: "review",
           pb.POLICY_EFFECT_ALLOW: "allow"}
MODES = {pb.POLICY_MODE_UNSPECIFIED: "enforce", pb.POLICY_MODE_ENFORCE: "enforce",
         pb.POLICY_MODE_SHADOW: "shadow"}
_EFFECT_TO_PB = {name: value for value, name in EFFECTS.items()}
_MODE_TO_PB = {"enforce": pb.POLICY_MODE_ENFORCE, "shadow": pb.POLICY_MODE_SHADOW}
_VERDICTS = {value: verdict for verdict, value in _VERDICT_TO_PB.items()}


def policy_from_pb(req: pb.PutPolicyRequest, prefix: str = "") -> PolicyDef:
    if req.effect == pb.POLICY_EFFECT_UNSPECIFIED:
        raise InvalidArgument(f"{prefix}effect", "is required (deny, review or allow)")
    return PolicyDef(
        id=req.id, effect=v.enum_value(req.effect, f"{prefix}effect", EFFECTS),
        expression=req.expression, mode=v.enum_value(req.mode, f"{prefix}mode", MODES),
        description=req.description, fail_open=req.fail_open)


def policy_to_pb(row: StoredPolicy) -> pb.Policy:
    out = pb.Policy(id=row.id, effect=_EFFECT_TO_PB[row.effect], mode=_MODE_TO_PB[row.mode],
                    description=row.description, expression=row.expression,
                    enabled=row.enabled, fail_open=row.fail_open, revision=row.revision,
                    updated_by=row.updated_by, **{"global": row.is_global})
    out.created_at.FromDatetime(row.created_at)
    out.updated_at.FromDatetime(row.updated_at)
    return out


def case_from_pb(case: pb.PolicyTestCase, n: int, settings: Settings) -> PolicyCase:
    where = f"cases[{n}]"
    r = case.request
    if case.expect not in _VERDICTS:
        raise InvalidArgument(f"{where}.expect", "must be ALLOW, REVIEW, DEFER or DENY")
    request = CaseRequest(
        action=v.action_name(r.action, f"{where}.request.action", settings.max_name_chars),
        resource=v.text(r.resource, f"{where}.request.resource", 4096),
        agent=v.identifier(r.agent_id, f"{where}.request.agent_id", settings.max_name_chars),
        run=v.identifier(r.run_id, f"{where}.request.run_id", settings.max_name_chars),
        attributes=v.json_object(r.attributes_json, f"{where}.request.attributes_json",
                                 settings.max_attributes_bytes),
        resources=v.amounts(r.resources, f"{where}.request.resources", known=RESOURCES),
        estimated_cost_usd=v.amount(r.estimated_cost_usd,
                                    f"{where}.request.estimated_cost_usd"),
        now=r.now.ToDatetime(tzinfo=dt.timezone.utc) if r.HasField("now") else None)
    return PolicyCase(name=v.text(case.name, f"{where}.name", 256) or f"case {n + 1}",
                      request=request, expect=_VERDICTS[case.expect],
                      expect_policies=tuple(case.expect_policies) or None)


def result_to_pb(result: CaseResult) -> pb.PolicyTestResult:
    return pb.PolicyTestResult(
        name=result.name, passed=result.passed, verdict=_VERDICT_TO_PB[result.verdict],
        matched_policies=result.matched, shadow_matched_policies=result.shadow_matched,
        errors=result.errors, mismatch=result.mismatch)

