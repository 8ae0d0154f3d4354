"""The plugin on a real server (bastion.testing's ``bastion_server``), called over gRPC."""

from __future__ import annotations

import json

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from bastion.v1 import decision_pb2, ledger_service_pb2, ledger_service_pb2_grpc

DENY, ALLOW = decision_pb2.VERDICT_DENY, decision_pb2.VERDICT_ALLOW


@pytest.fixture
def operator(connect, bastion_tenant):
    return connect(bastion_tenant.operator_token)


@pytest.fixture
def agent(connect, bastion_tenant):
    return connect(bastion_tenant.agent_token)


def test_a_blocked_action_is_denied_and_others_are_allowed(operator, agent) -> None:
    added = operator.add("shell.exec")
    assert added.entry.pattern == "shell.exec" and added.entry.create_time.seconds > 0
    assert added.decision_id

    denied = agent.check("shell.exec")
    assert denied.verdict == DENY
    (reason,) = denied.reasons
    assert (reason.guard, reason.code) == ("blocklist", "blocked_action")
    assert "shell.exec" in reason.message and reason.details["pattern"] == "shell.exec"

    assert agent.check("files.read").verdict == ALLOW
    assert agent.check("shell.exec_readonly").verdict == ALLOW


def test_a_prefix_pattern_blocks_every_action_under_it(operator, agent) -> None:
    operator.add("payments.*")
    refund = agent.check("payments.refund")
    assert refund.verdict == DENY and refund.reasons[0].details["pattern"] == "payments.*"
    assert agent.check("payments.card.charge").verdict == DENY
    assert agent.check("payments").verdict == ALLOW
    assert agent.check("invoices.send").verdict == ALLOW


def test_tenants_are_isolated(bastion_server, connect, operator, agent) -> None:
    operator.add("db.drop")
    other = bastion_server.create_tenant()
    other_agent = connect(other.agent_token)
    assert agent.check("db.drop").verdict == DENY
    assert other_agent.check("db.drop").verdict == ALLOW
    assert other_agent.patterns() == []
    assert agent.patterns() == ["db.drop"]


def test_removing_an_entry_unblocks_at_once(operator, agent) -> None:
    operator.add("db.drop")
    assert agent.check("db.drop").verdict == DENY
    operator.remove("db.drop")
    assert agent.check("db.drop").verdict == ALLOW
    assert agent.patterns() == []


def test_missing_and_duplicate_entries(operator) -> None:
    with pytest.raises(grpc.RpcError) as missing:
        operator.remove("never.added")
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    operator.add("a.b")
    with pytest.raises(grpc.RpcError) as duplicate:
        operator.add("a.b")
    assert duplicate.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert operator.patterns() == ["a.b"]


@pytest.mark.parametrize("pattern", ["", "has space", "*", "a.*.b", "x" * 257])
@pytest.mark.parametrize("method", ["add", "remove"])
def test_bad_input_is_invalid_argument_naming_the_field(operator, method, pattern) -> None:
    with pytest.raises(grpc.RpcError) as info:
        getattr(operator, method)(pattern)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.details().startswith("pattern: ")
    status = rpc_status.from_call(info.value)
    assert status is not None
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    assert [v.field for v in bad_request.field_violations] == ["pattern"]


def test_agents_may_list_but_not_change(agent) -> None:
    assert agent.patterns() == []
    for change in (agent.add, agent.remove):
        with pytest.raises(grpc.RpcError) as info:
            change("a.b")
        assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_changes_are_ledgered(operator, agent) -> None:
    added = operator.add("mail.send")
    removed = operator.remove("mail.send")
    ledger = ledger_service_pb2_grpc.LedgerServiceStub(agent.channel)
    listed = ledger.List(ledger_service_pb2.LedgerServiceListRequest(action_type="decision"),
                         metadata=agent.metadata)
    recorded = {e.subject_id: json.loads(e.payload_json) for e in listed.entries}
    for response, action in ((added, "blocklist.add_entry"), (removed, "blocklist.remove_entry")):
        payload = recorded[response.decision_id]
        assert payload["request"]["action"] == action
        assert payload["request"]["attributes"] == {"pattern": "mail.send"}
        assert payload["decision"]["verdict"] == "ALLOW"


def test_no_entry_locks_operators_out_of_the_list(operator, agent) -> None:
    operator.add("blocklist.*")
    assert agent.check("blocklist.export").verdict == DENY
    operator.add("b*")
    operator.remove("b*")
    operator.remove("blocklist.*")
    assert agent.patterns() == []


def test_the_service_is_in_reflection_and_health(operator) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
        ProtoReflectionDescriptorDatabase,
    )

    assert "bastion.blocklist.v1.BlocklistService" in set(
        ProtoReflectionDescriptorDatabase(operator.channel).get_services())
    health = health_pb2_grpc.HealthStub(operator.channel).Check(
        health_pb2.HealthCheckRequest(service="bastion.blocklist.v1.BlocklistService"))
    assert health.status == health_pb2.HealthCheckResponse.SERVING
