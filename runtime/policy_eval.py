"""Evaluating a request against a tenant's policies and turning the outcome into the
semantic guard's verdict (SPEC G5). The guard and ``bastion policy test`` both use this,
so a policy test predicts exactly what the guard does.

Verdict: any enforced ``deny`` match → DENY; else any enforced ``review`` match → REVIEW;
else any enforced ``allow`` match → ALLOW (it never overrides another guard: SPEC G6,
most restrictive wins). An enforced policy whose evaluation fails (a missing attribute,
a type error, the iteration budget) fails closed: DENY ``policy_error`` naming it, unless
the policy is fail-open (``fail_open``), then it counts as not matching and is reported
``policy_error_ignored``. Shadow policies never change the verdict: a match is reported
as ``shadow_policy_match``, a failure as ``shadow_policy_error``. No policy matched and
nothing to report → None (the guard is not concerned).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cel_expr_python import cel

from bastion.runtime.policies import ENV, CompiledPolicy
from bastion.runtime.policy_set import PolicySet
from bastion.runtime.verdicts import GuardVerdict, Reason, Verdict

_ERROR = cel.Type.ERROR
_MAX_ERROR_CHARS = 200
_EFFECT_VERDICT = {"deny": Verdict.DENY, "review": Verdict.REVIEW, "allow": Verdict.ALLOW}


@dataclass
class PolicyOutcome:
    """What evaluating the candidate policies found, in policy order."""

    evaluated: int = 0
    matched: list[CompiledPolicy] = field(default_factory=list)
    errors: list[tuple[CompiledPolicy, str]] = field(default_factory=list)


def evaluate(policies: PolicySet, variables: Mapping[str, Any]) -> PolicyOutcome:
    """Evaluates the policies that could match ``variables`` (:meth:`PolicySet.select`),
    with one activation shared by all of them."""
    outcome = PolicyOutcome()
    found = policies.select(variables)
    candidates = found.policies
    if not candidates:
        return outcome
    activation = ENV.Activation(found.activation_values(variables))
    program = found.program
    if program is not None and _evaluate_at_once(program, candidates, activation, outcome):
        return outcome
    for policy in candidates:
        outcome.evaluated += 1
        try:
            value = policy.program.eval(activation)
        except RuntimeError as error:  # the runtime's iteration budget raises
            outcome.errors.append((policy, _short(str(error))))
            continue
        if value.type() == _ERROR:
            outcome.errors.append((policy, _short(str(value.value()))))
            continue
        result = value.value()
        if result is True:
            outcome.matched.append(policy)
        elif result is not False:
            outcome.errors.append((policy, f"evaluated to {type(result).__name__}, "
                                           "not a bool"))
    return outcome


def _evaluate_at_once(program: Any, candidates: tuple[CompiledPolicy, ...], activation: Any,
                      outcome: PolicyOutcome) -> bool:
    """Evaluates the candidates' combined program; False (``outcome`` untouched) unless
    every result is a bool: then the caller evaluates them one by one, which names each
    error exactly."""
    try:
        value = program.eval(activation)
    except RuntimeError:  # the iteration budget, shared by the whole list
        return False
    if value.type() == _ERROR:
        return False
    results = value.plain_value()
    if len(results) != len(candidates) or any(type(r) is not bool for r in results):
        return False
    outcome.evaluated = len(candidates)
    outcome.matched.extend(p for p, matched in zip(candidates, results) if matched)
    return True


def _short(message: str) -> str:
    return message.replace(" [INTERNAL]", "")[:_MAX_ERROR_CHARS]


def is_shadow(policy: CompiledPolicy) -> bool:
    return policy.definition.mode == "shadow"


def verdict_of(outcome: PolicyOutcome, action: str) -> GuardVerdict | None:
    """The guard's verdict for ``outcome`` (see the module docstring)."""
    reasons: list[Reason] = []
    verdict: Verdict | None = None
    for policy in outcome.matched:
        d = policy.definition
        details = _details(policy)
        if is_shadow(policy):
            reasons.append(Reason("shadow_policy_match", f"shadow policy {d.id} would "
                                  f"{d.effect} {action}", details))
            continue
        effect_verdict = _EFFECT_VERDICT[d.effect]
        verdict = max(verdict or Verdict.ALLOW, effect_verdict)
        reasons.append(Reason(f"policy_{d.effect}", d.description or
                              f"policy {d.id} matched: {d.effect}", details))
    for policy, message in outcome.errors:
        details = {**_details(policy), "error": message}
        if is_shadow(policy):
            reasons.append(Reason("shadow_policy_error",
                                  f"shadow policy {policy.id} failed: {message}", details))
        elif policy.definition.fail_open:
            reasons.append(Reason("policy_error_ignored",
                                  f"policy {policy.id} failed (fail-open): {message}", details))
        else:
            verdict = Verdict.DENY
            reasons.append(Reason("policy_error",
                                  f"policy {policy.id} failed: {message}", details))
    if not reasons:
        return None
    return GuardVerdict(verdict or Verdict.ALLOW, reasons=tuple(reasons))


def _details(policy: CompiledPolicy) -> dict[str, str]:
    d = policy.definition
    return {"policy_id": d.id, "effect": d.effect, "mode": d.mode,
            "scope": "global" if policy.scope == "*" else "tenant"}
