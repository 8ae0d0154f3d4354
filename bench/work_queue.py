"""Work queue throughput (issue #3): Submit → Lease → Complete cycles per second with 8
workers, SubmitMany units per second, and the time to reclaim 10,000 zombies, on SQLite
and PostgreSQL, against a bare grpc.aio echo server doing three calls per cycle in the
same run (the bound a 3-call cycle can reach on this machine).

    python bench/work_queue.py [--duration 5] [--backends sqlite,postgresql]

Targets: >= 800 cycles/s on PostgreSQL, SubmitMany >= 20,000 units/s, 10,000 zombies
reclaimed in < 5 s.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import time

import grpc
import sqlalchemy as sa

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from check_throughput import (bastion, bastion_cli, free_port, machine, process,  # noqa: E402
                              wait_ready)

from bastion.v1 import admin_service_pb2 as apb  # noqa: E402
from bastion.v1 import admin_service_pb2_grpc  # noqa: E402
from bastion.v1 import work_service_pb2 as wpb  # noqa: E402
from bastion.v1 import work_service_pb2_grpc  # noqa: E402

WORKERS = 8
BATCH = 1000


def cycles(mode: str, target: str, token: str, duration: float) -> float:
    out = subprocess.run([sys.executable, str(HERE / "work_load.py"), mode, target, token,
                          str(WORKERS), str(duration)], capture_output=True, text=True,
                         check=True)
    result = json.loads(out.stdout)
    assert result["errors"] == 0, result
    return result["cycles"] / result["seconds"]


def submit_many(target: str, token: str, batches: int) -> float:
    metadata = [("authorization", f"Bearer {token}")]
    with grpc.insecure_channel(target) as channel:
        stub = work_service_pb2_grpc.WorkServiceStub(channel)
        request = wpb.SubmitManyRequest(units=[
            wpb.SubmitRequest(run_id="bulk", attributes_json=f'{{"n": {n}}}')
            for n in range(BATCH)])
        started = time.perf_counter()
        for _ in range(batches):
            stub.SubmitMany(request, metadata=metadata, timeout=60)
        return batches * BATCH / (time.perf_counter() - started)


def zombies(url: str, target: str, token: str, count: int) -> float:
    """Makes ``count`` units ACTIVE with a heartbeat an hour old, then times
    RunZombieProtocol reclaiming them (each with a history row and a ledger entry)."""
    metadata = [("authorization", f"Bearer {token}")]
    with grpc.insecure_channel(target) as channel:
        work = work_service_pb2_grpc.WorkServiceStub(channel)
        for start in range(0, count, BATCH):
            work.SubmitMany(wpb.SubmitManyRequest(units=[
                wpb.SubmitRequest(run_id="zombies") for _ in range(min(BATCH, count - start))]),
                metadata=metadata, timeout=60)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text(
                "UPDATE work_units SET status = 'ACTIVE', lease_id = id, "
                "last_heartbeat_at = :old WHERE run_id = 'zombies'"),
                {"old": "2000-01-01 00:00:00+00:00"})
        engine.dispose()
        admin = admin_service_pb2_grpc.AdminServiceStub(channel)
        started = time.perf_counter()
        reclaimed = 0
        while reclaimed < count:
            reclaimed += admin.RunZombieProtocol(apb.RunZombieProtocolRequest(),
                                                 metadata=metadata, timeout=120).reclaimed
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--zombies", type=int, default=10_000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    port = free_port()
    with process([sys.executable, str(HERE / "echo_server.py"), "aio", str(port)]):
        wait_ready(f"127.0.0.1:{port}")
        echo = cycles("echo", f"127.0.0.1:{port}", "x", args.duration)
    print(f"  echo (3 calls per cycle, {WORKERS} workers): {echo:.0f} cycles/s")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            with bastion(backend, pathlib.Path(tmp)) as (pid, target, token, info):
                rate = cycles("work", target, token, args.duration)
                bulk = submit_many(target, token, 20)
                reclaim_s = zombies(info["url"], target, token, args.zombies)
            rows.append((backend, rate, bulk, reclaim_s))
            print(f"  {backend}: {rate:.0f} cycles/s, SubmitMany {bulk:.0f} units/s, "
                  f"{args.zombies} zombies reclaimed in {reclaim_s:.2f} s", flush=True)
    print(f"\n| backend | cycles/s (target 800 on PG) | vs echo ({echo:.0f}/s) | SubmitMany units/s "
          "(target 20,000) | 10,000 zombies (target < 5 s) |")
    print("|---|---|---|---|---|")
    for backend, rate, bulk, reclaim_s in rows:
        print(f"| {backend} | {rate:.0f} | {rate / echo:.2f} | {bulk:.0f} | {reclaim_s:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
