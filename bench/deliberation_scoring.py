"""What scoring an agent's reasoning costs (issue #4, SPEC G1): µs per score of the
2,000-character reasoning text of the judgment benchmark, against a baseline measured in
the same run: splitting the same text into words (``str.split`` + ``lower``), the least
any scorer must do.

    .venv/bin/python bench/deliberation_scoring.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from check_throughput import machine  # noqa: E402
from load import JUDGMENT_REQUEST  # noqa: E402

from bastion.plugins.deliberation import scoring  # noqa: E402


def per_call_us(fn, seconds: float) -> float:  # type: ignore[no-untyped-def]
    calls, started = 0, time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for _ in range(100):
            fn()
        calls += 100
    return (time.perf_counter() - started) / calls * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    reasoning = JUDGMENT_REQUEST.reasoning
    text, goal, phase = reasoning.text, reasoning.goal, reasoning.phase
    settings = scoring.Settings()
    result = scoring.score(text, goal, phase, 0, settings)
    print(f"machine: {machine()}")
    print(f"text: {len(text)} characters, goal {goal!r}, phase {phase!r} -> "
          f"overall {result.overall:.3f} ({result.recommendation}), {result.steps} steps")
    baseline = per_call_us(lambda: text.lower().split(), args.seconds)
    scored = per_call_us(lambda: scoring.score(text, goal, phase, 0, settings), args.seconds)
    print(f"baseline (lower + split): {baseline:8.1f} µs")
    print(f"score:                    {scored:8.1f} µs   ({scored / baseline:.1f}x baseline; "
          f"target < 100 µs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
