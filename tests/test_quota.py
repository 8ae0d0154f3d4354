"""The quota guard (SPEC G2) through a real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import grpc
import sqlalchemy as sa
import pytest

from bastion.plugins.quota.policy import TIER_DEFAULTS, severity
from bastion.storage import quotas as quota_store
from bastion.v1 import admin_service_pb2 as apb
from bastion.v1 import decision_pb2
from bastion.v1 import guard_service_pb2 as gpb

ALLOW, DEFER, DENY = (decision_pb2.VERDICT_ALLOW, decision_pb2.VERDICT_DEFER,
                      decision_pb2.VERDICT_DENY)


def check(stubs, **fields) -> decision_pb2.Decision:  # type: ignore[no-untyped-def]
    fields.setdefault("action", "llm.generate")
    return stubs.guard.Check(gpb.CheckRequest(**fields), metadata=stubs.metadata).decision


def set_quota(admin, **fields) -> apb.QuotaStatus:  # type: ignore[no-untyped-def]
    return admin.admin.SetQuota(apb.SetQuotaRequest(**fields), metadata=admin.metadata).status


def usage(admin) -> dict[str, float]:  # type: ignore[no-untyped-def]
    status = admin.admin.GetQuota(apb.GetQuotaRequest(), metadata=admin.metadata).status
    return {r.resource: r.used for r in status.resources}


def quota_reasons(decision: decision_pb2.Decision) -> list[tuple[str, dict[str, str]]]:
    return [(r.code, dict(r.details)) for r in decision.reasons if r.guard == "quota"]


def test_a_new_tenant_has_the_default_tier(admin) -> None:  # type: ignore[no-untyped-def]
    status = admin.admin.GetQuota(apb.GetQuotaRequest(), metadata=admin.metadata).status
    assert status.tier == "standard" and status.throttle_threshold == pytest.approx(0.9)
    limits = {r.resource: r.limit for r in status.resources}
    assert limits == {k: float(v) for k, v in TIER_DEFAULTS["standard"].items()}
    assert not any(r.overridden or r.used for r in status.resources)


def test_grant_refuse_then_throttle(agent, admin) -> None:  # type: ignore[no-untyped-def]
    set_quota(admin, limits={"tokens": 100})
    assert check(agent, resources={"tokens": 60}).verdict == ALLOW
    refused = check(agent, resources={"tokens": 50})
    assert refused.verdict == DENY
    assert quota_reasons(refused) == [("quota_exceeded", {
        "resource": "tokens", "requested": "50", "used": "60", "limit": "100",
        "severity": "medium"})]                          # 110 is 10% over: medium
    assert usage(admin)["tokens"] == 60                  # a refusal reserves nothing
    assert check(agent, resources={"tokens": 30}).verdict == ALLOW   # 90%: throttled now
    deferred = check(agent, resources={"tokens": 1})
    assert deferred.verdict == DEFER
    assert deferred.reasons[0].code == "quota_throttled"
    assert 299 <= deferred.retry_after.seconds <= 300
    # Other resources are not throttled.
    assert check(agent, resources={"cpu": 1}).verdict == ALLOW
    status = admin.admin.GetQuota(apb.GetQuotaRequest(), metadata=admin.metadata).status
    tokens = next(r for r in status.resources if r.resource == "tokens")
    assert tokens.used == 90 and tokens.overridden and tokens.HasField("throttled_until")
    assert [(v.resource, v.action, v.severity) for v in status.violations] == [
        ("tokens", "throttle", "low"), ("tokens", "reject", "medium")]


def test_cpu_and_memory_may_burst(agent, admin) -> None:  # type: ignore[no-untyped-def]
    set_quota(admin, limits={"cpu": 10, "gpu": 2}, throttle_threshold=1.0)
    burst = check(agent, resources={"cpu": 10.5})
    assert burst.verdict == ALLOW
    assert quota_reasons(burst) == [("quota_burst", {
        "resource": "cpu", "requested": "10.5", "used": "0", "limit": "10", "severity": "low"})]
    assert check(agent, resources={"cpu": 2}).verdict == DENY    # 12.5 > 10 + 20%
    assert check(agent, resources={"gpu": 2.5}).verdict == DENY  # no burst for gpu
    status = admin.admin.GetQuota(apb.GetQuotaRequest(), metadata=admin.metadata).status
    assert [v.action for v in status.violations] == ["reject", "reject", "burst_allowed"]


def test_all_or_nothing_across_resources(agent, admin) -> None:  # type: ignore[no-untyped-def]
    set_quota(admin, limits={"tokens": 100, "memory": 4}, throttle_threshold=1.0)
    refused = check(agent, resources={"tokens": 10, "memory": 8})
    assert refused.verdict == DENY
    assert usage(admin)["tokens"] == 0                   # the tokens grant was undone


def test_report_releases_held_and_settles_consumed(agent, admin, server, tenant) -> None:  # type: ignore[no-untyped-def]
    set_quota(admin, limits={"cpu": 8, "tokens": 1000}, throttle_threshold=1.0)
    decision = check(agent, resources={"cpu": 4, "tokens": 500}, estimated_cost_usd=2,
                     run_id="run-a", task_id="task-1")
    assert decision.verdict == ALLOW
    before = usage(admin)
    assert (before["cpu"], before["tokens"], before["cost"]) == (4, 500, 2)
    agent.guard.Report(gpb.ReportRequest(decision_id=decision.decision_id, cost_usd=1.5,
                                         usage={"tokens": 420}), metadata=agent.metadata)
    after = usage(admin)
    assert (after["cpu"], after["tokens"], after["cost"]) == (0, 420, 1.5)
    # Settled once: a second report changes nothing.
    agent.guard.Report(gpb.ReportRequest(decision_id=decision.decision_id, cost_usd=9,
                                         usage={"tokens": 1}), metadata=agent.metadata)
    assert usage(admin)["tokens"] == 420
    series = quota_store.usage_series(server.server.database, tenant.tenant_id, "tokens")
    assert [(r.amount, r.run_id, r.task_id) for r in series] == [(420, "run-a", "task-1"),
                                                                 (1, "run-a", "task-1")]


def test_a_decision_refused_by_another_guard_gives_its_grant_back(agent, admin, connect,
                                                                tenant) -> None:  # type: ignore[no-untyped-def]
    operator = connect(tenant.operator_token)
    operator.admin.SetBudget(apb.SetBudgetRequest(run_id="r1", total_usd=1),
                             metadata=operator.metadata)
    decision = check(agent, run_id="r1", estimated_cost_usd=2, resources={"tokens": 10})
    assert decision.verdict == DENY
    assert [r.code for r in decision.reasons] == ["budget_exceeded"]
    assert usage(admin)["tokens"] == 0 and usage(admin)["cost"] == 0


def test_tenants_are_isolated(agent, admin, server, connect) -> None:  # type: ignore[no-untyped-def]
    other = server.create_tenant()
    other_admin = connect(other.admin_token)
    set_quota(admin, limits={"tokens": 10})
    assert check(agent, resources={"tokens": 10}).verdict == ALLOW
    assert usage(other_admin)["tokens"] == 0
    assert check(connect(other.agent_token), resources={"tokens": 10}).verdict == ALLOW


def test_only_an_admin_sets_quotas(connect, tenant) -> None:  # type: ignore[no-untyped-def]
    operator = connect(tenant.operator_token)
    with pytest.raises(grpc.RpcError) as raised:
        set_quota(operator, limits={"tokens": 10**9})
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    status = operator.admin.GetQuota(apb.GetQuotaRequest(), metadata=operator.metadata).status
    assert status.tier == "standard"


@pytest.mark.parametrize(("fields", "field"), [
    ({"limits": {"tokens": -1}}, "limits[tokens]"),
    ({"limits": {"tokens": math.nan}}, "limits[tokens]"),
    ({"limits": {"bananas": 1}}, "limits[bananas]"),
    ({"clear": ["bananas"]}, "clear"),
    ({"tier": "gold"}, "tier"),
    ({"throttle_threshold": 1.5}, "throttle_threshold"),
    ({"throttle_threshold": -0.5}, "throttle_threshold"),
])
def test_bad_quota_settings_are_refused(admin, fields, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as raised:
        set_quota(admin, **fields)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details().startswith(field)
    status = admin.admin.GetQuota(apb.GetQuotaRequest(), metadata=admin.metadata).status
    assert not any(r.overridden for r in status.resources) and status.tier == "standard"


@pytest.mark.parametrize(("resources", "field"), [
    ({"bananas": 1}, "resources[bananas]"),
    ({"tokens": -5}, "resources[tokens]"),
    ({"tokens": math.inf}, "resources[tokens]"),
])
def test_bad_resource_requests_are_refused(agent, admin, resources, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as raised:
        check(agent, resources=resources)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details().startswith(field)
    assert usage(admin)["tokens"] == 0


@pytest.mark.parametrize(("would_use", "expected"), [
    (105, "low"), (110, "medium"), (124.9, "medium"), (125, "high"), (149, "high"),
    (150, "critical"), (1000, "critical")])
def test_severity_bands(would_use: float, expected: str) -> None:
    assert severity(would_use, 100) == expected


def test_cli_sets_and_shows_a_quota(agent, server, tenant, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    from bastion.runtime import cli

    # The plugins of the session server (not an example installed in the environment).
    monkeypatch.setenv("BASTION_PLUGINS", "ledger,metabolism,quota,budget,priority")
    url = ["--database-url", server.settings.database_url]
    assert cli.main(["quota", "set", "--tenant", tenant.name, "--tier", "free",
                     "--limit", "tokens=20", "--throttle-threshold", "1", *url]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["tier"] == "free" and shown["throttle_threshold"] == 1
    limits = {r["resource"]: (r["limit"], r["overridden"]) for r in shown["resources"]}
    assert limits["tokens"] == (20, True) and limits["cpu"] == (2, False)
    assert check(agent, resources={"tokens": 21}).verdict == DENY
    assert cli.main(["quota", "set", "--tenant", tenant.name, "--limit", "tokens=-1",
                     *url]) == 1
    assert "limits[tokens]" in capsys.readouterr().err
    assert cli.main(["budget", "set", "--tenant", tenant.name, "--run", "r9",
                     "--total-usd", "2.5", *url]) == 0
    assert json.loads(capsys.readouterr().out)["total_usd"] == 2.5
    assert cli.main(["budget", "show", "--tenant", tenant.name, "--run", "nope", *url]) == 1


def test_in_shadow_mode_the_quota_guard_reports_and_reserves_nothing(database_url) -> None:  # type: ignore[no-untyped-def]
    from bastion.runtime.config import GuardSettings
    from bastion.testing.harness import make_test_settings, running_server
    from tests.conftest import Stubs

    settings_ = make_test_settings(database_url, guards={"quota": GuardSettings(mode="shadow")})
    with running_server(settings_) as handle:
        keys = handle.create_tenant()
        with grpc.insecure_channel(handle.target) as channel:
            agent, admin = Stubs(channel, keys.agent_token), Stubs(channel, keys.admin_token)
            set_quota(admin, limits={"tokens": 10})
            decision = check(agent, resources={"tokens": 50})
            assert decision.verdict == ALLOW
            assert [(r.guard, r.verdict, r.shadow) for r in decision.shadow_results] == [
                ("quota", DENY, True)]
            assert check(agent, resources={"tokens": 5}).verdict == ALLOW
            assert usage(admin)["tokens"] == 0


def _ledgered(admin) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(decision id, verdict) of every decision in the tenant's ledger (admin calls are
    decisions too), in order."""
    from bastion.v1 import ledger_service_pb2 as lpb

    entries = admin.ledger.List(lpb.LedgerServiceListRequest(action_type="decision"),
                                metadata=admin.metadata).entries
    return [(e.subject_id, json.loads(e.payload_json)["decision"]["verdict"]) for e in entries]


