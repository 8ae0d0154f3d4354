"""GuardService.CheckStream (issue #4): each message decided as Check decides it, answers
correlated by request id, bad messages answered without ending the stream, bounded
concurrency, and cancellation or a deadline ending the decisions still in flight. On
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import queue
import threading
import time

import grpc
import pytest

from bastion.runtime import hookimpl
from bastion.testing.harness import make_test_settings, running_server
from bastion.v1 import decision_pb2
from bastion.v1 import guard_service_pb2 as gpb
from bastion.v1 import guard_service_pb2_grpc
from tests.guards import DenyPrefix

ALLOW, DENY = decision_pb2.VERDICT_ALLOW, decision_pb2.VERDICT_DENY


def message(request_id: str = "", **check) -> gpb.CheckStreamRequest:  # type: ignore[no-untyped-def]
    return gpb.CheckStreamRequest(request_id=request_id, check=gpb.CheckRequest(**check))


class Gate:
    """An async guard that holds every ``gated.*`` action until the test opens the gate,
    and records how many entered, how many it holds at once and which were cancelled."""

    name = "gate"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entered = self.holding = self.most = self.cancelled = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._open: asyncio.Event | None = None

    def release(self) -> None:
        """Opens the gate, from the test's thread, on the server's event loop."""
        assert self._loop is not None and self._open is not None
        self._loop.call_soon_threadsafe(self._open.set)

    @hookimpl
    async def bastion_guard_check(self, request):  # type: ignore[no-untyped-def]
        if not request.action.startswith("gated."):
            return None
        if self._open is None:
            self._loop, self._open = asyncio.get_running_loop(), asyncio.Event()
        with self.lock:
            self.entered += 1
            self.holding += 1
            self.most = max(self.most, self.holding)
        try:
            await self._open.wait()
        except asyncio.CancelledError:
            with self.lock:
                self.cancelled += 1
            raise
        finally:
            with self.lock:
                self.holding -= 1
        return None


def wait_for(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)


def test_each_message_is_decided_and_answered_with_its_id(agent) -> None:  # type: ignore[no-untyped-def]
    requests = [message("a", action="tool.exec"), message("b", action="files.read"),
                message("", action="tool.exec")]
    answers = {a.request_id: a for a in agent.guard.CheckStream(iter(requests),
                                                                metadata=agent.metadata)}
    assert set(answers) == {"a", "b", "3"}              # empty id: the position
    for answer in answers.values():
        assert answer.WhichOneof("result") == "decision"
        assert answer.decision.verdict == ALLOW
        assert answer.decision.ledger_entry.sequence > 0
    explained = agent.guard.Explain(gpb.ExplainRequest(
        decision_id=answers["b"].decision.decision_id), metadata=agent.metadata)
    assert explained.decision.action == "files.read"


def test_a_bad_message_gets_an_error_and_the_stream_goes_on(agent) -> None:  # type: ignore[no-untyped-def]
    requests = [message("bad-json", action="x.y", attributes_json="{nope"),
                message("bad-priority", action="x.y", priority=17),
                gpb.CheckStreamRequest(request_id="no-check"),
                message("x" * 65, action="x.y"),
                message("good", action="x.y")]
    answers = {a.request_id: a for a in agent.guard.CheckStream(iter(requests),
                                                                metadata=agent.metadata)}
    errors = {rid: (a.error.code, a.error.field) for rid, a in answers.items()
              if a.WhichOneof("result") == "error"}
    invalid = grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert errors == {"bad-json": (invalid, "check.attributes_json"),
                      "bad-priority": (invalid, "check.priority"),
                      "no-check": (invalid, "check"),
                      "4": (invalid, "request_id")}
    assert answers["good"].decision.verdict == ALLOW


def test_undecodable_bytes_are_answered_not_fatal(server, tenant) -> None:  # type: ignore[no-untyped-def]
    with grpc.insecure_channel(server.target) as channel:
        raw = channel.stream_stream("/bastion.v1.GuardService/CheckStream",
                                    request_serializer=lambda b: b,
                                    response_deserializer=gpb.CheckStreamResponse.FromString)
        garbage = b"\x0a\xff\xff\xff\xff\x0f"           # a length prefix past the end
        good = message("ok", action="x.y").SerializeToString()
        answers = list(raw(iter([garbage, good]),
                           metadata=[("authorization", f"Bearer {tenant.agent_token}")]))
    by_id = {a.request_id: a for a in answers}
    assert by_id["1"].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert by_id["1"].error.field == "message"
    assert by_id["ok"].decision.verdict == ALLOW


def test_verdicts_match_unary_check(database_url) -> None:  # type: ignore[no-untyped-def]
    with running_server(make_test_settings(database_url), [DenyPrefix()]) as handle:
        keys = handle.create_tenant()
        metadata = [("authorization", f"Bearer {keys.agent_token}")]
        with grpc.insecure_channel(handle.target) as channel:
            stub = guard_service_pb2_grpc.GuardServiceStub(channel)
            actions = ["deny.rm", "tool.exec", "defer.later", "deny.drop"]
            streamed = {a.request_id: a.decision for a in stub.CheckStream(
                iter([message(str(i), action=a) for i, a in enumerate(actions)]),
                metadata=metadata)}
            for i, action in enumerate(actions):
                unary = stub.Check(gpb.CheckRequest(action=action), metadata=metadata).decision
                assert streamed[str(i)].verdict == unary.verdict
                assert [r.code for r in streamed[str(i)].reasons] == [
                    r.code for r in unary.reasons]


def test_at_most_stream_max_in_flight_messages_are_decided_at_once(database_url) -> None:  # type: ignore[no-untyped-def]
    gate = Gate()
    settings = make_test_settings(database_url, stream_max_in_flight=2, guard_timeout_ms=60_000)
    with running_server(settings, [gate]) as handle:
        keys = handle.create_tenant()
        metadata = [("authorization", f"Bearer {keys.agent_token}")]
        sent = threading.Event()

        def requests():  # type: ignore[no-untyped-def]
            for i in range(6):
                yield message(str(i), action="gated.step")
            sent.set()

        with grpc.insecure_channel(handle.target) as channel:
            stub = guard_service_pb2_grpc.GuardServiceStub(channel)
            call = stub.CheckStream(requests(), metadata=metadata)
            wait_for(lambda: gate.holding == 2 and sent.is_set())
            gate.release()
            answers = [a.decision.verdict for a in call]
    assert answers == [ALLOW] * 6
    assert gate.most == 2


@pytest.mark.parametrize("how", ["cancel", "deadline"])
def test_cancellation_and_deadline_end_the_decisions_in_flight(database_url, how) -> None:  # type: ignore[no-untyped-def]
    gate = Gate()
    settings = make_test_settings(database_url, guard_timeout_ms=60_000)
    with running_server(settings, [gate]) as handle:
        keys = handle.create_tenant()
        metadata = [("authorization", f"Bearer {keys.agent_token}")]
        outbox: queue.Queue[gpb.CheckStreamRequest | None] = queue.Queue()
        outbox.put(message("held-1", action="gated.a"))
        outbox.put(message("held-2", action="gated.b"))

        def requests():  # type: ignore[no-untyped-def]
            while (item := outbox.get()) is not None:
                yield item

        with grpc.insecure_channel(handle.target) as channel:
            stub = guard_service_pb2_grpc.GuardServiceStub(channel)
            if how == "cancel":
                call = stub.CheckStream(requests(), metadata=metadata)
                wait_for(lambda: gate.holding == 2)
                call.cancel()
                expected = grpc.StatusCode.CANCELLED
            else:
                call = stub.CheckStream(requests(), metadata=metadata, timeout=3.0)
                expected = grpc.StatusCode.DEADLINE_EXCEEDED
            with pytest.raises(grpc.RpcError) as caught:
                list(call)
            assert caught.value.code() == expected
            outbox.put(None)
            # Every held decision was cancelled on the server, none left running.
            wait_for(lambda: gate.entered >= 1 and gate.cancelled == gate.entered
                     and gate.holding == 0)
            # The server is fine afterwards.
            reply = stub.Check(gpb.CheckRequest(action="tool.exec"), metadata=metadata)
            assert reply.decision.verdict == ALLOW
