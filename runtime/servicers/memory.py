"""MemoryService: convert, call storage through the lifecycle (Put) or directly (reads),
convert back."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import grpc

from bastion.runtime import memory
from bastion.runtime.domain_calls import guarded_call
from bastion.runtime.errors import NotFound
from bastion.runtime.lifecycle import Lifecycle, new_id
from bastion.runtime.principal import Role, current_principal
from bastion.storage import Database
from bastion.storage import memories as store
from bastion.v1 import memory_service_pb2 as pb
from bastion.v1 import memory_service_pb2_grpc


def memory_to_pb(row: dict[str, Any], *, show_reason: bool) -> pb.Memory:
    out = pb.Memory(memory_id=row["id"], role=row["role"], key=row["key"],
                    value_json=row["value_json"], toxic=bool(row["toxic"]),
                    toxic_reason=(row["toxic_reason"] or "") if show_reason else "")
    out.created_at.FromDatetime(row["created_at"])
    out.updated_at.FromDatetime(row["updated_at"])
    if row["last_accessed_at"] is not None:
        out.last_accessed_at.FromDatetime(row["last_accessed_at"])
    return out


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class MemoryServicer(memory_service_pb2_grpc.MemoryServiceServicer):
    def __init__(self, lifecycle: Lifecycle, database: Database) -> None:
        self._lifecycle, self._db = lifecycle, database

    async def Put(self, request: pb.MemoryServicePutRequest,
                  context: grpc.aio.ServicerContext) -> pb.MemoryServicePutResponse:
        principal = current_principal()
        role, key = memory.role_and_key(request.role, request.key)
        value_json = memory.value(request.value_json)
        op = store.PutMemory(memory_id=new_id("mem"), tenant_id=principal.tenant_id,
                             role=role, key=key, value_json=value_json, now=_now())
        _, decision = await guarded_call(
            self._lifecycle, "memory.put", lambda uow: uow.add(op),
            attributes={"role": role, "key": key, "value_bytes": len(value_json.encode())})
        assert op.memory is not None
        return pb.MemoryServicePutResponse(memory=memory_to_pb(op.memory, show_reason=False),
                                           decision_id=decision.decision_id)

    async def Get(self, request: pb.MemoryServiceGetRequest,
                  context: grpc.aio.ServicerContext) -> pb.MemoryServiceGetResponse:
        principal = current_principal()
        role, key = memory.role_and_key(request.role, request.key)
        operator = principal.may(Role.OPERATOR)
        row = await asyncio.to_thread(store.get, self._db, principal.tenant_id, role, key,
                                      include_toxic=operator, now=_now())
        if row is None:
            raise NotFound(f"no memory {key!r} for role {role!r}")
        return pb.MemoryServiceGetResponse(memory=memory_to_pb(row, show_reason=operator))

    async def Context(self, request: pb.MemoryServiceContextRequest,
                      context: grpc.aio.ServicerContext) -> pb.MemoryServiceContextResponse:
        principal = current_principal()
        role = memory.role_and_key(request.role, "k")[0]
        limit = memory.context_limit(request.limit)
        rows = await asyncio.to_thread(store.context, self._db, principal.tenant_id, role,
                                       limit=limit, now=_now())
        return pb.MemoryServiceContextResponse(
            memories=[memory_to_pb(r, show_reason=False) for r in rows])