def test_a_plain_grant_commits_once_with_its_decision(agent, admin, server) -> None:  # type: ignore[no-untyped-def]
    # Optimistic (the default): the reservation is decided in the decision's transaction.
    set_quota(admin, limits={"tokens": 100})
    committer = server.server.committer
    before = committer.requests
    assert check(agent, resources={"tokens": 10}).verdict == ALLOW
    assert committer.requests - before == 1
    assert usage(admin)["tokens"] == 10


def test_a_grant_that_does_not_hold_at_commit_is_decided_again(agent, admin, server) -> None:  # type: ignore[no-untyped-def]
    from bastion.v1 import deliberation_service_pb2 as dpb
    from bastion.v1 import deliberation_service_pb2_grpc

    set_quota(admin, limits={"tokens": 100})
    first = check(agent, resources={"tokens": 60})
    committer = server.server.committer
    before = committer.requests
    reasoning = gpb.Reasoning(  # scored "pass": the deliberation guard allows it
        text="First, check that release 4.2 passed CI because errors show up there first. "
             "Then ship release 4.2 to production with make deploy. Next, watch the "
             "production health endpoint of the release. Finally, I will roll back release "
             "4.2 if the production error rate rises.",
        goal="ship release 4.2 to production", phase="deploy")
    refused = check(agent, resources={"tokens": 50}, run_id="run-r", reasoning=reasoning)
    # Three commits: the optimistic attempt (withdrawn, nothing written), the reservation
    # asked again for certain (refused), the revised decision.
    assert committer.requests - before == 3
    assert refused.verdict == DENY
    assert quota_reasons(refused) == [("quota_exceeded", {
        "resource": "tokens", "requested": "50", "used": "60", "limit": "100",
        "severity": "medium"})]
    # The quota guard's answer replaced its optimistic one; the deliberation guard's stayed.
    assert [(r.guard, r.verdict) for r in refused.guard_results] == [
        ("deliberation", ALLOW), ("quota", DENY)]
    # Ledgered once, as revised; the deliberation score stored once; nothing reserved.
    checks = {first.decision_id, refused.decision_id}
    assert [d for d in _ledgered(admin) if d[0] in checks] == [
        (first.decision_id, "ALLOW"), (refused.decision_id, "DENY")]
    deliberations = deliberation_service_pb2_grpc.DeliberationServiceStub(admin.channel)
    scores = deliberations.ListDeliberations(dpb.ListDeliberationsRequest(run_id="run-r"),
                                             metadata=admin.metadata).scores
    assert [s.decision_id for s in scores] == [refused.decision_id]
    assert usage(admin)["tokens"] == 60
    status = admin.admin.GetQuota(apb.GetQuotaRequest(), metadata=admin.metadata).status
    assert [(v.resource, v.action) for v in status.violations] == [("tokens", "reject")]


