"""Program creation and session generation (SPEC D3; seed 003 ProgramService and
InterferenceService).

Three steps, each a pure function:

1. :func:`validate_spec` checks a requested program against SPEC D3's limits.
2. :func:`resolve` checks goal interference and fills in what the request left open (split,
   progression, session type) from the athlete's profile, then lays out the microcycles.
3. :func:`generate_sessions` plans one microcycle's sessions from the movement catalog.

The seed left session generation as a TODO ("LLM session generation not implemented");
Bastion's generator is deterministic instead: the same program, microcycle, catalog and profile
always give the same sessions, so a plan can be regenerated, diffed and tested.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from bastion.plugins.training.catalog import Catalog
from bastion.plugins.training.errors import DomainError, GoalConflict
from bastion.plugins.training.model import (
    AthleteProfile,
    ExerciseRole,
    ExperienceLevel,
    Goal,
    Grouping,
    InterferenceRule,
    Movement,
    PlannedExercise,
    PlannedMicrocycle,
    PlannedSession,
    ProgramSpec,
    ProgressionStyle,
    ResolvedProgram,
    SessionType,
    SplitTemplate,
)

# --------------------------------------------------------------------------------------------
# Validation (SPEC D3 limits)
# --------------------------------------------------------------------------------------------

MIN_WEEKS, MAX_WEEKS = 8, 12
MIN_GOALS, MAX_GOALS = 1, 3
GOAL_WEIGHT_TOTAL = 10  # the seed's "ten-dollar method"
MIN_MICROCYCLE_DAYS, MAX_MICROCYCLE_DAYS = 7, 14
MIN_DELOAD_EVERY, MAX_DELOAD_EVERY = 2, 12


def validate_spec(spec: ProgramSpec) -> None:
    """Raise :class:`DomainError` naming the field when ``spec`` breaks a SPEC D3 limit.

    - ``duration_weeks``: 8–12 and even (seed 003: "even numbers only").
    - ``goals``: 1–3 goals, no goal twice, each weight a whole number 0–10, weights sum to 10.
    - ``microcycle_length_days``: 7–14.
    - ``deload_every``: 2–12 (a deload every microcycle would be no training at all; Bastion's
      bounds, the seed only gives the default 4).
    """
    weeks = spec.duration_weeks
    if not _is_int(weeks) or not MIN_WEEKS <= weeks <= MAX_WEEKS or weeks % 2:
        raise DomainError("duration_weeks", f"must be an even number of weeks from 8 to 12, "
                                            f"got {weeks!r}")
    _validate_goals(spec)
    length = spec.microcycle_length_days
    if not _is_int(length) or not MIN_MICROCYCLE_DAYS <= length <= MAX_MICROCYCLE_DAYS:
        raise DomainError("microcycle_length_days", f"must be 7 to 14 days, got {length!r}")
    every = spec.deload_every
    if not _is_int(every) or not MIN_DELOAD_EVERY <= every <= MAX_DELOAD_EVERY:
        raise DomainError("deload_every", f"must be 2 to 12 microcycles, got {every!r}")


def _validate_goals(spec: ProgramSpec) -> None:
    goals = spec.goals
    if not MIN_GOALS <= len(goals) <= MAX_GOALS:
        raise DomainError("goals", f"1 to 3 goals required, got {len(goals)}")
    seen: set[Goal] = set()
    for goal_weight in goals:
        if goal_weight.goal in seen:
            raise DomainError("goals", f"goal {goal_weight.goal.value} is listed twice")
        seen.add(goal_weight.goal)
        weight = goal_weight.weight
        if not _is_int(weight) or not 0 <= weight <= GOAL_WEIGHT_TOTAL:
            raise DomainError("goals", f"weight of {goal_weight.goal.value} must be a whole "
                                       f"number from 0 to 10, got {weight!r}")
    total = sum(g.weight for g in goals)
    if total != GOAL_WEIGHT_TOTAL:
        raise DomainError("goals", f"goal weights must sum to 10, got {total}")


def _is_int(value: object) -> bool:
    # bool is an int subclass; True weeks or weights are a client bug, not a number.
    return isinstance(value, int) and not isinstance(value, bool)


# --------------------------------------------------------------------------------------------
# Goal interference
# --------------------------------------------------------------------------------------------

HARD_CONFLICT_SEVERITY = 0.8

DEFAULT_INTERFERENCE: tuple[InterferenceRule, ...] = (
    InterferenceRule(Goal.STRENGTH, Goal.ENDURANCE, 0.6,
                     "endurance volume blunts maximal strength gains"),
    InterferenceRule(Goal.HYPERTROPHY, Goal.ENDURANCE, 0.7,
                     "long aerobic work competes with muscle growth"),
    InterferenceRule(Goal.HYPERTROPHY, Goal.FAT_LOSS, 0.5,
                     "a caloric deficit limits muscle growth"),
    InterferenceRule(Goal.STRENGTH, Goal.FAT_LOSS, 0.4,
                     "a caloric deficit slows strength progress"),
    InterferenceRule(Goal.ENDURANCE, Goal.MOBILITY, 0.1,
                     "little interference; noted for completeness"),
)
"""Bastion's default goal-interference rules (seed 003 loads them from a heuristics table).

