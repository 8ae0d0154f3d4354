"""The plugin under test, and raw gRPC stubs to call the servers bastion.testing starts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import grpc
import pytest

from bastion.testing import ServerHandle
from bastion.v1 import decision_pb2, guard_service_pb2, guard_service_pb2_grpc
from bastion_blocklist import BlocklistPlugin
from bastion_blocklist.v1 import blocklist_pb2 as pb
from bastion_blocklist.v1 import blocklist_pb2_grpc


@pytest.fixture
def bastion_plugins() -> list[object]:
    """What bastion.testing's fixtures build their plugin manager and servers with."""
    return [BlocklistPlugin]


@dataclass
class Caller:
    """One tenant's key on a channel to a server, through the generated stubs."""

    channel: grpc.Channel
    token: str

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),)

    def check(self, action: str) -> decision_pb2.Decision:
        stub = guard_service_pb2_grpc.GuardServiceStub(self.channel)
        return stub.Check(guard_service_pb2.CheckRequest(action=action),
                          metadata=self.metadata).decision

    @property
    def blocklist(self) -> blocklist_pb2_grpc.BlocklistServiceStub:
        return blocklist_pb2_grpc.BlocklistServiceStub(self.channel)

    def add(self, pattern: str) -> pb.AddEntryResponse:
        return self.blocklist.AddEntry(pb.AddEntryRequest(pattern=pattern),
                                       metadata=self.metadata)

    def remove(self, pattern: str) -> pb.RemoveEntryResponse:
        return self.blocklist.RemoveEntry(pb.RemoveEntryRequest(pattern=pattern),
                                          metadata=self.metadata)

    def patterns(self) -> list[str]:
        response = self.blocklist.ListEntries(pb.ListEntriesRequest(), metadata=self.metadata)
        return [e.pattern for e in response.entries]


@pytest.fixture
def connect(bastion_server: ServerHandle) -> Iterator[Callable[..., Caller]]:
    """``connect(token, server=bastion_server)`` → a :class:`Caller`; channels close after."""
    channels: list[grpc.Channel] = []

    def _connect(token: str, server: ServerHandle | None = None) -> Caller:
        channel = grpc.insecure_channel((server or bastion_server).target)
        channels.append(channel)
        return Caller(channel, token)

    yield _connect
    for channel in channels:
        channel.close()
