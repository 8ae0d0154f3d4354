"""Work queue throughput (issue #3), on SQLite and PostgreSQL:

- Submit → Lease → Complete cycles per second with 8 workers (three guarded, ledgered
  state changes per cycle, each with its history row);
- Heartbeat calls per second (not guarded: see docs/services/work.md) against Check calls
  per second on the same server (a guarded, ledgered call: what a guarded Heartbeat would
  cost);
- SubmitMany units per second (batches of 1,000);
- the time RunZombieProtocol takes to reclaim 10,000 zombies (each a history row and a
  ledger entry).

The baseline, measured in the same run: a bare grpc.aio echo server answering the same
three calls per cycle (the bound a 3-call cycle can reach on this machine), before and
after the Bastion runs (the machine is shared: the two show the noise).

    python bench/work_queue.py [--duration 5] [--backends sqlite,postgresql]

Targets: >= 800 cycles/s on PostgreSQL, SubmitMany >= 20,000 units/s, 10,000 zombies
reclaimed in < 5 s. Server CPU per call includes the server's child processes.
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
from check_throughput import (bastion, cpu_seconds, free_port, machine, process,  # noqa: E402
                              wait_ready)

from bastion.v1 import admin_service_pb2 as apb  # noqa: E402
from bastion.v1 import admin_service_pb2_grpc  # noqa: E402
from bastion.v1 import work_service_pb2 as wpb  # noqa: E402
from bastion.v1 import work_service_pb2_grpc  # noqa: E402

WORKERS = 8
BATCH = 1000


def cycles(mode: str, pid: int, target: str, token: str, duration: float) -> tuple[float, float]:
    """(cycles per second, server CPU µs per call) of ``WORKERS`` workers in ``mode``."""
    before = cpu_seconds(pid)
    out = subprocess.run([sys.executable, str(HERE / "work_load.py"), mode, target, token,
                          str(WORKERS), str(duration)], capture_output=True, text=True,
                         check=True)
    used = cpu_seconds(pid) - before
    result = json.loads(out.stdout)
    assert result["errors"] == 0, result
    return result["cycles"] / result["seconds"], used / max(1, 3 * result["cycles"]) * 1e6


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
                {"old": "2000-01-01 00:00:00.000000"})
        engine.dispose()
        admin = admin_service_pb2_grpc.AdminServiceStub(channel)
        started = time.perf_counter()
        reclaimed = 0
        while reclaimed < count:
            reclaimed += admin.RunZombieProtocol(apb.RunZombieProtocolRequest(),
                                                 metadata=metadata, timeout=120).reclaimed
        return time.perf_counter() - started


def echo(duration: float) -> tuple[float, float]:
    port = free_port()
    with process([sys.executable, str(HERE / "echo_server.py"), "aio", str(port)]) as proc:
        wait_ready(f"127.0.0.1:{port}")
        return cycles("echo", proc.pid, f"127.0.0.1:{port}", "x", duration)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--zombies", type=int, default=10_000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    before, before_cpu = echo(args.duration)
    print(f"  echo (3 calls per cycle, {WORKERS} workers): {before:.0f} cycles/s, "
          f"{before_cpu:.0f} µs CPU per call", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            with bastion(backend, pathlib.Path(tmp)) as (pid, target, token, info):
                rate, cpu = cycles("work", pid, target, token, args.duration)
                beats, beat_cpu = cycles("heartbeat", pid, target, token, args.duration)
                checks, check_cpu = cycles("echo", pid, target, token, args.duration)
                bulk = submit_many(target, token, 20)
                reclaim_s = zombies(info["url"], target, token, args.zombies)
            rows.append((backend, rate, cpu, 3 * beats, beat_cpu, 3 * checks, check_cpu, bulk,
                         reclaim_s))
            print(f"  {backend}: {rate:.0f} cycles/s ({cpu:.0f} µs CPU per call); Heartbeat "
                  f"{3 * beats:.0f}/s ({beat_cpu:.0f} µs), Check {3 * checks:.0f}/s "
                  f"({check_cpu:.0f} µs); SubmitMany {bulk:.0f} units/s; {args.zombies} "
                  f"zombies reclaimed in {reclaim_s:.2f} s", flush=True)
    after, after_cpu = echo(args.duration)
    print(f"  echo again: {after:.0f} cycles/s, {after_cpu:.0f} µs CPU per call")
    baseline = (before + after) / 2
    print(f"\n| backend | cycles/s (target 800 on PG) | vs echo ({baseline:.0f}/s) | CPU µs/call "
          f"(echo {before_cpu:.0f}) | Heartbeat/s (CPU µs) | Check/s (CPU µs) | SubmitMany "
          "units/s (target 20,000) | 10,000 zombies (target < 5 s) |")
    print("|---|---|---|---|---|---|---|---|")
    for backend, rate, cpu, beats, beat_cpu, checks, check_cpu, bulk, reclaim_s in rows:
        print(f"| {backend} | {rate:.0f} | {rate / baseline:.2f} | {cpu:.0f} | {beats:.0f} "
              f"({beat_cpu:.0f}) | {checks:.0f} ({check_cpu:.0f}) | {bulk:.0f} | "
              f"{reclaim_s:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
