"""The Python client against a real server: typed results, errors, retries, @guarded."""

from __future__ import annotations

from concurrent import futures

import grpc
import pytest

from bastion.clients import (
    AsyncBastionClient,
    BastionClient,
    BastionError,
    NotAllowed,
    Verdict,
    guarded,
)
from bastion.testing.harness import make_test_settings, running_server
from tests.guards import DenyPrefix


@pytest.fixture
def client(server, tenant):  # type: ignore[no-untyped-def]
    with BastionClient(server.target, api_key=tenant.agent_token) as c:
        yield c


@pytest.fixture(scope="module")
def deny_server(tmp_path_factory):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path_factory.mktemp('deny')}/deny.db"
    with running_server(make_test_settings(url), [DenyPrefix]) as handle:
        yield handle


def test_check_report_explain_roundtrip(client) -> None:  # type: ignore[no-untyped-def]
    decision = client.check("tool.shell.exec", resource="/tmp", run_id="run-1",
                            priority="P1", attributes={"cmd": "ls"}, estimated_cost_usd=0.5)
    assert decision.verdict is Verdict.ALLOW and decision.allowed
    assert decision.ledger_entry is not None and decision.ledger_entry.sequence >= 1
    assert client.report(decision.decision_id, cost_usd=0.4, usage={"tokens": 10}).startswith("rep_")
    explained = client.explain(decision.decision_id)
    assert explained.decision.decision_id == decision.decision_id
    assert explained.request["attributes"] == {"cmd": "ls"}
    assert explained.request["priority"] == "P1"


def test_metabolism_calls(client) -> None:  # type: ignore[no-untyped-def]
    snapshot = client.compute_snapshot(health_score=80, operations_score=70, customer_score=60,
                                       active_goals=2, pending_tasks=8)
    assert snapshot.energy_capacity == 57
    assert snapshot.projected_weekly_capacity == pytest.approx(11.6395824)
    plan = client.plan_task_generation(inputs=snapshot.basis, existing_todo_count=9)
    assert (plan.max_new_tasks, plan.capped) == (2, True)
    uncapped = client.plan_task_generation(existing_todo_count=3)
    assert (uncapped.capped, uncapped.snapshot) == (False, None)


def test_invalid_argument_carries_the_field(client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BastionError) as info:
        client.check("tool.x", estimated_cost_usd=float("nan"))
    assert info.value.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in info.value.field_violations] == ["estimated_cost_usd"]


def test_bad_credentials_raise_unauthenticated(server) -> None:  # type: ignore[no-untyped-def]
    with BastionClient(server.target, api_key="bst_nope_nope") as c:
        with pytest.raises(BastionError) as info:
            c.check("tool.x")
    assert info.value.code is grpc.StatusCode.UNAUTHENTICATED


def test_refused_domain_call_carries_the_decision(deny_server) -> None:  # type: ignore[no-untyped-def]
    keys = deny_server.create_tenant()
    with BastionClient(deny_server.target, api_key=keys.agent_token) as c:
        with pytest.raises(BastionError) as info:
            c.compute_snapshot(health_score=1, operations_score=1, customer_score=1,
                               active_goals=0, pending_tasks=0)
    error = info.value
    assert error.code is grpc.StatusCode.PERMISSION_DENIED
    assert error.error_info is not None and error.error_info.reason == "VERDICT_DENY"
    assert error.decision is not None and error.decision.verdict is Verdict.DENY
    assert error.decision.reasons[0].guard == "deny_prefix"


def test_guarded_runs_only_when_allowed(deny_server) -> None:  # type: ignore[no-untyped-def]
    keys = deny_server.create_tenant()
    ran: list[str] = []
    with BastionClient(deny_server.target, api_key=keys.agent_token) as c:
        @guarded(c, action="files.read", attributes=lambda path: {"path": path})
        def read(path: str) -> str:
            ran.append(path)
            return "content"

        @guarded(c, action="deny.delete")
        def delete(path: str) -> None:
            ran.append("deleted " + path)

        @guarded(c, action="deny.delete", on_deny=lambda d, path: f"refused {d.verdict.value}")
        def delete_softly(path: str) -> None:
            ran.append("deleted " + path)

        assert read("/etc/hosts") == "content"
        with pytest.raises(NotAllowed) as info:
            delete("/etc/hosts")
        assert info.value.decision is not None
        assert info.value.decision.reasons[0].code == "forbidden"
        assert delete_softly("/x") == "refused DENY"
    assert ran == ["/etc/hosts"]


