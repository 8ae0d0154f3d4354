"""Protobuf messages of TrainingService to domain values and back. Validation of wire input
(unknown enum numbers, malformed dates, bounds of plain fields) happens here, each failure
naming its field; SPEC D3 rules are checked by the domain (:mod:`.generation`)."""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
from collections.abc import Sequence
from typing import TypeVar

from google.protobuf import timestamp_pb2
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from bastion.plugins.training import model as m
from bastion.plugins.training.views import (
    AdaptationView, MicrocycleView, ProgramView, RecoveryView, SessionView, TopSetView)
from bastion.runtime import validation as v
from bastion.runtime.errors import InvalidArgument
from bastion.v1 import training_service_pb2 as pb

E = TypeVar("E", bound=enum.Enum)
MAX_ID = 128

# (protobuf enum, its value-name prefix) per domain enum.
_ENUMS: dict[type[enum.Enum], tuple[EnumTypeWrapper, str]] = {
    m.Goal: (pb.TrainingGoal, "TRAINING_GOAL_"),
    m.SplitTemplate: (pb.SplitTemplate, "SPLIT_TEMPLATE_"),
    m.ProgressionStyle: (pb.ProgressionStyle, "PROGRESSION_STYLE_"),
    m.ExperienceLevel: (pb.ExperienceLevel, "EXPERIENCE_LEVEL_"),
    m.E1rmFormula: (pb.E1rmFormula, "E1RM_FORMULA_"),
    m.SessionType: (pb.SessionType, "SESSION_TYPE_"),
    m.ExerciseRole: (pb.ExerciseRole, "EXERCISE_ROLE_"),
    m.Grouping: (pb.Grouping, "GROUPING_"),
    m.Muscle: (pb.Muscle, "MUSCLE_"),
}


def enum_in(value: int, kind: type[E], field: str, *, default: E | None = None) -> E | None:
    """The domain member for a protobuf enum number; 0 (unspecified) gives ``default``."""
    wire, prefix = _ENUMS[kind]
    if value == 0:
        return default
    try:
        return kind(wire.Name(value).removeprefix(prefix))
    except ValueError:
        raise InvalidArgument(field, f"unknown value {value}") from None


def required_enum(value: int, kind: type[E], field: str) -> E:
    found = enum_in(value, kind, field)
    if found is None:
        raise InvalidArgument(field, "is required")
    return found


def enum_out(member: enum.Enum | None) -> int:
    if member is None:
        return 0
    wire, prefix = _ENUMS[type(member)]
    return int(wire.Value(prefix + member.value))


def athlete_id(value: str, field: str = "athlete_id") -> str:
    return v.identifier(value, field, MAX_ID, required=True)


def object_id(value: str, field: str) -> str:
    return v.identifier(value, field, 64, required=True)


def date_in(value: str, field: str, *, default: dt.date | None = None) -> dt.date:
    if not value and default is not None:
        return default
    try:
        if len(value) != 10:
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidArgument(field, "must be a date YYYY-MM-DD") from None


def time_in(msg: timestamp_pb2.Timestamp, present: bool, field: str,
            now: dt.datetime) -> dt.datetime:
    if not present:
        return now
    try:
        return msg.ToDatetime(tzinfo=dt.timezone.utc)
    except (ValueError, OverflowError):
        raise InvalidArgument(field, "is not a valid timestamp") from None


def time_out(value: dt.datetime) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(value)
    return out


def finite(value: float, field: str, low: float, high: float) -> float:
    if math.isnan(value) or math.isinf(value):
        raise InvalidArgument(field, "must be a finite number")
    return v.in_range(value, field, low, high)


# -- athletes and movements ---------------------------------------------------------

def athlete_in(msg: pb.Athlete) -> m.AthleteProfile:
    if len(msg.movement_rules) > 200:
        raise InvalidArgument("athlete.movement_rules", "at most 200 rules")
    return m.AthleteProfile(
        athlete_id=athlete_id(msg.athlete_id, "athlete.athlete_id"),
        experience_level=enum_in(msg.experience_level, m.ExperienceLevel,
                                 "athlete.experience_level",
                                 default=m.ExperienceLevel.BEGINNER),
        e1rm_formula=enum_in(msg.e1rm_formula, m.E1rmFormula, "athlete.e1rm_formula",
                             default=m.E1rmFormula.EPLEY),
        preferred_split=enum_in(msg.preferred_split, m.SplitTemplate, "athlete.preferred_split"),
        preferred_progression=enum_in(msg.preferred_progression, m.ProgressionStyle,
                                      "athlete.preferred_progression"),
        movement_rules=tuple(
            m.MovementRule(v.identifier(r.movement_id, f"athlete.movement_rules[{i}].movement_id",
                                        64, required=True),
                           v.text(r.reason, f"athlete.movement_rules[{i}].reason", 500))
            for i, r in enumerate(msg.movement_rules)))


