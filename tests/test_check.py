"""GuardService through a real server: Check, Report, Explain."""

from __future__ import annotations

import json

import grpc
import pytest

from bastion.v1 import decision_pb2, guard_service_pb2 as pb


def test_check_without_guards_allows_and_is_ledgered(agent) -> None:
    response = agent.guard.Check(pb.CheckRequest(action="tool.shell.exec", resource="/tmp/x",
                                                 attributes_json='{"cmd": "ls"}'),
                                 metadata=agent.metadata)
    decision = response.decision
    assert decision.verdict == decision_pb2.VERDICT_ALLOW
    assert decision.decision_id.startswith("dec_")
    assert decision.ledger_entry.sequence >= 1
    assert len(decision.ledger_entry.entry_hash) == 64


def test_explain_returns_the_recorded_decision(agent) -> None:
    checked = agent.guard.Check(pb.CheckRequest(action="files.read", agent_id="a-1",
                                                attributes_json='{"path": "/etc"}'),
                                metadata=agent.metadata).decision
    explained = agent.guard.Explain(pb.ExplainRequest(decision_id=checked.decision_id),
                                    metadata=agent.metadata)
    assert explained.decision.decision_id == checked.decision_id
    assert explained.decision.verdict == checked.verdict
    assert explained.decision.ledger_entry == checked.ledger_entry
    request = json.loads(explained.request_json)
    assert request["action"] == "files.read"
    assert request["attributes"] == {"path": "/etc"}


def test_explain_of_another_tenants_decision_is_not_found(server, connect, agent) -> None:
    other = connect(server.create_tenant().agent_token)
    decision = other.guard.Check(pb.CheckRequest(action="x.y"), metadata=other.metadata).decision
    with pytest.raises(grpc.RpcError) as info:
        agent.guard.Explain(pb.ExplainRequest(decision_id=decision.decision_id),
                            metadata=agent.metadata)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


def test_report_records_usage(agent) -> None:
    decision = agent.guard.Check(pb.CheckRequest(action="llm.call"),
                                 metadata=agent.metadata).decision
    response = agent.guard.Report(pb.ReportRequest(decision_id=decision.decision_id,
                                                   cost_usd=0.25, usage={"tokens": 1200},
                                                   outcome="success"),
                                  metadata=agent.metadata)
    assert response.report_id.startswith("rep_")


@pytest.mark.parametrize("request_kwargs, field", [
    ({"action": ""}, "action"),
    ({"action": "a" * 300}, "action"),
    ({"action": "x", "estimated_cost_usd": float("nan")}, "estimated_cost_usd"),
    ({"action": "x", "estimated_cost_usd": -1}, "estimated_cost_usd"),
    ({"action": "x", "attributes_json": "{not json"}, "attributes_json"),
    ({"action": "x", "attributes_json": "[1, 2]"}, "attributes_json"),
    ({"action": "x", "priority": 9}, "priority"),
    ({"action": "x", "resources": {"tokens": -5}}, "resources[tokens]"),
])
def test_bad_check_input_names_the_field(agent, request_kwargs, field) -> None:
    with pytest.raises(grpc.RpcError) as info:
        agent.guard.Check(pb.CheckRequest(**request_kwargs), metadata=agent.metadata)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.details().startswith(field + ":")


def test_unauthenticated_and_bad_tokens(connect) -> None:
    for token in ("", "bst_nope_nope", "not-a-token"):
        stubs = connect(token)
        with pytest.raises(grpc.RpcError) as info:
            stubs.guard.Check(pb.CheckRequest(action="x"),
                              metadata=stubs.metadata if token else None)
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "bst_nope" not in info.value.details()