None is above 0.8, so by default no goal pair blocks a program: conflicts only warn.
Operators who want hard blocks add rules with a higher severity through configuration; when
several rules match a pair, the most severe one applies.
"""


def check_interference(goals: Sequence[Goal],
                       rules: Sequence[InterferenceRule]) -> tuple[str, ...]:
    """Check every pair of distinct goals against ``rules`` (a rule matches either order).

    Severity > 0.8 raises :class:`GoalConflict` naming the pair (SPEC D3: creation blocked);
    any other matching rule with a positive severity adds a warning such as
    ``"Goals STRENGTH and ENDURANCE have some conflict (severity 0.6)"``. When several rules
    match one pair the most severe applies, so an operator's stricter rule overrides a default.
    """
    distinct = list(dict.fromkeys(goals))  # the seed padded goals by repeating; pairs are distinct
    warnings: list[str] = []
    for i, first in enumerate(distinct):
        for second in distinct[i + 1:]:
            severity = _pair_severity(first, second, rules)
            if severity is None or severity <= 0:
                continue
            if severity > HARD_CONFLICT_SEVERITY:
                raise GoalConflict(first, second, severity)
            warnings.append(f"Goals {first.value} and {second.value} have some conflict "
                            f"(severity {severity:g})")
    return tuple(warnings)


def _pair_severity(first: Goal, second: Goal,
                   rules: Sequence[InterferenceRule]) -> float | None:
    matching = [r.severity for r in rules if {r.first, r.second} == {first, second}]
    return max(matching) if matching else None


# --------------------------------------------------------------------------------------------
# Resolution against the profile
# --------------------------------------------------------------------------------------------

PROGRESSION_BY_EXPERIENCE: dict[ExperienceLevel, ProgressionStyle] = {
    ExperienceLevel.BEGINNER: ProgressionStyle.SINGLE_PROGRESSION,
    ExperienceLevel.INTERMEDIATE: ProgressionStyle.DOUBLE_PROGRESSION,
    ExperienceLevel.ADVANCED: ProgressionStyle.WAVE_LOADING,
    ExperienceLevel.EXPERT: ProgressionStyle.WAVE_LOADING,
}

SESSION_TYPE_BY_GOAL: dict[Goal, SessionType] = {
    Goal.STRENGTH: SessionType.STRENGTH,
    Goal.HYPERTROPHY: SessionType.HYPERTROPHY,
    Goal.ENDURANCE: SessionType.ENDURANCE,
    Goal.MOBILITY: SessionType.MOBILITY,
    Goal.SKILL: SessionType.SKILL,
    Goal.FAT_LOSS: SessionType.CONDITIONING,
}


def resolve(spec: ProgramSpec, profile: AthleteProfile,
            rules: Sequence[InterferenceRule] = DEFAULT_INTERFERENCE) -> ResolvedProgram:
    """Validate ``spec``, check interference, and fill in what it left open (seed 003
    ProgramService):

    - split: the request's, else the profile's preferred split, else HYBRID;
    - progression: the request's, else the profile's, else from experience (SPEC D3:
      beginner→SINGLE, intermediate→DOUBLE, advanced/expert→WAVE_LOADING);
    - session type: from the highest-weighted goal, the first listed on a tie
      (FAT_LOSS trains as CONDITIONING);
    - microcycles: see :func:`plan_microcycles`.
    """
    validate_spec(spec)
    warnings = check_interference([g.goal for g in spec.goals], rules)
    split = spec.split_template or profile.preferred_split or SplitTemplate.HYBRID
    progression = (spec.progression_style or profile.preferred_progression
                   or PROGRESSION_BY_EXPERIENCE[profile.experience_level])
    main_goal = max(spec.goals, key=lambda g: g.weight)  # max keeps the first of equals
    return ResolvedProgram(
        spec=spec, split_template=split, progression_style=progression,
        session_type=SESSION_TYPE_BY_GOAL[main_goal.goal],
        microcycles=plan_microcycles(spec.duration_weeks, spec.microcycle_length_days,
                                     spec.deload_every, spec.start_date),
        warnings=warnings)


def plan_microcycles(duration_weeks: int, length_days: int, deload_every: int,
                     start_date: dt.date) -> tuple[PlannedMicrocycle, ...]:
    """Cut ``duration_weeks × 7`` days into ``N = total // length_days`` back-to-back
    microcycles as even as possible: the first ``total % N`` are one day longer. Every cycle
    is then between the requested length and 14 days, and none is left as a stub.
    Microcycle ``n`` (1-based) is a deload when ``n % deload_every == 0`` (SPEC D3).
    """
    total = duration_weeks * 7
    count = total // length_days
    base, longer = divmod(total, count)
    cycles: list[PlannedMicrocycle] = []
    start = start_date
    for sequence in range(1, count + 1):
        length = base + 1 if sequence <= longer else base
        cycles.append(PlannedMicrocycle(sequence=sequence, start_date=start,
                                        length_days=length,
                                        is_deload=sequence % deload_every == 0))
        start += dt.timedelta(days=length)
    return tuple(cycles)


# --------------------------------------------------------------------------------------------
# Session templates
# --------------------------------------------------------------------------------------------

SPLIT_DAYS: dict[SplitTemplate, tuple[str | None, ...]] = {
    SplitTemplate.FULL_BODY: ("FULL_BODY_A", None, "FULL_BODY_B", None, "FULL_BODY_A", None,
                              None),
    SplitTemplate.UPPER_LOWER: ("UPPER", "LOWER", None, "UPPER", "LOWER", None, None),
    SplitTemplate.PPL: ("PUSH", "PULL", "LEGS", "PUSH", "PULL", "LEGS", None),
    SplitTemplate.PUSH_PULL: ("PUSH", "PULL", None, "PUSH", "PULL", None, None),
    SplitTemplate.BODY_PART_SPLIT: ("CHEST", "BACK", "LEGS", "SHOULDERS", "ARMS", None, None),
    SplitTemplate.HYBRID: ("UPPER", "LOWER", None, "CONDITIONING", "FULL_BODY_A", None, None),
}
"""The focus of each day of a 7-day week (None = rest). Day ``d`` of a microcycle uses
``SPLIT_DAYS[split][d % 7]``, so a 10-day microcycle repeats the first three days."""

_M, _A, _F = ExerciseRole.MAIN, ExerciseRole.ACCESSORY, ExerciseRole.FINISHER

FOCUS_SLOTS: dict[str, tuple[tuple[str, ExerciseRole], ...]] = {
    "PUSH": (("HORIZONTAL_PUSH", _M), ("VERTICAL_PUSH", _A), ("ELBOW_EXTENSION", _A)),
    "PULL": (("VERTICAL_PULL", _M), ("HORIZONTAL_PULL", _A), ("ELBOW_FLEXION", _A)),
    "LEGS": (("SQUAT", _M), ("HINGE", _A), ("LUNGE", _A), ("CALF_RAISE", _A)),
    "UPPER": (("HORIZONTAL_PUSH", _M), ("HORIZONTAL_PULL", _M), ("VERTICAL_PUSH", _A),
              ("VERTICAL_PULL", _A)),
    "LOWER": (("SQUAT", _M), ("HINGE", _M), ("LUNGE", _A), ("CORE", _A)),
    "FULL_BODY_A": (("SQUAT", _M), ("HORIZONTAL_PUSH", _M), ("HORIZONTAL_PULL", _A),
                    ("CORE", _A)),
    "FULL_BODY_B": (("HINGE", _M), ("VERTICAL_PUSH", _M), ("VERTICAL_PULL", _A),
                    ("CARRY", _A)),
    "CHEST": (("HORIZONTAL_PUSH", _M), ("HORIZONTAL_PUSH", _A), ("ELBOW_EXTENSION", _A)),
    "BACK": (("HORIZONTAL_PULL", _M), ("VERTICAL_PULL", _A), ("ELBOW_FLEXION", _A)),
    "SHOULDERS": (("VERTICAL_PUSH", _M), ("VERTICAL_PUSH", _A), ("HORIZONTAL_PULL", _A),
                  ("CORE", _A)),
    "ARMS": (("ELBOW_FLEXION", _M), ("ELBOW_EXTENSION", _M), ("ELBOW_FLEXION", _A),
             ("ELBOW_EXTENSION", _A)),
    # Conditioning movements as one CIRCUIT of finishers, after loaded carries and core work.
    "CONDITIONING": (("CARRY", _A), ("CORE", _A), ("CONDITIONING", _F), ("CONDITIONING", _F),
                     ("CONDITIONING", _F)),
}
"""(pattern, role) slots of each focus. Every session also gets :data:`WARMUP_SLOTS` and
:data:`COOLDOWN_SLOTS`, and a finisher when :func:`wants_finisher` says so."""

WARMUP_SLOTS: tuple[tuple[str, ExerciseRole], ...] = (
    ("MOBILITY", ExerciseRole.WARMUP), ("MOBILITY", ExerciseRole.WARMUP))
COOLDOWN_SLOTS: tuple[tuple[str, ExerciseRole], ...] = (
    ("STRETCH", ExerciseRole.COOLDOWN), ("STRETCH", ExerciseRole.COOLDOWN))
FINISHER_SLOT: tuple[str, ExerciseRole] = ("CONDITIONING", ExerciseRole.FINISHER)
FINISHER_GOALS = frozenset({Goal.FAT_LOSS, Goal.ENDURANCE})
FINISHER_MIN_WEIGHT = 3
CIRCUIT_GROUP = 1  # group number of a session's finisher circuit (0 = not grouped)

# Performance order of a session: warm-up, main and skill work, accessories, finisher, cool-down.
ROLE_ORDER: dict[ExerciseRole, int] = {
    ExerciseRole.WARMUP: 0, ExerciseRole.MAIN: 1, ExerciseRole.SKILL: 1,
    ExerciseRole.ACCESSORY: 2, ExerciseRole.FINISHER: 3, ExerciseRole.COOLDOWN: 4,
}


@dataclass(frozen=True)
class Prescription:
    sets: int
    reps: int
    rpe: float


_P = Prescription
_MOBILITY_WORK = _P(2, 10, 6.0)
# Base sets × reps @ RPE by session type and role. Values the brief of issue #5 does not give
# are Bastion's choice: mobility/recovery accessories as their main work, skill accessories
# 3×8@7, conditioning accessories as conditioning main work.
PRESCRIPTIONS: dict[SessionType, dict[ExerciseRole, Prescription]] = {
    SessionType.STRENGTH: {_M: _P(5, 5, 8.0), _A: _P(3, 8, 7.5)},
    SessionType.HYPERTROPHY: {_M: _P(4, 8, 8.0), _A: _P(3, 12, 8.0)},
    SessionType.ENDURANCE: {_M: _P(3, 15, 7.0), _A: _P(2, 20, 7.0)},
    SessionType.MOBILITY: {_M: _MOBILITY_WORK, _A: _MOBILITY_WORK},
    SessionType.RECOVERY: {_M: _MOBILITY_WORK, _A: _MOBILITY_WORK},
    SessionType.SKILL: {_M: _P(5, 3, 7.0), _A: _P(3, 8, 7.0)},
    SessionType.CONDITIONING: {_M: _P(3, 12, 7.0), _A: _P(3, 12, 7.0)},
}
WARMUP_PRESCRIPTION = _P(1, 10, 5.0)
COOLDOWN_PRESCRIPTION = _P(1, 1, 1.0)  # one held stretch
FINISHER_PRESCRIPTION = _P(3, 12, 7.0)  # a circuit: sets are rounds

RPE_CAP = 9.5
DELOAD_RPE_FLOOR = 5.0


def prescription_for(session_type: SessionType, role: ExerciseRole) -> Prescription:
    """The base prescription (before progression and deload); SKILL work uses MAIN's."""
    if role is ExerciseRole.WARMUP:
        return WARMUP_PRESCRIPTION
    if role is ExerciseRole.COOLDOWN:
        return COOLDOWN_PRESCRIPTION
    if role is ExerciseRole.FINISHER:
        return FINISHER_PRESCRIPTION
    table = PRESCRIPTIONS[session_type]
    return table[ExerciseRole.ACCESSORY if role is ExerciseRole.ACCESSORY else ExerciseRole.MAIN]