def athlete_out(a: m.AthleteProfile) -> pb.Athlete:
    return pb.Athlete(athlete_id=a.athlete_id, experience_level=enum_out(a.experience_level),
                      e1rm_formula=enum_out(a.e1rm_formula),
                      preferred_split=enum_out(a.preferred_split),
                      preferred_progression=enum_out(a.preferred_progression),
                      movement_rules=[pb.MovementRule(movement_id=r.movement_id, reason=r.reason)
                                      for r in a.movement_rules])


def movement_out(mv: m.Movement) -> pb.Movement:
    return pb.Movement(movement_id=mv.id, name=mv.name, pattern=mv.pattern,
                       equipment=mv.equipment,
                       primary_muscles=[enum_out(x) for x in sorted(mv.primary, key=_name)],
                       secondary_muscles=[enum_out(x) for x in sorted(mv.secondary, key=_name)],
                       roles=[enum_out(x) for x in sorted(mv.roles, key=_name)])


def _name(member: enum.Enum) -> str:
    return str(member.value)


# -- programs -------------------------------------------------------------------------

def program_spec_in(msg: pb.CreateProgramRequest, today: dt.date) -> m.ProgramSpec:
    if len(msg.goals) > 16:
        raise InvalidArgument("goals", "1-3 goals")
    goals = tuple(m.GoalWeight(required_enum(g.goal, m.Goal, f"goals[{i}].goal"), g.weight)
                  for i, g in enumerate(msg.goals))
    return m.ProgramSpec(
        athlete_id=athlete_id(msg.athlete_id), goals=goals, duration_weeks=msg.duration_weeks,
        start_date=date_in(msg.start_date, "start_date", default=today),
        microcycle_length_days=msg.microcycle_length_days or 7,
        deload_every=msg.deload_every or 4,
        split_template=enum_in(msg.split_template, m.SplitTemplate, "split_template"),
        progression_style=enum_in(msg.progression_style, m.ProgressionStyle,
                                  "progression_style"))


def exercise_in(msg: pb.PlannedExercise, field: str, position: int) -> m.PlannedExercise:
    return m.PlannedExercise(
        position=position,
        movement_id=v.identifier(msg.movement_id, f"{field}.movement_id", 64, required=True),
        role=required_enum(msg.role, m.ExerciseRole, f"{field}.role"),
        sets=int(v.in_range(msg.sets, f"{field}.sets", 1, 100)),
        reps=int(v.in_range(msg.reps, f"{field}.reps", 1, 1000)),
        target_rpe=finite(msg.target_rpe, f"{field}.target_rpe", 0, 10),
        grouping=enum_in(msg.grouping, m.Grouping, f"{field}.grouping",
                         default=m.Grouping.STRAIGHT),
        group=int(v.in_range(msg.group, f"{field}.group", 0, 1000)))


def exercise_out(e: m.PlannedExercise) -> pb.PlannedExercise:
    return pb.PlannedExercise(position=e.position, movement_id=e.movement_id,
                              role=enum_out(e.role), sets=e.sets, reps=e.reps,
                              target_rpe=e.target_rpe, grouping=enum_out(e.grouping),
                              group=e.group)


def time_breakdown_out(t: m.TimeBreakdown) -> pb.TimeBreakdown:
    return pb.TimeBreakdown(warmup_minutes=t.warmup_minutes, main_minutes=t.main_minutes,
                            accessory_minutes=t.accessory_minutes,
                            finisher_minutes=t.finisher_minutes,
                            cooldown_minutes=t.cooldown_minutes, total_minutes=t.total_minutes)


def session_out(s: SessionView) -> pb.Session:
    return pb.Session(session_id=s.session_id, program_id=s.program_id,
                      microcycle_id=s.microcycle_id, date=s.date.isoformat(), focus=s.focus,
                      session_type=enum_out(s.session_type),
                      exercises=[exercise_out(e) for e in s.exercises],
                      time=time_breakdown_out(s.time), adaptation_id=s.adaptation_id)


