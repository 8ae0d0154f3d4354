"""Indexing policies by the actions they can match, and pinning the other string variables
(SPEC G5, issue #4 performance): a Check evaluates only the policies that could match it,
and the answers are CEL's."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bastion.runtime.policies import VARIABLES, PolicyDef, compile_policy, request_variables
from bastion.runtime.policy_eval import evaluate
from bastion.runtime.policy_set import ValueSet, Pin, PolicySet, action_keys, pins


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


def variables(action: str, *, agent: str = "", resource: str = "", run: str = "",
              **attributes: object) -> dict[str, object]:
    return request_variables(action, resource, attributes, agent, "tnt_a", run, {},
                             dt.datetime(2026, 11, 25, tzinfo=dt.timezone.utc))


@pytest.mark.parametrize(("expression", "keys"), [
    ('action == "a.b"', ValueSet(frozenset({"a.b"}), frozenset())),
    ('"a.b" == action && attributes.x > 1', ValueSet(frozenset({"a.b"}), frozenset())),
    ('attributes.x > 1 && action in ["a", "b"]', ValueSet(frozenset({"a", "b"}), frozenset())),
    ('action.startsWith("tool.") && agent == "x"', ValueSet(frozenset(), frozenset({"tool."}))),
    ('action == "a" || action.startsWith("p.")', ValueSet(frozenset({"a"}), frozenset({"p."}))),
    ('(attributes.x > 1 && action == "a") && resource == "r"',
     ValueSet(frozenset({"a"}), frozenset())),
    ('action == "a" || attributes.x > 1', None),       # the disjunction is not confined
    ('action != "a"', None),
    ('!(action == "a")', None),
    ('action in attributes.allowed', None),
    ('[1].all(action, action == 1)', None),             # a comprehension variable, not action
    ("true", None),
])
def test_which_actions_a_policy_can_match(expression: str, keys: ValueSet | None) -> None:
    assert action_keys(compiled("p", expression).root) == keys


def test_an_indexed_policy_is_evaluated_only_for_its_actions() -> None:
    refunds = compiled("refunds", 'action == "payments.refund" && attributes.amount > 10')
    tools = compiled("tools", 'action.startsWith("tool.shell.") && attributes.x == 1')
    everywhere = compiled("everywhere", 'attributes.size() > 100')
    policies = PolicySet([refunds, tools, everywhere])
    outcome = evaluate(policies, variables("llm.generate", amount=50, x=1))
    assert [p.id for p in policies.candidates("llm.generate")] == ["everywhere"]
    assert (refunds.program.calls, tools.program.calls, everywhere.program.calls) == (0, 0, 1)
    assert outcome.evaluated == 1 and outcome.matched == []
    outcome = evaluate(policies, variables("payments.refund", amount=50))
    assert [p.id for p in policies.candidates("payments.refund")] == ["refunds", "everywhere"]
    assert outcome.evaluated == 2 and [p.id for p in outcome.matched] == ["refunds"]
    outcome = evaluate(policies, variables("tool.shell.exec", x=1))
    assert [p.id for p in policies.candidates("tool.shell.exec")] == ["tools", "everywhere"]
    assert [p.id for p in outcome.matched] == ["tools"]


def test_several_candidates_are_evaluated_in_one_call() -> None:
    first = compiled("first", 'action == "a" && attributes.n > 1')
    second = compiled("second", 'attributes.n > 5 // a comment ends at its line')
    third = compiled("third", 'attributes.n < 0')
    policies = PolicySet([first, second, third])
    outcome = evaluate(policies, variables("a", n=3))
    assert [p.id for p in outcome.matched] == ["first"] and outcome.evaluated == 3
    # The combined program answered: no policy's own program was called.
    assert (first.program.calls, second.program.calls, third.program.calls) == (0, 0, 0)
    # Actions with the same candidates share one combined program.
    assert policies.lookup("a").program is not None
    assert policies.lookup("b").program is policies.lookup("c").program


def _one_by_one(policies: PolicySet, values: dict[str, object]):  # type: ignore[no-untyped-def]
    """``evaluate`` with the combined programs switched off."""
    for found in (policies.select(values),):
        found._program, found._compiled = None, True
    return evaluate(policies, values)


@pytest.mark.parametrize(("values", "answered_at_once"), [
    (variables("a", n=3, flag=True, items=[1, 2]), True),    # every result a bool
    (variables("a", n=0, flag=False, items=[]), True),
    (variables("a", n=3, flag="yes", items=[1, 2]), False),  # "dyn" is not a bool
    (variables("a", n=9, flag=True, items=list(range(150))), False),  # over the budget
    (variables("a", flag=False, items=[]), False),           # attributes.n missing
    (variables("a", n="text", flag=True, items=[]), False),  # a type error
])
def test_at_once_or_one_by_one_the_outcome_is_the_same(values, answered_at_once) -> None:  # type: ignore[no-untyped-def]
    def policy_set() -> PolicySet:
        return PolicySet([
            compiled("matches", 'action == "a"'),
            compiled("missing", 'attributes.n > 1'),
            compiled("dyn", 'attributes.flag'),  # DYN: a bool only when the input is
            compiled("budget", 'attributes.items.all(x, attributes.items.all(y, x >= 0))'),
            compiled("never", 'attributes.n == -1'),
        ])

    combined = policy_set()
    at_once, one_by_one = evaluate(combined, values), _one_by_one(policy_set(), values)
    own_calls = sum(p.program.calls for p in combined.policies)
    assert own_calls == (0 if answered_at_once else 5)
    assert [p.id for p in at_once.matched] == [p.id for p in one_by_one.matched]
    assert [(p.id, e) for p, e in at_once.errors] == [(p.id, e) for p, e in one_by_one.errors]
    assert at_once.evaluated == one_by_one.evaluated == 5


def test_fifty_policies_for_other_actions_cost_nothing() -> None:
    policies = PolicySet([compiled(f"p{n}", f'action == "other.{n}" && attributes.a == 1')
                          for n in range(50)])
    assert evaluate(policies, variables("llm.generate", a=1)).evaluated == 0
    assert [p.id for p in evaluate(policies, variables("other.7", a=1)).matched] == ["p7"]
    assert policies.unindexed == 0


@pytest.mark.parametrize(("expression", "expected"), [
    ('agent == "x"', (Pin("agent", ValueSet(frozenset({"x"}), frozenset())),)),
    ('action == "a" && resource.startsWith("/srv/") && run in ["r1", "r2"]',
     (Pin("resource", ValueSet(frozenset(), frozenset({"/srv/"}))),
      Pin("run", ValueSet(frozenset({"r1", "r2"}), frozenset())))),
    ('tenant == "t" || tenant.startsWith("p.")',
     (Pin("tenant", ValueSet(frozenset({"t"}), frozenset({"p."}))),)),
    ('agent != "x"', ()),
    ('agent == "x" || attributes.a == 1', ()),          # the disjunction is not confined
    ('agent == attributes.who', ()),
    ('[1].all(agent, agent == 1)', ()),                 # a comprehension variable
])
def test_which_variables_a_policy_pins(expression: str, expected: tuple[Pin, ...]) -> None:
    assert pins(compiled("p", expression).root) == expected


def test_a_policy_is_not_evaluated_for_a_request_its_pins_rule_out() -> None:
    blocked = compiled("blocked", 'agent in ["agent-666", "agent-667"]')
    root = compiled("root", 'action == "tool.shell.exec" && resource == "/"')
    open_ = compiled("open", 'attributes.n > 1')
    policies = PolicySet([blocked, root, open_])
    outcome = evaluate(policies, variables("tool.shell.exec", agent="agent-17",
                                           resource="/srv", n=3))
    assert [p.id for p in outcome.matched] == ["open"] and outcome.evaluated == 1
    outcome = evaluate(policies, variables("tool.shell.exec", agent="agent-666",
                                           resource="/", n=0))
    assert [p.id for p in outcome.matched] == ["blocked", "root"] and outcome.evaluated == 3


@pytest.mark.parametrize("expression", [
    'agent == "x" && attributes.missing > 1',          # an error only where agent is "x"
    'attributes.missing > 1 && agent == "x"',          # CEL's && is commutative
    'resource.startsWith("/srv/") && attributes.n > 1',
    'run in ["r1", "r2"] && attributes.n == "text"',   # a type error where run admits
    'agent == "x" && agent == "y"',
])
@pytest.mark.parametrize("request_vars", [
    {"agent": "x", "resource": "/srv/a", "run": "r1"},
    {"agent": "y", "resource": "/etc", "run": "r3"},
])
def test_pins_give_cel_s_own_answer(expression: str, request_vars: dict[str, str]) -> None:
    values = variables("a", n=3, **request_vars)  # type: ignore[arg-type]
    pinned = PolicySet([compiled("p", expression)])
    unpinned = PolicySet([compiled("p", expression)])
    unpinned._pins = [()]  # every policy evaluated by CEL
    with_pins, by_cel = evaluate(pinned, values), evaluate(unpinned, values)
    assert [p.id for p in with_pins.matched] == [p.id for p in by_cel.matched]
    assert [(p.id, e) for p, e in with_pins.errors] == [(p.id, e) for p, e in by_cel.errors]


def test_the_activation_holds_only_what_the_candidates_read() -> None:
    policies = PolicySet([compiled("a", 'attributes.n > 1'),
                          compiled("b", 'now > timestamp("2020-01-01T00:00:00Z")')])
    assert policies.lookup("x").variables == {"attributes", "now"}
    assert set(policies.lookup("x").activation_values(variables("x", n=2))) == \
        {"attributes", "now"}
    assert len(evaluate(policies, variables("x", n=2)).matched) == 2
    opaque = PolicySet([compiled("m", '{"k": agent}.k == "x"')])  # a map literal
    assert opaque.lookup("x").variables == set(VARIABLES)  # every variable, to be safe
    assert [p.id for p in evaluate(opaque, variables("x", agent="x")).matched] == ["m"]


def test_callers_choosing_agents_and_resources_cannot_grow_the_caches_without_bound(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import bastion.runtime.policy_set as policy_set

    monkeypatch.setattr(policy_set, "_CACHED_ACTIONS", 8)
    policies = PolicySet([compiled("blocked", 'agent == "agent-666"'),
                          compiled("open", 'attributes.n > 1')])
    for n in range(50):
        outcome = evaluate(policies, variables(f"act.{n}", agent=f"agent-{n}", n=2))
        assert [p.id for p in outcome.matched] == ["open"]
    assert len(policies._selected) <= 8 and len(policies._by_action) <= 8
    assert [p.id for p in evaluate(policies, variables("x", agent="agent-666", n=2)).matched] \
        == ["blocked", "open"]
