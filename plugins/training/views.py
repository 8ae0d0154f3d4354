"""What the training service answers: stored things with their ids, as domain values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bastion.plugins.training import model as m


@dataclass(frozen=True)
class SessionView:
    session_id: str
    program_id: str
    microcycle_id: str
    date: dt.date
    focus: str
    session_type: m.SessionType
    exercises: tuple[m.PlannedExercise, ...]
    time: m.TimeBreakdown
    adaptation_id: str = ""


@dataclass(frozen=True)
class MicrocycleView:
    microcycle_id: str
    cycle: m.PlannedMicrocycle
    status: str
    sessions: tuple[SessionView, ...] = ()


@dataclass(frozen=True)
class ProgramView:
    program_id: str
    program: m.ResolvedProgram
    created_at: dt.datetime
    microcycles: tuple[MicrocycleView, ...] = ()


@dataclass(frozen=True)
class AdaptationView:
    adaptation_id: str
    session_id: str
    adapted: m.AdaptedSession
    time: m.TimeBreakdown
    status: str


@dataclass(frozen=True)
class RecoveryView:
    muscle: m.Muscle
    level: int
    updated_at: dt.datetime


@dataclass(frozen=True)
class TopSetView:
    pattern: str
    movement_id: str
    weight: float
    reps: int
    e1rm: float
    workout_id: str
    performed_at: dt.datetime


@dataclass(frozen=True)
class WorkoutView:
    workout_id: str
    sets: tuple[m.ScoredSet, ...]
    new_top_sets: tuple[TopSetView, ...]
    recovery: tuple[RecoveryView, ...] = field(default=())
