"""Check throughput: Bastion (ledger on, every built-in guard) on SQLite and PostgreSQL
against two bare echo servers (grpc.aio and grpcio's thread pool), through one client.

    python bench/check_throughput.py [--duration 5] [--concurrency 1,8,64]
                                     [--backends sqlite,postgresql] [--quick] [--rounds 1]

Prints rps, p50/p99, server CPU per request and the ratios to the faster echo at the
same concurrency (the machine is shared and noisy: ratios from one run are what count;
``--rounds N`` repeats the run and also gives verdicts on the median of the N rounds).
A third echo, grpc.aio on uvloop (the loop Bastion runs on by default), is measured and
reported beside the targets, not as one of them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import grpc

HERE = pathlib.Path(__file__).resolve().parent
TICK = os.sysconf("SC_CLK_TCK")
TARGETS = {"sqlite": 0.60, "postgresql": 0.50}  # throughput vs the faster echo at c=64


@dataclass
class Point:
    target: str
    concurrency: int
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_us: float
    errors: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the server and its child processes (the committer)."""
    total = 0.0
    for proc in [pid, *children(pid)]:
        try:
            fields = pathlib.Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in pathlib.Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found.extend(int(c) for c in text.split())
    return found


def wait_ready(target: str) -> None:
    with grpc.insecure_channel(target) as channel:
        grpc.channel_ready_future(channel).result(timeout=30)


def measure(name: str, pid: int, target: str, token: str, concurrency: int,
            warmup: float, duration: float, request: str = "plain") -> Point:
    load = subprocess.Popen([sys.executable, str(HERE / "load.py"), target, token,
                             str(concurrency), str(warmup), str(duration), request],
                            stdout=subprocess.PIPE, text=True)
    assert load.stdout is not None
    first = json.loads(load.stdout.readline())
    assert first["event"] == "measuring"
    cpu_before = cpu_seconds(pid)
    result = json.loads(load.stdout.readline())
    cpu_after = cpu_seconds(pid)
    load.wait()
    lat = sorted(result["latencies"])
    n = max(1, len(lat))
    return Point(target=name, concurrency=concurrency, rps=len(lat) / result["seconds"],
                 p50_ms=statistics.median(lat) * 1000 if lat else 0.0,
                 p99_ms=lat[min(len(lat) - 1, int(n * 0.99))] * 1000 if lat else 0.0,
                 cpu_us=(cpu_after - cpu_before) / n * 1e6, errors=result["errors"])