@pytest.mark.parametrize("optimistic", [True, False])
def test_both_ways_grant_the_same(database_url, optimistic) -> None:  # type: ignore[no-untyped-def]
    from bastion.testing.harness import builtin_plugins, make_test_settings, running_server
    from tests.conftest import Stubs

    base = make_test_settings(database_url)
    sections = {**base.plugin_sections,
                "quota": {**base.plugin_sections["quota"], "optimistic": optimistic}}
    # Without the priority guard: under pressure it commits a preemption check of its own,
    # racing the reservation committed for certain, which would blur the commit counts.
    plugins = [p for p in builtin_plugins() if p.name != "priority"]
    with running_server(replace(base, plugin_sections=sections), plugins,
                        include_builtins=False) as handle:
        keys = handle.create_tenant()
        with grpc.insecure_channel(handle.target) as channel:
            agent, admin = Stubs(channel, keys.agent_token), Stubs(channel, keys.admin_token)
            set_quota(admin, limits={"tokens": 100, "cpu": 10})
            verdicts, commits = [], []
            for resources in ({"tokens": 60}, {"tokens": 50}, {"tokens": 29}, {"tokens": 2},
                              {"tokens": 1}, {"cpu": 11}):
                before = handle.server.committer.requests
                verdicts.append(check(agent, resources=resources).verdict)
                commits.append(handle.server.committer.requests - before)
            # Granted; refused (110 > 100); granted (89%); granted, reaching 90% starts the
            # throttle; deferred (throttled); granted into cpu's burst (and its throttle).
            assert verdicts == [ALLOW, DENY, ALLOW, ALLOW, DEFER, ALLOW]
            assert usage(admin)["tokens"] == 91 and usage(admin)["cpu"] == 11
            status = admin.admin.GetQuota(apb.GetQuotaRequest(), metadata=admin.metadata).status
            assert sorted(v.action for v in status.violations) == [
                "burst_allowed", "reject", "throttle"]
    # A plain grant costs one commit optimistically, two otherwise (reservation, decision);
    # a refusal, burst or throttle costs the optimistic attempt one more.
    assert commits == ([1, 3, 1, 3, 3, 3] if optimistic else [2] * 6)


