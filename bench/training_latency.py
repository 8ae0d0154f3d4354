"""TrainingService latency (issue #5): CreateProgram (12 weeks, three goals, a PPL split:
12 microcycles, the first one's 6 sessions generated and written) and AdaptSession (a
forbidden movement, a sore muscle, substitutes), one call at a time through a real server
process, against the cheapest guarded and ledgered domain call of the same server
(MetabolismService.ComputeSnapshot) measured in the same run. Also the pure domain work
in-process (no gRPC, no database).

    python bench/training_latency.py [--calls 300] [--backends sqlite,postgresql]

The machines are shared and noisy: compare the ratios, not the absolute times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pathlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

import grpc

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from check_throughput import bastion, machine  # noqa: E402

from bastion.v1 import metabolism_service_pb2 as mpb  # noqa: E402
from bastion.v1 import metabolism_service_pb2_grpc  # noqa: E402
from bastion.v1 import training_service_pb2 as tpb  # noqa: E402
from bastion.v1 import training_service_pb2_grpc  # noqa: E402

PLUGINS = ["ledger", "metabolism", "training"]
START = dt.date(2026, 12, 7)
GOALS = [tpb.GoalWeight(goal=tpb.TRAINING_GOAL_STRENGTH, weight=5),
         tpb.GoalWeight(goal=tpb.TRAINING_GOAL_HYPERTROPHY, weight=3),
         tpb.GoalWeight(goal=tpb.TRAINING_GOAL_FAT_LOSS, weight=2)]


def timed(fn: Callable[[], object], calls: int) -> list[float]:
    for _ in range(min(20, calls)):  # warm-up: connections, caches, prepared statements
        fn()
    out = []
    for _ in range(calls):
        begin = time.perf_counter()
        fn()
        out.append((time.perf_counter() - begin) * 1000)
    return out


def summary(name: str, ms: list[float], baseline: float) -> str:
    ms = sorted(ms)
    p50, p95 = statistics.median(ms), ms[int(len(ms) * 0.95) - 1]
    return (f"| {name} | {p50:.2f} | {p95:.2f} | {statistics.fmean(ms):.2f} | "
            f"{p50 / baseline:.1f}x |")


def run_backend(backend: str, tmp: pathlib.Path, calls: int) -> list[str]:
    with bastion(backend, tmp, PLUGINS) as (_, target, token, _info):
        auth = [("authorization", f"Bearer {token}")]
        with grpc.insecure_channel(target) as channel:
            train = training_service_pb2_grpc.TrainingServiceStub(channel)
            metabolism = metabolism_service_pb2_grpc.MetabolismServiceStub(channel)
            train.PutAthlete(tpb.PutAthleteRequest(athlete=tpb.Athlete(
                athlete_id="bench", experience_level=tpb.EXPERIENCE_LEVEL_ADVANCED,
                movement_rules=[tpb.MovementRule(movement_id="bench_press",
                                                 reason="shoulder")])), metadata=auth)
            create = tpb.CreateProgramRequest(
                athlete_id="bench", goals=GOALS, duration_weeks=12,
                start_date=START.isoformat(), split_template=tpb.SPLIT_TEMPLATE_PPL)
            adapt = tpb.AdaptSessionRequest(
                athlete_id="bench", date=START.isoformat(), recovery_score=35,
                soreness=[tpb.SorenessEntry(muscle=tpb.MUSCLE_TRICEPS, level=6)])
            snapshot = mpb.ComputeSnapshotRequest(inputs=mpb.MetabolismInputs(
                health_score=80, operations_score=70, customer_score=75, active_goals=3,
                pending_tasks=12))
            base = timed(lambda: metabolism.ComputeSnapshot(snapshot, metadata=auth), calls)
            created = timed(lambda: train.CreateProgram(create, metadata=auth), calls)
            adapted = timed(lambda: train.AdaptSession(adapt, metadata=auth), calls)
            after = timed(lambda: metabolism.ComputeSnapshot(snapshot, metadata=auth), calls)
    baseline = statistics.median(base + after)
    return [f"| **{backend}** (baseline ComputeSnapshot p50 {baseline:.2f} ms) | | | | |",
            summary("CreateProgram 12 wk, 3 goals", created, baseline),
            summary("AdaptSession", adapted, baseline)]


def domain_only(calls: int) -> list[str]:
    """The generation and adaptation work alone, in this process."""
    from bastion.plugins.training import adaptation, generation
    from bastion.plugins.training import model as m
    from bastion.plugins.training.catalog import Catalog

    catalog = Catalog.load()
    profile = m.AthleteProfile("bench", m.ExperienceLevel.ADVANCED,
                               movement_rules=(m.MovementRule("bench_press", "shoulder"),))
    spec = m.ProgramSpec("bench", (m.GoalWeight(m.Goal.STRENGTH, 5),
                                   m.GoalWeight(m.Goal.HYPERTROPHY, 3),
                                   m.GoalWeight(m.Goal.FAT_LOSS, 2)), 12, START,
                         split_template=m.SplitTemplate.PPL)

    def create() -> object:
        program = generation.resolve(spec, profile, generation.DEFAULT_INTERFERENCE)
        return generation.generate_sessions(program, program.microcycles[0], catalog, profile)

    sessions = create()
    exercises = sessions[0].exercises  # type: ignore[index]

    def adapt() -> object:
        return adaptation.adapt_session(
            exercises, catalog=catalog, movement_rules=profile.movement_rules,
            soreness=[m.Soreness(m.Muscle.TRICEPS, 6)], recovery_score=35,
            session_type=m.SessionType.STRENGTH)

    return [f"| domain only: resolve + generate 1st microcycle | "
            f"{statistics.median(timed(create, calls)) * 1000:.0f} µs | | | |",
            f"| domain only: adapt_session | "
            f"{statistics.median(timed(adapt, calls)) * 1000:.0f} µs | | | |"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    lines = ["| call | p50 ms | p95 ms | mean ms | p50 / baseline |", "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            lines += run_backend(backend, pathlib.Path(tmp), args.calls)
    lines += domain_only(args.calls)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
