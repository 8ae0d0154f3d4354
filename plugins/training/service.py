"""The training service's use cases (SPEC D3) on domain values: read what a call needs,
decide it through the lifecycle (the RPC is the action ``training.<rpc>``), compute, and
stage the writes that commit with the decision's ledger entry.

Reads run in a worker thread before the decision; a refused call returns nothing it read.
Nothing here sees protobuf or a database session.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import structlog

from bastion.plugins.training import adaptation, formulas, generation
from bastion.plugins.training import model as m
from bastion.plugins.training import records
from bastion.plugins.training.catalog import Catalog
from bastion.plugins.training.errors import DomainError
from bastion.plugins.training.views import (
    AdaptationView, MicrocycleView, ProgramView, RecoveryView, SessionView, TopSetView,
    WorkoutView)
from bastion.runtime.domain_calls import guarded_call
from bastion.runtime.errors import FailedPrecondition, NotFound
from bastion.runtime.lifecycle import Lifecycle, new_id
from bastion.runtime.principal import current_principal
from bastion.runtime.unit_of_work import UnitOfWork
from bastion.runtime.verdicts import Decision
from bastion.storage import Database
from bastion.storage import training as store

log = structlog.get_logger("bastion.training")
T = TypeVar("T")
# Substitutes proposed by other plugins: (tenant, movement, pattern, sore muscles,
# forbidden ids, candidates) → ids, an awaitable of ids, or None.
Proposer = Callable[..., Any]
SIGNAL_WINDOW = dt.timedelta(hours=24)
DEFAULT_RECOVERY_SCORE = 50.0  # the seed's default when nothing is known


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Training:
    def __init__(self, lifecycle: Lifecycle, database: Database, catalog: Catalog, *,
                 interference: Sequence[m.InterferenceRule], proposer: Proposer | None = None,
                 proposal_timeout_s: float = 2.0, hours_per_point: float = 10.0) -> None:
        self._lifecycle, self._db, self.catalog = lifecycle, database, catalog
        self._interference = tuple(interference)
        self._proposer, self._proposal_timeout_s = proposer, proposal_timeout_s
        self._hours_per_point = hours_per_point

    # -- helpers ----------------------------------------------------------------------
    @staticmethod
    def _tenant() -> str:
        return current_principal().tenant_id

    async def _read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(fn, self._db, *args, **kwargs)

    async def _decide(self, action: str, execute: Callable[[UnitOfWork], T],
                      **attributes: Any) -> tuple[T, Decision]:
        return await guarded_call(self._lifecycle, f"training.{action}", execute,
                                  attributes=attributes)

    async def athlete(self, athlete_id: str) -> m.AthleteProfile:
        row = await self._read(store.athlete, self._tenant(), athlete_id)
        if row is None:
            raise NotFound(f"athlete {athlete_id!r} not found")
        return records.athlete_from_row(row)

    async def _day(self, athlete_id: str, date: dt.date, *,
                   signal_since: dt.datetime | None = None
                   ) -> tuple[m.AthleteProfile, Any, Mapping[str, Any] | None]:
        """The athlete, their session on ``date`` and (optionally) their latest recovery
        signal, read in one unit; NOT_FOUND for an athlete the tenant does not have."""
        row, found, signal = await self._read(store.day_inputs, self._tenant(), athlete_id,
                                              date, signal_since=signal_since)
        if row is None:
            raise NotFound(f"athlete {athlete_id!r} not found")
        return records.athlete_from_row(row), found, signal

    def _time(self, exercises: Sequence[m.PlannedExercise],
              session_type: m.SessionType) -> m.TimeBreakdown:
        return formulas.estimate_session_time(exercises, session_type)

    def _session_view(self, row: Mapping[str, Any],
                      exercise_rows: Sequence[Mapping[str, Any]]) -> SessionView:
        exercises = tuple(records.exercise_from_row(dict(e)) for e in exercise_rows)
        session_type = m.SessionType(row["session_type"])
        return SessionView(session_id=row["id"], program_id=row["program_id"],
                           microcycle_id=row["microcycle_id"], date=records._date(row["date"]),
                           focus=row["focus"], session_type=session_type, exercises=exercises,
                           time=self._time(exercises, session_type),
                           adaptation_id=row["adaptation_id"] or "")

    # -- athletes and the library -----------------------------------------------------
    async def put_athlete(self, profile: m.AthleteProfile) -> tuple[m.AthleteProfile, Decision]:
        for i, rule in enumerate(profile.movement_rules):
            if self.catalog.get(rule.movement_id) is None:
                raise DomainError(f"athlete.movement_rules[{i}].movement_id",
                                  f"unknown movement {rule.movement_id!r}")
        op = store.PutAthlete(records.athlete_row(self._tenant(), profile, utcnow()))
        _, decision = await self._decide("put_athlete", lambda uow: uow.add(op),
                                         athlete_id=profile.athlete_id)
        return profile, decision

    async def get_athlete(self, athlete_id: str) -> tuple[m.AthleteProfile, Decision]:
        profile = await self.athlete(athlete_id)
        return await self._decide("get_athlete", lambda uow: profile, athlete_id=athlete_id)

    async def list_movements(self, pattern: str) -> tuple[tuple[m.Movement, ...], Decision]:
        if pattern and pattern not in self.catalog.patterns():
            raise DomainError("pattern", f"unknown pattern {pattern!r}; known: "
                              + ", ".join(sorted(self.catalog.patterns())))
        found = self.catalog.by_pattern(pattern) if pattern else self.catalog.all()
        return await self._decide("list_movements", lambda uow: found, pattern=pattern)

    # -- programs ---------------------------------------------------------------------
    async def create_program(self, spec: m.ProgramSpec) -> tuple[ProgramView, Decision]:
        generation.validate_spec(spec)  # before any read: bad input is INVALID_ARGUMENT
        profile = await self.athlete(spec.athlete_id)
        resolved = generation.resolve(spec, profile, self._interference)
        tenant, program_id, now = self._tenant(), new_id("prg"), utcnow()
        cycle_ids = [new_id("mcy") for _ in resolved.microcycles]
        first = resolved.microcycles[0]
        planned = generation.generate_sessions(resolved, first, self.catalog, profile)
        sessions, exercises = records.session_rows(tenant, program_id, cycle_ids[0],
                                                   spec.athlete_id, planned, new_id)
        op = store.CreateProgram(
            records.program_row(tenant, program_id, resolved, now),
            [records.microcycle_row(tenant, program_id, cid, c,
                                    "ACTIVE" if c.sequence == 1 else "PLANNED")
             for cid, c in zip(cycle_ids, resolved.microcycles)], sessions, exercises)
        _, decision = await self._decide(
            "create_program", lambda uow: uow.add(op), athlete_id=spec.athlete_id,
            duration_weeks=spec.duration_weeks, goals=[g.goal.value for g in spec.goals],
            split_template=resolved.split_template.value)
        views = [MicrocycleView(cid, c, "ACTIVE" if c.sequence == 1 else "PLANNED")
                 for cid, c in zip(cycle_ids, resolved.microcycles)]
        session_views = tuple(self._session_view(s, [e for e in exercises
                                                     if e["session_id"] == s["id"]])
                              for s in sessions)
        views[0] = MicrocycleView(cycle_ids[0], first, "ACTIVE", session_views)
        return ProgramView(program_id, resolved, now, tuple(views)), decision

    async def _program(self, program_id: str, *, include_sessions: bool) -> ProgramView:
        found = await self._read(store.program, self._tenant(), program_id,
                                 include_sessions=include_sessions)
        if found is None:
            raise NotFound(f"program {program_id!r} not found")
        row, cycles, sessions, exercises = found
        by_cycle: dict[str, list[SessionView]] = {}
        for s in sessions:
            view = self._session_view(s, [e for e in exercises if e["session_id"] == s["id"]])
            by_cycle.setdefault(s["microcycle_id"], []).append(view)
        return ProgramView(
            row["id"], records.resolved_from_rows(row, cycles), row["created_at"],
            tuple(MicrocycleView(c["id"], records.microcycle_from_row(c), c["status"],
                                 tuple(by_cycle.get(c["id"], ()))) for c in cycles))

    async def get_program(self, program_id: str, *,
                          include_sessions: bool) -> tuple[ProgramView, Decision]:
        view = await self._program(program_id, include_sessions=include_sessions)
        return await self._decide("get_program", lambda uow: view, program_id=program_id,
                                  athlete_id=view.program.spec.athlete_id)

    async def list_programs(self, athlete_id: str) -> tuple[list[ProgramView], Decision]:
        if athlete_id:
            await self.athlete(athlete_id)
        rows = await self._read(store.programs, self._tenant(), athlete_id)
        views = [ProgramView(r["id"], records.resolved_from_rows(r, []), r["created_at"])
                 for r in rows]
        return await self._decide("list_programs", lambda uow: views, athlete_id=athlete_id)

    async def delete_program(self, program_id: str) -> Decision:
        view = await self._program(program_id, include_sessions=False)
        op = store.DeleteProgram(tenant_id=self._tenant(), program_id=program_id)
        _, decision = await self._decide("delete_program", lambda uow: uow.add(op),
                                         program_id=program_id,
                                         athlete_id=view.program.spec.athlete_id)
        if not op.found:
            raise NotFound(f"program {program_id!r} not found")
        return decision

    async def generate_next_microcycle(self, program_id: str
                                       ) -> tuple[MicrocycleView, Decision]:
        view = await self._program(program_id, include_sessions=False)
        pending = [c for c in view.microcycles if c.status == "PLANNED"]
        if not pending:
            raise FailedPrecondition(f"program {program_id!r} has no planned microcycle left "
                                     f"(all {len(view.microcycles)} generated)")
        target = pending[0]
        spec = view.program.spec
        profile = await self.athlete(spec.athlete_id)
        planned = generation.generate_sessions(view.program, target.cycle, self.catalog,
                                               profile)
        sessions, exercises = records.session_rows(self._tenant(), program_id,
                                                   target.microcycle_id, spec.athlete_id,
                                                   planned, new_id)
        op = store.ActivateMicrocycle(tenant_id=self._tenant(), program_id=program_id,
                                      microcycle_id=target.microcycle_id, sessions=sessions,
                                      exercises=exercises)
        _, decision = await self._decide("generate_next_microcycle", lambda uow: uow.add(op),
                                         program_id=program_id, sequence=target.cycle.sequence,
                                         athlete_id=spec.athlete_id)
        if not op.applied:
            raise FailedPrecondition(f"microcycle {target.cycle.sequence} of {program_id!r} "
                                     "was generated by a concurrent call; read the program")
        session_views = tuple(self._session_view(s, [e for e in exercises
                                                     if e["session_id"] == s["id"]])
                              for s in sessions)
        return MicrocycleView(target.microcycle_id, target.cycle, "ACTIVE",
                              session_views), decision

    # -- daily plan and adaptation ----------------------------------------------------
    async def daily_plan(self, athlete_id: str, date: dt.date
                         ) -> tuple[SessionView | None, Decision]:
        _, found, _ = await self._day(athlete_id, date)
        view = self._session_view(*found) if found else None
        return await self._decide("get_daily_plan", lambda uow: view, athlete_id=athlete_id,
                                  date=date.isoformat())

    async def adapt(self, athlete_id: str, date: dt.date, soreness: Sequence[m.Soreness],
                    recovery_score: float | None, notes: str, *,
                    action: str = "adapt_session") -> tuple[AdaptationView, Decision]:
        profile, found, signal = await self._day(
            athlete_id, date, signal_since=None if recovery_score is not None
            else utcnow() - SIGNAL_WINDOW)
        if found is None:
            raise FailedPrecondition(f"no session planned for {athlete_id!r} on {date}")
        session = self._session_view(*found)
        if recovery_score is None:
            recovery_score = (float(signal["recovery_score"]) if signal
                              else DEFAULT_RECOVERY_SCORE)
        proposals = await self._proposals(session, profile, soreness, recovery_score)
        adapted = adaptation.adapt_session(
            session.exercises, catalog=self.catalog, movement_rules=profile.movement_rules,
            soreness=soreness, recovery_score=recovery_score,
            session_type=session.session_type,
            propose=(lambda movement, sore, forbidden: proposals.get(movement.id, ()))
            if proposals else None)
        adaptation_id, now = new_id("adp"), utcnow()
        row = {"id": adaptation_id, "tenant_id": self._tenant(), "athlete_id": athlete_id,
               "program_id": session.program_id, "session_id": session.session_id,
               "request_json": json.dumps({
                   "date": date.isoformat(), "recovery_score": recovery_score, "notes": notes,
                   "soreness": [[s.muscle.value, s.level] for s in soreness]}),
               "result_json": json.dumps({
                   "steps": [records.step_to_json(s) for s in adapted.steps],
                   "exercises": [records.exercise_to_json(e) for e in adapted.exercises],
                   "added_sections": list(adapted.added_sections)}),
               "status": "PROPOSED", "final_notes": "", "created_at": now, "accepted_at": None}
        op = store.InsertRows(store.ADAPTATIONS, row)
        _, decision = await self._decide(
            action, lambda uow: uow.add(op), athlete_id=athlete_id, date=date.isoformat(),
            removed=[s.movement_id for s in adapted.steps if s.kind == "removed"])
        return AdaptationView(adaptation_id, session.session_id, adapted,
                              self._time(adapted.exercises, session.session_type),
                              "PROPOSED"), decision

    async def _proposals(self, session: SessionView, profile: m.AthleteProfile,
                         soreness: Sequence[m.Soreness],
                         recovery_score: float) -> dict[str, Sequence[str]]:
        """Asks the substitution hook about each movement the deterministic pass removes;
        slow answers (an LLM) are awaited up to ``proposal_timeout_s``."""
        if self._proposer is None:
            return {}
        first_pass = adaptation.adapt_session(
            session.exercises, catalog=self.catalog, movement_rules=profile.movement_rules,
            soreness=soreness, recovery_score=recovery_score, session_type=session.session_type)
        avoid = frozenset(s.muscle.value for s in soreness)
        forbidden = frozenset(r.movement_id for r in profile.movement_rules)
        out: dict[str, Sequence[str]] = {}
        for step in first_pass.steps:
            movement = self.catalog.get(step.movement_id)
            if step.kind != "removed" or movement is None:
                continue
            candidates = tuple(c.id for c in self.catalog.by_pattern(movement.pattern)
                               if c.id != movement.id and c.id not in forbidden)
            try:
                answer = self._proposer(tenant_id=self._tenant(), movement_id=movement.id,
                                        pattern=movement.pattern, avoid_muscles=avoid,
                                        forbidden=forbidden, candidates=candidates)
                if inspect.isawaitable(answer):
                    answer = await asyncio.wait_for(answer, self._proposal_timeout_s)
            except Exception as error:  # noqa: BLE001 - a proposer never fails the call
                log.warning("training_proposal_failed", movement_id=movement.id,
                            error=type(error).__name__)
                continue
            if answer:
                out[movement.id] = tuple(str(a) for a in answer)
        return out

    async def accept(self, adaptation_id: str, final_notes: str
                     ) -> tuple[SessionView, Decision]:
        row = await self._read(store.adaptation, self._tenant(), adaptation_id)
        if row is None:
            raise NotFound(f"adaptation {adaptation_id!r} not found")
        if row["status"] != "PROPOSED":
            raise FailedPrecondition(f"adaptation {adaptation_id!r} is {row['status']}")
        result = json.loads(row["result_json"])
        exercises = [records.exercise_from_row(e) for e in result["exercises"]]
        exercises = [m.PlannedExercise(i + 1, e.movement_id, e.role, e.sets, e.reps,
                                       e.target_rpe, e.grouping, e.group)
                     for i, e in enumerate(exercises)]
        op = store.AcceptAdaptation(
            tenant_id=self._tenant(), adaptation_id=adaptation_id, session_id=row["session_id"],
            exercises=records.exercise_rows(self._tenant(), row["program_id"],
                                            row["session_id"], exercises),
            final_notes=final_notes, now=utcnow())
        _, decision = await self._decide("accept_plan", lambda uow: uow.add(op),
                                         adaptation_id=adaptation_id,
                                         athlete_id=row["athlete_id"])
        if not op.applied:
            raise FailedPrecondition(f"adaptation {adaptation_id!r} was already accepted")
        session = await self._read(store.session_by_id, self._tenant(), row["session_id"])
        if session is None:  # the program was deleted meanwhile
            raise NotFound(f"session {row['session_id']!r} not found")
        return self._session_view(session, records.exercise_rows(
            self._tenant(), row["program_id"], row["session_id"], exercises)), decision

    # -- logs -------------------------------------------------------------------------
    def _decayed(self, state: tuple[int, dt.datetime] | None, now: dt.datetime) -> int:
        if state is None:
            return 10  # no record: fully recovered
        return formulas.decayed_recovery(state[0], state[1], now, self._hours_per_point)

    async def log_workout(self, athlete_id: str, session_id: str, performed_at: dt.datetime,
                          sets: Sequence[m.LoggedSet]) -> tuple[WorkoutView, Decision]:
        profile = await self.athlete(athlete_id)
        if session_id:
            session = await self._read(store.session_by_id, self._tenant(), session_id)
            if session is None or session["athlete_id"] != athlete_id:
                raise NotFound(f"session {session_id!r} not found for athlete {athlete_id!r}")
        scored = self._score(sets, profile.e1rm_formula)
        tenant, workout_id, now = self._tenant(), new_id("wko"), utcnow()
        primary: dict[m.Muscle, int] = {}
        secondary: dict[m.Muscle, int] = {}
        for s in scored:
            movement = self.catalog.get(s.logged.movement_id)
            assert movement is not None  # checked by _score
            for muscle in movement.primary:
                primary[muscle] = primary.get(muscle, 0) + 1
            for muscle in movement.secondary:
                secondary[muscle] = secondary.get(muscle, 0) + 1
        cost = formulas.workout_recovery_cost(primary, secondary)
        updates = {muscle.value: self._lowered(points, performed_at)
                   for muscle, points in cost.items() if points > 0}
        set_rows = [{"workout_id": workout_id, "position": i + 1, "tenant_id": tenant,
                     "athlete_id": athlete_id, "movement_id": s.logged.movement_id,
                     "pattern": s.pattern, "set_number": s.logged.set_number,
                     "weight": s.logged.weight, "reps": s.logged.reps, "rpe": s.logged.rpe,
                     "e1rm": s.e1rm} for i, s in enumerate(scored)]
        op = store.UpdateRecovery(
            tenant_id=tenant, athlete_id=athlete_id, updates=updates, now=performed_at,
            inserts=[(store.WORKOUTS, [{"id": workout_id, "tenant_id": tenant,
                                        "athlete_id": athlete_id,
                                        "session_id": session_id or None,
                                        "performed_at": performed_at, "created_at": now}]),
                     (store.WORKOUT_SETS, set_rows)],
            top_sets=self._top_sets(tenant, athlete_id, workout_id, performed_at, scored))
        _, decision = await self._decide("log_workout", lambda uow: uow.add(op),
                                         athlete_id=athlete_id, sets=len(sets),
                                         session_id=session_id)
        tops = tuple(TopSetView(r["pattern"], r["movement_id"], r["weight"], r["reps"],
                                r["e1rm"], r["workout_id"], r["performed_at"])
                     for r in sorted(op.new_top_sets, key=lambda r: r["pattern"]))
        return WorkoutView(workout_id, tuple(scored), tops, self._recovery_views(op.recovery)
                           ), decision

    def _lowered(self, points: int, at: dt.datetime) -> store.LevelUpdate:
        return lambda state: max(0, self._decayed(state, at) - points)

    def _score(self, sets: Sequence[m.LoggedSet], formula: m.E1rmFormula) -> list[m.ScoredSet]:
        out = []
        for i, logged in enumerate(sets):
            movement = self.catalog.get(logged.movement_id)
            if movement is None:
                raise DomainError(f"sets[{i}].movement_id",
                                  f"unknown movement {logged.movement_id!r}")
            try:
                e1rm = formulas.e1rm(logged.weight, logged.reps, formula, logged.rpe)
            except DomainError as error:
                raise DomainError(f"sets[{i}].{error.field}", error.message) from None
            out.append(m.ScoredSet(logged, e1rm, movement.pattern))
        return out

    @staticmethod
    def _top_sets(tenant: str, athlete_id: str, workout_id: str, at: dt.datetime,
                  scored: Sequence[m.ScoredSet]) -> list[dict[str, Any]]:
        best: dict[str, m.ScoredSet] = {}
        for s in scored:
            if s.pattern not in best or s.e1rm > best[s.pattern].e1rm:
                best[s.pattern] = s
        return [{"tenant_id": tenant, "athlete_id": athlete_id, "pattern": p,
                 "movement_id": s.logged.movement_id, "weight": s.logged.weight,
                 "reps": s.logged.reps, "e1rm": s.e1rm, "workout_id": workout_id,
                 "performed_at": at} for p, s in sorted(best.items())]

    @staticmethod
    def _recovery_views(rows: Sequence[Mapping[str, Any]]) -> tuple[RecoveryView, ...]:
        return tuple(RecoveryView(m.Muscle(r["muscle"]), r["level"], r["updated_at"])
                     for r in rows)

    async def log_soreness(self, athlete_id: str, logged_at: dt.datetime,
                           entries: Sequence[m.Soreness]
                           ) -> tuple[tuple[RecoveryView, ...], Decision]:
        await self.athlete(athlete_id)
        tenant = self._tenant()
        level = formulas.recovery_after_soreness
        updates = {e.muscle.value: (lambda state, lv=level(e.level): lv) for e in entries}
        op = store.UpdateRecovery(
            tenant_id=tenant, athlete_id=athlete_id, updates=updates, now=logged_at,
            inserts=[(store.SORENESS, [{"tenant_id": tenant, "athlete_id": athlete_id,
                                        "muscle": e.muscle.value, "level": e.level,
                                        "logged_at": logged_at} for e in entries])])
        _, decision = await self._decide(
            "log_soreness", lambda uow: uow.add(op), athlete_id=athlete_id,
            muscles=sorted(e.muscle.value for e in entries))
        return self._recovery_views(op.recovery), decision

    async def muscle_recovery(self, athlete_id: str, now: dt.datetime | None = None
                              ) -> tuple[tuple[RecoveryView, ...], Decision]:
        await self.athlete(athlete_id)
        rows = await self._read(store.recovery, self._tenant(), athlete_id)
        now = now or utcnow()
        views = tuple(RecoveryView(m.Muscle(r["muscle"]),
                                   self._decayed((r["level"], r["updated_at"]), now),
                                   r["updated_at"]) for r in rows)
        return await self._decide("get_muscle_recovery", lambda uow: views,
                                  athlete_id=athlete_id)

    async def log_row(self, action: str, athlete_id: str, table: Any,
                      row: dict[str, Any]) -> tuple[str, Decision]:
        """A recovery signal or an activity: one row."""
        await self.athlete(athlete_id)
        row = {**row, "tenant_id": self._tenant(), "athlete_id": athlete_id}
        op = store.InsertRows(table, row)
        _, decision = await self._decide(action, lambda uow: uow.add(op), athlete_id=athlete_id)
        return row["id"], decision

    async def estimate_e1rm(self, weight: float, reps: int, rpe: float | None,
                            formula: m.E1rmFormula) -> tuple[float, Decision]:
        value = formulas.e1rm(weight, reps, formula, rpe)
        return await self._decide("estimate_e1rm", lambda uow: value, formula=formula.value)

    async def estimate_time(self, exercises: Sequence[m.PlannedExercise],
                            session_type: m.SessionType) -> tuple[m.TimeBreakdown, Decision]:
        time = self._time(exercises, session_type)
        return await self._decide("estimate_session_time", lambda uow: time,
                                  exercises=len(exercises))
