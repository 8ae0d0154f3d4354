"""The one load generator every target is measured with (grpc.aio, N concurrent callers in
a separate process). Prints one JSON line: completed calls, seconds, latencies, errors."""

from __future__ import annotations

import asyncio
import json
import sys
import time

import grpc

from bastion.v1 import guard_service_pb2, guard_service_pb2_grpc

REQUEST = guard_service_pb2.CheckRequest(
    action="tool.shell.exec", resource="/srv/app/releases", agent_id="agent-17", run_id="run-42",
    attributes_json=json.dumps({"cmd": "make deploy", "cwd": "/srv/app", "attempt": 3}))
# What the admission guards act on: tokens and an estimated cost (quota reserves both),
# in a run with a budget, at P1 (the priority guard checks for pressure).
ADMISSION_REQUEST = guard_service_pb2.CheckRequest()
ADMISSION_REQUEST.CopyFrom(REQUEST)
ADMISSION_REQUEST.resources["tokens"] = 100
ADMISSION_REQUEST.estimated_cost_usd = 0.001
ADMISSION_REQUEST.priority = 2  # PRIORITY_P1
REQUESTS = {"plain": REQUEST, "admission": ADMISSION_REQUEST}


async def run(target: str, token: str, concurrency: int, warmup_s: float,
              duration_s: float, request: guard_service_pb2.CheckRequest = REQUEST
              ) -> dict[str, object]:
    metadata = (("authorization", f"Bearer {token}"),)
    async with grpc.aio.insecure_channel(target) as channel:
        stub = guard_service_pb2_grpc.GuardServiceStub(channel)
        latencies: list[float] = []
        errors = 0
        measuring = False
        stop_at = time.perf_counter() + warmup_s + duration_s

        async def caller() -> None:
            nonlocal errors
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                try:
                    await stub.Check(request, metadata=metadata, timeout=30)
                except grpc.aio.AioRpcError:
                    errors += 1
                    continue
                if measuring:
                    latencies.append(time.perf_counter() - started)

        tasks = [asyncio.create_task(caller()) for _ in range(concurrency)]
        await asyncio.sleep(warmup_s)
        measuring = True
        began = time.perf_counter()
        print(json.dumps({"event": "measuring"}), flush=True)
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - began
    return {"completed": len(latencies), "seconds": elapsed, "errors": errors,
            "latencies": latencies}


if __name__ == "__main__":
    target, token, concurrency, warmup, duration = sys.argv[1:6]
    kind = sys.argv[6] if len(sys.argv) > 6 else "plain"
    result = asyncio.run(run(target, token, int(concurrency), float(warmup), float(duration),
                             REQUESTS[kind]))
    print(json.dumps(result), flush=True)
