"""Numbers of the training domain (SPEC D3; seed 003 MetricsService and
TimeEstimationService): estimated one-rep max, session time, muscle recovery.

Pure functions of their arguments: no clock, no database, so every value can be checked by
hand (tests/test_training_rules.py does exactly that).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

from bastion.plugins.training.errors import DomainError
from bastion.plugins.training.model import (
    E1rmFormula,
    ExerciseRole,
    Grouping,
    Muscle,
    PlannedExercise,
    SessionType,
    TimeBreakdown,
)

# --------------------------------------------------------------------------------------------
# Estimated one-rep max
# --------------------------------------------------------------------------------------------

# Brzycki's denominator (37 − r) reaches zero at 37 reps; SPEC D3 says that is an error.
BRZYCKI_MAX_REPS_EXCLUSIVE = 37


def effective_reps(reps: int, rpe: float | None = None) -> float:
    """Reps plus reps in reserve: ``reps + (10 − rpe)`` when an RPE (1..10) is given (SPEC D3).

    An RPE-8 set of 5 counts as 7 reps: the lifter could have done two more.
    """
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
        raise DomainError("reps", f"reps must be a whole number ≥ 1, got {reps!r}")
    if rpe is None:
        return reps
    if not 1 <= rpe <= 10:
        raise DomainError("rpe", f"rpe must be between 1 and 10, got {rpe!r}")
    return reps + (10 - rpe)


def e1rm(weight: float, reps: int, formula: E1rmFormula = E1rmFormula.EPLEY,
         rpe: float | None = None) -> float:
    """Estimated one-rep max, rounded to 2 decimals (SPEC D3, seed 003 MetricsService).

    With ``r`` the effective reps (:func:`effective_reps`):

    - Epley (default): ``w·(1 + r/30)``
    - Brzycki: ``w·36/(37 − r)``; undefined for ``r ≥ 37``, raised as ``DomainError("reps")``
      rather than returning a negative or infinite number
    - Lombardi: ``w·r^0.10``
    - O'Conner: ``w·(1 + r/40)``
    """
    if weight < 0:
        raise DomainError("weight", f"weight must be ≥ 0, got {weight!r}")
    r = effective_reps(reps, rpe)
    if formula is E1rmFormula.EPLEY:
        value = weight * (1 + r / 30)
    elif formula is E1rmFormula.BRZYCKI:
        if r >= BRZYCKI_MAX_REPS_EXCLUSIVE:
            raise DomainError(
                "reps", f"Brzycki is undefined for {r:g} effective reps (must be below 37)")
        value = weight * 36 / (37 - r)
    elif formula is E1rmFormula.LOMBARDI:
        value = weight * r ** 0.10
    elif formula is E1rmFormula.OCONNER:
        value = weight * (1 + r / 40)
    else:  # pragma: no cover - the enum is closed
        raise DomainError("formula", f"unknown formula {formula!r}")
    return round(value, 2)


# --------------------------------------------------------------------------------------------
# Session time
# --------------------------------------------------------------------------------------------

# (highest reps of the band, seconds per set); 21+ reps take 70 s (SPEC D3).
_SET_SECONDS: tuple[tuple[int, int], ...] = ((3, 15), (6, 25), (10, 35), (15, 45), (20, 55))
_SET_SECONDS_LONG = 70

_FIXED_REST: dict[ExerciseRole, int] = {
    ExerciseRole.WARMUP: 30,
    ExerciseRole.ACCESSORY: 60,
    ExerciseRole.SKILL: 90,
    ExerciseRole.FINISHER: 30,
    ExerciseRole.COOLDOWN: 15,
}
# Rest after a MAIN set depends on what the session trains (SPEC D3 names strength 180,
# hypertrophy 90, endurance 45). Bastion's choice for the rest: conditioning, mobility and
# recovery rest like endurance work; a skill session rests like skill work.
_MAIN_REST: dict[SessionType, int] = {
    SessionType.STRENGTH: 180,
    SessionType.HYPERTROPHY: 90,
    SessionType.ENDURANCE: 45,
    SessionType.CONDITIONING: 45,
    SessionType.MOBILITY: 45,
    SessionType.RECOVERY: 45,
    SessionType.SKILL: 90,
}
CIRCUIT_ROUND_REST_SECONDS = 60
WARMUP_BASE_MINUTES = 5
COOLDOWN_BASE_MINUTES = 5


def set_seconds(reps: int) -> int:
    """Time under work for one set: 1–3 reps 15 s, 4–6 25 s, 7–10 35 s, 11–15 45 s,
    16–20 55 s, 21+ 70 s (SPEC D3, seed 003 TimeEstimationService)."""
    for highest, seconds in _SET_SECONDS:
        if reps <= highest:
            return seconds
    return _SET_SECONDS_LONG


def rest_seconds(role: ExerciseRole, session_type: SessionType) -> int:
    """Rest after one set: warmup 30, main 180/90/45 by session type (see ``_MAIN_REST``),
    accessory 60, skill 90, finisher 30, cooldown 15 seconds (SPEC D3)."""
    if role is ExerciseRole.MAIN:
        return _MAIN_REST[session_type]
    return _FIXED_REST[role]


def estimate_session_time(exercises: Sequence[PlannedExercise],
                          session_type: SessionType) -> TimeBreakdown:
    """Minutes per section of a session (SPEC D3, seed 003 TimeEstimationService).

    - warmup = 5 + one minute per WARMUP exercise; cooldown = 5 + one per COOLDOWN exercise.
      The 5-minute bases apply even when the session lists no warm-up or cool-down exercise:
      the athlete still warms up and cools down.
    - Any other exercise costs ``sets × (set_seconds(reps) + rest)``; a SUPERSET halves the
      rest (integer ``// 2``).
    - A CIRCUIT (exercises sharing ``group``) costs
      ``rounds × Σ set_seconds(reps) + (rounds − 1) × 60`` with ``rounds`` its largest
      ``sets``: no rest between stations, a minute between rounds. The circuit's seconds go
      to the section of its first exercise.
    - Seconds per section (MAIN and SKILL → main, ACCESSORY → accessory, FINISHER →
      finisher) become minutes with ``ceil(seconds / 60)``; the total is the sum of the five.
    """
    warmups = sum(1 for e in exercises if e.role is ExerciseRole.WARMUP)
    cooldowns = sum(1 for e in exercises if e.role is ExerciseRole.COOLDOWN)
    seconds: dict[str, int] = defaultdict(int)
    circuits: dict[int, list[PlannedExercise]] = {}
    for exercise in exercises:
        if exercise.role in (ExerciseRole.WARMUP, ExerciseRole.COOLDOWN):
            continue  # counted by the minute above
        if exercise.grouping is Grouping.CIRCUIT:
            circuits.setdefault(exercise.group, []).append(exercise)
            continue
        rest = rest_seconds(exercise.role, session_type)
        if exercise.grouping is Grouping.SUPERSET:
            rest //= 2
        seconds[_section(exercise.role)] += exercise.sets * (set_seconds(exercise.reps) + rest)
    for members in circuits.values():
        seconds[_section(members[0].role)] += circuit_seconds(members)
    warmup = WARMUP_BASE_MINUTES + warmups
    cooldown = COOLDOWN_BASE_MINUTES + cooldowns
    main, accessory, finisher = (
        math.ceil(seconds[name] / 60) for name in ("main", "accessory", "finisher"))
    return TimeBreakdown(
        warmup_minutes=warmup, main_minutes=main, accessory_minutes=accessory,
        finisher_minutes=finisher, cooldown_minutes=cooldown,
        total_minutes=warmup + main + accessory + finisher + cooldown)


def circuit_seconds(members: Sequence[PlannedExercise]) -> int:
    """``rounds × Σ set_seconds(reps) + (rounds − 1) × 60``, rounds = the largest ``sets``."""
    rounds = max(e.sets for e in members)
    per_round = sum(set_seconds(e.reps) for e in members)
    return rounds * per_round + max(0, rounds - 1) * CIRCUIT_ROUND_REST_SECONDS


def _section(role: ExerciseRole) -> str:
    if role in (ExerciseRole.MAIN, ExerciseRole.SKILL):
        return "main"
    if role is ExerciseRole.ACCESSORY:
        return "accessory"
    return "finisher"


# --------------------------------------------------------------------------------------------
# Muscle recovery
# --------------------------------------------------------------------------------------------

RECOVERY_MAX = 10
HOURS_PER_POINT = 10


def decayed_recovery(level: int, updated_at: dt.datetime, now: dt.datetime,
                     hours_per_point: int = HOURS_PER_POINT) -> int:
    """The stored recovery level as read at ``now``: one point lost per ``hours_per_point``
    FULL hours since ``updated_at``, floored at 0 (SPEC D3: 10 hours per point by default).

    A clock that went backwards (``now`` before ``updated_at``) decays nothing rather than
    raising the level. Both datetimes must be aware or both naive.
    """
    if hours_per_point <= 0:
        raise DomainError("hours_per_point", "hours_per_point must be positive")
    elapsed = now - updated_at
    if elapsed <= dt.timedelta(0):
        return max(0, level)
    # timedelta // timedelta is an exact integer floor: no float rounding at the boundary.
    points = elapsed // dt.timedelta(hours=hours_per_point)
    return max(0, level - points)


def recovery_after_soreness(level: int) -> int:
    """Logging soreness ``level`` (1..10) sets the muscle's recovery to ``10 − level``
    (SPEC D3)."""
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 10:
        raise DomainError("level", f"soreness level must be 1..10, got {level!r}")
    return RECOVERY_MAX - level


def workout_recovery_cost(sets_by_muscle_primary: Mapping[Muscle, int],
                          sets_by_muscle_secondary: Mapping[Muscle, int]) -> dict[Muscle, int]:
    """Recovery points a logged workout costs each muscle.

    Bastion's choice (the seed only says recovery "decrements based on intensity"):
    ``ceil(primary_sets / 3) + secondary_sets // 6``: every started block of three hard sets
    costs a point where the muscle is a prime mover, while a muscle that only assists loses a
    point per six full sets. Muscles that lose nothing are left out of the result.
    """
    cost: dict[Muscle, int] = {}
    for muscle in (*sets_by_muscle_primary, *sets_by_muscle_secondary):
        primary = sets_by_muscle_primary.get(muscle, 0)
        secondary = sets_by_muscle_secondary.get(muscle, 0)
        if primary < 0 or secondary < 0:
            raise DomainError("sets", f"{muscle.value}: set counts must be ≥ 0")
        points = math.ceil(primary / 3) + secondary // 6
        if points:
            cost[muscle] = points
    return cost
