"""Indexing policies by the actions they can match (SPEC G5, issue #4 performance): a Check
evaluates only the policies that could match its action."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bastion.runtime.policies import PolicyDef, compile_policy, request_variables
from bastion.runtime.policy_eval import evaluate
from bastion.runtime.policy_set import ActionKeys, PolicySet, action_keys


class Counting:
    """Wraps a compiled program and counts its evaluations."""

    def __init__(self, program) -> None:  # type: ignore[no-untyped-def]
        self.program, self.calls = program, 0

    def eval(self, activation):  # type: ignore[no-untyped-def]
        self.calls += 1
        return self.program.eval(activation)


def compiled(policy_id: str, expression: str):  # type: ignore[no-untyped-def]
    policy = compile_policy(PolicyDef(policy_id, "deny", expression), "tnt_a")
    return dataclasses.replace(policy, program=Counting(policy.program))


def variables(action: str, **attributes: object) -> dict[str, object]:
    return request_variables(action, "", attributes, "", "tnt_a", "", {},
                             dt.datetime(2026, 11, 25, tzinfo=dt.timezone.utc))


@pytest.mark.parametrize(("expression", "keys"), [
    ('action == "a.b"', ActionKeys(frozenset({"a.b"}), frozenset())),
    ('"a.b" == action && attributes.x > 1', ActionKeys(frozenset({"a.b"}), frozenset())),
    ('attributes.x > 1 && action in ["a", "b"]', ActionKeys(frozenset({"a", "b"}), frozenset())),
    ('action.startsWith("tool.") && agent == "x"', ActionKeys(frozenset(), frozenset({"tool."}))),
    ('action == "a" || action.startsWith("p.")', ActionKeys(frozenset({"a"}), frozenset({"p."}))),
    ('(attributes.x > 1 && action == "a") && resource == "r"',
     ActionKeys(frozenset({"a"}), frozenset())),
    ('action == "a" || attributes.x > 1', None),       # the disjunction is not confined
    ('action != "a"', None),
    ('!(action == "a")', None),
    ('action in attributes.allowed', None),
    ('[1].all(action, action == 1)', None),             # a comprehension variable, not action
    ("true", None),
])
def test_which_actions_a_policy_can_match(expression: str, keys: ActionKeys | None) -> None:
    assert action_keys(compiled("p", expression).root) == keys


def test_an_indexed_policy_is_evaluated_only_for_its_actions() -> None:
    refunds = compiled("refunds", 'action == "payments.refund" && attributes.amount > 10')
    tools = compiled("tools", 'action.startsWith("tool.shell.") && attributes.x == 1')
    everywhere = compiled("everywhere", 'attributes.size() > 100')
    policies = PolicySet([refunds, tools, everywhere])
    outcome = evaluate(policies, variables("llm.generate", amount=50, x=1))
    assert (refunds.program.calls, tools.program.calls, everywhere.program.calls) == (0, 0, 1)
    assert outcome.evaluated == 1 and outcome.matched == []
    outcome = evaluate(policies, variables("payments.refund", amount=50))
    assert [p.id for p in outcome.matched] == ["refunds"]
    assert (refunds.program.calls, tools.program.calls, everywhere.program.calls) == (1, 0, 2)
    outcome = evaluate(policies, variables("tool.shell.exec", x=1))
    assert [p.id for p in outcome.matched] == ["tools"]
    assert (refunds.program.calls, tools.program.calls) == (1, 1)


def test_fifty_policies_for_other_actions_cost_nothing() -> None:
    policies = PolicySet([compiled(f"p{n}", f'action == "other.{n}" && attributes.a == 1')
                          for n in range(50)])
    assert evaluate(policies, variables("llm.generate", a=1)).evaluated == 0
    assert [p.id for p in evaluate(policies, variables("other.7", a=1)).matched] == ["p7"]
    assert policies.unindexed == 0
