"""TrainingService (SPEC D3) through a real server on SQLite and PostgreSQL: programs and
their microcycles, daily plans, adaptation (rules by movement id, soreness by muscle map,
substitutes, the substitution hook), logs with hand-computed E1RM and recovery, bad input
with nothing half-written, tenant isolation, guards and the ledger."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import Sequence

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from bastion.plugins.training import formulas
from bastion.plugins.training import model as m
from bastion.plugins.training.catalog import Catalog
from bastion.runtime import hookimpl
from bastion.storage import training as store
from bastion.testing.harness import make_test_settings, running_server
from bastion.v1 import admin_service_pb2 as apb
from bastion.v1 import ledger_service_pb2 as lpb
from bastion.v1 import training_service_pb2 as tpb
from bastion.v1 import training_service_pb2_grpc
from tests.conftest import Stubs

CATALOG = Catalog.load()
START = dt.date(2026, 12, 7)  # a Monday


def training(stubs: Stubs) -> training_service_pb2_grpc.TrainingServiceStub:
    return training_service_pb2_grpc.TrainingServiceStub(stubs.channel)


def call(stubs: Stubs, method: str, request):  # type: ignore[no-untyped-def]
    return getattr(training(stubs), method)(request, metadata=stubs.metadata)


def new_athlete(stubs: Stubs, **profile) -> str:  # type: ignore[no-untyped-def]
    athlete_id = f"ath-{uuid.uuid4().hex[:8]}"
    call(stubs, "PutAthlete", tpb.PutAthleteRequest(
        athlete=tpb.Athlete(athlete_id=athlete_id, **profile)))
    return athlete_id


def goals(*pairs: tuple[int, int]) -> list[tpb.GoalWeight]:
    return [tpb.GoalWeight(goal=g, weight=w) for g, w in pairs]


STRENGTH_8 = goals((tpb.TRAINING_GOAL_STRENGTH, 10))


def create(stubs: Stubs, athlete_id: str, **kwargs) -> tpb.Program:  # type: ignore[no-untyped-def]
    request = tpb.CreateProgramRequest(athlete_id=athlete_id, start_date=START.isoformat(),
                                       **{"goals": STRENGTH_8, "duration_weeks": 8, **kwargs})
    return call(stubs, "CreateProgram", request).program


def rpc_error(fn) -> grpc.RpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as info:
        fn()
    return info.value


def bad_field(error: grpc.RpcError) -> str:
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT, error.details()
    status = status_pb2.Status.FromString(dict(error.trailing_metadata())["grpc-status-details-bin"])
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            return bad.field_violations[0].field
    raise AssertionError("no BadRequest detail")


def ledgered(stubs: Stubs, action: str) -> list[dict]:
    """The tenant's ledgered decisions on ``action`` (verdict and all)."""
    entries = stubs.ledger.List(lpb.LedgerServiceListRequest(
        action_type="decision", page_size=1000), metadata=stubs.metadata).entries
    payloads = [json.loads(e.payload_json) for e in entries]
    decisions = [p.get("decision", p) for p in payloads]
    return [d for d in decisions if d.get("action") == action]


def rows(server, tenant) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return store.count_rows(server.server.database, tenant.tenant_id)


# -- programs --------------------------------------------------------------------------

def test_create_program_lays_out_microcycles_and_generates_the_first(agent, server, tenant) -> None:  # type: ignore[no-untyped-def]
    athlete = new_athlete(agent)
    program = create(agent, athlete)
    # 8 weeks of 7-day microcycles: 8 cycles, a deload every 4th
    assert [c.sequence for c in program.microcycles] == list(range(1, 9))
    assert [c.is_deload for c in program.microcycles] == [False, False, False, True] * 2
    assert [c.start_date for c in program.microcycles][:2] == ["2026-12-07", "2026-12-14"]
    assert [c.status for c in program.microcycles] == ["ACTIVE"] + ["PLANNED"] * 7
    first = program.microcycles[0]
    # no split asked, none preferred: HYBRID (UPPER, LOWER, -, CONDITIONING, FULL_BODY_A)
    assert program.split_template == tpb.SPLIT_TEMPLATE_HYBRID
    assert [s.date for s in first.sessions] == ["2026-12-07", "2026-12-08", "2026-12-10",
                                                "2026-12-11"]
    assert [s.focus for s in first.sessions] == ["UPPER", "LOWER", "CONDITIONING",
                                                 "FULL_BODY_A"]
    # a beginner with no preference progresses singly (SPEC D3)
    assert program.progression_style == tpb.PROGRESSION_STYLE_SINGLE_PROGRESSION
    assert program.session_type == tpb.SESSION_TYPE_STRENGTH
    for session in first.sessions:
        assert session.exercises and all(CATALOG.get(e.movement_id) for e in session.exercises)
        assert session.time.total_minutes == sum((
            session.time.warmup_minutes, session.time.main_minutes,
            session.time.accessory_minutes, session.time.finisher_minutes,
            session.time.cooldown_minutes))
    assert all(not c.sessions for c in program.microcycles[1:])
    count = rows(server, tenant)
    assert count["training_microcycles"] == 8 and count["training_sessions"] == 4
    # the decision is ledgered as the action training.create_program
    assert [d["verdict"] for d in ledgered(agent, "training.create_program")] == ["ALLOW"]


