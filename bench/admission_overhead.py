"""What the admission guards (quota, budget, priority) cost a Check: the same server with
and without them, the same request (100 tokens and an estimated cost, in a run with a
budget, at P1), through the same client, on SQLite and PostgreSQL.

    python bench/admission_overhead.py [--duration 5] [--concurrency 8,64]
                                       [--backends sqlite,postgresql] [--rounds 3]

Both servers (without and with the guards) run side by side; each point is measured as
``--rounds`` pairs, without then with, back to back, and judged on the median ratio: the
machine's speed drifts over minutes, and a pair measured seconds apart shares the drift.

Issue #3's target: throughput with the guards >= 80% of throughput without them.
"""

from __future__ import annotations

import argparse
import contextlib
import pathlib
import statistics
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from check_throughput import bastion, machine, measure, print_point  # noqa: E402

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
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternated without/with pairs per point; the verdict is on "
                             "their median ratio (the machine's speed drifts over minutes)")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    print(f"machine: {machine()}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            # Both servers run for the whole backend, so each pair is measured back to back.
            with contextlib.ExitStack() as servers:
                served = {label: servers.enter_context(
                    bastion(backend, pathlib.Path(tmp), plugins, SETUP))
                    for label, plugins in (("without", WITHOUT), ("with", WITH))}
                for c in levels:
                    pairs = []
                    for _ in range(args.rounds):
                        pair = []
                        for label in ("without", "with"):
                            pid, target, token, _ = served[label]
                            point = measure(f"{backend}-{label}", pid, target, token, c,
                                            args.warmup, args.duration, "admission")
                            print_point(point)
                            pair.append(point)
                        pairs.append((pair[0], pair[1]))
                    rows.append((backend, c, pairs))
    print("\n| backend | c | rps without | rps with | ratio (target >= 0.80) | "
          "CPU µs without | CPU µs with |")
    print("|---|---|---|---|---|---|---|")
    for backend, c, pairs in rows:
        ratios = [with_.rps / without.rps if without.rps else 0.0 for without, with_ in pairs]
        for (without, with_), ratio in zip(pairs, ratios):
            print(f"| {backend} | {c} | {without.rps:.0f} | {with_.rps:.0f} | {ratio:.2f} | "
                  f"{without.cpu_us:.0f} | {with_.cpu_us:.0f} |")
        if len(pairs) > 1:
            print(f"| {backend} | {c} | | | median {statistics.median(ratios):.2f} | | |")
    print()
    for backend, c, pairs in rows:
        ratio = statistics.median(w.rps / o.rps if o.rps else 0.0 for o, w in pairs)
        print(f"{backend} c={c}: ratio {ratio:.2f} (median of {len(pairs)}; target >= "
              f"{TARGET:.2f}) {'ok' if ratio >= TARGET else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