@contextlib.contextmanager
def process(args: list[str], env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def bastion_cli(env: dict[str, str], *args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "bastion.runtime.cli", *args], env=env,
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


@contextlib.contextmanager
def bastion(backend: str, workdir: pathlib.Path, plugins: list[str] | None = None,
            setup: list[list[str]] | None = None) -> Iterator[tuple[int, str, str, dict]]:
    """A served database with tenant ``bench``; ``setup``: CLI commands run first."""
    from bastion.testing.harness import temporary_database

    with temporary_database(backend, workdir) as url:
        port = free_port()
        env = dict(os.environ, BASTION_DATABASE_URL=url, BASTION_LISTEN=f"127.0.0.1:{port}",
                   BASTION_LEDGER_SECRET="bench-secret-" + os.urandom(8).hex(),
                   # As in production: reasoning hashes keyed (HMAC), and no warning per
                   # CLI call in the benchmark's output.
                   BASTION_DELIBERATION_HASH_KEY="bench-hash-" + os.urandom(8).hex(),
                   BASTION_LOG_FORMAT="json",
                   # Built-in plugins only (an installed example plugin would add its guard).
                   BASTION_PLUGINS=",".join(plugins or builtin_plugins()))
        bastion_cli(env, "migrate")
        token = bastion_cli(env, "tenant", "create", "bench")["api_key"]["token"]
        for command in setup or []:
            bastion_cli(env, *command)
        with process([sys.executable, "-m", "bastion.runtime.cli", "serve"], env) as proc:
            wait_ready(f"127.0.0.1:{port}")
            yield proc.pid, f"127.0.0.1:{port}", token, {"url": url, "env": env}


def builtin_plugins() -> list[str]:
    from importlib.metadata import entry_points

    return sorted(ep.name for ep in entry_points(group="bastion.plugins")
                  if ep.dist is not None and ep.dist.metadata["Name"] == "bastion-runtime")


def ledger_count(url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM ledger_entries")).scalar_one()
    engine.dispose()
    return int(count)


def machine() -> str:
    model = next((line.split(":", 1)[1].strip()
                  for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.5)
    parser.add_argument("--concurrency", default="1,8,64")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--quick", action="store_true", help="1 s per point, c=8 and 64")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure every target this many times over; with more than one "
                             "the verdicts are on the median of the rounds' ratios (the "
                             "echoes drift as much as Bastion does over minutes)")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.warmup, args.concurrency = 1.0, 0.5, "8,64"
    levels = [int(c) for c in args.concurrency.split(",")]
    print(f"machine: {machine()}")
    ratios: dict[str, list[tuple[float, float, float]]] = {}
    for round_ in range(1, args.rounds + 1):
        if args.rounds > 1:
            print(f"\n## round {round_} of {args.rounds}")
        points = measure_round(args, levels)
        for target, ratio in report(points, levels).items():
            ratios.setdefault(target, []).append(ratio)
    if args.rounds > 1:
        print(f"\nMedians of {args.rounds} rounds, c={max(levels)}:")
        for target, rounds in ratios.items():
            median = tuple(statistics.median(r[i] for r in rounds) for i in range(3))
            print(verdict(target, max(levels), "the faster echo of each round", *median))
    return 0


def measure_round(args: argparse.Namespace, levels: list[int]) -> list[Point]:
    """Every echo, then Bastion on each backend, at every concurrency."""
    points: list[Point] = []
    # The two baselines, and (reported, not a target) grpc.aio on uvloop: the
    # loop Bastion runs on by default, so its ratio shows Bastion's own cost alone.
    for mode in ("aio", "threads", "uvloop"):
        port = free_port()
        with process([sys.executable, str(HERE / "echo_server.py"), mode, str(port)]) as proc:
            wait_ready(f"127.0.0.1:{port}")
            for c in levels:
                points.append(measure(f"echo-{mode}", proc.pid, f"127.0.0.1:{port}", "x", c,
                                      args.warmup, args.duration))
                print_point(points[-1])
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            with bastion(backend, pathlib.Path(tmp)) as (pid, target, token, info):
                for c in levels:
                    points.append(measure(f"bastion-{backend}", pid, target, token, c,
                                          args.warmup, args.duration))
                    print_point(points[-1])
                entries = ledger_count(info["url"])
                print(f"  ledger entries written: {entries} (≥ completed checks, as every "
                      f"check including warm-up is ledgered)")
    return points


# The baselines: the ratios and targets are to the faster of these two.
BASELINES = ("echo-aio", "echo-threads")


def print_point(p: Point) -> None:
    print(f"  {p.target:<18} c={p.concurrency:<3} {p.rps:8.0f} rps  p50 {p.p50_ms:7.2f} ms  "
          f"p99 {p.p99_ms:7.2f} ms  cpu {p.cpu_us:6.0f} µs/req  errors {p.errors}", flush=True)


def report(points: list[Point], levels: list[int]) -> dict[str, tuple[float, float, float]]:
    """Prints the table and the verdicts; returns each Bastion target's (throughput, p99,
    CPU) ratios to the faster echo at the highest concurrency."""
    print("\n| target | c | rps | p50 ms | p99 ms | server CPU µs/req | rps vs echo | p99 vs echo | CPU vs echo |")
    print("|---|---|---|---|---|---|---|---|---|")
    verdicts = []
    ratios: dict[str, tuple[float, float, float]] = {}
    for c in levels:
        echoes = [p for p in points if p.target in BASELINES and p.concurrency == c]
        best = max(echoes, key=lambda p: p.rps)
        same_loop = next((p for p in points if p.target == "echo-uvloop"
                          and p.concurrency == c), None)
        for p in (q for q in points if q.concurrency == c):
            print(f"| {p.target} | {c} | {p.rps:.0f} | {p.p50_ms:.2f} | {p.p99_ms:.2f} | "
                  f"{p.cpu_us:.0f} | {p.rps / best.rps:.2f} | {p.p99_ms / best.p99_ms:.2f} | "
                  f"{p.cpu_us / best.cpu_us:.2f} |")
            if c == max(levels) and p.target.removeprefix("bastion-") in TARGETS:
                ratios[p.target] = (p.rps / best.rps, p.p99_ms / best.p99_ms,
                                    p.cpu_us / best.cpu_us)
                verdicts.append(verdict(p.target, c, best.target, *ratios[p.target]))
                if same_loop is not None:
                    verdicts.append(
                        f"  (against echo-uvloop, not a target: throughput "
                        f"{p.rps / same_loop.rps:.2f}, p99 {p.p99_ms / same_loop.p99_ms:.2f}×, "
                        f"CPU {p.cpu_us / same_loop.cpu_us:.2f}×)")
    print()
    for line in verdicts:
        print(line)
    return ratios


def verdict(target: str, c: int, echo: str, throughput: float, p99: float,
            cpu: float) -> str:
    minimum = TARGETS[target.removeprefix("bastion-")]
    return (f"{target} c={c}: throughput {throughput:.2f} of {echo} (target ≥ {minimum:.2f}) "
            f"{'PASS' if throughput >= minimum else 'FAIL'}; p99 {p99:.2f}× (target ≤ 2) "
            f"{'PASS' if p99 <= 2 else 'FAIL'}; CPU {cpu:.2f}× (target ≤ 1.6) "
            f"{'PASS' if cpu <= 1.6 else 'FAIL'}")


if __name__ == "__main__":
    sys.exit(main())
