"""The access log: one line per call, with what an operator filters on."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import grpc
import pytest
import structlog

from bastion.runtime.logging import configure_logging, flush_logs, log_access
from bastion.v1 import guard_service_pb2

CHECK = "/bastion.v1.GuardService/Check"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("json", "info", stream=stream, cache=False)
    try:
        yield stream
    finally:
        flush_logs()
        configure_logging("json", "info", cache=False)


def _rpc_lines(stream: io.StringIO) -> list[dict]:
    flush_logs()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in lines if line.get("event") == "rpc"]


def test_each_call_writes_one_line_with_method_tenant_status_duration_request_id(
        captured, agent, tenant) -> None:  # type: ignore[no-untyped-def]
    agent.guard.Check(guard_service_pb2.CheckRequest(action="tool.read"),
                      metadata=[*agent.metadata, ("x-request-id", "req-access-1")])
    with pytest.raises(grpc.RpcError) as refused:
        agent.guard.Check(guard_service_pb2.CheckRequest(action=""),
                          metadata=[*agent.metadata, ("x-request-id", "req-access-2")])
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT

    lines = {line["request_id"]: line for line in _rpc_lines(captured)
             if line["request_id"].startswith("req-access-")}
    assert set(lines) == {"req-access-1", "req-access-2"}
    allowed, invalid = lines["req-access-1"], lines["req-access-2"]
    assert (allowed["method"], allowed["status"], allowed["tenant"], allowed["level"]) == (
        CHECK, "OK", tenant.tenant_id, "info")
    assert (invalid["status"], invalid["tenant"]) == ("INVALID_ARGUMENT", tenant.tenant_id)
    assert isinstance(allowed["duration_ms"], float) and allowed["duration_ms"] > 0
    assert allowed["timestamp"].endswith("Z") and allowed["timestamp"][:4].isdigit()


def test_unauthenticated_call_is_logged_without_a_tenant(captured, connect) -> None:  # type: ignore[no-untyped-def]
    stubs = connect("not-a-key")
    with pytest.raises(grpc.RpcError) as refused:
        stubs.guard.Check(guard_service_pb2.CheckRequest(action="tool.read"),
                          metadata=[*stubs.metadata, ("x-request-id", "req-access-3")])
    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
    (line,) = [line for line in _rpc_lines(captured) if line["request_id"] == "req-access-3"]
    assert line["status"] == "UNAUTHENTICATED" and "tenant" not in line


def test_json_line_is_the_one_structlog_would_write(captured) -> None:  # type: ignore[no-untyped-def]
    with structlog.contextvars.bound_contextvars(request_id="r-1", tenant="ten_1", user="u"):
        log_access(CHECK, "OK", 1.25, "r-1")
        structlog.get_logger("bastion.access").info(
            "rpc", method=CHECK, status="OK", duration_ms=1.25, request_id="r-1")
    ours, structlogs = _rpc_lines(captured)
    assert ours.pop("timestamp") and structlogs.pop("timestamp")
    assert list(ours.items()) == list(structlogs.items())  # same keys, values and order


def _access_line_written(fmt: str, level: str) -> str:
    stream = io.StringIO()
    configure_logging(fmt, level, stream=stream, cache=False)
    try:
        log_access(CHECK, "NOT_FOUND", 2.5, "r-2")
        flush_logs()
    finally:
        configure_logging("json", "info", cache=False)
    return stream.getvalue()


def test_level_above_info_writes_no_access_line() -> None:
    assert _access_line_written("json", "warning") == ""


def test_console_format_writes_a_line_for_people() -> None:
    line = _access_line_written("console", "info")
    assert "rpc" in line and f"method={CHECK}" in line and "status=NOT_FOUND" in line
    assert not line.lstrip().startswith("{")
