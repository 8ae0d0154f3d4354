"""BlocklistService: thin conversions; mutations are guarded, ledgered actions."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

import grpc

from bastion.runtime.domain_calls import guarded_call
from bastion.runtime.errors import InvalidArgument, NotFound
from bastion.runtime.lifecycle import Lifecycle
from bastion.runtime.principal import current_principal
from bastion_blocklist import storage
from bastion_blocklist.proto import blocklist_pb2 as pb
from bastion_blocklist.proto import blocklist_pb2_grpc

if TYPE_CHECKING:
    from bastion_blocklist import BlocklistPlugin

_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*\*?$")


def _pattern(value: str) -> str:
    if not value:
        raise InvalidArgument("pattern", "is required")
    if len(value) > 256 or not _PATTERN.match(value):
        raise InvalidArgument("pattern", "must be an action name, optionally ending in '*'")
    return value


class BlocklistServicer(blocklist_pb2_grpc.BlocklistServiceServicer):
    def __init__(self, plugin: BlocklistPlugin, lifecycle: Lifecycle) -> None:
        self._plugin = plugin
        self._lifecycle = lifecycle

    async def AddEntry(self, request: pb.AddEntryRequest,
                       context: grpc.aio.ServicerContext) -> pb.AddEntryResponse:
        pattern = _pattern(request.pattern)
        tenant = current_principal().tenant_id
        await guarded_call(self._lifecycle, "blocklist.add_entry",
                           lambda uow: uow.add(storage.AddEntry(tenant, pattern)),
                           attributes={"pattern": pattern})
        self._plugin.forget(tenant)
        return pb.AddEntryResponse(pattern=pattern)

    async def RemoveEntry(self, request: pb.RemoveEntryRequest,
                          context: grpc.aio.ServicerContext) -> pb.RemoveEntryResponse:
        pattern = _pattern(request.pattern)
        tenant = current_principal().tenant_id
        if pattern not in await self._plugin.patterns_async(tenant, fresh=True):
            raise NotFound(f"no blocklist entry {pattern!r}")
        await guarded_call(self._lifecycle, "blocklist.remove_entry",
                           lambda uow: uow.add(storage.RemoveEntry(tenant, pattern)),
                           attributes={"pattern": pattern})
        self._plugin.forget(tenant)
        return pb.RemoveEntryResponse()

    async def ListEntries(self, request: pb.ListEntriesRequest,
                          context: grpc.aio.ServicerContext) -> pb.ListEntriesResponse:
        tenant = current_principal().tenant_id
        return pb.ListEntriesResponse(
            patterns=await self._plugin.patterns_async(tenant, fresh=True))
