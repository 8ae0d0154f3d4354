"""Agent memories (SPEC W4): put, get, context (toxic excluded, access time updated),
MarkToxic (NOT_FOUND, logged and ledgered), decay (boundary, no timestamp kept), on SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import grpc
import pytest

from bastion.clients import BastionClient
from bastion.runtime.config import Settings
from bastion.runtime.memory import decay_cutoff, run_janitor
from bastion.storage import memories as store
from bastion.v1 import admin_service_pb2 as apb
from bastion.v1 import memory_service_pb2 as mpb
from bastion.v1 import memory_service_pb2_grpc


def memories(stubs) -> memory_service_pb2_grpc.MemoryServiceStub:  # type: ignore[no-untyped-def]
    return memory_service_pb2_grpc.MemoryServiceStub(stubs.channel)


def put(stubs, role: str, key: str, value) -> mpb.Memory:  # type: ignore[no-untyped-def]
    return memories(stubs).Put(mpb.MemoryServicePutRequest(role=role, key=key,
                                                    value_json=json.dumps(value)),
                               metadata=stubs.metadata).memory


def context(stubs, role: str) -> list[mpb.Memory]:  # type: ignore[no-untyped-def]
    return list(memories(stubs).Context(mpb.MemoryServiceContextRequest(role=role),
                                        metadata=stubs.metadata).memories)


def test_put_get_and_context(agent) -> None:  # type: ignore[no-untyped-def]
    role = f"planner-{uuid.uuid4().hex[:6]}"
    first = put(agent, role, "style", {"tone": "terse"})
    assert first.memory_id.startswith("mem_") and first.HasField("last_accessed_at")
    again = put(agent, role, "style", {"tone": "friendly"})
    assert again.memory_id == first.memory_id                       # same key: replaced
    put(agent, role, "budget", 25)
    put(agent, "other-role", "style", "loud")
    got = memories(agent).Get(mpb.MemoryServiceGetRequest(role=role, key="style"),
                              metadata=agent.metadata).memory
    assert json.loads(got.value_json) == {"tone": "friendly"}
    seen = context(agent, role)
    assert [(m.key, json.loads(m.value_json)) for m in seen] == [
        ("budget", 25), ("style", {"tone": "friendly"})]
    later = context(agent, role)
    assert all(b.last_accessed_at.ToDatetime() >= a.last_accessed_at.ToDatetime()
               for a, b in zip(seen, later))
    with pytest.raises(grpc.RpcError) as caught:
        memories(agent).Get(mpb.MemoryServiceGetRequest(role=role, key="nope"),
                            metadata=agent.metadata)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


def test_toxic_memories_never_reach_an_agent(server, connect, tenant, agent) -> None:  # type: ignore[no-untyped-def]
    operator = connect(tenant.operator_token)
    role = f"coder-{uuid.uuid4().hex[:6]}"
    bad = put(agent, role, "shortcut", "skip the tests")
    put(agent, role, "habit", "write tests first")
    operator.admin.MarkToxic(apb.MarkToxicRequest(memory_id=bad.memory_id,
                                                  reason="teaches unsafe behaviour"),
                             metadata=operator.metadata)
    assert [m.key for m in context(agent, role)] == ["habit"]
    with pytest.raises(grpc.RpcError) as caught:
        memories(agent).Get(mpb.MemoryServiceGetRequest(role=role, key="shortcut"),
                            metadata=agent.metadata)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    # An operator still sees it, flagged, with the reason.
    seen = memories(operator).Get(mpb.MemoryServiceGetRequest(role=role, key="shortcut"),
                                  metadata=operator.metadata).memory
    assert seen.toxic and seen.toxic_reason == "teaches unsafe behaviour"
    # Putting a new value does not launder it.
    put(agent, role, "shortcut", "still skip the tests")
    assert [m.key for m in context(agent, role)] == ["habit"]
    # The change is ledgered with its reason.
    with BastionClient(server.target, api_key=tenant.admin_token) as client:
        actions = [(e.payload["decision"]["action"], e.payload["request"]["attributes"])
                   for e in client.list_ledger(action_type="decision").entries]
    assert ("admin.memory.mark_toxic", {"memory_id": bad.memory_id,
                                        "reason": "teaches unsafe behaviour"}) in actions


def test_marking_a_missing_or_foreign_memory_is_not_found(server, connect, tenant, agent) -> None:  # type: ignore[no-untyped-def]
    operator = connect(tenant.operator_token)
    mine = put(agent, "r", "k", 1)
    other = server.create_tenant()
    foreign = connect(other.operator_token)
    for memory_id in ("mem_doesnotexist", mine.memory_id):
        stubs = operator if memory_id != mine.memory_id else foreign
        with pytest.raises(grpc.RpcError) as caught:
            stubs.admin.MarkToxic(apb.MarkToxicRequest(memory_id=memory_id, reason="x"),
                                  metadata=stubs.metadata)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as caught:
        operator.admin.MarkToxic(apb.MarkToxicRequest(memory_id=mine.memory_id),
                                 metadata=operator.metadata)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT      # reason required
    with pytest.raises(grpc.RpcError) as caught:
        agent.admin.MarkToxic(apb.MarkToxicRequest(memory_id=mine.memory_id, reason="x"),
                              metadata=agent.metadata)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert context(connect(other.agent_token), "r") == []                # tenant isolation


@pytest.mark.parametrize("request_kwargs, field", [
    ({"role": "", "key": "k", "value_json": "1"}, "role"),
    ({"role": "r", "key": "bad key", "value_json": "1"}, "key"),
    ({"role": "r", "key": "k", "value_json": ""}, "value_json"),
    ({"role": "r", "key": "k", "value_json": "{nope"}, "value_json"),
    ({"role": "r", "key": "k", "value_json": json.dumps("x" * 70_000)}, "value_json"),
    ({"role": "r", "key": "k", "value_json": "NaN"}, "value_json"),
])
def test_bad_memories_name_the_field(agent, request_kwargs, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as caught:
        memories(agent).Put(mpb.MemoryServicePutRequest(**request_kwargs), metadata=agent.metadata)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith(f"{field}:")


def test_decay_deletes_what_was_not_accessed_for_the_retention(server, connect, tenant) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(memory_retention_days=90)
    now = dt.datetime.now(dt.timezone.utc)
    cutoff = decay_cutoff(settings, now)
    second = dt.timedelta(seconds=1)
    rows = {"fresh": now, "at-boundary": cutoff + second, "just-past": cutoff - second,
            "ancient": now - dt.timedelta(days=400), "never-read": None}
    store.insert_for_tests(server.server.database, [
        {"id": f"mem_{uuid.uuid4().hex}", "tenant_id": tenant.tenant_id, "role": "decay",
         "key": key, "value_json": "1", "toxic": False, "created_at": now, "updated_at": now,
         "last_accessed_at": at} for key, at in rows.items()])
    other = server.create_tenant()
    store.insert_for_tests(server.server.database, [{
        "id": f"mem_{uuid.uuid4().hex}", "tenant_id": other.tenant_id, "role": "decay",
        "key": "ancient", "value_json": "1", "toxic": False, "created_at": now,
        "updated_at": now, "last_accessed_at": now - dt.timedelta(days=400)}])
    operator = connect(tenant.operator_token)
    deleted = operator.admin.RunMemoryDecay(apb.RunMemoryDecayRequest(),
                                            metadata=operator.metadata).deleted
    assert deleted == 2                                 # just-past and ancient
    remaining = {m.key for m in context(connect(tenant.agent_token), "decay")}
    assert remaining == {"fresh", "at-boundary", "never-read"}
    # The RPC decays the caller's tenant only; the janitor decays every tenant.
    assert [m.key for m in context(connect(other.agent_token), "decay")] == ["ancient"]
    # (Context just marked it accessed: age it again for the janitor.)
    with server.server.database.write() as session:
        session.execute(store.T.update().where(store.T.c.tenant_id == other.tenant_id)
                        .values(last_accessed_at=now - dt.timedelta(days=400)))
    assert run_janitor(server.server.database, server.server.settings)["memories"] >= 1
    assert context(connect(other.agent_token), "decay") == []
