"""TrainingService: convert the request, call :class:`~.service.Training`, convert back.

Training-domain errors are mapped to statuses here, in one place: a broken SPEC D3 rule is
INVALID_ARGUMENT naming the field, a heavy goal conflict FAILED_PRECONDITION naming the pair.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import grpc

from bastion.plugins.training import convert as c
from bastion.plugins.training import model as m
from bastion.plugins.training.errors import DomainError, GoalConflict
from bastion.plugins.training.service import Training, utcnow
from bastion.runtime import validation as v
from bastion.runtime.errors import FailedPrecondition, InvalidArgument
from bastion.runtime.lifecycle import new_id
from bastion.storage import training as store
from bastion.v1 import training_service_pb2 as pb
from bastion.v1 import training_service_pb2_grpc

MAX_NOTES = 2000
MAX_SETS = 500


@contextlib.contextmanager
def domain_errors(prefix: str = "") -> Iterator[None]:
    try:
        yield
    except DomainError as error:
        raise InvalidArgument(prefix + error.field, error.message) from None
    except GoalConflict as error:
        raise FailedPrecondition(error.message) from None


class TrainingServicer(training_service_pb2_grpc.TrainingServiceServicer):
    def __init__(self, training: Training) -> None:
        self._training = training

    # -- athletes and movements -------------------------------------------------------
    async def PutAthlete(self, request: pb.PutAthleteRequest,
                         context: grpc.aio.ServicerContext) -> pb.PutAthleteResponse:
        profile = c.athlete_in(request.athlete)
        with domain_errors():
            saved, decision = await self._training.put_athlete(profile)
        return pb.PutAthleteResponse(athlete=c.athlete_out(saved),
                                     decision_id=decision.decision_id)

    async def GetAthlete(self, request: pb.GetAthleteRequest,
                         context: grpc.aio.ServicerContext) -> pb.GetAthleteResponse:
        profile, decision = await self._training.get_athlete(c.athlete_id(request.athlete_id))
        return pb.GetAthleteResponse(athlete=c.athlete_out(profile),
                                     decision_id=decision.decision_id)

    async def ListMovements(self, request: pb.ListMovementsRequest,
                            context: grpc.aio.ServicerContext) -> pb.ListMovementsResponse:
        with domain_errors():
            found, decision = await self._training.list_movements(
                v.text(request.pattern, "pattern", 32))
        return pb.ListMovementsResponse(movements=[c.movement_out(x) for x in found],
                                        decision_id=decision.decision_id)

    # -- programs ---------------------------------------------------------------------
    async def CreateProgram(self, request: pb.CreateProgramRequest,
                            context: grpc.aio.ServicerContext) -> pb.CreateProgramResponse:
        spec = c.program_spec_in(request, utcnow().date())
        with domain_errors():
            view, decision = await self._training.create_program(spec)
        return pb.CreateProgramResponse(program=c.program_out(view),
                                        decision_id=decision.decision_id)

    async def GetProgram(self, request: pb.GetProgramRequest,
                         context: grpc.aio.ServicerContext) -> pb.GetProgramResponse:
        view, decision = await self._training.get_program(
            c.object_id(request.program_id, "program_id"),
            include_sessions=request.include_sessions)
        return pb.GetProgramResponse(program=c.program_out(view),
                                     decision_id=decision.decision_id)

    async def ListPrograms(self, request: pb.ListProgramsRequest,
                           context: grpc.aio.ServicerContext) -> pb.ListProgramsResponse:
        athlete = v.identifier(request.athlete_id, "athlete_id", c.MAX_ID)
        views, decision = await self._training.list_programs(athlete)
        return pb.ListProgramsResponse(programs=[c.program_out(x) for x in views],
                                       decision_id=decision.decision_id)

    async def DeleteProgram(self, request: pb.DeleteProgramRequest,
                            context: grpc.aio.ServicerContext) -> pb.DeleteProgramResponse:
        decision = await self._training.delete_program(
            c.object_id(request.program_id, "program_id"))
        return pb.DeleteProgramResponse(decision_id=decision.decision_id)

    async def GenerateNextMicrocycle(self, request: pb.GenerateNextMicrocycleRequest,
                                     context: grpc.aio.ServicerContext
                                     ) -> pb.GenerateNextMicrocycleResponse:
        with domain_errors():
            view, decision = await self._training.generate_next_microcycle(
                c.object_id(request.program_id, "program_id"))
        return pb.GenerateNextMicrocycleResponse(microcycle=c.microcycle_out(view),
                                                 decision_id=decision.decision_id)

    # -- daily plan and adaptation ----------------------------------------------------
    async def GetDailyPlan(self, request: pb.GetDailyPlanRequest,
                           context: grpc.aio.ServicerContext) -> pb.GetDailyPlanResponse:
        session, decision = await self._training.daily_plan(
            c.athlete_id(request.athlete_id), c.date_in(request.date, "date"))
        response = pb.GetDailyPlanResponse(rest_day=session is None,
                                           decision_id=decision.decision_id)
        if session is not None:
            response.session.CopyFrom(c.session_out(session))
            response.program_id = session.program_id
        return response

    async def _adapt(self, request: pb.AdaptSessionRequest, prefix: str,
                     action: str) -> pb.AdaptSessionResponse:
        athlete = c.athlete_id(request.athlete_id, prefix + "athlete_id")
        date = c.date_in(request.date, prefix + "date")
        soreness = c.soreness_in(request.soreness, prefix + "soreness")
        score = (c.finite(request.recovery_score, prefix + "recovery_score", 0, 100)
                 if request.HasField("recovery_score") else None)
        notes = v.text(request.notes, prefix + "notes", MAX_NOTES)
        with domain_errors(prefix):
            view, decision = await self._training.adapt(athlete, date, soreness, score, notes,
                                                        action=action)
        return pb.AdaptSessionResponse(adaptation=c.adaptation_out(view),
                                       decision_id=decision.decision_id)

    async def AdaptSession(self, request: pb.AdaptSessionRequest,
                           context: grpc.aio.ServicerContext) -> pb.AdaptSessionResponse:
        return await self._adapt(request, "", "adapt_session")

    async def AdaptSessionStream(self, request: pb.AdaptSessionStreamRequest,
                                 context: grpc.aio.ServicerContext
                                 ) -> AsyncIterator[pb.AdaptSessionStreamResponse]:
        result = await self._adapt(request.request, "request.", "adapt_session_stream")
        for step in result.adaptation.steps:
            yield pb.AdaptSessionStreamResponse(step=step)
        yield pb.AdaptSessionStreamResponse(result=result)

    async def AcceptPlan(self, request: pb.AcceptPlanRequest,
                         context: grpc.aio.ServicerContext) -> pb.AcceptPlanResponse:
        session, decision = await self._training.accept(
            c.object_id(request.adaptation_id, "adaptation_id"),
            v.text(request.final_notes, "final_notes", MAX_NOTES))
        return pb.AcceptPlanResponse(session=c.session_out(session),
                                     decision_id=decision.decision_id)

    # -- logs -------------------------------------------------------------------------
    async def LogWorkout(self, request: pb.LogWorkoutRequest,
                         context: grpc.aio.ServicerContext) -> pb.LogWorkoutResponse:
        athlete = c.athlete_id(request.athlete_id)
        session_id = v.identifier(request.session_id, "session_id", 64)
        if not 1 <= len(request.sets) <= MAX_SETS:
            raise InvalidArgument("sets", f"1-{MAX_SETS} sets")
        sets = [c.logged_set_in(s, f"sets[{i}]") for i, s in enumerate(request.sets)]
        at = c.time_in(request.performed_at, request.HasField("performed_at"), "performed_at",
                       utcnow())
        with domain_errors():
            view, decision = await self._training.log_workout(athlete, session_id, at, sets)
        return pb.LogWorkoutResponse(
            workout_id=view.workout_id,
            sets=[pb.ScoredSet(set=c.logged_set_out(s.logged), e1rm=s.e1rm, pattern=s.pattern)
                  for s in view.sets],
            new_top_sets=[c.top_set_out(t) for t in view.new_top_sets],
            recovery=[c.recovery_out(r) for r in view.recovery],
            decision_id=decision.decision_id)

    async def LogSoreness(self, request: pb.LogSorenessRequest,
                          context: grpc.aio.ServicerContext) -> pb.LogSorenessResponse:
        athlete = c.athlete_id(request.athlete_id)
        entries = c.soreness_in(request.entries, "entries")
        if not entries:
            raise InvalidArgument("entries", "at least one entry")
        at = c.time_in(request.logged_at, request.HasField("logged_at"), "logged_at", utcnow())
        views, decision = await self._training.log_soreness(athlete, at, entries)
        return pb.LogSorenessResponse(recovery=[c.recovery_out(r) for r in views],
                                      decision_id=decision.decision_id)

    async def GetMuscleRecovery(self, request: pb.GetMuscleRecoveryRequest,
                                context: grpc.aio.ServicerContext
                                ) -> pb.GetMuscleRecoveryResponse:
        views, decision = await self._training.muscle_recovery(c.athlete_id(request.athlete_id))
        return pb.GetMuscleRecoveryResponse(recovery=[c.recovery_out(r) for r in views],
                                            decision_id=decision.decision_id)

    async def LogRecoverySignal(self, request: pb.LogRecoverySignalRequest,
                                context: grpc.aio.ServicerContext
                                ) -> pb.LogRecoverySignalResponse:
        athlete = c.athlete_id(request.athlete_id)
        row = {"id": new_id("sig"),
               "logged_at": c.time_in(request.logged_at, request.HasField("logged_at"),
                                      "logged_at", utcnow()),
               "recovery_score": c.finite(request.recovery_score, "recovery_score", 0, 100),
               "sleep_hours": c.finite(request.sleep_hours, "sleep_hours", 0, 24),
               "stress": int(v.in_range(request.stress, "stress", 0, 10)),
               "notes": v.text(request.notes, "notes", MAX_NOTES)}
        signal_id, decision = await self._training.log_row("log_recovery_signal", athlete,
                                                           store.SIGNALS, row)
        return pb.LogRecoverySignalResponse(signal_id=signal_id,
                                            decision_id=decision.decision_id)

    async def LogActivity(self, request: pb.LogActivityRequest,
                          context: grpc.aio.ServicerContext) -> pb.LogActivityResponse:
        athlete = c.athlete_id(request.athlete_id)
        row = {"id": new_id("act"), "name": v.text(request.name, "name", 200, required=True),
               "duration_minutes": int(v.in_range(request.duration_minutes,
                                                  "duration_minutes", 1, 1440)),
               "distance_km": c.finite(request.distance_km, "distance_km", 0, 1000),
               "perceived_difficulty": c.rated(request.perceived_difficulty,
                                               "perceived_difficulty"),
               "enjoyment": c.rated(request.enjoyment, "enjoyment"),
               "performed_at": c.time_in(request.performed_at, request.HasField("performed_at"),
                                         "performed_at", utcnow()),
               "notes": v.text(request.notes, "notes", MAX_NOTES)}
        activity_id, decision = await self._training.log_row("log_activity", athlete,
                                                             store.ACTIVITIES, row)
        return pb.LogActivityResponse(activity_id=activity_id, decision_id=decision.decision_id)

    # -- calculators ------------------------------------------------------------------
    async def EstimateE1rm(self, request: pb.EstimateE1rmRequest,
                           context: grpc.aio.ServicerContext) -> pb.EstimateE1rmResponse:
        weight = c.finite(request.weight, "weight", 0, 2000)
        reps = int(v.in_range(request.reps, "reps", 1, 1000))
        rpe = c.finite(request.rpe, "rpe", 1, 10) if request.HasField("rpe") else None
        formula = c.enum_in(request.formula, m.E1rmFormula, "formula",
                            default=m.E1rmFormula.EPLEY)
        assert formula is not None
        with domain_errors():
            value, decision = await self._training.estimate_e1rm(weight, reps, rpe, formula)
        effective = reps + (10 - rpe) if rpe is not None else reps
        return pb.EstimateE1rmResponse(e1rm=value, effective_reps=effective,
                                       decision_id=decision.decision_id)

    async def EstimateSessionTime(self, request: pb.EstimateSessionTimeRequest,
                                  context: grpc.aio.ServicerContext
                                  ) -> pb.EstimateSessionTimeResponse:
        if len(request.exercises) > 200:
            raise InvalidArgument("exercises", "at most 200 exercises")
        exercises = [c.exercise_in(e, f"exercises[{i}]", i + 1)
                     for i, e in enumerate(request.exercises)]
        session_type = c.enum_in(request.session_type, m.SessionType, "session_type",
                                 default=m.SessionType.STRENGTH)
        assert session_type is not None
        time, decision = await self._training.estimate_time(exercises, session_type)
        return pb.EstimateSessionTimeResponse(time=c.time_breakdown_out(time),
                                              decision_id=decision.decision_id)