def test_split_and_progression_come_from_the_request_then_the_profile(agent) -> None:  # type: ignore[no-untyped-def]
    advanced = new_athlete(agent, experience_level=tpb.EXPERIENCE_LEVEL_ADVANCED,
                           preferred_split=tpb.SPLIT_TEMPLATE_PPL)
    program = create(agent, advanced)
    assert program.split_template == tpb.SPLIT_TEMPLATE_PPL
    assert program.progression_style == tpb.PROGRESSION_STYLE_WAVE_LOADING
    assert [s.focus for s in program.microcycles[0].sessions] == [
        "PUSH", "PULL", "LEGS", "PUSH", "PULL", "LEGS"]
    asked = create(agent, advanced, split_template=tpb.SPLIT_TEMPLATE_UPPER_LOWER,
                   progression_style=tpb.PROGRESSION_STYLE_DOUBLE_PROGRESSION)
    assert asked.split_template == tpb.SPLIT_TEMPLATE_UPPER_LOWER
    assert asked.progression_style == tpb.PROGRESSION_STYLE_DOUBLE_PROGRESSION
    intermediate = new_athlete(agent, experience_level=tpb.EXPERIENCE_LEVEL_INTERMEDIATE)
    assert create(agent, intermediate).progression_style == \
        tpb.PROGRESSION_STYLE_DOUBLE_PROGRESSION


def test_uneven_microcycles_cover_the_program(agent) -> None:  # type: ignore[no-untyped-def]
    program = create(agent, new_athlete(agent), microcycle_length_days=10, deload_every=2)
    # 56 days / 10 → 5 cycles, the 6 spare days spread: 12 + 11 + 11 + 11 + 11
    assert [c.length_days for c in program.microcycles] == [12, 11, 11, 11, 11]
    assert [c.is_deload for c in program.microcycles] == [False, True, False, True, False]
    assert program.microcycles[-1].start_date == (START + dt.timedelta(days=45)).isoformat()


def test_soft_goal_conflicts_are_warnings(agent) -> None:  # type: ignore[no-untyped-def]
    program = create(agent, new_athlete(agent), goals=goals(
        (tpb.TRAINING_GOAL_STRENGTH, 6), (tpb.TRAINING_GOAL_ENDURANCE, 4)))
    assert len(program.warnings) == 1
    assert "STRENGTH" in program.warnings[0] and "ENDURANCE" in program.warnings[0]


def test_a_hard_goal_conflict_refuses_the_program_naming_the_pair(database_url) -> None:  # type: ignore[no-untyped-def]
    settings = make_test_settings(database_url)
    sections = {**settings.plugin_sections, "training": {"interference": [
        {"goals": ["STRENGTH", "ENDURANCE"], "severity": 0.9}]}}
    from dataclasses import replace
    with running_server(replace(settings, plugin_sections=sections)) as handle:
        keys = handle.create_tenant()
        with grpc.insecure_channel(handle.target) as channel:
            stubs = Stubs(channel, keys.agent_token)
            athlete = new_athlete(stubs)
            error = rpc_error(lambda: create(stubs, athlete, goals=goals(
                (tpb.TRAINING_GOAL_STRENGTH, 5), (tpb.TRAINING_GOAL_ENDURANCE, 5))))
            assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
            assert "STRENGTH and ENDURANCE" in error.details()
            assert store.count_rows(handle.server.database, keys.tenant_id)[
                "training_programs"] == 0


@pytest.mark.parametrize(("changes", "field"), [
    ({"duration_weeks": 7}, "duration_weeks"),
    ({"duration_weeks": 9}, "duration_weeks"),
    ({"duration_weeks": 14}, "duration_weeks"),
    ({"goals": goals((1, 3), (2, 3), (3, 2), (4, 2))}, "goals"),
    ({"goals": goals((1, 5), (2, 4))}, "goals"),
    ({"goals": goals((1, 5), (1, 5))}, "goals"),
    ({"goals": []}, "goals"),
    ({"goals": goals((99, 10))}, "goals[0].goal"),
    ({"microcycle_length_days": 6}, "microcycle_length_days"),
    ({"microcycle_length_days": 15}, "microcycle_length_days"),
    ({"split_template": 42}, "split_template"),
    ({"start_date": "2026-13-01"}, "start_date"),
    ({"start_date": "1 Dec 2026"}, "start_date"),
    ({"athlete_id": ""}, "athlete_id"),
])
def test_program_bounds_name_the_field_and_write_nothing(agent, server, tenant, changes, field) -> None:  # type: ignore[no-untyped-def]
    athlete = new_athlete(agent)
    before = rows(server, tenant)
    request = tpb.CreateProgramRequest(athlete_id=athlete, goals=STRENGTH_8, duration_weeks=8)
    for key, value in changes.items():
        if key == "goals":
            del request.goals[:]
            request.goals.extend(value)
        else:
            setattr(request, key, value)
    assert bad_field(rpc_error(lambda: call(agent, "CreateProgram", request))) == field
    assert rows(server, tenant) == before


