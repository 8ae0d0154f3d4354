"""The example plugin, tested the way a plugin author would: with bastion.testing."""

from __future__ import annotations

import grpc
import pytest

from bastion.clients import BastionClient, Verdict
from bastion_blocklist.matching import blocking_pattern
from bastion_blocklist.proto import blocklist_pb2 as pb
from bastion_blocklist.proto import blocklist_pb2_grpc


def test_matching() -> None:
    assert blocking_pattern("payments.refund", ["payments.*"]) == "payments.*"
    assert blocking_pattern("payments.refund", ["payments.refund"]) == "payments.refund"
    assert blocking_pattern("payments.refund", ["payments.charge", "files.*"]) is None


def test_plugin_manager_holds_only_the_plugin(bastion_plugin_manager) -> None:
    names = [name for name, _ in bastion_plugin_manager.list_name_plugin()]
    assert names == ["blocklist"]
    hooks = {h.name for h in bastion_plugin_manager.get_hookcallers(
        bastion_plugin_manager.get_plugin("blocklist"))}
    assert {"bastion_guard_check", "bastion_migrations", "bastion_services",
            "bastion_configure"} <= hooks


@pytest.fixture
def blocklist(bastion_server):
    channel = grpc.insecure_channel(bastion_server.target)
    yield blocklist_pb2_grpc.BlocklistServiceStub(channel)
    channel.close()


def _md(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def test_blocked_action_is_denied_and_others_allowed(bastion_server, bastion_tenant,
                                                     bastion_client, blocklist) -> None:
    blocklist.AddEntry(pb.AddEntryRequest(pattern="payments.*"),
                       metadata=_md(bastion_tenant.operator_token))
    denied = bastion_client.check("payments.refund", attributes={"order": 7})
    assert denied.verdict is Verdict.DENY
    (reason,) = denied.reasons
    assert (reason.guard, reason.code, reason.details["pattern"]) == (
        "blocklist", "blocked_action", "payments.*")
    assert bastion_client.check("files.read").verdict is Verdict.ALLOW
    listed = blocklist.ListEntries(pb.ListEntriesRequest(), metadata=_md(bastion_tenant.agent_token))
    assert list(listed.patterns) == ["payments.*"]


def test_tenants_are_isolated(bastion_server, bastion_tenant, blocklist) -> None:
    blocklist.AddEntry(pb.AddEntryRequest(pattern="shell.exec"),
                       metadata=_md(bastion_tenant.operator_token))
    other = bastion_server.create_tenant()
    with BastionClient(bastion_server.target, api_key=other.agent_token) as client:
        assert client.check("shell.exec").verdict is Verdict.ALLOW
    listed = blocklist.ListEntries(pb.ListEntriesRequest(), metadata=_md(other.agent_token))
    assert list(listed.patterns) == []


def test_remove_unblocks(bastion_tenant, bastion_client, blocklist) -> None:
    md = _md(bastion_tenant.operator_token)
    blocklist.AddEntry(pb.AddEntryRequest(pattern="db.drop"), metadata=md)
    assert bastion_client.check("db.drop").verdict is Verdict.DENY
    blocklist.RemoveEntry(pb.RemoveEntryRequest(pattern="db.drop"), metadata=md)
    assert bastion_client.check("db.drop").verdict is Verdict.ALLOW
    with pytest.raises(grpc.RpcError) as info:
        blocklist.RemoveEntry(pb.RemoveEntryRequest(pattern="db.drop"), metadata=md)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("pattern", ["", "has space", "*", "x" * 300])
def test_bad_pattern_names_the_field(bastion_tenant, blocklist, pattern) -> None:
    with pytest.raises(grpc.RpcError) as info:
        blocklist.AddEntry(pb.AddEntryRequest(pattern=pattern),
                           metadata=_md(bastion_tenant.operator_token))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.details().startswith("pattern:")


def test_agents_cannot_change_the_list(bastion_tenant, blocklist) -> None:
    with pytest.raises(grpc.RpcError) as info:
        blocklist.AddEntry(pb.AddEntryRequest(pattern="a.b"),
                           metadata=_md(bastion_tenant.agent_token))
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
