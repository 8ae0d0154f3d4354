"""Shared fixtures: every server-level test runs on SQLite and on PostgreSQL.

PostgreSQL is required (127.0.0.1:5432, or BASTION_TEST_POSTGRES_URL): when it cannot be
reached the PostgreSQL half of the suite fails; it is never skipped.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import pytest

from bastion.testing.harness import (
    ServerHandle,
    TenantKeys,
    make_test_settings,
    running_server,
    temporary_database,
)
from bastion.v1 import (
    admin_service_pb2_grpc,
    guard_service_pb2_grpc,
    ledger_service_pb2_grpc,
    metabolism_service_pb2_grpc,
    work_service_pb2_grpc,
)

from bastion.runtime.logging import configure_logging

BACKENDS = ["sqlite", "postgresql"]
# Loggers must not be cached: some tests reconfigure logging to capture it.
configure_logging("json", "info", cache=False)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return tmp_path_factory.mktemp("bastion")


@pytest.fixture(scope="session")
def server(backend: str, session_tmp: pathlib.Path) -> Iterator[ServerHandle]:
    """One server per backend for the session, with the built-in plugins."""
    with temporary_database(backend, session_tmp) as url:
        with running_server(make_test_settings(url)) as handle:
            yield handle


@pytest.fixture
def database_url(backend: str, tmp_path: pathlib.Path) -> Iterator[str]:
    """A fresh database for tests that start their own server."""
    with temporary_database(backend, tmp_path) as url:
        yield url


@pytest.fixture
def tenant(server: ServerHandle) -> TenantKeys:
    return server.create_tenant()


@dataclass
class Stubs:
    channel: grpc.Channel
    token: str

    @property
    def metadata(self) -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {self.token}")]

    @property
    def guard(self) -> guard_service_pb2_grpc.GuardServiceStub:
        return guard_service_pb2_grpc.GuardServiceStub(self.channel)

    @property
    def ledger(self) -> ledger_service_pb2_grpc.LedgerServiceStub:
        return ledger_service_pb2_grpc.LedgerServiceStub(self.channel)

    @property
    def admin(self) -> admin_service_pb2_grpc.AdminServiceStub:
        return admin_service_pb2_grpc.AdminServiceStub(self.channel)

    @property
    def metabolism(self) -> metabolism_service_pb2_grpc.MetabolismServiceStub:
        return metabolism_service_pb2_grpc.MetabolismServiceStub(self.channel)

    @property
    def work(self) -> work_service_pb2_grpc.WorkServiceStub:
        return work_service_pb2_grpc.WorkServiceStub(self.channel)


@pytest.fixture
def connect(server: ServerHandle) -> Iterator[object]:
    """``connect(token)`` → :class:`Stubs` on a channel to the session server."""
    channels: list[grpc.Channel] = []

    def _connect(token: str, handle: ServerHandle | None = None) -> Stubs:
        channel = grpc.insecure_channel((handle or server).target)
        channels.append(channel)
        return Stubs(channel, token)

    yield _connect
    for channel in channels:
        channel.close()


@pytest.fixture
def agent(connect, tenant: TenantKeys) -> Stubs:  # type: ignore[no-untyped-def]
    return connect(tenant.agent_token)


@pytest.fixture
def admin(connect, tenant: TenantKeys) -> Stubs:  # type: ignore[no-untyped-def]
    return connect(tenant.admin_token)
