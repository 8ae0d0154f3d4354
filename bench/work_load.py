"""Load for bench/work_queue.py: N concurrent workers each doing Submit → Lease → Complete
cycles ("work"), three Heartbeats of a held lease per cycle ("heartbeat"), or three Check
calls per cycle ("echo": against an echo server, or against Bastion for a guarded, ledgered
call to compare with). Prints one JSON line."""

from __future__ import annotations

import asyncio
import json
import sys
import time

import grpc

from bastion.v1 import guard_service_pb2, guard_service_pb2_grpc
from bastion.v1 import work_service_pb2 as wpb
from bastion.v1 import work_service_pb2_grpc


async def cycle_work(stub: work_service_pb2_grpc.WorkServiceStub, metadata, n: int) -> None:  # type: ignore[no-untyped-def]
    await stub.Submit(wpb.SubmitRequest(run_id="bench", attributes_json=f'{{"n": {n}}}'),
                      metadata=metadata, timeout=30)
    leased = await stub.Lease(wpb.LeaseRequest(worker_id="bench"), metadata=metadata,
                              timeout=30)
    if leased.HasField("unit"):
        await stub.Complete(wpb.CompleteRequest(unit_id=leased.unit.unit_id,
                                                lease_id=leased.lease_id),
                            metadata=metadata, timeout=30)


async def cycle_heartbeat(stub: work_service_pb2_grpc.WorkServiceStub, metadata, n: int,  # type: ignore[no-untyped-def]
                          held: dict) -> None:
    for _ in range(3):
        await stub.Heartbeat(wpb.HeartbeatRequest(unit_id=held["unit"], lease_id=held["lease"],
                                                  progress=0.5), metadata=metadata, timeout=30)


async def hold_one(stub: work_service_pb2_grpc.WorkServiceStub, metadata, worker: int) -> dict:  # type: ignore[no-untyped-def]
    run = f"heartbeat-{worker}"
    await stub.Submit(wpb.SubmitRequest(run_id=run), metadata=metadata, timeout=30)
    leased = await stub.Lease(wpb.LeaseRequest(run_id=run), metadata=metadata, timeout=30)
    return {"unit": leased.unit.unit_id, "lease": leased.lease_id}


async def cycle_echo(stub: guard_service_pb2_grpc.GuardServiceStub, metadata, n: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        await stub.Check(guard_service_pb2.CheckRequest(action="work.submit"),
                         metadata=metadata, timeout=30)


async def run(mode: str, target: str, token: str, workers: int, duration_s: float) -> dict:
    metadata = (("authorization", f"Bearer {token}"),)
    async with grpc.aio.insecure_channel(target) as channel:
        held: list[dict] = []
        if mode == "work":
            stub, cycle = work_service_pb2_grpc.WorkServiceStub(channel), cycle_work
        elif mode == "heartbeat":
            stub = work_service_pb2_grpc.WorkServiceStub(channel)
            held = [await hold_one(stub, metadata, w) for w in range(workers)]
            cycle = None
        else:
            stub, cycle = guard_service_pb2_grpc.GuardServiceStub(channel), cycle_echo
        done = 0
        errors = 0
        stop_at = time.perf_counter() + duration_s

        async def worker(index: int) -> None:
            nonlocal done, errors
            while time.perf_counter() < stop_at:
                try:
                    if cycle is None:
                        await cycle_heartbeat(stub, metadata, done, held[index])
                    else:
                        await cycle(stub, metadata, done)
                    done += 1
                except grpc.aio.AioRpcError:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(workers)))
        return {"cycles": done, "seconds": time.perf_counter() - began, "errors": errors}


if __name__ == "__main__":
    mode, target, token, workers, duration = sys.argv[1:6]
    print(json.dumps(asyncio.run(run(mode, target, token, int(workers), float(duration)))))
