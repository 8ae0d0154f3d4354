"""Storage rows (plain dicts from :mod:`bastion.storage.training`) to domain values and back."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from bastion.plugins.training import model as m

Row = dict[str, Any]


def athlete_row(tenant_id: str, athlete: m.AthleteProfile, now: dt.datetime) -> Row:
    return {"tenant_id": tenant_id, "athlete_id": athlete.athlete_id,
            "experience_level": athlete.experience_level.value,
            "e1rm_formula": athlete.e1rm_formula.value,
            "preferred_split": athlete.preferred_split.value if athlete.preferred_split else None,
            "preferred_progression": (athlete.preferred_progression.value
                                      if athlete.preferred_progression else None),
            "movement_rules_json": json.dumps([{"movement_id": r.movement_id, "reason": r.reason}
                                               for r in athlete.movement_rules]),
            "created_at": now, "updated_at": now}


def athlete_from_row(row: Row) -> m.AthleteProfile:
    return m.AthleteProfile(
        athlete_id=row["athlete_id"], experience_level=m.ExperienceLevel(row["experience_level"]),
        e1rm_formula=m.E1rmFormula(row["e1rm_formula"]),
        preferred_split=m.SplitTemplate(row["preferred_split"]) if row["preferred_split"] else None,
        preferred_progression=(m.ProgressionStyle(row["preferred_progression"])
                               if row["preferred_progression"] else None),
        movement_rules=tuple(m.MovementRule(r["movement_id"], r["reason"])
                             for r in json.loads(row["movement_rules_json"])))


def program_row(tenant_id: str, program_id: str, program: m.ResolvedProgram,
                now: dt.datetime) -> Row:
    spec = program.spec
    return {"id": program_id, "tenant_id": tenant_id, "athlete_id": spec.athlete_id,
            "goals_json": json.dumps([[g.goal.value, g.weight] for g in spec.goals]),
            "duration_weeks": spec.duration_weeks, "start_date": spec.start_date,
            "split_template": program.split_template.value,
            "progression_style": program.progression_style.value,
            "session_type": program.session_type.value, "deload_every": spec.deload_every,
            "microcycle_length_days": spec.microcycle_length_days,
            "warnings_json": json.dumps(list(program.warnings)), "created_at": now}


def resolved_from_rows(row: Row, cycles: Sequence[Row]) -> m.ResolvedProgram:
    spec = m.ProgramSpec(
        athlete_id=row["athlete_id"],
        goals=tuple(m.GoalWeight(m.Goal(g), w) for g, w in json.loads(row["goals_json"])),
        duration_weeks=row["duration_weeks"], start_date=_date(row["start_date"]),
        microcycle_length_days=row["microcycle_length_days"], deload_every=row["deload_every"],
        split_template=m.SplitTemplate(row["split_template"]),
        progression_style=m.ProgressionStyle(row["progression_style"]))
    return m.ResolvedProgram(
        spec=spec, split_template=m.SplitTemplate(row["split_template"]),
        progression_style=m.ProgressionStyle(row["progression_style"]),
        session_type=m.SessionType(row["session_type"]),
        microcycles=tuple(microcycle_from_row(c) for c in cycles),
        warnings=tuple(json.loads(row["warnings_json"])))


def microcycle_row(tenant_id: str, program_id: str, cycle_id: str, cycle: m.PlannedMicrocycle,
                   status: str) -> Row:
    return {"id": cycle_id, "tenant_id": tenant_id, "program_id": program_id,
            "sequence": cycle.sequence, "start_date": cycle.start_date,
            "length_days": cycle.length_days, "is_deload": cycle.is_deload, "status": status}


def microcycle_from_row(row: Row) -> m.PlannedMicrocycle:
    return m.PlannedMicrocycle(sequence=row["sequence"], start_date=_date(row["start_date"]),
                               length_days=row["length_days"], is_deload=bool(row["is_deload"]))


def session_rows(tenant_id: str, program_id: str, cycle_id: str, athlete_id: str,
                 sessions: Sequence[m.PlannedSession],
                 new_id: Any) -> tuple[list[Row], list[Row]]:
    """(session rows, exercise rows) for generated sessions."""
    session_out, exercise_out = [], []
    for planned in sessions:
        session_id = new_id("ses")
        session_out.append({"id": session_id, "tenant_id": tenant_id, "program_id": program_id,
                            "microcycle_id": cycle_id, "athlete_id": athlete_id,
                            "date": planned.date, "day_index": planned.day_index,
                            "focus": planned.focus, "session_type": planned.session_type.value,
                            "adaptation_id": None})
        exercise_out.extend(exercise_rows(tenant_id, program_id, session_id, planned.exercises))
    return session_out, exercise_out


def exercise_rows(tenant_id: str, program_id: str, session_id: str,
                  exercises: Sequence[m.PlannedExercise]) -> list[Row]:
    return [{"session_id": session_id, "position": e.position, "tenant_id": tenant_id,
             "program_id": program_id, "movement_id": e.movement_id, "role": e.role.value,
             "sets": e.sets, "reps": e.reps, "target_rpe": e.target_rpe,
             "grouping": e.grouping.value, "group_no": e.group} for e in exercises]


def exercise_from_row(row: Row) -> m.PlannedExercise:
    return m.PlannedExercise(position=row["position"], movement_id=row["movement_id"],
                             role=m.ExerciseRole(row["role"]), sets=row["sets"], reps=row["reps"],
                             target_rpe=row["target_rpe"], grouping=m.Grouping(row["grouping"]),
                             group=row["group_no"])


def exercise_to_json(e: m.PlannedExercise) -> dict[str, Any]:
    return {"position": e.position, "movement_id": e.movement_id, "role": e.role.value,
            "sets": e.sets, "reps": e.reps, "target_rpe": e.target_rpe,
            "grouping": e.grouping.value, "group_no": e.group}


def step_to_json(step: m.AdaptationStep) -> dict[str, Any]:
    return {"kind": step.kind, "movement_id": step.movement_id,
            "substitute_id": step.substitute_id, "reason": step.reason,
            "detail": dict(step.detail)}


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))
