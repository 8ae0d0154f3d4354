"""Shadow mode per tenant (issue #4): any guard can be shadowed for one tenant, by
configuration or by an admin at run time; a shadowed guard is evaluated and recorded
(``shadow_results``, Explain), never changing the verdict, and does nothing it would
undo (the quota guard reserves nothing, the priority guard preempts nothing). On SQLite
and PostgreSQL."""

from __future__ import annotations

import grpc
import pytest

from bastion.runtime import cli
from bastion.runtime.config import GuardSettings
from bastion.runtime.guard_modes import GuardModes
from bastion.runtime.config import Settings
from bastion.testing.harness import make_test_settings, running_server
from bastion.v1 import admin_service_pb2 as apb
from bastion.v1 import decision_pb2
from bastion.v1 import guard_service_pb2 as gpb
from bastion.v1 import work_service_pb2 as wpb
from tests.conftest import Stubs

ALLOW, DENY = decision_pb2.VERDICT_ALLOW, decision_pb2.VERDICT_DENY
ENFORCE, SHADOW, DEFAULT = apb.GUARD_MODE_ENFORCE, apb.GUARD_MODE_SHADOW, apb.GUARD_MODE_DEFAULT


def check(stubs, **fields) -> decision_pb2.Decision:  # type: ignore[no-untyped-def]
    fields.setdefault("action", "llm.generate")
    return stubs.guard.Check(gpb.CheckRequest(**fields), metadata=stubs.metadata).decision


def set_mode(admin, guard: str, mode: int) -> dict[str, tuple[int, str]]:  # type: ignore[no-untyped-def]
    reply = admin.admin.SetGuardMode(apb.SetGuardModeRequest(guard=guard, mode=mode),
                                     metadata=admin.metadata)
    return {g.guard: (g.mode, g.source) for g in reply.guards}


def tokens_used(admin) -> float:  # type: ignore[no-untyped-def]
    status = admin.admin.GetQuota(apb.GetQuotaRequest(), metadata=admin.metadata).status
    return next(r.used for r in status.resources if r.resource == "tokens")


def test_an_admin_shadows_a_guard_for_its_tenant_only(server, connect, agent, admin) -> None:  # type: ignore[no-untyped-def]
    admin.admin.SetQuota(apb.SetQuotaRequest(limits={"tokens": 10}), metadata=admin.metadata)
    assert check(agent, resources={"tokens": 50}).verdict == DENY

    modes = set_mode(admin, "quota", SHADOW)
    assert modes["quota"] == (SHADOW, "tenant")
    assert modes["budget"] == (ENFORCE, "config")

    decision = check(agent, resources={"tokens": 50})
    assert decision.verdict == ALLOW                     # recorded, not enforced
    assert [g.guard for g in decision.guard_results] == []
    [shadowed] = decision.shadow_results
    assert (shadowed.guard, shadowed.verdict, shadowed.shadow) == ("quota", DENY, True)
    assert shadowed.reasons[0].code == "quota_exceeded"
    assert tokens_used(admin) == 0                        # a shadow guard reserves nothing

    # Explain shows the shadow result of the recorded decision.
    explained = agent.guard.Explain(gpb.ExplainRequest(decision_id=decision.decision_id),
                                    metadata=agent.metadata).decision
    assert [(g.guard, g.verdict) for g in explained.shadow_results] == [("quota", DENY)]

    # Another tenant's quota guard still enforces.
    other = server.create_tenant()
    other_admin, other_agent = connect(other.admin_token), connect(other.agent_token)
    other_admin.admin.SetQuota(apb.SetQuotaRequest(limits={"tokens": 10}),
                               metadata=other_admin.metadata)
    assert check(other_agent, resources={"tokens": 50}).verdict == DENY

    # Back to the configuration: enforced again.
    assert set_mode(admin, "quota", DEFAULT)["quota"] == (ENFORCE, "config")
    assert check(agent, resources={"tokens": 50}).verdict == DENY


