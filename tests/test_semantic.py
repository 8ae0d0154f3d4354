"""The semantic guard (SPEC G5): CEL policies managed through AdminService and evaluated
on every Check, through a real server on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
import time

import grpc
import pytest

from bastion.runtime.telemetry import EntryType
from bastion.testing.harness import make_test_settings, running_server
from bastion.v1 import admin_service_pb2 as apb
from bastion.v1 import decision_pb2
from bastion.v1 import guard_service_pb2 as gpb
from bastion.v1 import ledger_service_pb2 as lpb

ALLOW, REVIEW, DENY = (decision_pb2.VERDICT_ALLOW, decision_pb2.VERDICT_REVIEW,
                       decision_pb2.VERDICT_DENY)
DENY_EFFECT, REVIEW_EFFECT, ALLOW_EFFECT = (apb.POLICY_EFFECT_DENY, apb.POLICY_EFFECT_REVIEW,
                                            apb.POLICY_EFFECT_ALLOW)
SHADOW = apb.POLICY_MODE_SHADOW


def put(stubs, **fields) -> apb.Policy:  # type: ignore[no-untyped-def]
    fields.setdefault("effect", DENY_EFFECT)
    return stubs.admin.PutPolicy(apb.PutPolicyRequest(**fields), metadata=stubs.metadata).policy


def check(stubs, action: str = "payments.refund", **fields) -> decision_pb2.Decision:  # type: ignore[no-untyped-def]
    if "attributes" in fields:
        fields["attributes_json"] = json.dumps(fields.pop("attributes"))
    return stubs.guard.Check(gpb.CheckRequest(action=action, **fields),
                             metadata=stubs.metadata).decision


def semantic(decision: decision_pb2.Decision) -> list[tuple[str, dict[str, str]]]:
    return [(r.code, dict(r.details)) for g in decision.guard_results if g.guard == "semantic"
            for r in g.reasons]


def refused(call) -> grpc.RpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value


_SEEN: dict[str, tuple] = {}  # tenant -> (recorded_at, id) of the last entry seen


def telemetry_of(server, tenant_id: str) -> list:  # type: ignore[no-untyped-def]
    """The semantic guard's telemetry entries of the tenant written since the last call
    (flushed to storage first, then read back as the flusher wrote them)."""
    import json
    from types import SimpleNamespace

    from bastion.storage import telemetry as telemetry_store

    server.server.runtime.telemetry_flusher.flush()
    rows = telemetry_store.list_entries(server.server.database, tenant_id, entry_types=[],
                                        since=None, until=None,
                                        after=_SEEN.get(tenant_id), limit=1000)
    if rows:
        _SEEN[tenant_id] = (rows[-1]["recorded_at"], rows[-1]["id"])
    return [SimpleNamespace(entry_type=EntryType(r["entry_type"]), source=r["source"],
                            details=json.loads(r["details_json"]),
                            error=json.loads(r["error_json"]) if r["error_json"] else None,
                            decision_id=r["decision_id"], tenant_id=r["tenant_id"])
            for r in rows if r["source"] == "semantic"]


REFUNDS = 'action == "payments.refund" && attributes.amount > 1000'


# -- verdicts -------------------------------------------------------------------------------

def test_deny_review_and_allow_policies_name_the_policies_that_matched(agent, admin) -> None:  # type: ignore[no-untyped-def]
    put(admin, id="big-refunds", expression=REFUNDS, description="refunds over 1000")
    put(admin, id="new-accounts", effect=REVIEW_EFFECT,
        expression='action == "payments.refund" && attributes.account_age_days < 30')
    put(admin, id="known-tools", effect=ALLOW_EFFECT, expression='action.startsWith("tool.")')
    assert check(agent, attributes={"amount": 10, "account_age_days": 400}).verdict == ALLOW
    denied = check(agent, attributes={"amount": 5000, "account_age_days": 3})
    assert denied.verdict == DENY
    details = {"effect": "deny", "mode": "enforce", "scope": "tenant"}
    assert semantic(denied) == [
        ("policy_deny", {"policy_id": "big-refunds", **details}),
        ("policy_review", {"policy_id": "new-accounts", **details, "effect": "review"})]
    assert denied.reasons[0].message == "refunds over 1000"
    assert check(agent, attributes={"amount": 5, "account_age_days": 3}).verdict == REVIEW
    allowed = check(agent, "tool.read", attributes={})
    assert allowed.verdict == ALLOW
    assert [c for c, _ in semantic(allowed)] == ["policy_allow"]


def test_an_allow_policy_never_overrides_another_guard(agent, admin, connect, tenant) -> None:  # type: ignore[no-untyped-def]
    operator = connect(tenant.operator_token)
    operator.admin.SetBudget(apb.SetBudgetRequest(run_id="r1", total_usd=1),
                             metadata=operator.metadata)
    put(admin, id="allow-all", effect=ALLOW_EFFECT, expression="true")
    decision = check(agent, "llm.generate", run_id="r1", estimated_cost_usd=2)
    assert decision.verdict == DENY
    assert {r.guard: r.code for r in decision.reasons} == {
        "budget": "budget_exceeded", "semantic": "policy_allow"}


def test_the_variables_a_policy_sees(agent, admin) -> None:  # type: ignore[no-untyped-def]
    put(admin, id="all-vars", expression=(
        'action == "x.y" && resource == "/etc" && agent == "bot-1" && run == "r-9" '
        '&& tenant.startsWith("tnt_") && usage.tokens == 500.0 && usage.cost == 2.5 '
        '&& attributes.nested.list[1] == "b" && now > timestamp("2020-01-01T00:00:00Z")'))
    hit = check(agent, "x.y", resource="/etc", agent_id="bot-1", run_id="r-9",
                resources={"tokens": 500}, estimated_cost_usd=2.5,
                attributes={"nested": {"list": ["a", "b"]}})
    assert hit.verdict == DENY, semantic(hit)
    assert check(agent, "x.y", resource="/etc", agent_id="bot-2", run_id="r-9",
                 resources={"tokens": 500}, estimated_cost_usd=2.5,
                 attributes={"nested": {"list": ["a", "b"]}}).verdict == ALLOW


def test_tenants_do_not_see_each_others_policies(agent, admin, server, connect) -> None:  # type: ignore[no-untyped-def]
    other = server.create_tenant()
    put(admin, id="big-refunds", expression=REFUNDS)
    assert check(connect(other.agent_token), attributes={"amount": 5000}).verdict == ALLOW
    other_admin = connect(other.admin_token)
    assert other_admin.admin.ListPolicies(apb.ListPoliciesRequest(),
                                          metadata=other_admin.metadata).policies == []
    error = refused(lambda: other_admin.admin.DisablePolicy(
        apb.DisablePolicyRequest(id="big-refunds"), metadata=other_admin.metadata))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert check(agent, attributes={"amount": 5000}).verdict == DENY


# -- management -----------------------------------------------------------------------------

def test_put_list_disable_and_the_ledger(agent, admin) -> None:  # type: ignore[no-untyped-def]
    first = put(admin, id="big-refunds", expression=REFUNDS, mode=SHADOW)
    assert (first.revision, first.enabled, first.mode, first.effect) == (1, True, SHADOW,
                                                                         DENY_EFFECT)
    second = put(admin, id="big-refunds", expression=REFUNDS, description="now enforced")
    assert (second.revision, second.mode, second.description) == (
        2, apb.POLICY_MODE_ENFORCE, "now enforced")
    assert check(agent, attributes={"amount": 5000}).verdict == DENY
    disabled = admin.admin.DisablePolicy(apb.DisablePolicyRequest(id="big-refunds"),
                                         metadata=admin.metadata).policy
    assert (disabled.enabled, disabled.revision) == (False, 3)
    assert check(agent, attributes={"amount": 5000}).verdict == ALLOW
    listed = admin.admin.ListPolicies(apb.ListPoliciesRequest(), metadata=admin.metadata)
    assert list(listed.policies) == []
    listed = admin.admin.ListPolicies(apb.ListPoliciesRequest(include_disabled=True),
                                      metadata=admin.metadata)
    assert [(p.id, p.enabled, getattr(p, "global")) for p in listed.policies] == [
        ("big-refunds", False, False)]
    entries = admin.ledger.List(lpb.LedgerServiceListRequest(page_size=1000),
                                metadata=admin.metadata).entries
    payloads = [json.loads(e.payload_json) for e in entries]
    actions = [p["request"]["action"] for p in payloads if "request" in p]
    assert actions.count("admin.policy.put") == 2 and actions.count("admin.policy.disable") == 1
    put_record = next(p for p in payloads if p.get("request", {}).get("action")
                      == "admin.policy.put")
    assert put_record["request"]["attributes"]["expression"] == REFUNDS


def test_unknown_policy_ids_are_not_found(admin) -> None:  # type: ignore[no-untyped-def]
    error = refused(lambda: admin.admin.DisablePolicy(apb.DisablePolicyRequest(id="nope"),
                                                      metadata=admin.metadata))
    assert error.code() == grpc.StatusCode.NOT_FOUND and "nope" in error.details()


@pytest.mark.parametrize(("fields", "field", "says"), [
    ({"expression": 'action =='}, "expression", "line 1, column 10: Syntax error"),
    ({"expression": 'action == "a" &&\n  secret == 1'}, "expression",
     "line 2, column 3: undeclared reference to 'secret'"),
    ({"expression": "attributes.size()"}, "expression", "must evaluate to a bool, not int"),
    ({"expression": "a" * 5000}, "expression", "at most 4096 characters"),
    ({"expression": ""}, "expression", "is required"),
    ({"expression": "[1].all(x, [2].all(y, [3].all(z, true)))"}, "expression",
     "nested 3 deep"),
    ({"expression": "[" + ",".join(["1"] * 200) + "].all(x, [" + ",".join(["2"] * 200)
      + "].all(y, x < y))"}, "expression", "iterate 40000 times"),
    ({"effect": 9}, "effect", "unknown value 9"),
    ({"effect": apb.POLICY_EFFECT_UNSPECIFIED}, "effect", "is required"),
    ({"mode": 7}, "mode", "unknown value 7"),
    ({"id": ""}, "id", "is required"),
    ({"id": "no spaces"}, "id", "may contain"),
    ({"description": "d" * 2000}, "description", "at most 1024"),
])
def test_bad_policies_are_refused_naming_the_field(admin, fields, field, says) -> None:  # type: ignore[no-untyped-def]
    request = {"id": "p1", "effect": DENY_EFFECT, "expression": "true", **fields}
    error = refused(lambda: admin.admin.PutPolicy(apb.PutPolicyRequest(**request),
                                                  metadata=admin.metadata))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith(f"{field}: ") and says in error.details(), error.details()
    listed = admin.admin.ListPolicies(apb.ListPoliciesRequest(include_disabled=True),
                                      metadata=admin.metadata)
    assert list(listed.policies) == []                  # nothing half-written


def test_an_agent_cannot_manage_policies(agent) -> None:  # type: ignore[no-untyped-def]
    error = refused(lambda: put(agent, id="p", expression="true"))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


def test_policy_changes_are_never_judged_by_policies(agent, admin) -> None:  # type: ignore[no-untyped-def]
    put(admin, id="deny-everything", expression="true")
    assert check(agent, "tool.read").verdict == DENY
    admin.admin.DisablePolicy(apb.DisablePolicyRequest(id="deny-everything"),
                              metadata=admin.metadata)
    assert check(agent, "tool.read").verdict == ALLOW


# -- shadow, errors, telemetry ------------------------------------------------------------

def test_shadow_policies_report_without_deciding(agent, admin, server, tenant) -> None:  # type: ignore[no-untyped-def]
    telemetry_of(server, tenant.tenant_id)
    put(admin, id="watch-refunds", expression=REFUNDS, mode=SHADOW)
    decision = check(agent, attributes={"amount": 5000})
    assert decision.verdict == ALLOW
    assert semantic(decision) == [("shadow_policy_match", {
        "policy_id": "watch-refunds", "effect": "deny", "mode": "shadow", "scope": "tenant"})]
    entries = telemetry_of(server, tenant.tenant_id)
    assert [(e.entry_type, e.source, e.details["policy_id"], e.details["enforced"],
             e.decision_id) for e in entries] == [
        (EntryType.GUARDIAN_DECISION, "semantic", "watch-refunds", False,
         decision.decision_id)]


def test_evaluation_errors_fail_closed_and_are_recorded(agent, admin, server, tenant) -> None:  # type: ignore[no-untyped-def]
    telemetry_of(server, tenant.tenant_id)
    put(admin, id="needs-amount", expression=REFUNDS)
    decision = check(agent, attributes={"currency": "EUR"})     # no amount: an error
    assert decision.verdict == DENY
    [(code, details)] = semantic(decision)
    assert code == "policy_error" and details["policy_id"] == "needs-amount"
    assert "amount" in details["error"]
    [entry] = telemetry_of(server, tenant.tenant_id)
    assert entry.entry_type == EntryType.ERROR and entry.details["policy_id"] == "needs-amount"
    assert entry.error["type"] == "PolicyEvaluationError" and "amount" in entry.error["message"]
    assert entry.decision_id == decision.decision_id
    put(admin, id="needs-amount", expression=REFUNDS, fail_open=True)
    tolerated = check(agent, attributes={"currency": "EUR"})
    assert tolerated.verdict == ALLOW
    assert [c for c, _ in semantic(tolerated)] == ["policy_error_ignored"]


def test_comprehensions_over_large_inputs_hit_the_iteration_budget(agent, admin) -> None:  # type: ignore[no-untyped-def]
    put(admin, id="pairs", expression=(
        'action == "batch.run" && attributes.items.all(x, attributes.items.all(y, x != y '
        '|| x == y))'))
    assert check(agent, "batch.run", attributes={"items": list(range(50))}).verdict == DENY
    assert semantic(check(agent, "batch.run", attributes={"items": list(range(50))}))[0][0] \
        == "policy_deny"
    big = check(agent, "batch.run", attributes={"items": list(range(200))})   # 40,000 steps
    assert big.verdict == DENY
    [(code, details)] = semantic(big)
    assert code == "policy_error" and "budget" in details["error"].lower()


# -- testing policies -------------------------------------------------------------------------

def test_test_policies_runs_cases_against_stored_and_given_policies(admin) -> None:  # type: ignore[no-untyped-def]
    put(admin, id="big-refunds", expression=REFUNDS)
    refund = apb.PolicyTestRequest(action="payments.refund", attributes_json='{"amount": 5000}')
    small = apb.PolicyTestRequest(action="payments.refund", attributes_json='{"amount": 5}')
    response = admin.admin.TestPolicies(apb.TestPoliciesRequest(
        cases=[apb.PolicyTestCase(name="big", request=refund, expect=DENY,
                                  expect_policies=["big-refunds"]),
               apb.PolicyTestCase(name="small", request=small, expect=DENY)],
    ), metadata=admin.metadata)
    assert response.failed == 1
    assert [(r.name, r.passed, r.verdict, list(r.matched_policies)) for r in response.results] \
        == [("big", True, DENY, ["big-refunds"]), ("small", False, ALLOW, [])]
    assert response.results[1].mismatch == "expected DENY, got ALLOW"
    # A given policy replaces the stored one of the same id; nothing is saved.
    given = apb.PutPolicyRequest(id="big-refunds", effect=REVIEW_EFFECT, expression=REFUNDS)
    response = admin.admin.TestPolicies(apb.TestPoliciesRequest(
        cases=[apb.PolicyTestCase(name="big", request=refund, expect=REVIEW)],
        policies=[given]), metadata=admin.metadata)
    assert response.failed == 0
    [stored] = admin.admin.ListPolicies(apb.ListPoliciesRequest(),
                                        metadata=admin.metadata).policies
    assert stored.effect == DENY_EFFECT
    bad = apb.PutPolicyRequest(id="x", effect=DENY_EFFECT, expression="nope")
    error = refused(lambda: admin.admin.TestPolicies(apb.TestPoliciesRequest(
        cases=[apb.PolicyTestCase(request=refund, expect=DENY)], policies=[bad]),
        metadata=admin.metadata))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("policies[0].expression: line 1, column 1")


# -- replicas and global policies ------------------------------------------------------------

def _dial(handle, token):  # type: ignore[no-untyped-def]
    from tests.conftest import Stubs

    return Stubs(grpc.insecure_channel(handle.target), token)


def _eventually(probe, expected, seconds: float = 15.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while (got := probe()) != expected:
        assert time.monotonic() < deadline, f"still {got}, expected {expected}"
        time.sleep(0.05)  # polling a condition with a deadline


def test_a_change_on_one_replica_reaches_the_other(database_url) -> None:  # type: ignore[no-untyped-def]
    settings = make_test_settings(database_url)
    settings = dataclasses.replace(settings, plugin_sections={
        **settings.plugin_sections, "semantic": {"cache_ttl_s": 0.2}})
    with running_server(settings) as one, running_server(settings) as two:
        keys = one.create_tenant()
        admin_one, agent_two = _dial(one, keys.admin_token), _dial(two, keys.agent_token)
        assert check(agent_two, attributes={"amount": 5000}).verdict == ALLOW  # cached now
        put(admin_one, id="big-refunds", expression=REFUNDS)
        _eventually(lambda: check(agent_two, attributes={"amount": 5000}).verdict, DENY)
        admin_two = _dial(two, keys.admin_token)
        admin_two.admin.DisablePolicy(apb.DisablePolicyRequest(id="big-refunds"),
                                      metadata=admin_two.metadata)
        agent_one = _dial(one, keys.agent_token)
        _eventually(lambda: check(agent_one, attributes={"amount": 5000}).verdict, ALLOW)


def test_global_policies_belong_to_the_policy_admin_tenants(database_url) -> None:  # type: ignore[no-untyped-def]
    settings = make_test_settings(database_url)
    with running_server(settings) as first:       # creates the tenants and keys
        ops, acme = first.create_tenant(), first.create_tenant()
    settings = dataclasses.replace(settings, global_policy_tenants=(ops.tenant_id,))
    with running_server(settings) as handle:
        ops_admin, ops_operator = _dial(handle, ops.admin_token), _dial(handle, ops.operator_token)
        acme_admin, acme_agent = _dial(handle, acme.admin_token), _dial(handle, acme.agent_token)
        for stubs in (ops_operator, acme_admin):
            error = refused(lambda: put(stubs, id="g", expression="true", **{"global": True}))
            assert error.code() == grpc.StatusCode.PERMISSION_DENIED
        put(ops_admin, id="no-prod-deletes", expression='action == "db.delete"',
            **{"global": True})
        put(acme_admin, id="no-prod-deletes", effect=REVIEW_EFFECT, expression="false")
        decision = check(acme_agent, "db.delete")
        assert decision.verdict == DENY
        assert semantic(decision) == [("policy_deny", {
            "policy_id": "no-prod-deletes", "effect": "deny", "mode": "enforce",
            "scope": "global"})]
        listed = acme_admin.admin.ListPolicies(apb.ListPoliciesRequest(),
                                               metadata=acme_admin.metadata).policies
        assert [(p.id, getattr(p, "global")) for p in listed] == [
            ("no-prod-deletes", True), ("no-prod-deletes", False)]
        error = refused(lambda: acme_admin.admin.DisablePolicy(apb.DisablePolicyRequest(
            id="no-prod-deletes", **{"global": True}), metadata=acme_admin.metadata))
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
        ops_admin.admin.DisablePolicy(apb.DisablePolicyRequest(
            id="no-prod-deletes", **{"global": True}), metadata=ops_admin.metadata)
        assert check(acme_agent, "db.delete").verdict == ALLOW


def test_the_migration_builds_the_policy_tables_of_the_models(server) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bastion.storage import policies as store

    metadata = sa.MetaData()
    for table in (store.POLICIES, store.VERSIONS):
        table.to_metadata(metadata)
    with server.server.database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = [d for d in compare_metadata(context, metadata) if "polic" in repr(d)]
    assert differences == []
