"""Standard services: health (no credentials) and reflection (what grpcurl uses)."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc


def test_health_serving_without_credentials(server) -> None:  # type: ignore[no-untyped-def]
    with grpc.insecure_channel(server.target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", "bastion.v1.GuardService", "bastion.v1.MetabolismService"):
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_every_service(server) -> None:  # type: ignore[no-untyped-def]
    with grpc.insecure_channel(server.target) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        (reply,) = list(stub.ServerReflectionInfo(iter([request]), timeout=5))
        services = {s.name for s in reply.list_services_response.service}
        described = reflection_pb2.ServerReflectionRequest(
            file_containing_symbol="bastion.v1.GuardService")
        (file_reply,) = list(stub.ServerReflectionInfo(iter([described]), timeout=5))
    assert {"bastion.v1.GuardService", "bastion.v1.AdminService", "bastion.v1.LedgerService",
            "bastion.v1.MetabolismService", "grpc.health.v1.Health"} <= services
    assert file_reply.file_descriptor_response.file_descriptor_proto


def _wait_for(channel: grpc.Channel, wanted: int) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    for reply in stub.Watch(health_pb2.HealthCheckRequest(), timeout=30):
        if reply.status == wanted:
            return
    raise AssertionError("health stream ended")


def test_health_follows_storage(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL only: it is the engine that can be made unreachable under a live server."""
    import sqlalchemy as sa

    from bastion.clients import BastionClient, BastionError
    from bastion.testing.harness import (
        make_test_settings,
        postgres_admin_url,
        running_server,
        temporary_database,
    )

    admin = sa.create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    with temporary_database("postgresql", tmp_path) as url:
        name = sa.make_url(url).database
        with running_server(make_test_settings(url)) as handle:
            keys = handle.create_tenant()
            with grpc.insecure_channel(handle.target) as channel:
                _wait_for(channel, health_pb2.HealthCheckResponse.SERVING)
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                    conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                         f"WHERE datname = '{name}'")
                try:
                    _wait_for(channel, health_pb2.HealthCheckResponse.NOT_SERVING)
                    with BastionClient(handle.target, api_key=keys.agent_token,
                                       max_attempts=2) as client:
                        try:
                            client.check("tool.exec")
                            code = grpc.StatusCode.OK
                        except BastionError as error:
                            code = error.code
                    assert code is grpc.StatusCode.UNAVAILABLE
                finally:
                    with admin.connect() as conn:
                        conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
                _wait_for(channel, health_pb2.HealthCheckResponse.SERVING)
    admin.dispose()