def test_the_change_is_ledgered(server, tenant, admin) -> None:  # type: ignore[no-untyped-def]
    from bastion.clients import BastionClient

    set_mode(admin, "budget", SHADOW)
    set_mode(admin, "budget", DEFAULT)
    with BastionClient(server.target, api_key=tenant.admin_token) as client:
        actions = [(e.payload["decision"]["action"], e.payload["request"]["attributes"])
                   for e in client.list_ledger(action_type="decision").entries]
    changes = [attributes for action, attributes in actions
               if action == "admin.guard_mode.set"]
    assert changes == [{"guard": "budget", "mode": "shadow"},
                       {"guard": "budget", "mode": "default"}]


def test_only_an_admin_sets_a_guard_mode(connect, tenant) -> None:  # type: ignore[no-untyped-def]
    for token in (tenant.operator_token, tenant.agent_token):
        stubs = connect(token)
        with pytest.raises(grpc.RpcError) as caught:
            set_mode(stubs, "quota", SHADOW)
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    operator = connect(tenant.operator_token)
    listed = operator.admin.ListGuardModes(apb.ListGuardModesRequest(),
                                           metadata=operator.metadata).guards
    assert {g.guard for g in listed} >= {"quota", "budget", "priority"}


@pytest.mark.parametrize("guard, mode, code, field", [
    ("", SHADOW, grpc.StatusCode.INVALID_ARGUMENT, "guard"),
    ("quota", apb.GUARD_MODE_UNSPECIFIED, grpc.StatusCode.INVALID_ARGUMENT, "mode"),
    ("quota", 42, grpc.StatusCode.INVALID_ARGUMENT, "mode"),
    ("no-such-guard", SHADOW, grpc.StatusCode.NOT_FOUND, None),
])
def test_bad_guard_mode_requests_are_refused(admin, guard, mode, code, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as caught:
        set_mode(admin, guard, mode)
    assert caught.value.code() == code
    if field:
        assert caught.value.details().startswith(f"{field}:")


def test_configured_shadow_tenants(database_url) -> None:  # type: ignore[no-untyped-def]
    with running_server(make_test_settings(database_url)) as probe:
        shadowed, enforced = probe.create_tenant(), probe.create_tenant()
    settings = make_test_settings(database_url, guards={
        "quota": GuardSettings(shadow_tenants=(shadowed.tenant_id,))})
    with running_server(settings) as handle, grpc.insecure_channel(handle.target) as channel:
        for keys, verdict in ((shadowed, ALLOW), (enforced, DENY)):
            admin, agent = Stubs(channel, keys.admin_token), Stubs(channel, keys.agent_token)
            admin.admin.SetQuota(apb.SetQuotaRequest(limits={"tokens": 10}),
                                 metadata=admin.metadata)
            assert check(agent, resources={"tokens": 50}).verdict == verdict
        # An admin override wins over the configuration.
        admin = Stubs(channel, shadowed.admin_token)
        assert set_mode(admin, "quota", ENFORCE)["quota"] == (ENFORCE, "tenant")
        agent = Stubs(channel, shadowed.agent_token)
        assert check(agent, resources={"tokens": 50}).verdict == DENY


def test_a_shadowed_priority_guard_preempts_nothing(database_url) -> None:  # type: ignore[no-untyped-def]
    with running_server(make_test_settings(database_url)) as handle, \
            grpc.insecure_channel(handle.target) as channel:
        keys = handle.create_tenant()
        admin, agent = Stubs(channel, keys.admin_token), Stubs(channel, keys.agent_token)
        # Shadowed first: any P0-P2 call (admin calls too) under pressure would preempt.
        set_mode(admin, "priority", SHADOW)
        admin.admin.SetQuota(apb.SetQuotaRequest(limits={"memory": 10}, throttle_threshold=1.0),
                             metadata=admin.metadata)
        agent.work.Submit(wpb.SubmitRequest(priority=decision_pb2.PRIORITY_P3),
                          metadata=agent.metadata)
        unit_id = agent.work.Lease(wpb.LeaseRequest(worker_id="w1"),
                                   metadata=agent.metadata).unit.unit_id
        # 86% of memory held: pressure (the memory threshold is 85%).
        assert check(agent, priority=decision_pb2.PRIORITY_P3,
                     resources={"memory": 8.6}).verdict == ALLOW

        decision = check(agent, priority=decision_pb2.PRIORITY_P0)
        assert decision.verdict == ALLOW and not decision.reasons
        [shadowed] = [g for g in decision.shadow_results if g.guard == "priority"]
        assert shadowed.reasons[0].code == "would_preempt_lower_priority"
        assert shadowed.reasons[0].details["units_preempted"] == unit_id

        def status() -> int:
            return agent.work.GetUnit(wpb.GetUnitRequest(unit_id=unit_id),
                                      metadata=agent.metadata).unit.status
        assert status() == wpb.UNIT_STATUS_ACTIVE             # nothing preempted
        set_mode(admin, "priority", DEFAULT)                  # enforced again
        decision = check(agent, priority=decision_pb2.PRIORITY_P0)
        assert [r.code for r in decision.reasons] == ["preempted_lower_priority"]
        assert status() == wpb.UNIT_STATUS_PREEMPTED


def test_another_replica_sees_the_change_after_its_refresh(database_url) -> None:  # type: ignore[no-untyped-def]
    """Two servers on one database: the one that did not take the change applies it when
    its refresh job re-reads the table (the test drives the refresh, not a clock)."""
    settings = make_test_settings(database_url, guard_modes_refresh_s=3600.0)
    with running_server(settings) as first, running_server(settings) as second:
        keys = first.create_tenant()
        with grpc.insecure_channel(first.target) as c1, grpc.insecure_channel(second.target) as c2:
            admin = Stubs(c1, keys.admin_token)
            admin.admin.SetQuota(apb.SetQuotaRequest(limits={"tokens": 10}),
                                 metadata=admin.metadata)
            set_mode(admin, "quota", SHADOW)
            assert check(Stubs(c1, keys.agent_token), resources={"tokens": 50}).verdict == ALLOW
            remote = Stubs(c2, keys.agent_token)
            assert check(remote, resources={"tokens": 50}).verdict == DENY   # not yet read
            second.server.runtime.guards.modes.refresh(second.server.database)
            assert check(remote, resources={"tokens": 50}).verdict == ALLOW


def test_the_cli_sets_and_lists_guard_modes(server, tenant, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    # The plugins of the session server (not an example installed in the environment).
    monkeypatch.setenv("BASTION_PLUGINS", "ledger,metabolism,quota,budget,priority")
    url = ["--database-url", server.server.settings.database_url]
    assert cli.main(["guard", "mode", "--tenant", tenant.name, "budget", "shadow", *url]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["budget"] == {"mode": "shadow", "source": "tenant"}
    assert cli.main(["guard", "modes", "--tenant", tenant.name, *url]) == 0
    assert json.loads(capsys.readouterr().out)["budget"]["mode"] == "shadow"
    assert cli.main(["guard", "mode", "--tenant", tenant.name, "budget", "default", *url]) == 0
    assert json.loads(capsys.readouterr().out)["budget"] == {"mode": "enforce",
                                                             "source": "config"}
    assert cli.main(["guard", "mode", "--tenant", tenant.name, "nope", "shadow", *url]) == 1


def test_modes_resolve_in_order() -> None:
    settings = Settings(guards={"a": GuardSettings(mode="shadow"),
                                "b": GuardSettings(shadow_tenants=("t1",))})
    modes = GuardModes(settings, ["a", "b", "c"])
    assert modes.shadowed("t0") == {"a"}
    assert modes.shadowed("t1") == {"a", "b"}
    modes.replace({"t1": {"a": "enforce", "c": "shadow"}})
    assert modes.shadowed("t1") == {"b", "c"}
    assert modes.shadowed("t0") == {"a"}
    modes.set_local("t1", "c", None)
    assert modes.shadowed("t1") == {"b"}