def test_generate_next_microcycle_then_nothing_left(agent) -> None:  # type: ignore[no-untyped-def]
    program = create(agent, new_athlete(agent), duration_weeks=8, microcycle_length_days=14)
    assert len(program.microcycles) == 4
    generated = [call(agent, "GenerateNextMicrocycle", tpb.GenerateNextMicrocycleRequest(
        program_id=program.program_id)).microcycle for _ in range(3)]
    assert [c.sequence for c in generated] == [2, 3, 4]
    assert all(c.sessions and c.status == "ACTIVE" for c in generated)
    # sessions fall inside their microcycle
    last = generated[-1]
    begin = dt.date.fromisoformat(last.start_date)
    assert all(begin <= dt.date.fromisoformat(s.date) < begin + dt.timedelta(days=14)
               for s in last.sessions)
    # the 4th is a deload: fewer sets than the same focus in cycle 3 on average
    sets = lambda c: sum(e.sets for s in c.sessions for e in s.exercises)  # noqa: E731
    assert sets(generated[2]) < sets(generated[1])
    shown = call(agent, "GetProgram", tpb.GetProgramRequest(
        program_id=program.program_id, include_sessions=True)).program
    assert [c.status for c in shown.microcycles] == ["COMPLETED"] * 3 + ["ACTIVE"]
    assert all(c.sessions for c in shown.microcycles)
    error = rpc_error(lambda: call(agent, "GenerateNextMicrocycle",
                                   tpb.GenerateNextMicrocycleRequest(
                                       program_id=program.program_id)))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION


def test_generation_is_deterministic_and_never_plans_a_forbidden_movement(agent) -> None:  # type: ignore[no-untyped-def]
    rule = tpb.MovementRule(movement_id="back_squat", reason="knee")
    one = new_athlete(agent, movement_rules=[rule])
    two = new_athlete(agent, movement_rules=[rule])
    first, second = create(agent, one), create(agent, two)
    plan = lambda p: [(s.date, [(e.movement_id, e.sets, e.reps, e.target_rpe)  # noqa: E731
                                for e in s.exercises]) for s in p.microcycles[0].sessions]
    assert plan(first) == plan(second)
    assert "back_squat" not in {e.movement_id for s in first.microcycles[0].sessions
                                for e in s.exercises}


def test_delete_program_cascades_but_keeps_workout_logs(agent, server, tenant) -> None:  # type: ignore[no-untyped-def]
    athlete = new_athlete(agent)
    program = create(agent, athlete)
    session = program.microcycles[0].sessions[0]
    adapt(agent, athlete, session.date, soreness=[])
    log = call(agent, "LogWorkout", tpb.LogWorkoutRequest(
        athlete_id=athlete, session_id=session.session_id,
        sets=[tpb.LoggedSet(movement_id=session.exercises[1].movement_id, set_number=1,
                            weight=50, reps=5)]))
    call(agent, "DeleteProgram", tpb.DeleteProgramRequest(program_id=program.program_id))
    count = rows(server, tenant)
    for table in ("training_programs", "training_microcycles", "training_sessions",
                  "training_session_exercises", "training_adaptations"):
        assert count[table] == 0, table
    assert count["training_workouts"] == 1 and log.workout_id
    error = rpc_error(lambda: call(agent, "GetProgram", tpb.GetProgramRequest(
        program_id=program.program_id)))
    assert error.code() is grpc.StatusCode.NOT_FOUND


def test_list_programs_newest_first(agent) -> None:  # type: ignore[no-untyped-def]
    athlete = new_athlete(agent)
    older, newer = create(agent, athlete), create(agent, athlete, duration_weeks=10)
    listed = call(agent, "ListPrograms", tpb.ListProgramsRequest(athlete_id=athlete)).programs
    assert [p.program_id for p in listed] == [newer.program_id, older.program_id]
    assert not listed[0].microcycles


# -- daily plan and adaptation ---------------------------------------------------------

def adapt(stubs: Stubs, athlete: str, date: str, *, soreness: Sequence[tuple[int, int]],
          score: float | None = None) -> tpb.Adaptation:
    request = tpb.AdaptSessionRequest(athlete_id=athlete, date=date, soreness=[
        tpb.SorenessEntry(muscle=mu, level=lv) for mu, lv in soreness])
    if score is not None:
        request.recovery_score = score
    return call(stubs, "AdaptSession", request).adaptation


def test_daily_plan_is_the_session_or_a_rest_day(agent) -> None:  # type: ignore[no-untyped-def]
    athlete = new_athlete(agent)
    program = create(agent, athlete)
    day = call(agent, "GetDailyPlan", tpb.GetDailyPlanRequest(athlete_id=athlete,
                                                              date="2026-12-07"))
    assert not day.rest_day and day.program_id == program.program_id
    planned = [m.PlannedExercise(e.position, e.movement_id, m.ExerciseRole(
        tpb.ExerciseRole.Name(e.role).removeprefix("EXERCISE_ROLE_")), e.sets, e.reps,
        e.target_rpe, m.Grouping(tpb.Grouping.Name(e.grouping).removeprefix("GROUPING_")),
        e.group) for e in day.session.exercises]
    expected = formulas.estimate_session_time(planned, m.SessionType.STRENGTH)
    assert day.session.time.total_minutes == expected.total_minutes > 10
    rest = call(agent, "GetDailyPlan", tpb.GetDailyPlanRequest(athlete_id=athlete,
                                                               date="2026-12-09"))
    assert rest.rest_day and not rest.HasField("session")
    for bad in ("2026-02-30", "tomorrow", ""):
        assert bad_field(rpc_error(lambda: call(agent, "GetDailyPlan", tpb.GetDailyPlanRequest(
            athlete_id=athlete, date=bad)))) == "date"


