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
# What the judgment guards act on (bench/judgment_overhead.py): the plain request plus an
# agent's reasoning with a 2,000-character text.
JUDGMENT_REQUEST = guard_service_pb2.CheckRequest()
JUDGMENT_REQUEST.CopyFrom(REQUEST)
JUDGMENT_REQUEST.reasoning.text = (
    "First, check that the working tree of release 4.2 is clean and that CI passed on it. "
    "Then run make deploy from /srv/app to ship the release to production. "
    "Next, watch the production health endpoint because errors show up there first. "
    "Finally, I will roll back the release if the error rate rises above one percent "
    "within ten minutes. ") * 10
JUDGMENT_REQUEST.reasoning.text = JUDGMENT_REQUEST.reasoning.text[:2000]
JUDGMENT_REQUEST.reasoning.goal = "ship release 4.2 to production"
JUDGMENT_REQUEST.reasoning.phase = "deploy"
JUDGMENT_REQUEST.reasoning.model = "agent-model-large"
JUDGMENT_REQUEST.reasoning.thinking_tokens = 1200
REQUESTS = {"plain": REQUEST, "admission": ADMISSION_REQUEST, "judgment": JUDGMENT_REQUEST}


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
