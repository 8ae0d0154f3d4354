"""The budget guard (SPEC G3) through a real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import math

import grpc
import pytest

from bastion.v1 import admin_service_pb2 as apb
from bastion.v1 import decision_pb2
from bastion.v1 import guard_service_pb2 as gpb

ALLOW, DEFER, DENY = (decision_pb2.VERDICT_ALLOW, decision_pb2.VERDICT_DEFER,
                      decision_pb2.VERDICT_DENY)
P1, P2, P3 = decision_pb2.PRIORITY_P1, decision_pb2.PRIORITY_P2, decision_pb2.PRIORITY_P3


@pytest.fixture
def operator(connect, tenant):  # type: ignore[no-untyped-def]
    return connect(tenant.operator_token)


def set_budget(stubs, run_id: str, total: float) -> apb.RunBudget:  # type: ignore[no-untyped-def]
    return stubs.admin.SetBudget(apb.SetBudgetRequest(run_id=run_id, total_usd=total),
                                 metadata=stubs.metadata).budget


def get_budget(stubs, run_id: str) -> apb.RunBudget:  # type: ignore[no-untyped-def]
    return stubs.admin.GetBudget(apb.GetBudgetRequest(run_id=run_id),
                                 metadata=stubs.metadata).budget


def spend(agent, run_id: str, cost: float, priority: int = P1) -> decision_pb2.Decision:  # type: ignore[no-untyped-def]
    """A Check in the run and, when allowed, a Report of ``cost``."""
    decision = agent.guard.Check(gpb.CheckRequest(action="llm.generate", run_id=run_id,
                                                  priority=priority),
                                 metadata=agent.metadata).decision
    if decision.verdict == ALLOW:
        agent.guard.Report(gpb.ReportRequest(decision_id=decision.decision_id, cost_usd=cost),
                           metadata=agent.metadata)
    return decision


def codes(decision: decision_pb2.Decision) -> list[str]:
    return [r.code for r in decision.reasons if r.guard == "budget"]


def test_thresholds_fire_once_each_and_the_run_pauses(agent, operator) -> None:  # type: ignore[no-untyped-def]
    set_budget(operator, "run-1", 10)
    for _ in range(4):
        spend(agent, "run-1", 1.5)                       # 6.0 = 60%: alert
    budget = get_budget(operator, "run-1")
    assert (budget.spent_usd, budget.remaining_usd) == (6, 4)
    assert budget.used_fraction == pytest.approx(0.6) and not budget.paused
    assert [(e.threshold, e.action, e.spent_usd) for e in budget.events] == [(0.5, "alert", 6)]
    spend(agent, "run-1", 2.6)                           # 8.6: preempt P3
    # From 80%, new P3 work of the run is held back; P1 still goes.
    deferred = spend(agent, "run-1", 0, priority=P3)
    assert deferred.verdict == DEFER and codes(deferred) == ["budget_throttled"]
    spend(agent, "run-1", 0.5)                           # 9.1: preempt P2 and P3
    held = spend(agent, "run-1", 0, priority=P2)
    assert held.verdict == DEFER and codes(held) == ["budget_throttled"]
    spend(agent, "run-1", 0.5)                           # 9.6: pause
    paused = spend(agent, "run-1", 0)
    assert paused.verdict == DEFER and codes(paused) == ["run_paused"]
    assert paused.retry_after.seconds == 300
    budget = get_budget(operator, "run-1")
    assert budget.paused and budget.spent_usd == pytest.approx(9.6)
    assert [(e.threshold, e.action) for e in budget.events] == [
        (0.5, "alert"), (0.8, "preempt_p3"), (0.9, "preempt_p2_p3"), (0.95, "pause")]
    assert [list(e.priorities_preempted) for e in budget.events] == [
        [], ["P3"], ["P2", "P3"], []]
    # Raising the budget lets the run go on; thresholds already fired do not fire again.
    set_budget(operator, "run-1", 100)
    assert spend(agent, "run-1", 1).verdict == ALLOW
    assert len(get_budget(operator, "run-1").events) == 4


def test_exhausted_and_exceeding_checks_are_denied(agent, operator) -> None:  # type: ignore[no-untyped-def]
    set_budget(operator, "run-2", 1)
    over = agent.guard.Check(gpb.CheckRequest(action="llm.generate", run_id="run-2",
                                              estimated_cost_usd=1.01),
                             metadata=agent.metadata).decision
    assert over.verdict == DENY and codes(over) == ["budget_exceeded"]
    spend(agent, "run-2", 1.2)                           # recording never blocks
    exhausted = spend(agent, "run-2", 0)
    assert exhausted.verdict == DENY and codes(exhausted) == ["budget_exhausted"]
    details = dict(exhausted.reasons[0].details)
    assert (details["total_usd"], details["spent_usd"]) == ("1", "1.2")


def test_costs_are_charged_to_the_run_of_the_decision(agent, operator) -> None:  # type: ignore[no-untyped-def]
    set_budget(operator, "run-a", 10)
    set_budget(operator, "run-b", 10)
    spend(agent, "run-a", 3)
    assert get_budget(operator, "run-a").spent_usd == 3
    assert get_budget(operator, "run-b").spent_usd == 0
    # A run without a budget is not the guard's concern; its spend is still tracked.
    decision = spend(agent, "run-c", 2)
    assert decision.verdict == ALLOW and codes(decision) == []
    set_budget(operator, "run-c", 4)
    assert get_budget(operator, "run-c").spent_usd == 2


def test_a_report_for_an_unknown_decision_is_not_found(agent, operator) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as raised:
        agent.guard.Report(gpb.ReportRequest(decision_id="dec_nope", cost_usd=1),
                           metadata=agent.metadata)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def test_budgets_are_per_tenant(agent, operator, server, connect) -> None:  # type: ignore[no-untyped-def]
    set_budget(operator, "shared-name", 1)
    other = server.create_tenant()
    other_operator = connect(other.operator_token)
    with pytest.raises(grpc.RpcError) as raised:
        get_budget(other_operator, "shared-name")
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert spend(connect(other.agent_token), "shared-name", 5).verdict == ALLOW
    assert get_budget(operator, "shared-name").spent_usd == 0


def test_agents_may_not_set_budgets(agent) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as raised:
        set_budget(agent, "run-x", 5)
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize(("run_id", "total", "field"), [
    ("", 5, "run_id"), ("r", 0, "total_usd"), ("r", -1, "total_usd"),
    ("r", math.nan, "total_usd"), ("r", math.inf, "total_usd"), ("r", 1e13, "total_usd"),
    ("bad run id", 5, "run_id")])
def test_bad_budgets_are_refused(operator, run_id, total, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as raised:
        set_budget(operator, run_id, total)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details().startswith(field)


def test_a_cached_budget_is_re_read_after_this_replica_records_a_cost(database_url) -> None:  # type: ignore[no-untyped-def]
    from bastion.testing.harness import make_test_settings, running_server
    from tests.conftest import Stubs

    base = make_test_settings(database_url)
    sections = {**base.plugin_sections, "budget": {"cache_ttl_s": 600}}
    with running_server(make_test_settings(database_url, plugin_sections=sections)) as handle:
        keys = handle.create_tenant()
        with grpc.insecure_channel(handle.target) as channel:
            agent, operator = Stubs(channel, keys.agent_token), Stubs(channel, keys.operator_token)
            set_budget(operator, "cached", 1)
            for _ in range(2):  # read once, then answered from the cache (inline, no task)
                decision = agent.guard.Check(gpb.CheckRequest(action="llm", run_id="cached",
                                                              estimated_cost_usd=2),
                                             metadata=agent.metadata).decision
                assert codes(decision) == ["budget_exceeded"]
            assert spend(agent, "cached", 0.99).verdict == ALLOW    # 99%: paused
            # The report dropped the cached entry: the pause is seen at once.
            assert codes(spend(agent, "cached", 0)) == ["run_paused"]