def _first_with_pattern(session: tpb.Session, pattern: str) -> tpb.PlannedExercise:
    return next(e for e in session.exercises
                if CATALOG.get(e.movement_id).pattern == pattern)  # type: ignore[union-attr]


def test_adaptation_removes_by_rule_and_muscle_map_and_substitutes(agent) -> None:  # type: ignore[no-untyped-def]
    athlete = new_athlete(agent)
    program = create(agent, athlete)
    upper = program.microcycles[0].sessions[0]                       # UPPER, 2026-12-07
    push = _first_with_pattern(upper, "HORIZONTAL_PUSH")
    pushed = CATALOG.get(push.movement_id)
    assert pushed is not None
    # a primary muscle of the push that another push spares (at level 6 a secondary
    # muscle may still work: only level >= 7 removes by secondary)
    others = [mv for mv in CATALOG.by_pattern("HORIZONTAL_PUSH") if mv.id != pushed.id]
    sore = next(mu for mu in sorted(pushed.primary, key=lambda mu: mu.value)
                if any(mu not in mv.primary for mv in others))
    # forbid the first pull, make a primary muscle of the push sore
    pull = _first_with_pattern(upper, "HORIZONTAL_PULL")
    call(agent, "PutAthlete", tpb.PutAthleteRequest(athlete=tpb.Athlete(
        athlete_id=athlete, movement_rules=[tpb.MovementRule(movement_id=pull.movement_id,
                                                             reason="shoulder")])))
    result = adapt(agent, athlete, upper.date, soreness=[(tpb.Muscle.Value(
        f"MUSCLE_{sore.value}"), 6)], score=55)
    steps = {(s.kind, s.movement_id): s for s in result.steps}
    assert steps[("removed", pull.movement_id)].reason.startswith("forbidden: shoulder")
    assert sore.value in steps[("removed", push.movement_id)].reason
    by_id = {e.movement_id for e in result.exercises}
    assert pull.movement_id not in by_id and push.movement_id not in by_id
    for original in (pull, push):
        substituted = steps[("substituted", original.movement_id)]
        sub = CATALOG.get(substituted.substitute_id)
        assert sub is not None and sub.pattern == CATALOG.get(original.movement_id).pattern  # type: ignore[union-attr]
        assert sore not in sub.primary
        assert substituted.substitute_id in by_id
    assert result.status == "PROPOSED" and result.recovery_score == 55
    assert list(result.added_sections) == []


def test_recovery_score_adds_sections_and_cuts_volume(agent) -> None:  # type: ignore[no-untyped-def]
    athlete = new_athlete(agent)
    date = create(agent, athlete).microcycles[0].sessions[0].date
    high = adapt(agent, athlete, date, soreness=[], score=71)
    assert list(high.added_sections) == ["conditioning"]
    low = adapt(agent, athlete, date, soreness=[], score=39)
    assert list(low.added_sections) == ["extra_warmup"]
    assert any(s.kind == "volume_adjusted" for s in low.steps)
    assert list(adapt(agent, athlete, date, soreness=[], score=40).added_sections) == []
    # no score given: the latest recovery signal of the last 24 hours answers
    call(agent, "LogRecoverySignal", tpb.LogRecoverySignalRequest(
        athlete_id=athlete, recovery_score=80, sleep_hours=8, stress=2))
    assert adapt(agent, athlete, date, soreness=[]).recovery_score == 80


def test_accept_plan_replaces_the_sessions_exercises_once(agent) -> None:  # type: ignore[no-untyped-def]
    athlete = new_athlete(agent)
    session = create(agent, athlete).microcycles[0].sessions[0]
    proposal = adapt(agent, athlete, session.date, soreness=[], score=90)  # adds conditioning
    accepted = call(agent, "AcceptPlan", tpb.AcceptPlanRequest(
        adaptation_id=proposal.adaptation_id, final_notes="ok")).session
    assert [e.movement_id for e in accepted.exercises] == \
        [e.movement_id for e in proposal.exercises]
    assert accepted.adaptation_id == proposal.adaptation_id
    today = call(agent, "GetDailyPlan", tpb.GetDailyPlanRequest(athlete_id=athlete,
                                                                date=session.date)).session
    assert [e.movement_id for e in today.exercises] == [e.movement_id for e in accepted.exercises]
    assert len(today.exercises) == len(session.exercises) + 1
    error = rpc_error(lambda: call(agent, "AcceptPlan", tpb.AcceptPlanRequest(
        adaptation_id=proposal.adaptation_id)))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION


