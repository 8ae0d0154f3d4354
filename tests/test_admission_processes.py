"""Quotas and budgets stay right with several `bastion serve` processes on one database.

32 client threads spread their calls over 4 server processes; each process checks limits
against the shared counters (never its own memory), so the total granted never exceeds a
quota and each budget threshold fires once, whichever process saw it crossed.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import grpc
import pytest

from bastion.testing.harness import temporary_database
from bastion.v1 import admin_service_pb2 as apb
from bastion.v1 import admin_service_pb2_grpc, decision_pb2, guard_service_pb2_grpc
from bastion.v1 import guard_service_pb2 as gpb
from tests.helpers_process import serving, set_up_tenant

PROCESSES = 4
CLIENTS = 32
PLUGINS = {"BASTION_PLUGINS": "ledger,quota,budget,priority"}


def _bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def _run_clients(targets: list[str], body: Callable[[int, guard_service_pb2_grpc.GuardServiceStub], None]) -> None:
    """Runs ``body(index, stub)`` on CLIENTS threads at once, client i on process i % n."""
    errors: list[str] = []
    start = threading.Barrier(CLIENTS)

    def client(index: int) -> None:
        with grpc.insecure_channel(targets[index % len(targets)]) as channel:
            try:
                start.wait(timeout=30)
                body(index, guard_service_pb2_grpc.GuardServiceStub(channel))
            except BaseException as error:  # noqa: BLE001 - reported by the test
                errors.append(f"client {index}: {error!r}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert not any(t.is_alive() for t in threads), "a client thread hung"
    assert not errors, errors[:3]


@pytest.mark.multiprocess
@pytest.mark.parametrize("engine", ["postgresql", "sqlite"])
def test_replicas_never_grant_more_than_the_quota(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    quota, per_client = 100, 5                       # 160 asks for 100 tokens
    with temporary_database(engine, tmp_path) as url:
        setup = set_up_tenant(url)
        with serving(url, tmp_path, PROCESSES, **PLUGINS) as servers:
            with grpc.insecure_channel(servers[0].target) as channel:
                admin = admin_service_pb2_grpc.AdminServiceStub(channel)
                admin.SetQuota(apb.SetQuotaRequest(limits={"tokens": quota},
                                                   throttle_threshold=1.0),
                               metadata=_bearer(setup.admin_token))
            verdicts: Counter[tuple[int, str]] = Counter()
            lock = threading.Lock()

            def ask(index: int, guard: guard_service_pb2_grpc.GuardServiceStub) -> None:
                for n in range(per_client):
                    decision = guard.Check(gpb.CheckRequest(
                        action="llm.generate", resources={"tokens": 1}),
                        metadata=_bearer(setup.agent_token), timeout=60).decision
                    codes = ",".join(r.code for r in decision.reasons)
                    with lock:
                        verdicts[(decision.verdict, codes)] += 1

            _run_clients([s.target for s in servers], ask)
            with grpc.insecure_channel(servers[-1].target) as channel:
                status = admin_service_pb2_grpc.AdminServiceStub(channel).GetQuota(
                    apb.GetQuotaRequest(), metadata=_bearer(setup.admin_token)).status
    asked = CLIENTS * per_client
    assert verdicts == {(decision_pb2.VERDICT_ALLOW, ""): quota,
                        (decision_pb2.VERDICT_DENY, "quota_exceeded"): asked - quota}
    assert next(r.used for r in status.resources if r.resource == "tokens") == quota
    assert sum(1 for v in status.violations if v.action == "reject") == min(asked - quota, 50)


@pytest.mark.multiprocess
@pytest.mark.parametrize("engine", ["postgresql", "sqlite"])
def test_replicas_record_every_cost_and_fire_each_threshold_once(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    per_client, cost = 4, 0.07                        # up to 128 × $0.07 against $5
    with temporary_database(engine, tmp_path) as url:
        setup = set_up_tenant(url)
        with serving(url, tmp_path, PROCESSES, **PLUGINS) as servers:
            with grpc.insecure_channel(servers[0].target) as channel:
                admin_service_pb2_grpc.AdminServiceStub(channel).SetBudget(
                    apb.SetBudgetRequest(run_id="run-1", total_usd=5),
                    metadata=_bearer(setup.admin_token))
            reported: list[float] = []
            lock = threading.Lock()

            def spend(index: int, guard: guard_service_pb2_grpc.GuardServiceStub) -> None:
                for n in range(per_client):
                    # P1: not held back at 80/90% like P2/P3 work, so spend reaches the
                    # pause threshold.
                    decision = guard.Check(gpb.CheckRequest(
                        action="llm.generate", run_id="run-1",
                        priority=decision_pb2.PRIORITY_P1),
                                           metadata=_bearer(setup.agent_token),
                                           timeout=60).decision
                    if decision.verdict != decision_pb2.VERDICT_ALLOW:
                        continue
                    guard.Report(gpb.ReportRequest(decision_id=decision.decision_id,
                                                   cost_usd=cost),
                                 metadata=_bearer(setup.agent_token), timeout=60)
                    with lock:
                        reported.append(cost)

            _run_clients([s.target for s in servers], spend)
            with grpc.insecure_channel(servers[-1].target) as channel:
                budget = admin_service_pb2_grpc.AdminServiceStub(channel).GetBudget(
                    apb.GetBudgetRequest(run_id="run-1"),
                    metadata=_bearer(setup.admin_token)).budget
    assert round(budget.spent_usd * 1_000_000) == round(sum(reported) * 1_000_000)
    assert budget.spent_usd >= 0.95 * 5 and budget.paused
    assert [(e.threshold, e.action) for e in budget.events] == [
        (0.5, "alert"), (0.8, "preempt_p3"), (0.9, "preempt_p2_p3"), (0.95, "pause")]
