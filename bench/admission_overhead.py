"""What the admission guards (quota, budget, priority) cost a Check: the same server with
and without them, the same request (100 tokens and an estimated cost, in a run with a
budget, at P1), through the same client, on SQLite and PostgreSQL.

    python bench/admission_overhead.py [--duration 5] [--concurrency 8,64]
                                       [--backends sqlite,postgresql]

Issue #3's target: throughput with the guards >= 80% of throughput without them.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from check_throughput import Point, bastion, machine, measure, print_point  # noqa: E402

TARGET = 0.80
WITHOUT = ["ledger", "metabolism"]
WITH = ["ledger", "metabolism", "quota", "budget", "priority"]
# Quotas and a budget large enough that every Check is allowed: the cost measured is the
# guards' work (reserve, read the budget, look for pressure), not refusals.
SETUP = [["quota", "set", "--tenant", "bench", "--tier", "enterprise",
          "--limit", "tokens=1e12", "--limit", "cost=1e9", "--throttle-threshold", "1"],
         ["budget", "set", "--tenant", "bench", "--run", "run-42", "--total-usd", "1e9"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.5)
    parser.add_argument("--concurrency", default="8,64")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    print(f"machine: {machine()}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            results: dict[str, list[Point]] = {}
            for label, plugins in (("without", WITHOUT), ("with", WITH)):
                with bastion(backend, pathlib.Path(tmp), plugins, SETUP) as (pid, target,
                                                                             token, _):
                    results[label] = [measure(f"{backend}-{label}", pid, target, token, c,
                                              args.warmup, args.duration, "admission")
                                      for c in levels]
                    for point in results[label]:
                        print_point(point)
            for without, with_ in zip(results["without"], results["with"]):
                rows.append((backend, without, with_))
    print("\n| backend | c | rps without | rps with | ratio (target >= 0.80) | "
          "CPU µs without | CPU µs with |")
    print("|---|---|---|---|---|---|---|")
    for backend, without, with_ in rows:
        ratio = with_.rps / without.rps if without.rps else 0.0
        print(f"| {backend} | {without.concurrency} | {without.rps:.0f} | {with_.rps:.0f} | "
              f"{ratio:.2f} {'ok' if ratio >= TARGET else 'MISS'} | {without.cpu_us:.0f} | "
              f"{with_.cpu_us:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