def test_adapt_session_stream_sends_each_step_then_the_result(agent) -> None:  # type: ignore[no-untyped-def]
    athlete = new_athlete(agent)
    session = create(agent, athlete).microcycles[0].sessions[0]
    request = tpb.AdaptSessionRequest(athlete_id=athlete, date=session.date, soreness=[
        tpb.SorenessEntry(muscle=tpb.MUSCLE_CHEST, level=8)], recovery_score=30)
    events = list(training(agent).AdaptSessionStream(
        tpb.AdaptSessionStreamRequest(request=request), metadata=agent.metadata))
    assert events[-1].WhichOneof("event") == "result"
    steps = [e.step for e in events[:-1]]
    assert steps and all(e.WhichOneof("event") == "step" for e in events[:-1])
    assert list(events[-1].result.adaptation.steps) == steps
    with pytest.raises(grpc.RpcError) as info:
        list(training(agent).AdaptSessionStream(tpb.AdaptSessionStreamRequest(
            request=tpb.AdaptSessionRequest(athlete_id=athlete, date="nope")),
            metadata=agent.metadata))
    assert bad_field(info.value) == "request.date"


def test_adapting_a_rest_day_or_bad_soreness(agent) -> None:  # type: ignore[no-untyped-def]
    athlete = new_athlete(agent)
    create(agent, athlete)
    error = rpc_error(lambda: adapt(agent, athlete, "2026-12-09", soreness=[]))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert bad_field(rpc_error(lambda: adapt(agent, athlete, "2026-12-07",
                                             soreness=[(tpb.MUSCLE_CHEST, 11)]))) == \
        "soreness[0].level"
    assert bad_field(rpc_error(lambda: adapt(agent, athlete, "2026-12-07",
                                             soreness=[(77, 3)]))) == "soreness[0].muscle"
    assert bad_field(rpc_error(lambda: adapt(agent, athlete, "2026-12-07", soreness=[],
                                             score=101))) == "recovery_score"


# -- logs ------------------------------------------------------------------------------

def test_log_workout_scores_sets_and_keeps_top_sets(agent) -> None:  # type: ignore[no-untyped-def]
    athlete = new_athlete(agent)
    logged = call(agent, "LogWorkout", tpb.LogWorkoutRequest(athlete_id=athlete, sets=[
        tpb.LoggedSet(movement_id="bench_press", set_number=1, weight=100, reps=5, rpe=8),
        tpb.LoggedSet(movement_id="bench_press", set_number=2, weight=100, reps=5),
        tpb.LoggedSet(movement_id="back_squat", set_number=1, weight=140, reps=3)]))
    # Epley with RPE 8: 100 × (1 + (5 + 2)/30) = 123.33; without: 100 × (1 + 5/30) = 116.67
    assert [round(s.e1rm, 2) for s in logged.sets] == [123.33, 116.67, 154.0]
    assert {(t.pattern, round(t.e1rm, 2)) for t in logged.new_top_sets} == {
        ("HORIZONTAL_PUSH", 123.33), ("SQUAT", 154.0)}
    # the muscles worked lose recovery: CHEST from 10 (no record) by ceil(2/3) = 1
    levels = {tpb.Muscle.Name(r.muscle): r.level for r in logged.recovery}
    assert levels["MUSCLE_CHEST"] == 9
    weaker = call(agent, "LogWorkout", tpb.LogWorkoutRequest(athlete_id=athlete, sets=[
        tpb.LoggedSet(movement_id="bench_press", set_number=1, weight=90, reps=5)]))
    assert list(weaker.new_top_sets) == []                    # 105 < 123.33: kept
    stronger = call(agent, "LogWorkout", tpb.LogWorkoutRequest(athlete_id=athlete, sets=[
        tpb.LoggedSet(movement_id="push_up", set_number=1, weight=130, reps=5)]))
    assert [(t.movement_id, round(t.e1rm, 2)) for t in stronger.new_top_sets] == [
        ("push_up", 151.67)]                                   # 130 × (1 + 5/30)


def test_brzycki_refuses_37_effective_reps(agent) -> None:  # type: ignore[no-untyped-def]
    athlete = new_athlete(agent, e1rm_formula=tpb.E1RM_FORMULA_BRZYCKI)
    ok = call(agent, "LogWorkout", tpb.LogWorkoutRequest(athlete_id=athlete, sets=[
        tpb.LoggedSet(movement_id="bench_press", set_number=1, weight=100, reps=5)]))
    assert round(ok.sets[0].e1rm, 2) == 112.5                    # 100 × 36 / 32
    error = rpc_error(lambda: call(agent, "LogWorkout", tpb.LogWorkoutRequest(
        athlete_id=athlete, sets=[tpb.LoggedSet(movement_id="bench_press", set_number=1,
                                                weight=100, reps=37)])))
    assert bad_field(error) == "sets[0].reps"
    # RPE 9 adds one rep: 36 + 1 = 37
    error = rpc_error(lambda: call(agent, "EstimateE1rm", tpb.EstimateE1rmRequest(
        weight=100, reps=36, rpe=9, formula=tpb.E1RM_FORMULA_BRZYCKI)))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize(("logged", "field"), [
    (tpb.LoggedSet(movement_id="bench_press", set_number=1, weight=100, reps=5, rpe=11),
     "sets[0].rpe"),
    (tpb.LoggedSet(movement_id="bench_press", set_number=1, weight=-1, reps=5), "sets[0].weight"),
    (tpb.LoggedSet(movement_id="bench_press", set_number=1, weight=100, reps=0), "sets[0].reps"),
    (tpb.LoggedSet(movement_id="bench_press", set_number=1, weight=float("nan"), reps=3),
     "sets[0].weight"),
    (tpb.LoggedSet(movement_id="moon_press", set_number=1, weight=100, reps=5),
     "sets[0].movement_id"),
])
def test_bad_sets_name_the_field_and_write_nothing(agent, server, tenant, logged, field) -> None:  # type: ignore[no-untyped-def]
    athlete = new_athlete(agent)
    before = rows(server, tenant)
    error = rpc_error(lambda: call(agent, "LogWorkout", tpb.LogWorkoutRequest(
        athlete_id=athlete, sets=[logged])))
    assert bad_field(error) == field
    assert rows(server, tenant) == before


