"""BlocklistService: convert, validate, run the change through the lifecycle, convert back.

The tenant is always the caller's (``current_principal()``), never a request field. Changes
are the actions ``blocklist.add_entry`` / ``blocklist.remove_entry``: guards decide on them
and the ledger records them in the same transaction as the row they change.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import grpc
from google.protobuf import timestamp_pb2

from bastion.runtime.domain_calls import guarded_call
from bastion.runtime.errors import AlreadyExists, NotFound
from bastion.runtime.lifecycle import Lifecycle
from bastion.runtime.principal import current_principal
from bastion.storage import Database
from bastion_blocklist import storage
from bastion_blocklist.cache import PatternCache
from bastion_blocklist.matching import parse_pattern
from bastion_blocklist.v1 import blocklist_pb2 as pb
from bastion_blocklist.v1 import blocklist_pb2_grpc

ADD_ENTRY = "blocklist.add_entry"
REMOVE_ENTRY = "blocklist.remove_entry"


def entry_to_pb(entry: storage.Entry) -> pb.BlocklistEntry:
    created = timestamp_pb2.Timestamp()
    created.FromDatetime(entry.created_at)
    return pb.BlocklistEntry(pattern=entry.pattern, create_time=created)


class BlocklistServicer(blocklist_pb2_grpc.BlocklistServiceServicer):
    def __init__(self, lifecycle: Lifecycle, database: Database, cache: PatternCache) -> None:
        self._lifecycle = lifecycle
        self._database = database
        self._cache = cache

    async def AddEntry(self, request: pb.AddEntryRequest,
                       context: grpc.aio.ServicerContext) -> pb.AddEntryResponse:
        pattern = parse_pattern(request.pattern, "pattern")
        tenant_id = current_principal().tenant_id
        if await asyncio.to_thread(storage.find_entry, self._database, tenant_id, pattern):
            raise AlreadyExists(f"{pattern} is already on the blocklist")
        entry = storage.Entry(pattern, dt.datetime.now(dt.timezone.utc))
        _, decision = await guarded_call(
            self._lifecycle, ADD_ENTRY, lambda uow: uow.add(storage.InsertEntry(tenant_id, entry)),
            attributes={"pattern": pattern})
        self._cache.forget(tenant_id)
        return pb.AddEntryResponse(entry=entry_to_pb(entry), decision_id=decision.decision_id)

    async def RemoveEntry(self, request: pb.RemoveEntryRequest,
                          context: grpc.aio.ServicerContext) -> pb.RemoveEntryResponse:
        pattern = parse_pattern(request.pattern, "pattern")
        tenant_id = current_principal().tenant_id
        if not await asyncio.to_thread(storage.find_entry, self._database, tenant_id, pattern):
            raise NotFound(f"{pattern} is not on the blocklist")
        _, decision = await guarded_call(
            self._lifecycle, REMOVE_ENTRY,
            lambda uow: uow.add(storage.DeleteEntry(tenant_id, pattern)),
            attributes={"pattern": pattern})
        self._cache.forget(tenant_id)
        return pb.RemoveEntryResponse(decision_id=decision.decision_id)

    async def ListEntries(self, request: pb.ListEntriesRequest,
                          context: grpc.aio.ServicerContext) -> pb.ListEntriesResponse:
        tenant_id = current_principal().tenant_id
        entries = await asyncio.to_thread(storage.list_entries, self._database, tenant_id)
        return pb.ListEntriesResponse(entries=[entry_to_pb(e) for e in entries])