def _reserve(tenant: str, decision: str, tokens: float, *,
             optimistic: bool = False) -> quota_store.QuotaReserve:
    import datetime as dt

    now = dt.datetime.now(dt.timezone.utc)
    item = quota_store.ReserveItem(resource="tokens", period="2026-12-05", amount=tokens,
                                   limit=100.0, allowed=100.0, throttle_at=90.0)
    return quota_store.QuotaReserve(tenant_id=tenant, decision_id=decision, run_id="",
                                    task_id="", items=[item], now=now,
                                    throttle_until=now + dt.timedelta(minutes=5),
                                    optimistic=optimistic)


def test_a_batch_of_reservations_is_decided_in_order(database_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A batch where every op is a plain grant is one statement on PostgreSQL; any other
    batch is decided op by op. Both give the outcomes of deciding the ops in order."""
    from bastion.runtime.app import migrate
    from bastion.storage import Database, GroupCommitter
    from bastion.storage.group_commit import _Pending
    from bastion.testing.harness import make_test_settings

    migrate(make_test_settings(database_url))
    db = Database(database_url)
    committer = GroupCommitter(db)
    general = []
    real = quota_store._ReserveSql.locked_counters
    monkeypatch.setattr(quota_store._ReserveSql, "locked_counters",
                        lambda self, cursor, keys: general.append(keys) or real(self, cursor,
                                                                                  keys))

    def batch(*ops: quota_store.QuotaReserve) -> list[tuple[bool, bool, float | None]]:
        committer.apply_batch([_Pending([op]) for op in ops])
        return [(op.outcome.granted, op.withdrawn, op.outcome.used_after.get("tokens"))
                for op in ops]

    try:
        # No counter yet: decided op by op (which creates it).
        assert batch(_reserve("t1", "d1", 10), _reserve("t1", "d2", 20)) == [
            (True, False, 10.0), (True, False, 30.0)]
        assert len(general) == 1
        # Every op a plain grant: on PostgreSQL, one statement and no general read.
        assert batch(_reserve("t1", "d3", 5, optimistic=True), _reserve("t1", "d4", 15)) == [
            (True, False, 35.0), (True, False, 50.0)]
        assert len(general) == (2 if db.engine.dialect.name == "sqlite" else 1)
        # 50 + 30 + 10 = 90 fits the limit but reaches the throttle threshold: not plain,
        # so decided op by op: granted for certain, starting the throttle.
        e, f = _reserve("t1", "d5", 30), _reserve("t1", "d6", 10)
        assert batch(e, f) == [(True, False, 80.0), (True, False, 90.0)]
        assert f.outcome.throttles_started == ["tokens"]
        # Throttled now: an optimistic op is withdrawn, one for certain refused.
        g, h = _reserve("t1", "d7", 1, optimistic=True), _reserve("t1", "d8", 1)
        assert batch(g, h) == [(False, True, None), (False, False, None)]
        assert h.outcome.throttled_until is not None
        # Another tenant's counter is its own.
        assert batch(_reserve("t2", "d9", 1)) == [(True, False, 1.0)]
        with db.engine.connect() as conn:
            counters = conn.execute(sa.text(
                "SELECT tenant_id, used FROM quota_counters ORDER BY tenant_id")).all()
            reserved = conn.execute(sa.text(
                "SELECT decision_id FROM quota_reservations ORDER BY decision_id")).scalars()
            assert [(t, float(u)) for t, u in counters] == [("t1", 90.0), ("t2", 1.0)]
            assert list(reserved) == ["d1", "d2", "d3", "d4", "d5", "d6", "d9"]
    finally:
        db.dispose()


def test_reservations_and_their_decisions_commit_as_one_statement_when_all_are_granted(
        database_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An admission batch (reservations and the decisions' ledger entries) is one statement
    on PostgreSQL when every reservation is a plain grant; when one is not, the statement
    undoes itself (nothing written) and the batch is decided in a transaction, where the
    optimistic op that does not hold is withdrawn with its ledger entry."""
    import datetime as dt

    from bastion.plugins.ledger.chain import Sealer, verify
    from bastion.runtime.app import migrate
    from bastion.storage import Database, GroupCommitter
    from bastion.storage import ledger as ledger_store
    from bastion.storage.group_commit import Withdrawn, _Pending
    from bastion.testing.harness import make_test_settings

    migrate(make_test_settings(database_url))
    db = Database(database_url)
    committer = GroupCommitter(db)
    sealer = Sealer("admission-batch-test")
    in_transaction = []
    real = quota_store.QuotaReserve.apply_all.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(quota_store.QuotaReserve, "apply_all", classmethod(
        lambda cls, conn, ops: in_transaction.append(len(ops)) or real(cls, conn, ops)))

    def decision(n: int, tokens: float) -> _Pending:
        return _Pending([_reserve("t1", f"d{n}", tokens, optimistic=True),
                         ledger_store.LedgerAppend(
                             tenant_id="t1", ts=dt.datetime.now(dt.timezone.utc),
                             action_type="decision", actor="test", subject_id=f"d{n}",
                             payload_json=f'{{"n":{n}}}', sealer=sealer)])

    postgres = db.dialect == "postgresql"
    try:
        committer.apply_batch([decision(1, 10)])  # no counter, no cached head: transaction
        assert in_transaction == [1]
        committer.apply_batch([decision(2, 10), decision(3, 20)])  # plain grants
        assert in_transaction == ([1] if postgres else [1, 2])
        # 40 + 45 reaches the throttle threshold (90): not plain, the optimistic op is
        # withdrawn and writes nothing, its neighbour (5) is granted.
        big, small = decision(4, 45), decision(5, 5)
        committer.apply_batch([small, big])
        assert in_transaction == ([1, 2] if postgres else [1, 2, 2])
        assert small.error is None and isinstance(big.error, Withdrawn)
        records = list(ledger_store.iter_entries(db, "t1", from_sequence=1, limit=10))
        assert [r.subject_id for r in records] == ["d1", "d2", "d3", "d5"]
        assert verify(records, sealer, None).chain_ok
        with db.engine.connect() as conn:
            used = conn.execute(sa.text("SELECT used FROM quota_counters")).scalar_one()
            reserved = conn.execute(sa.text(
                "SELECT decision_id FROM quota_reservations ORDER BY decision_id")).scalars()
            assert float(used) == 45.0 and list(reserved) == ["d1", "d2", "d3", "d5"]
    finally:
        db.dispose()