def test_soreness_sets_recovery_and_reading_decays_it(agent) -> None:  # type: ignore[no-untyped-def]
    athlete = new_athlete(agent)
    at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=25)
    request = tpb.LogSorenessRequest(athlete_id=athlete, entries=[
        tpb.SorenessEntry(muscle=tpb.MUSCLE_QUADS, level=3),
        tpb.SorenessEntry(muscle=tpb.MUSCLE_CHEST, level=10)])
    request.logged_at.FromDatetime(at)
    logged = call(agent, "LogSoreness", request)
    assert {tpb.Muscle.Name(r.muscle): r.level for r in logged.recovery} == {
        "MUSCLE_QUADS": 7, "MUSCLE_CHEST": 0}                 # 10 − level
    read = call(agent, "GetMuscleRecovery", tpb.GetMuscleRecoveryRequest(athlete_id=athlete))
    # 25 full hours later: 2 points of decay (one per 10 full hours), floored at 0
    assert {tpb.Muscle.Name(r.muscle): r.level for r in read.recovery} == {
        "MUSCLE_QUADS": 5, "MUSCLE_CHEST": 0}
    assert bad_field(rpc_error(lambda: call(agent, "LogSoreness", tpb.LogSorenessRequest(
        athlete_id=athlete, entries=[tpb.SorenessEntry(muscle=tpb.MUSCLE_QUADS, level=0)])))) \
        == "entries[0].level"


def test_activities_signals_and_calculators(agent) -> None:  # type: ignore[no-untyped-def]
    athlete = new_athlete(agent)
    done = call(agent, "LogActivity", tpb.LogActivityRequest(
        athlete_id=athlete, name="Morning run", duration_minutes=30, distance_km=5,
        perceived_difficulty=3, enjoyment=5))
    assert done.activity_id.startswith("act_")
    assert bad_field(rpc_error(lambda: call(agent, "LogActivity", tpb.LogActivityRequest(
        athlete_id=athlete, name="x", duration_minutes=30, enjoyment=6)))) == "enjoyment"
    assert bad_field(rpc_error(lambda: call(agent, "LogRecoverySignal",
                                            tpb.LogRecoverySignalRequest(
                                                athlete_id=athlete, recovery_score=120)))) == \
        "recovery_score"
    lombardi = call(agent, "EstimateE1rm", tpb.EstimateE1rmRequest(
        weight=100, reps=5, formula=tpb.E1RM_FORMULA_LOMBARDI))
    assert round(lombardi.e1rm, 2) == 117.46                  # 100 × 5^0.10
    oconner = call(agent, "EstimateE1rm", tpb.EstimateE1rmRequest(
        weight=100, reps=5, rpe=8, formula=tpb.E1RM_FORMULA_OCONNER))
    assert (round(oconner.e1rm, 2), oconner.effective_reps) == (117.5, 7)  # 100 × (1 + 7/40)
    # 3 × 5 @ strength: 3 × (25 + 180) = 615 s → 11 min main; 5 + 5 for warmup and cooldown
    time = call(agent, "EstimateSessionTime", tpb.EstimateSessionTimeRequest(
        session_type=tpb.SESSION_TYPE_STRENGTH, exercises=[tpb.PlannedExercise(
            movement_id="back_squat", role=tpb.EXERCISE_ROLE_MAIN, sets=3, reps=5)])).time
    assert (time.main_minutes, time.warmup_minutes, time.cooldown_minutes,
            time.total_minutes) == (11, 5, 5, 21)
    assert bad_field(rpc_error(lambda: call(agent, "EstimateSessionTime",
                                            tpb.EstimateSessionTimeRequest(exercises=[
                                                tpb.PlannedExercise(movement_id="back_squat",
                                                                    role=9, sets=3,
                                                                    reps=5)])))) == \
        "exercises[0].role"