def microcycle_out(c: MicrocycleView) -> pb.Microcycle:
    return pb.Microcycle(microcycle_id=c.microcycle_id, sequence=c.cycle.sequence,
                         start_date=c.cycle.start_date.isoformat(),
                         length_days=c.cycle.length_days, is_deload=c.cycle.is_deload,
                         status=c.status, sessions=[session_out(s) for s in c.sessions])


def program_out(view: ProgramView) -> pb.Program:
    p, spec = view.program, view.program.spec
    return pb.Program(
        program_id=view.program_id, athlete_id=spec.athlete_id,
        goals=[pb.GoalWeight(goal=enum_out(g.goal), weight=g.weight) for g in spec.goals],
        duration_weeks=spec.duration_weeks, start_date=spec.start_date.isoformat(),
        split_template=enum_out(p.split_template),
        progression_style=enum_out(p.progression_style), session_type=enum_out(p.session_type),
        deload_every=spec.deload_every, microcycle_length_days=spec.microcycle_length_days,
        warnings=list(p.warnings), microcycles=[microcycle_out(c) for c in view.microcycles],
        created_at=time_out(view.created_at))


# -- adaptation and logs --------------------------------------------------------------

def soreness_in(entries: Sequence[pb.SorenessEntry], field: str) -> tuple[m.Soreness, ...]:
    if len(entries) > 32:
        raise InvalidArgument(field, "at most 32 entries")
    out: dict[m.Muscle, m.Soreness] = {}
    for i, e in enumerate(entries):
        muscle = required_enum(e.muscle, m.Muscle, f"{field}[{i}].muscle")
        if muscle in out:
            raise InvalidArgument(f"{field}[{i}].muscle", f"{muscle.value} is listed twice")
        out[muscle] = m.Soreness(muscle, int(v.in_range(e.level, f"{field}[{i}].level", 1, 10)))
    return tuple(out.values())


def step_out(s: m.AdaptationStep) -> pb.AdaptationStep:
    return pb.AdaptationStep(kind=s.kind, movement_id=s.movement_id,
                             substitute_id=s.substitute_id, reason=s.reason,
                             detail_json=json.dumps(dict(s.detail), sort_keys=True,
                                                    default=str))


def adaptation_out(a: AdaptationView) -> pb.Adaptation:
    return pb.Adaptation(adaptation_id=a.adaptation_id, session_id=a.session_id,
                         steps=[step_out(s) for s in a.adapted.steps],
                         exercises=[exercise_out(e) for e in a.adapted.exercises],
                         added_sections=list(a.adapted.added_sections),
                         recovery_score=a.adapted.recovery_score,
                         time=time_breakdown_out(a.time), status=a.status)


def logged_set_in(msg: pb.LoggedSet, field: str) -> m.LoggedSet:
    return m.LoggedSet(
        movement_id=v.identifier(msg.movement_id, f"{field}.movement_id", 64, required=True),
        set_number=int(v.in_range(msg.set_number, f"{field}.set_number", 1, 100)),
        weight=finite(msg.weight, f"{field}.weight", 0, 2000),
        reps=int(v.in_range(msg.reps, f"{field}.reps", 1, 1000)),
        rpe=finite(msg.rpe, f"{field}.rpe", 1, 10) if msg.HasField("rpe") else None)


def logged_set_out(s: m.LoggedSet) -> pb.LoggedSet:
    out = pb.LoggedSet(movement_id=s.movement_id, set_number=s.set_number, weight=s.weight,
                       reps=s.reps)
    if s.rpe is not None:
        out.rpe = s.rpe
    return out


def recovery_out(r: RecoveryView) -> pb.MuscleRecovery:
    return pb.MuscleRecovery(muscle=enum_out(r.muscle), level=r.level,
                             updated_at=time_out(r.updated_at))


def top_set_out(t: TopSetView) -> pb.TopSet:
    return pb.TopSet(pattern=t.pattern, movement_id=t.movement_id, weight=t.weight,
                     reps=t.reps, e1rm=t.e1rm, workout_id=t.workout_id,
                     performed_at=time_out(t.performed_at))


def rated(value: int, field: str) -> int:
    return int(v.in_range(value, field, 0, 5))

