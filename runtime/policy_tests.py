"""Policy tests (SPEC G5): cases of "this request → this verdict" run against policies
without deciding anything, the way Cerbos and OPA users test theirs. Used by
``bastion policy test FILE`` and ``AdminService.TestPolicies``.

A test document (YAML or JSON)::

    policies:            # optional: policies under test (replace stored ones by id)
      - id: refunds-over-1000
        effect: deny
        expression: action == "payments.refund" && attributes.amount > 1000
    tests:
      - name: a large refund is denied
        request: {action: payments.refund, attributes: {amount: 5000}}
        expect: DENY
        expect_policies: [refunds-over-1000]   # optional: exactly these matched
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bastion.runtime import validation as v
from bastion.runtime.actions import RESOURCES
from bastion.runtime.errors import InvalidArgument
from bastion.runtime.policies import PolicyDef, request_variables
from bastion.runtime.policy_eval import evaluate, is_shadow, verdict_of
from bastion.runtime.policy_set import PolicySet
from bastion.runtime.verdicts import Verdict

MAX_CASES = 1000


@dataclass(frozen=True)
class CaseRequest:
    action: str
    resource: str = ""
    agent: str = ""
    run: str = ""
    tenant: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict)
    resources: Mapping[str, float] = field(default_factory=dict)
    estimated_cost_usd: float = 0.0
    now: dt.datetime | None = None


@dataclass(frozen=True)
class PolicyCase:
    name: str
    request: CaseRequest
    expect: Verdict
    expect_policies: tuple[str, ...] | None = None


@dataclass(frozen=True)
class CaseResult:
    name: str
    verdict: Verdict
    matched: tuple[str, ...]
    shadow_matched: tuple[str, ...]
    errors: tuple[str, ...]
    mismatch: str

    @property
    def passed(self) -> bool:
        return not self.mismatch


def run_cases(policies: PolicySet, cases: Sequence[PolicyCase],
              tenant_id: str) -> list[CaseResult]:
    return [_run(policies, case, tenant_id) for case in cases]


def _run(policies: PolicySet, case: PolicyCase, tenant_id: str) -> CaseResult:
    r = case.request
    usage = dict(r.resources)
    if r.estimated_cost_usd:
        usage["cost"] = usage.get("cost", 0.0) + r.estimated_cost_usd
    variables = request_variables(
        r.action, r.resource, r.attributes, r.agent, r.tenant or tenant_id, r.run, usage,
        r.now or dt.datetime.now(dt.timezone.utc))
    outcome = evaluate(policies, variables)
    verdict = verdict_of(outcome, r.action)
    got = verdict.verdict if verdict is not None else Verdict.ALLOW
    matched = tuple(p.id for p in outcome.matched if not is_shadow(p))
    mismatch = ""
    if got is not case.expect:
        mismatch = f"expected {case.expect.name}, got {got.name}"
    elif case.expect_policies is not None and sorted(matched) != sorted(case.expect_policies):
        mismatch = (f"expected policies {sorted(case.expect_policies)}, "
                    f"matched {sorted(matched)}")
    return CaseResult(
        name=case.name, verdict=got, matched=matched,
        shadow_matched=tuple(p.id for p in outcome.matched if is_shadow(p)),
        errors=tuple(f"{p.id}: {message}" for p, message in outcome.errors), mismatch=mismatch)


# -- reading a test document ---------------------------------------------------------

def parse_verdict(value: Any, where: str) -> Verdict:
    try:
        return Verdict[str(value).strip().upper()]
    except KeyError:
        raise InvalidArgument(where, "must be ALLOW, REVIEW, DEFER or DENY") from None


def policies_from_document(doc: Mapping[str, Any]) -> list[PolicyDef]:
    items = _list(doc.get("policies", []), "policies")
    out = []
    for n, item in enumerate(items):
        where = f"policies[{n}]"
        entry = _mapping(item, where)
        unknown = set(entry) - {"id", "effect", "mode", "description", "expression",
                                "fail_open", "global"}
        if unknown:
            raise InvalidArgument(where, f"unknown keys {sorted(unknown)}")
        out.append(PolicyDef(
            id=str(entry.get("id", "")), effect=str(entry.get("effect", "")).lower(),
            expression=str(entry.get("expression", "")),
            mode=str(entry.get("mode", "enforce")).lower(),
            description=str(entry.get("description", "")),
            fail_open=bool(entry.get("fail_open", False))))
    return out


def cases_from_document(doc: Mapping[str, Any]) -> list[PolicyCase]:
    items = _list(doc.get("tests", []), "tests")
    if not items:
        raise InvalidArgument("tests", "at least one test case is required")
    if len(items) > MAX_CASES:
        raise InvalidArgument("tests", f"at most {MAX_CASES} cases")
    cases = []
    for n, item in enumerate(items):
        where = f"tests[{n}]"
        entry = _mapping(item, where)
        request = _mapping(entry.get("request", {}), f"{where}.request")
        expected = entry.get("expect_policies")
        cases.append(PolicyCase(
            name=str(entry.get("name", f"case {n + 1}")),
            request=case_request(request, f"{where}.request"),
            expect=parse_verdict(entry.get("expect", ""), f"{where}.expect"),
            expect_policies=tuple(str(p) for p in _list(expected, f"{where}.expect_policies"))
            if expected is not None else None))
    return cases


def case_request(request: Mapping[str, Any], where: str) -> CaseRequest:
    now = request.get("now")
    attributes = request.get("attributes", {})
    if not isinstance(attributes, Mapping):
        raise InvalidArgument(f"{where}.attributes", "must be an object")
    resources = _mapping(request.get("resources", {}), f"{where}.resources")
    return CaseRequest(
        action=v.action_name(str(request.get("action", "")), f"{where}.action", 256),
        resource=str(request.get("resource", "")), agent=str(request.get("agent", "")),
        run=str(request.get("run", "")), tenant=str(request.get("tenant", "")),
        attributes=dict(attributes),
        resources=v.amounts({str(k): float(x) for k, x in resources.items()},
                            f"{where}.resources", known=RESOURCES),
        estimated_cost_usd=v.amount(float(request.get("estimated_cost_usd", 0.0)),
                                    f"{where}.estimated_cost_usd"),
        now=_timestamp(now, f"{where}.now") if now is not None else None)


def _timestamp(value: Any, where: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        try:
            parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise InvalidArgument(where, "must be an RFC 3339 timestamp") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidArgument(where, "must be a list")
    return value


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidArgument(where, "must be an object")
    return value