def test_unknown_movement_rules_are_refused(agent) -> None:  # type: ignore[no-untyped-def]
    error = rpc_error(lambda: call(agent, "PutAthlete", tpb.PutAthleteRequest(
        athlete=tpb.Athlete(athlete_id="a1", movement_rules=[
            tpb.MovementRule(movement_id="moon_press", reason="x")]))))
    assert bad_field(error) == "athlete.movement_rules[0].movement_id"
    assert bad_field(rpc_error(lambda: call(agent, "PutAthlete", tpb.PutAthleteRequest(
        athlete=tpb.Athlete(athlete_id="a1", experience_level=9))))) == \
        "athlete.experience_level"


# -- isolation, guards, hooks ----------------------------------------------------------

def test_another_tenants_athletes_and_programs_are_not_found(agent, connect, server) -> None:  # type: ignore[no-untyped-def]
    athlete = new_athlete(agent)
    program = create(agent, athlete)
    other_keys = server.create_tenant()
    other = connect(other_keys.agent_token)
    for method, request in (
            ("GetAthlete", tpb.GetAthleteRequest(athlete_id=athlete)),
            ("GetProgram", tpb.GetProgramRequest(program_id=program.program_id)),
            ("DeleteProgram", tpb.DeleteProgramRequest(program_id=program.program_id)),
            ("GenerateNextMicrocycle", tpb.GenerateNextMicrocycleRequest(
                program_id=program.program_id)),
            ("GetDailyPlan", tpb.GetDailyPlanRequest(athlete_id=athlete, date="2026-12-07")),
            ("CreateProgram", tpb.CreateProgramRequest(athlete_id=athlete, goals=STRENGTH_8,
                                                       duration_weeks=8)),
            ("GetMuscleRecovery", tpb.GetMuscleRecoveryRequest(athlete_id=athlete))):
        error = rpc_error(lambda: call(other, method, request))
        assert error.code() is grpc.StatusCode.NOT_FOUND, method
    assert len(call(agent, "ListPrograms", tpb.ListProgramsRequest()).programs) == 1


def test_a_policy_denying_deletes_stops_the_call(agent, admin, server, tenant) -> None:  # type: ignore[no-untyped-def]
    athlete = new_athlete(agent)
    program = create(agent, athlete)
    admin.admin.PutPolicy(apb.PutPolicyRequest(
        id=f"no-deletes-{uuid.uuid4().hex[:6]}", effect=apb.POLICY_EFFECT_DENY,
        mode=apb.POLICY_MODE_ENFORCE, description="programs are kept",
        expression='action == "training.delete_program"'), metadata=admin.metadata)
    error = rpc_error(lambda: call(agent, "DeleteProgram", tpb.DeleteProgramRequest(
        program_id=program.program_id)))
    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    assert rows(server, tenant)["training_programs"] == 1
    assert [d["verdict"] for d in ledgered(agent, "training.delete_program")] == ["DENY"]


class Proposer:
    """A substitution plugin: proposes a movement of another pattern first (ignored), then
    its preferred one, asynchronously (as an LLM-backed plugin would)."""

    name = "coach-llm"

    def __init__(self) -> None:
        self.asked: list[tuple[str, frozenset[str]]] = []

    @hookimpl
    def bastion_training_substitutes(self, tenant_id, movement_id, pattern, avoid_muscles,  # type: ignore[no-untyped-def]
                                     forbidden, candidates):
        self.asked.append((movement_id, avoid_muscles))

        async def answer() -> list[str]:
            await asyncio.sleep(0)
            return ["back_squat", candidates[-1]]

        return answer()


def test_a_plugin_may_propose_substitutes(database_url) -> None:  # type: ignore[no-untyped-def]
    proposer = Proposer()
    with running_server(make_test_settings(database_url), [proposer]) as handle:
        keys = handle.create_tenant()
        with grpc.insecure_channel(handle.target) as channel:
            stubs = Stubs(channel, keys.agent_token)
            athlete = new_athlete(stubs)
            session = create(stubs, athlete).microcycles[0].sessions[0]
            push = _first_with_pattern(session, "HORIZONTAL_PUSH")
            call(stubs, "PutAthlete", tpb.PutAthleteRequest(athlete=tpb.Athlete(
                athlete_id=athlete, movement_rules=[tpb.MovementRule(
                    movement_id=push.movement_id, reason="wrist")])))
            result = adapt(stubs, athlete, session.date, soreness=[], score=50)
    candidates = [mv.id for mv in CATALOG.by_pattern("HORIZONTAL_PUSH")
                  if mv.id != push.movement_id]
    substituted = [s for s in result.steps if s.kind == "substituted"]
    assert proposer.asked and proposer.asked[0][0] == push.movement_id
    # back_squat (another pattern) is refused; the plugin's second choice is taken
    assert [s.substitute_id for s in substituted] == [candidates[-1]]


def test_the_migration_builds_the_training_tables_of_the_models(server) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    metadata = sa.MetaData()
    for table in store.TABLES:
        table.to_metadata(metadata)
    with server.server.database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = [d for d in compare_metadata(context, metadata)
                       if "training_" in repr(d)]
    assert differences == []


def test_json_detail_of_steps_is_an_object(agent) -> None:  # type: ignore[no-untyped-def]
    athlete = new_athlete(agent)
    date = create(agent, athlete).microcycles[0].sessions[0].date
    for step in adapt(agent, athlete, date, soreness=[(tpb.MUSCLE_CHEST, 9)], score=20).steps:
        assert isinstance(json.loads(step.detail_json), dict)


