"""Bare gRPC servers answering GuardService/Check with a canned response of Bastion's size:
the baseline the Check benchmark compares against.
``python echo_server.py aio|threads|uvloop PORT`` (``uvloop``: grpc.aio on uvloop, the
loop Bastion runs on by default).
"""

from __future__ import annotations

import asyncio
import sys
from concurrent import futures

import grpc

from bastion.v1 import decision_pb2, guard_service_pb2, guard_service_pb2_grpc


def canned(action: str) -> guard_service_pb2.CheckResponse:
    decision = decision_pb2.Decision(
        decision_id="dec_01a20fc286f570628cde292bb09497b4", verdict=decision_pb2.VERDICT_ALLOW,
        action=action)
    decision.ledger_entry.sequence = 123456
    decision.ledger_entry.entry_hash = "4d5e8ebb4bd4c2c42508e989b6d28aa4f38364d6b41e2326d081ed0631050975"
    decision.decided_at.GetCurrentTime()
    return guard_service_pb2.CheckResponse(decision=decision)


class ThreadEcho(guard_service_pb2_grpc.GuardServiceServicer):
    def Check(self, request, context):  # type: ignore[no-untyped-def]
        return canned(request.action)


class AioEcho(guard_service_pb2_grpc.GuardServiceServicer):
    async def Check(self, request, context):  # type: ignore[no-untyped-def]
        return canned(request.action)


def serve_threads(port: int) -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=64))
    guard_service_pb2_grpc.add_GuardServiceServicer_to_server(ThreadEcho(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    server.wait_for_termination()


async def serve_aio(port: int) -> None:
    server = grpc.aio.server()
    guard_service_pb2_grpc.add_GuardServiceServicer_to_server(AioEcho(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "threads":
        serve_threads(port)
    elif mode == "uvloop":
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(serve_aio(port))
    else:
        asyncio.run(serve_aio(port))