def test_defer_and_obligations_are_typed(deny_server) -> None:  # type: ignore[no-untyped-def]
    keys = deny_server.create_tenant()
    with BastionClient(deny_server.target, api_key=keys.agent_token) as c:
        deferred = c.check("defer.job")
        assert deferred.verdict is Verdict.DEFER and deferred.retry_after == 30.0
        fallback = c.check("fallback.llm")
        assert fallback.allowed
        assert fallback.obligation("use_fallback_model").params == {"model": "small"}


class _Counting(grpc.GenericRpcHandler):
    """A stand-in GuardService that fails with ``codes`` in turn, then answers."""

    def __init__(self, codes: list[grpc.StatusCode]) -> None:
        self.codes = list(codes)
        self.calls = 0

    def service(self, details):  # type: ignore[no-untyped-def]
        if details.method != "/bastion.v1.GuardService/Report":
            return None

        def report(request, context):  # type: ignore[no-untyped-def]
            self.calls += 1
            if self.codes:
                context.abort(self.codes.pop(0), "scripted failure")
            from bastion.v1 import guard_service_pb2
            return guard_service_pb2.ReportResponse(report_id="rep_ok")

        from bastion.v1 import guard_service_pb2
        return grpc.unary_unary_rpc_method_handler(
            report, guard_service_pb2.ReportRequest.FromString,
            guard_service_pb2.ReportResponse.SerializeToString)


@pytest.fixture
def scripted():  # type: ignore[no-untyped-def]
    servers = []

    def start(codes: list[grpc.StatusCode]) -> tuple[str, _Counting]:
        handler = _Counting(codes)
        srv = grpc.server(futures.ThreadPoolExecutor(max_workers=2), handlers=[handler])
        port = srv.add_insecure_port("127.0.0.1:0")
        srv.start()
        servers.append(srv)
        return f"127.0.0.1:{port}", handler

    yield start
    for srv in servers:
        srv.stop(0)


def test_retries_unavailable_then_succeeds(scripted) -> None:  # type: ignore[no-untyped-def]
    target, handler = scripted([grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNAVAILABLE])
    with BastionClient(target, api_key="k", max_attempts=4) as c:
        assert c.report("dec_1") == "rep_ok"
    assert handler.calls == 3


def test_never_retries_other_codes(scripted) -> None:  # type: ignore[no-untyped-def]
    target, handler = scripted([grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.INTERNAL])
    with BastionClient(target, api_key="k") as c:
        with pytest.raises(BastionError) as info:
            c.report("dec_1")
    assert info.value.code is grpc.StatusCode.INVALID_ARGUMENT
    assert handler.calls == 1


def test_gives_up_with_unavailable_when_nothing_listens() -> None:
    with BastionClient("127.0.0.1:1", api_key="k", timeout=5, max_attempts=2) as c:
        with pytest.raises(BastionError) as info:
            c.check("x")
    assert info.value.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


async def test_async_client_and_guarded(deny_server) -> None:  # type: ignore[no-untyped-def]
    keys = deny_server.create_tenant()
    async with AsyncBastionClient(deny_server.target, api_key=keys.agent_token) as c:
        decision = await c.check("tool.read")
        assert decision.allowed
        assert (await c.explain(decision.decision_id)).decision.decision_id == decision.decision_id

        @guarded(c, action="deny.rm")
        async def remove() -> None:
            raise AssertionError("must not run")

        with pytest.raises(NotAllowed):
            await remove()
        with pytest.raises(BastionError) as info:
            await c.check("")
        assert info.value.field_violations[0].field == "action"


async def test_async_client_shares_one_check_stream(deny_server) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    keys = deny_server.create_tenant()
    async with AsyncBastionClient(deny_server.target, api_key=keys.agent_token) as c:
        async with c.check_stream() as stream:
            actions = ["tool.read", "deny.rm", "tool.write"] * 5
            decisions = await asyncio.gather(*(stream.check(a, agent_id="a-1")
                                               for a in actions))
            assert [d.action for d in decisions] == actions
            assert [d.allowed for d in decisions] == [not a.startswith("deny.")
                                                      for a in actions]
            with pytest.raises(BastionError) as info:
                await stream.check("")
            assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
            assert info.value.field_violations[0].field == "check.action"
            assert (await stream.check("tool.read")).allowed     # the stream goes on
        explained = await c.explain(decisions[1].decision_id)
        assert explained.decision.action == "deny.rm"