def test_a_coaching_agents_day_through_the_python_client(server, tenant) -> None:  # type: ignore[no-untyped-def]
    """The scenario of issue #5: create an 8-week program, read the day's plan, log soreness,
    adapt the session, accept it, log the workout, and read recovery the next day."""
    from bastion.clients import BastionClient, BastionError

    yesterday = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(days=1)
    with BastionClient(server.target, api_key=tenant.agent_token) as client:
        coach = client.training
        athlete = f"ath-{uuid.uuid4().hex[:8]}"
        coach.PutAthlete(tpb.PutAthleteRequest(athlete=tpb.Athlete(
            athlete_id=athlete, experience_level=tpb.EXPERIENCE_LEVEL_INTERMEDIATE)))
        program = coach.CreateProgram(tpb.CreateProgramRequest(
            athlete_id=athlete, duration_weeks=8, start_date=yesterday.date().isoformat(),
            split_template=tpb.SPLIT_TEMPLATE_FULL_BODY,
            goals=goals((tpb.TRAINING_GOAL_STRENGTH, 6),
                        (tpb.TRAINING_GOAL_HYPERTROPHY, 4)))).program
        assert len(program.microcycles) == 8
        plan = coach.GetDailyPlan(tpb.GetDailyPlanRequest(
            athlete_id=athlete, date=yesterday.date().isoformat()))
        assert not plan.rest_day and plan.session.focus == "FULL_BODY_A"

        soreness = tpb.LogSorenessRequest(athlete_id=athlete, entries=[
            tpb.SorenessEntry(muscle=tpb.MUSCLE_QUADS, level=6)])
        soreness.logged_at.FromDatetime(yesterday)
        assert coach.LogSoreness(soreness).recovery[0].level == 4          # 10 − 6

        adapted = coach.AdaptSession(tpb.AdaptSessionRequest(
            athlete_id=athlete, date=plan.session.date, recovery_score=60, soreness=[
                tpb.SorenessEntry(muscle=tpb.MUSCLE_QUADS, level=6)])).adaptation
        removed = [s.movement_id for s in adapted.steps if s.kind == "removed"]
        assert removed and all(m.Muscle.QUADS in CATALOG.get(r).primary  # type: ignore[union-attr]
                               for r in removed)
        session = coach.AcceptPlan(tpb.AcceptPlanRequest(
            adaptation_id=adapted.adaptation_id)).session
        lifts = [e for e in session.exercises if e.role in (tpb.EXERCISE_ROLE_MAIN,
                                                            tpb.EXERCISE_ROLE_ACCESSORY)]
        workout = tpb.LogWorkoutRequest(athlete_id=athlete, session_id=session.session_id,
                                        sets=[tpb.LoggedSet(movement_id=e.movement_id,
                                                            set_number=1, weight=60, reps=8,
                                                            rpe=8) for e in lifts])
        workout.performed_at.FromDatetime(yesterday + dt.timedelta(hours=1))
        logged = coach.LogWorkout(workout)
        # Epley, RPE 8 → 10 effective reps: 60 × (1 + 10/30) = 80
        assert {round(s.e1rm, 2) for s in logged.sets} == {80.0}

        # the next day: 23 hours after the workout, two points of decay per muscle
        after = {r.muscle: r.level for r in logged.recovery}
        today = coach.GetMuscleRecovery(tpb.GetMuscleRecoveryRequest(athlete_id=athlete))
        for state in today.recovery:
            if state.muscle in after:
                assert state.level == max(0, after[state.muscle] - 2)
        with pytest.raises(BastionError) as info:
            coach.GetProgram(tpb.GetProgramRequest(program_id="prg_missing"))
        assert info.value.code is grpc.StatusCode.NOT_FOUND


async def test_the_asyncio_client_calls_and_streams_training(server, tenant) -> None:  # type: ignore[no-untyped-def]
    from bastion.clients import AsyncBastionClient, BastionError

    async with AsyncBastionClient(server.target, api_key=tenant.agent_token) as client:
        athlete = f"ath-{uuid.uuid4().hex[:8]}"
        await client.training.PutAthlete(tpb.PutAthleteRequest(
            athlete=tpb.Athlete(athlete_id=athlete)))
        program = (await client.training.CreateProgram(tpb.CreateProgramRequest(
            athlete_id=athlete, goals=STRENGTH_8, duration_weeks=8,
            start_date=START.isoformat()))).program
        events = [e async for e in client.training.AdaptSessionStream(
            tpb.AdaptSessionStreamRequest(request=tpb.AdaptSessionRequest(
                athlete_id=athlete, date=program.microcycles[0].sessions[0].date,
                recovery_score=50)))]
        assert events[-1].WhichOneof("event") == "result"
        with pytest.raises(BastionError) as info:
            await client.training.GetDailyPlan(tpb.GetDailyPlanRequest(athlete_id=athlete,
                                                                       date="soon"))
        assert info.value.code is grpc.StatusCode.INVALID_ARGUMENT
        assert [v.field for v in info.value.field_violations] == ["date"]