def progress(base: Prescription, style: ProgressionStyle, k: int,
             training_cycles: int) -> Prescription:
    """Progression of MAIN and ACCESSORY work in the ``k``-th (1-based) non-deload microcycle
    of ``training_cycles``:

    - SINGLE: reps fixed, RPE + 0.5·((k − 1) % 3);
    - DOUBLE: reps + ((k − 1) % 3);
    - WAVE_LOADING: reps + (2, 1, 0)[(k − 1) % 3], RPE + 0.5·((k − 1) // 3 % 2);
    - BLOCK_PERIODIZATION: the cycles fall in thirds by ``3·(k − 1) // training_cycles``:
      first third reps + 2, middle third the base, last third reps − 2 (min 1) and RPE + 0.5.

    RPE never exceeds 9.5: the plan never prescribes an all-out set.
    """
    step = (k - 1) % 3
    reps, rpe = base.reps, base.rpe
    if style is ProgressionStyle.SINGLE_PROGRESSION:
        rpe += 0.5 * step
    elif style is ProgressionStyle.DOUBLE_PROGRESSION:
        reps += step
    elif style is ProgressionStyle.WAVE_LOADING:
        reps += (2, 1, 0)[step]
        rpe += 0.5 * ((k - 1) // 3 % 2)
    elif style is ProgressionStyle.BLOCK_PERIODIZATION:
        block = 3 * (k - 1) // max(1, training_cycles)
        if block == 0:
            reps += 2
        elif block >= 2:
            reps, rpe = max(1, reps - 2), rpe + 0.5
    return Prescription(base.sets, reps, min(RPE_CAP, rpe))


def deload(base: Prescription) -> Prescription:
    """A deload microcycle halves the sets (rounded up) and lowers RPE by 2, not below 5.
    Applied to the base prescription: a deload does not carry the progression forward."""
    return Prescription(math.ceil(base.sets / 2), base.reps, max(DELOAD_RPE_FLOOR, base.rpe - 2))


# --------------------------------------------------------------------------------------------
# Session generation
# --------------------------------------------------------------------------------------------


def wants_finisher(program: ResolvedProgram, session_type: SessionType) -> bool:
    """A session ends with a conditioning finisher when it is a CONDITIONING session or the
    program gives FAT_LOSS or ENDURANCE a weight of at least 3."""
    if session_type is SessionType.CONDITIONING:
        return True
    return any(g.goal in FINISHER_GOALS and g.weight >= FINISHER_MIN_WEIGHT
               for g in program.spec.goals)


def session_type_for_focus(program: ResolvedProgram, focus: str) -> SessionType:
    """The program's session type, except that a CONDITIONING day trains as CONDITIONING."""
    return SessionType.CONDITIONING if focus == "CONDITIONING" else program.session_type


def generate_sessions(program: ResolvedProgram, microcycle: PlannedMicrocycle,
                      catalog: Catalog, profile: AthleteProfile) -> tuple[PlannedSession, ...]:
    """Plan every training day of ``microcycle``.

    Deterministic: no randomness and no clock, so the same inputs give the same sessions.
    For each (pattern, role) slot the candidates are ``catalog.by_pattern(pattern)`` that may
    fill the role and are not forbidden by the profile's movement rules (matched by id); the
    pick rotates through them by ``(microcycle.sequence − 1) + session index`` so consecutive
    sessions and microcycles vary, and skips movements already in the session. A slot with
    no candidate left is dropped rather than filled with a forbidden or repeated movement.
    In a SKILL session a MAIN slot is filled with a SKILL-role movement when its pattern has
    one. Prescriptions come from :data:`PRESCRIPTIONS`, then :func:`progress` (MAIN and
    ACCESSORY, non-deload cycles) or :func:`deload` (all but warm-up and cool-down).
    """
    split_days = SPLIT_DAYS[program.split_template]
    forbidden = frozenset(rule.movement_id for rule in profile.movement_rules)
    sessions: list[PlannedSession] = []
    for day in range(microcycle.length_days):
        focus = split_days[day % 7]
        if focus is None:
            continue
        session_type = session_type_for_focus(program, focus)
        exercises = _plan_exercises(program, microcycle, catalog, forbidden, focus,
                                    session_type, rotation=microcycle.sequence - 1 + len(sessions))
        sessions.append(PlannedSession(
            date=microcycle.start_date + dt.timedelta(days=day), day_index=day, focus=focus,
            session_type=session_type, exercises=exercises))
    return tuple(sessions)


def _session_slots(program: ResolvedProgram, focus: str,
                   session_type: SessionType) -> list[tuple[str, ExerciseRole]]:
    slots = list(FOCUS_SLOTS[focus])
    if wants_finisher(program, session_type) and all(role is not _F for _, role in slots):
        slots.append(FINISHER_SLOT)
    slots = [*WARMUP_SLOTS, *slots, *COOLDOWN_SLOTS]
    return sorted(slots, key=lambda slot: ROLE_ORDER[slot[1]])  # stable: focus order kept


def _plan_exercises(program: ResolvedProgram, microcycle: PlannedMicrocycle, catalog: Catalog,
                    forbidden: frozenset[str], focus: str, session_type: SessionType,
                    rotation: int) -> tuple[PlannedExercise, ...]:
    used: set[str] = set()
    exercises: list[PlannedExercise] = []
    for pattern, slot_role in _session_slots(program, focus, session_type):
        role, movement = slot_role, None
        if session_type is SessionType.SKILL and slot_role is _M:
            movement = pick_movement(catalog, pattern, ExerciseRole.SKILL, forbidden, used,
                                     rotation)
            if movement is not None:
                role = ExerciseRole.SKILL
        if movement is None:
            movement = pick_movement(catalog, pattern, role, forbidden, used, rotation)
        if movement is None:
            continue
        used.add(movement.id)
        dose = _dose(program, microcycle, session_type, role)
        circuit = role is _F
        exercises.append(PlannedExercise(
            position=len(exercises) + 1, movement_id=movement.id, role=role, sets=dose.sets,
            reps=dose.reps, target_rpe=dose.rpe,
            grouping=Grouping.CIRCUIT if circuit else Grouping.STRAIGHT,
            group=CIRCUIT_GROUP if circuit else 0))
    return tuple(exercises)


def pick_movement(catalog: Catalog, pattern: str, role: ExerciseRole,
                  forbidden: frozenset[str], used: set[str] | frozenset[str],
                  rotation: int) -> Movement | None:
    """The movement for one slot: eligible candidates in catalog order, starting at
    ``rotation % len(candidates)`` and skipping those already in the session."""
    candidates = [m for m in catalog.by_pattern(pattern)
                  if role in m.roles and m.id not in forbidden]
    for offset in range(len(candidates)):
        movement = candidates[(rotation + offset) % len(candidates)]
        if movement.id not in used:
            return movement
    return None


def _dose(program: ResolvedProgram, microcycle: PlannedMicrocycle, session_type: SessionType,
          role: ExerciseRole) -> Prescription:
    base = prescription_for(session_type, role)
    if role in (ExerciseRole.WARMUP, ExerciseRole.COOLDOWN):
        return base
    if microcycle.is_deload:
        return deload(base)
    if role not in (_M, _A):
        return base  # SKILL and FINISHER work stays at its base dose
    every = program.spec.deload_every
    k = microcycle.sequence - microcycle.sequence // every  # its rank among non-deload cycles
    training_cycles = len(program.microcycles) - len(program.microcycles) // every
    return progress(base, program.progression_style, k, training_cycles)
