"""SPEC D3 training rules, pure domain code only (no server, no database, no protobuf).

Expected values are literals computed by hand; the arithmetic is in the comment beside each.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import json
import math
from collections.abc import Sequence

import pytest

from bastion.plugins.training.adaptation import adapt, adapt_session, soreness_conflicts
from bastion.plugins.training.catalog import PATTERNS, Catalog
from bastion.plugins.training.errors import DomainError, GoalConflict
from bastion.plugins.training.formulas import (
    decayed_recovery,
    e1rm,
    estimate_session_time,
    recovery_after_soreness,
    rest_seconds,
    set_seconds,
    workout_recovery_cost,
)
from bastion.plugins.training.generation import (
    DEFAULT_INTERFERENCE,
    FOCUS_SLOTS,
    SPLIT_DAYS,
    Prescription,
    check_interference,
    deload,
    generate_sessions,
    plan_microcycles,
    progress,
    resolve,
    validate_spec,
)
from bastion.plugins.training.model import (
    AthleteProfile,
    E1rmFormula,
    ExerciseRole,
    ExperienceLevel,
    Goal,
    GoalWeight,
    Grouping,
    InterferenceRule,
    Movement,
    MovementRule,
    Muscle,
    PlannedExercise,
    ProgramSpec,
    ProgressionStyle,
    ResolvedProgram,
    SessionType,
    Soreness,
    SplitTemplate,
)

W, M, A, S, F, C = (ExerciseRole.WARMUP, ExerciseRole.MAIN, ExerciseRole.ACCESSORY,
                    ExerciseRole.SKILL, ExerciseRole.FINISHER, ExerciseRole.COOLDOWN)
MONDAY = dt.date(2025, 1, 6)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def spec(*goals: tuple[Goal, int], **changes: object) -> ProgramSpec:
    base = ProgramSpec(athlete_id="ath-1",
                       goals=tuple(GoalWeight(g, w) for g, w in goals) or
                       (GoalWeight(Goal.STRENGTH, 10),),
                       duration_weeks=8, start_date=MONDAY)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def ex(position: int, movement_id: str, role: ExerciseRole, sets: int = 3, reps: int = 8,
       rpe: float = 7.5, grouping: Grouping = Grouping.STRAIGHT, group: int = 0
       ) -> PlannedExercise:
    return PlannedExercise(position=position, movement_id=movement_id, role=role, sets=sets,
                           reps=reps, target_rpe=rpe, grouping=grouping, group=group)


# ============================================================================================
# Purity
# ============================================================================================


DOMAIN_MODULES = ("errors", "catalog", "formulas", "generation", "adaptation")


@pytest.mark.parametrize("module", DOMAIN_MODULES)
def test_domain_modules_import_no_grpc_protobuf_or_database(module: str) -> None:
    # Checked on the source: the package's __init__ (the plugin) loads grpc and storage, so
    # sys.modules after an import would say nothing about the domain modules themselves.
    from importlib.resources import files
    source = files("bastion.plugins.training").joinpath(f"{module}.py").read_text()
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    allowed_bastion = {f"bastion.plugins.training.{m}" for m in ("model", *DOMAIN_MODULES)}
    for name in imported:
        assert name.split(".")[0] not in {"grpc", "google", "sqlalchemy", "psycopg",
                                          "alembic"}, name
        assert not name.startswith("bastion.") or name in allowed_bastion, name


# ============================================================================================
# Catalog
# ============================================================================================


def test_catalog_is_loaded_once(catalog: Catalog) -> None:
    assert Catalog.load() is catalog


def test_catalog_size_ids_and_patterns(catalog: Catalog) -> None:
    ids = [m.id for m in catalog.all()]
    assert 45 <= len(ids) <= 60
    assert len(set(ids)) == len(ids)
    assert all(i == i.lower() and " " not in i for i in ids)
    assert catalog.patterns() == PATTERNS


def test_catalog_keeps_file_order(catalog: Catalog) -> None:
    from importlib.resources import files
    raw = json.loads(files("bastion.plugins.training").joinpath("movements.json").read_text())
    assert [m.id for m in catalog.all()] == [entry["id"] for entry in raw]
    assert [m.id for m in catalog.by_pattern("HORIZONTAL_PUSH")] == [
        "bench_press", "dumbbell_bench_press", "push_up"]


STRENGTH_PATTERNS = ("SQUAT", "HINGE", "LUNGE", "HORIZONTAL_PUSH", "VERTICAL_PUSH",
                     "HORIZONTAL_PULL", "VERTICAL_PULL", "ELBOW_FLEXION", "ELBOW_EXTENSION",
                     "CALF_RAISE", "CORE", "CARRY")


@pytest.mark.parametrize("pattern", STRENGTH_PATTERNS)
def test_each_strength_pattern_has_varied_substitutes(catalog: Catalog, pattern: str) -> None:
    movements = catalog.by_pattern(pattern)
    assert len(movements) >= 3
    assert len({(m.primary, m.secondary) for m in movements}) >= 2
    assert len({m.equipment for m in movements}) >= 2


def test_catalog_role_counts(catalog: Catalog) -> None:
    assert len(catalog.by_pattern("MOBILITY")) >= 4
    assert all(W in m.roles for m in catalog.by_pattern("MOBILITY"))
    assert len(catalog.by_pattern("STRETCH")) >= 4
    assert all(C in m.roles for m in catalog.by_pattern("STRETCH"))
    assert sum(F in m.roles for m in catalog.by_pattern("CONDITIONING")) >= 3
    assert len(catalog.for_role(S)) >= 2
    assert {m.pattern for m in catalog.for_role(W)} == {"MOBILITY"}


def test_catalog_muscle_maps(catalog: Catalog) -> None:
    bench = catalog.get("bench_press")
    assert bench is not None
    assert bench.primary == {Muscle.CHEST, Muscle.TRICEPS}
    assert bench.secondary == {Muscle.SHOULDERS}
    squat = catalog.get("back_squat")
    assert squat is not None
    assert (squat.primary, squat.secondary) == (
        {Muscle.QUADS, Muscle.GLUTES}, {Muscle.CORE, Muscle.HAMSTRINGS})
    thrust = catalog.get("hip_thrust")
    assert thrust is not None
    assert (thrust.primary, thrust.secondary) == ({Muscle.GLUTES}, frozenset())
    assert catalog.get("no_such_move") is None


def _entry(**changes: object) -> dict[str, object]:
    entry: dict[str, object] = {"id": "bad_move", "name": "Bad move", "pattern": "SQUAT",
                                "equipment": "barbell", "primary": ["QUADS"],
                                "secondary": [], "roles": ["MAIN"]}
    entry.update(changes)
    return entry


@pytest.mark.parametrize("changes, complaint", [
    ({"primary": ["QUADZ"]}, "unknown primary value 'QUADZ'"),
    ({"secondary": ["NECK"]}, "unknown secondary value 'NECK'"),
    ({"roles": ["HERO"]}, "unknown roles value 'HERO'"),
    ({"pattern": "TWIST"}, "unknown pattern 'TWIST'"),
    ({"id": "Bad Move"}, "snake_case"),
    ({"primary": []}, "at least one muscle"),
    ({"secondary": ["QUADS"]}, "QUADS both primary and secondary"),
])
def test_catalog_rejects_bad_entries_naming_them(changes: dict[str, object],
                                                 complaint: str) -> None:
    with pytest.raises(ValueError, match="movement #1") as caught:
        Catalog.from_entries([_entry(id="fine_move"), _entry(**changes)])
    assert complaint in str(caught.value)


def test_catalog_rejects_missing_keys_and_duplicates() -> None:
    entry = _entry()
    del entry["roles"]
    with pytest.raises(ValueError, match="'bad_move'.*missing roles"):
        Catalog.from_entries([entry])
    with pytest.raises(ValueError, match="'bad_move': duplicate id"):
        Catalog.from_entries([_entry(), _entry()])
    with pytest.raises(ValueError, match="JSON list"):
        Catalog.from_json('{"id": "bad_move"}')


# ============================================================================================
# E1RM
# ============================================================================================


@pytest.mark.parametrize("formula, expected", [
    (E1rmFormula.EPLEY, 116.67),     # 100·(1 + 5/30) = 116.666…
    (E1rmFormula.BRZYCKI, 112.5),    # 100·36/(37 − 5) = 3600/32
    (E1rmFormula.LOMBARDI, 117.46),  # 100·5^0.10 = 100·e^(0.1·ln 5) = 100·1.174619
    (E1rmFormula.OCONNER, 112.5),    # 100·(1 + 5/40)
])
def test_e1rm_formulas(formula: E1rmFormula, expected: float) -> None:
    assert e1rm(100, 5, formula) == expected


def test_e1rm_rpe_adds_reps_in_reserve() -> None:
    assert e1rm(100, 5, E1rmFormula.EPLEY, rpe=8) == 123.33     # r = 5 + 2 = 7: 100·(1 + 7/30)
    assert e1rm(100, 5, E1rmFormula.EPLEY, rpe=8) == e1rm(100, 7, E1rmFormula.EPLEY)
    assert e1rm(100, 5, E1rmFormula.EPLEY, rpe=10) == 116.67    # no reps in reserve
    assert e1rm(100, 5, E1rmFormula.EPLEY, rpe=8.5) == 121.67   # r = 6.5: 100·(1 + 6.5/30)
    assert e1rm(100, 5, E1rmFormula.BRZYCKI, rpe=8) == 120.0    # 100·36/(37 − 7) = 3600/30
    assert e1rm(100, 1, E1rmFormula.LOMBARDI) == 100.0          # 1^0.1 = 1
    assert e1rm(80, 3, E1rmFormula.OCONNER) == 86.0             # 80·(1 + 3/40) = 80·1.075
    assert e1rm(100, 5) == 116.67                               # Epley is the default


def test_brzycki_is_undefined_from_37_effective_reps() -> None:
    assert e1rm(100, 36, E1rmFormula.BRZYCKI) == 3600.0  # 100·36/(37 − 36)
    with pytest.raises(DomainError) as caught:
        e1rm(100, 37, E1rmFormula.BRZYCKI)
    assert caught.value.field == "reps"
    with pytest.raises(DomainError):
        e1rm(100, 30, E1rmFormula.BRZYCKI, rpe=3)  # r = 30 + 7 = 37
    assert e1rm(100, 37, E1rmFormula.EPLEY) == 223.33  # only Brzycki breaks: 100·(1 + 37/30)


@pytest.mark.parametrize("args, field", [
    ((100, 5, E1rmFormula.EPLEY, 0.5), "rpe"),
    ((100, 5, E1rmFormula.EPLEY, 10.5), "rpe"),
    ((100, 0, E1rmFormula.EPLEY, None), "reps"),
    ((-1, 5, E1rmFormula.EPLEY, None), "weight"),
])
def test_e1rm_rejects_bad_input(args: tuple[float, int, E1rmFormula, float | None],
                                field: str) -> None:
    with pytest.raises(DomainError) as caught:
        e1rm(*args)
    assert caught.value.field == field


# ============================================================================================
# Session time
# ============================================================================================


@pytest.mark.parametrize("reps, seconds", [
    (1, 15), (3, 15), (4, 25), (6, 25), (7, 35), (10, 35), (11, 45), (15, 45), (16, 55),
    (20, 55), (21, 70), (50, 70)])
def test_set_seconds_bands(reps: int, seconds: int) -> None:
    assert set_seconds(reps) == seconds


@pytest.mark.parametrize("role, session_type, seconds", [
    (W, SessionType.STRENGTH, 30),
    (M, SessionType.STRENGTH, 180),
    (M, SessionType.HYPERTROPHY, 90),
    (M, SessionType.ENDURANCE, 45),
    (M, SessionType.CONDITIONING, 45),
    (M, SessionType.MOBILITY, 45),
    (M, SessionType.RECOVERY, 45),
    (M, SessionType.SKILL, 90),
    (A, SessionType.STRENGTH, 60),
    (S, SessionType.ENDURANCE, 90),
    (F, SessionType.STRENGTH, 30),
    (C, SessionType.STRENGTH, 15),
])
def test_rest_seconds(role: ExerciseRole, session_type: SessionType, seconds: int) -> None:
    assert rest_seconds(role, session_type) == seconds


def test_estimate_small_strength_session() -> None:
    session = [
        ex(1, "cat_cow", W, 1, 10, 5),
        ex(2, "back_squat", M, 5, 5, 8),          # 5·(25 + 180) = 1025 s
        ex(3, "pistol_squat", S, 3, 3, 7),        # 3·(15 + 90) = 315 s
        ex(4, "dumbbell_row", A, 3, 10, 7.5, Grouping.SUPERSET, 1),  # 3·(35 + 60//2) = 195 s
        ex(5, "dip", A, 3, 10, 7.5, Grouping.SUPERSET, 1),           # 195 s
        ex(6, "burpee", F, 3, 12, 7, Grouping.CIRCUIT, 2),     # rounds 3: 3·(45 + 55)
        ex(7, "jump_rope", F, 2, 20, 7, Grouping.CIRCUIT, 2),  #           + 2·60 = 420 s
        ex(8, "couch_stretch", C, 1, 1, 1),
        ex(9, "childs_pose", C, 1, 1, 1),
    ]
    t = estimate_session_time(session, SessionType.STRENGTH)
    assert t.warmup_minutes == 6        # 5 + 1 warm-up exercise
    assert t.main_minutes == 23         # ceil((1025 + 315)/60) = ceil(22.33)
    assert t.accessory_minutes == 7     # ceil(390/60) = ceil(6.5)
    assert t.finisher_minutes == 7      # ceil(420/60)
    assert t.cooldown_minutes == 7      # 5 + 2 stretches
    assert t.total_minutes == 50        # 6 + 23 + 7 + 7 + 7


def test_estimate_rest_depends_on_session_type_and_superset_rounds_down() -> None:
    hypertrophy = estimate_session_time([ex(1, "bench_press", M, 4, 8, 8)],
                                        SessionType.HYPERTROPHY)
    assert hypertrophy.main_minutes == 9  # 4·(35 + 90) = 500 s → ceil(8.33)
    endurance = estimate_session_time(
        [ex(1, "goblet_squat", M, 1, 15, 7, Grouping.SUPERSET, 1)], SessionType.ENDURANCE)
    assert endurance.main_minutes == 2  # 1·(45 + 45//2 = 22) = 67 s → ceil(1.12)


def test_estimate_empty_session_still_warms_up_and_cools_down() -> None:
    t = estimate_session_time([], SessionType.STRENGTH)
    assert (t.warmup_minutes, t.main_minutes, t.accessory_minutes, t.finisher_minutes,
            t.cooldown_minutes, t.total_minutes) == (5, 0, 0, 0, 5, 10)


# ============================================================================================
# Muscle recovery
# ============================================================================================

TEN_AM = dt.datetime(2025, 1, 6, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("now, expected", [
    (dt.datetime(2025, 1, 6, 19, 59, tzinfo=dt.UTC), 7),  # 9 h 59: no full 10 hours yet
    (dt.datetime(2025, 1, 6, 20, 0, tzinfo=dt.UTC), 6),   # 10 h: one point
    (dt.datetime(2025, 1, 7, 5, 59, tzinfo=dt.UTC), 6),   # 19 h 59: still one
    (dt.datetime(2025, 1, 7, 6, 0, tzinfo=dt.UTC), 5),    # 20 h: two
    (dt.datetime(2025, 1, 7, 19, 59, tzinfo=dt.UTC), 4),  # 33 h 59: three
    (dt.datetime(2025, 1, 9, 10, 0, tzinfo=dt.UTC), 0),   # 72 h: 7 points, 7 − 7
    (dt.datetime(2025, 1, 11, 0, 0, tzinfo=dt.UTC), 0),   # 110 h: 11 points, floored at 0
    (dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC), 7),    # clock went back: no decay
])
def test_decayed_recovery(now: dt.datetime, expected: int) -> None:
    assert decayed_recovery(7, TEN_AM, now) == expected


def test_decayed_recovery_custom_rate() -> None:
    assert decayed_recovery(7, TEN_AM, TEN_AM + dt.timedelta(hours=23, minutes=59),
                            hours_per_point=24) == 7
    assert decayed_recovery(7, TEN_AM, TEN_AM + dt.timedelta(hours=48),
                            hours_per_point=24) == 5  # 48 // 24 = 2
    with pytest.raises(DomainError):
        decayed_recovery(7, TEN_AM, TEN_AM, hours_per_point=0)


def test_recovery_after_soreness() -> None:
    assert recovery_after_soreness(6) == 4   # 10 − 6
    assert recovery_after_soreness(1) == 9
    assert recovery_after_soreness(10) == 0
    for bad in (0, 11):
        with pytest.raises(DomainError):
            recovery_after_soreness(bad)


def test_workout_recovery_cost() -> None:
    cost = workout_recovery_cost(
        {Muscle.CHEST: 4, Muscle.TRICEPS: 3, Muscle.BACK: 0},
        {Muscle.SHOULDERS: 6, Muscle.TRICEPS: 5, Muscle.CORE: 11, Muscle.QUADS: 5})
    assert cost == {
        Muscle.CHEST: 2,      # ceil(4/3) + 0
        Muscle.TRICEPS: 1,    # ceil(3/3) + 5//6 = 1 + 0
        Muscle.SHOULDERS: 1,  # 0 + 6//6
        Muscle.CORE: 1,       # 0 + 11//6
    }                         # BACK (0 sets) and QUADS (5//6 = 0) lose nothing
    with pytest.raises(DomainError):
        workout_recovery_cost({Muscle.CHEST: -1}, {})


# ============================================================================================
# Program validation and interference
# ============================================================================================


def test_valid_spec_passes() -> None:
    validate_spec(spec((Goal.STRENGTH, 5), (Goal.HYPERTROPHY, 3), (Goal.MOBILITY, 2)))
    validate_spec(spec(duration_weeks=12, microcycle_length_days=14, deload_every=12))
    validate_spec(spec((Goal.STRENGTH, 10), (Goal.SKILL, 0)))  # a weight of 0 is allowed


@pytest.mark.parametrize("goals, changes, field", [
    ((), {"duration_weeks": 6}, "duration_weeks"),
    ((), {"duration_weeks": 9}, "duration_weeks"),
    ((), {"duration_weeks": 14}, "duration_weeks"),
    ((), {"goals": ()}, "goals"),
    (((Goal.STRENGTH, 4), (Goal.HYPERTROPHY, 2), (Goal.SKILL, 2), (Goal.MOBILITY, 2)), {},
     "goals"),
    (((Goal.STRENGTH, 5), (Goal.STRENGTH, 5)), {}, "goals"),
    (((Goal.STRENGTH, 5), (Goal.HYPERTROPHY, 4)), {}, "goals"),  # sums to 9
    (((Goal.STRENGTH, 11), (Goal.HYPERTROPHY, -1)), {}, "goals"),
    (((Goal.STRENGTH, 5.0), (Goal.HYPERTROPHY, 5)), {}, "goals"),
    ((), {"microcycle_length_days": 6}, "microcycle_length_days"),
    ((), {"microcycle_length_days": 15}, "microcycle_length_days"),
    ((), {"deload_every": 1}, "deload_every"),
    ((), {"deload_every": 13}, "deload_every"),
])
def test_invalid_spec_names_the_field(goals: tuple[tuple[Goal, int], ...],
                                      changes: dict[str, object], field: str) -> None:
    with pytest.raises(DomainError) as caught:
        validate_spec(spec(*goals, **changes))
    assert caught.value.field == field


def test_interference_warns_in_either_order() -> None:
    expected = ("Goals STRENGTH and ENDURANCE have some conflict (severity 0.6)",)
    assert check_interference([Goal.STRENGTH, Goal.ENDURANCE], DEFAULT_INTERFERENCE) == expected
    assert check_interference([Goal.ENDURANCE, Goal.STRENGTH], DEFAULT_INTERFERENCE) == (
        "Goals ENDURANCE and STRENGTH have some conflict (severity 0.6)",)
    assert check_interference([Goal.STRENGTH, Goal.SKILL], DEFAULT_INTERFERENCE) == ()
    assert check_interference([Goal.STRENGTH, Goal.STRENGTH], DEFAULT_INTERFERENCE) == ()
    three = check_interference([Goal.HYPERTROPHY, Goal.ENDURANCE, Goal.FAT_LOSS],
                               DEFAULT_INTERFERENCE)
    assert three == ("Goals HYPERTROPHY and ENDURANCE have some conflict (severity 0.7)",
                     "Goals HYPERTROPHY and FAT_LOSS have some conflict (severity 0.5)")


def test_defaults_never_block() -> None:
    assert all(rule.severity <= 0.8 for rule in DEFAULT_INTERFERENCE)


def test_hard_conflict_blocks_naming_the_pair() -> None:
    rules = (InterferenceRule(Goal.SKILL, Goal.STRENGTH, 0.9),)
    with pytest.raises(GoalConflict) as caught:
        check_interference([Goal.STRENGTH, Goal.SKILL], rules)
    assert (caught.value.first, caught.value.second) == (Goal.STRENGTH, Goal.SKILL)
    assert caught.value.severity == 0.9
    assert caught.value.message == "Goals STRENGTH and SKILL conflict heavily (severity 0.9)"
    # exactly 0.8 is not above 0.8: a warning
    soft = (InterferenceRule(Goal.SKILL, Goal.STRENGTH, 0.8),)
    assert check_interference([Goal.STRENGTH, Goal.SKILL], soft) == (
        "Goals STRENGTH and SKILL have some conflict (severity 0.8)",)


def test_operator_rule_more_severe_than_default_wins() -> None:
    rules = (*DEFAULT_INTERFERENCE, InterferenceRule(Goal.ENDURANCE, Goal.STRENGTH, 0.85))
    with pytest.raises(GoalConflict):
        check_interference([Goal.STRENGTH, Goal.ENDURANCE], rules)


# ============================================================================================
# Resolution
# ============================================================================================


def test_resolve_defaults() -> None:
    program = resolve(spec((Goal.STRENGTH, 6), (Goal.ENDURANCE, 4)), AthleteProfile("ath-1"),
                      DEFAULT_INTERFERENCE)
    assert program.split_template is SplitTemplate.HYBRID
    assert program.progression_style is ProgressionStyle.SINGLE_PROGRESSION  # beginner
    assert program.session_type is SessionType.STRENGTH
    assert program.warnings == ("Goals STRENGTH and ENDURANCE have some conflict (severity 0.6)",)


def test_resolve_prefers_request_then_profile() -> None:
    profile = AthleteProfile("ath-1", preferred_split=SplitTemplate.PPL,
                             preferred_progression=ProgressionStyle.BLOCK_PERIODIZATION)
    from_profile = resolve(spec(), profile, DEFAULT_INTERFERENCE)
    assert from_profile.split_template is SplitTemplate.PPL
    assert from_profile.progression_style is ProgressionStyle.BLOCK_PERIODIZATION
    from_request = resolve(spec(split_template=SplitTemplate.FULL_BODY,
                                progression_style=ProgressionStyle.WAVE_LOADING),
                           profile, DEFAULT_INTERFERENCE)
    assert from_request.split_template is SplitTemplate.FULL_BODY
    assert from_request.progression_style is ProgressionStyle.WAVE_LOADING


@pytest.mark.parametrize("level, style", [
    (ExperienceLevel.BEGINNER, ProgressionStyle.SINGLE_PROGRESSION),
    (ExperienceLevel.INTERMEDIATE, ProgressionStyle.DOUBLE_PROGRESSION),
    (ExperienceLevel.ADVANCED, ProgressionStyle.WAVE_LOADING),
    (ExperienceLevel.EXPERT, ProgressionStyle.WAVE_LOADING),
])
def test_progression_from_experience(level: ExperienceLevel, style: ProgressionStyle) -> None:
    profile = AthleteProfile("ath-1", experience_level=level)
    assert resolve(spec(), profile, DEFAULT_INTERFERENCE).progression_style is style


@pytest.mark.parametrize("goals, session_type", [
    (((Goal.HYPERTROPHY, 6), (Goal.STRENGTH, 4)), SessionType.HYPERTROPHY),
    (((Goal.STRENGTH, 4), (Goal.ENDURANCE, 6)), SessionType.ENDURANCE),
    (((Goal.MOBILITY, 5), (Goal.SKILL, 5)), SessionType.MOBILITY),  # tie: first listed
    (((Goal.SKILL, 5), (Goal.MOBILITY, 5)), SessionType.SKILL),
    (((Goal.FAT_LOSS, 10),), SessionType.CONDITIONING),
])
def test_session_type_from_main_goal(goals: tuple[tuple[Goal, int], ...],
                                     session_type: SessionType) -> None:
    assert resolve(spec(*goals), AthleteProfile("ath-1"),
                   DEFAULT_INTERFERENCE).session_type is session_type


def test_resolve_validates_and_checks_interference() -> None:
    with pytest.raises(DomainError):
        resolve(spec(duration_weeks=7), AthleteProfile("ath-1"), DEFAULT_INTERFERENCE)
    with pytest.raises(GoalConflict):
        resolve(spec((Goal.STRENGTH, 5), (Goal.SKILL, 5)), AthleteProfile("ath-1"),
                (InterferenceRule(Goal.STRENGTH, Goal.SKILL, 0.95),))


# ============================================================================================
# Microcycles
# ============================================================================================


def test_eight_weeks_of_ten_day_microcycles() -> None:
    cycles = plan_microcycles(8, 10, 4, MONDAY)
    # 56 days // 10 = 5 cycles; 56 = 5·11 + 1, so the first is one day longer
    assert [c.length_days for c in cycles] == [12, 11, 11, 11, 11]
    assert [c.sequence for c in cycles] == [1, 2, 3, 4, 5]
    assert [c.start_date for c in cycles] == [
        dt.date(2025, 1, 6), dt.date(2025, 1, 18), dt.date(2025, 1, 29), dt.date(2025, 2, 9),
        dt.date(2025, 2, 20)]  # + 12, + 11, + 11, + 11 days
    assert [c.is_deload for c in cycles] == [False, False, False, True, False]


def test_deload_flags() -> None:
    assert [c.is_deload for c in plan_microcycles(8, 7, 4, MONDAY)] == [
        False, False, False, True, False, False, False, True]
    assert [c.is_deload for c in plan_microcycles(12, 14, 2, MONDAY)] == [
        False, True, False, True, False, True]  # 84 // 14 = 6 cycles of 14
    assert [c.length_days for c in plan_microcycles(12, 11, 4, MONDAY)] == [12] * 7  # 84/7


@pytest.mark.parametrize("weeks", [8, 10, 12])
@pytest.mark.parametrize("length", range(7, 15))
def test_microcycles_cover_the_program(weeks: int, length: int) -> None:
    cycles = plan_microcycles(weeks, length, 3, MONDAY)
    assert sum(c.length_days for c in cycles) == weeks * 7
    assert all(length <= c.length_days <= 14 for c in cycles)
    assert max(c.length_days for c in cycles) - min(c.length_days for c in cycles) <= 1
    for previous, current in zip(cycles, cycles[1:], strict=False):
        assert current.start_date == previous.start_date + dt.timedelta(previous.length_days)


def test_resolve_lays_out_microcycles() -> None:
    program = resolve(spec(microcycle_length_days=10), AthleteProfile("ath-1"),
                      DEFAULT_INTERFERENCE)
    assert [c.length_days for c in program.microcycles] == [12, 11, 11, 11, 11]


# ============================================================================================
# Session generation
# ============================================================================================


def test_split_day_templates() -> None:
    assert all(len(days) == 7 for days in SPLIT_DAYS.values())
    assert set(SPLIT_DAYS) == set(SplitTemplate)
    assert SPLIT_DAYS[SplitTemplate.PPL] == ("PUSH", "PULL", "LEGS", "PUSH", "PULL", "LEGS",
                                             None)
    assert SPLIT_DAYS[SplitTemplate.HYBRID] == ("UPPER", "LOWER", None, "CONDITIONING",
                                                "FULL_BODY_A", None, None)
    foci = {f for days in SPLIT_DAYS.values() for f in days if f is not None}
    assert foci <= set(FOCUS_SLOTS)


def test_every_slot_can_be_filled(catalog: Catalog) -> None:
    for focus, slots in FOCUS_SLOTS.items():
        for pattern, role in slots:
            assert any(role in m.roles for m in catalog.by_pattern(pattern)), (focus, pattern)


def program_for(split: SplitTemplate, *goals: tuple[Goal, int],
                profile: AthleteProfile | None = None, **changes: object) -> ResolvedProgram:
    return resolve(spec(*goals, split_template=split, **changes),
                   profile or AthleteProfile("ath-1"), DEFAULT_INTERFERENCE)


def test_sessions_follow_the_split(catalog: Catalog) -> None:
    program = program_for(SplitTemplate.PPL)
    sessions = generate_sessions(program, program.microcycles[0], catalog,
                                 AthleteProfile("ath-1"))
    assert [s.focus for s in sessions] == ["PUSH", "PULL", "LEGS", "PUSH", "PULL", "LEGS"]
    assert [s.day_index for s in sessions] == [0, 1, 2, 3, 4, 5]
    assert [s.date for s in sessions] == [MONDAY + dt.timedelta(d) for d in range(6)]
    # Longer microcycles wrap around the 7-day template: days 7, 8 are UPPER, LOWER again
    upper_lower = program_for(SplitTemplate.UPPER_LOWER, microcycle_length_days=10)
    sessions = generate_sessions(upper_lower, upper_lower.microcycles[1], catalog,
                                 AthleteProfile("ath-1"))
    assert [(s.day_index, s.focus) for s in sessions] == [
        (0, "UPPER"), (1, "LOWER"), (3, "UPPER"), (4, "LOWER"), (7, "UPPER"), (8, "LOWER"),
        (10, "UPPER")]  # the second cycle has 11 days: day 10 is template day 10 % 7 = 3
    assert sessions[0].date == dt.date(2025, 1, 18)  # the second cycle starts after 12 days


def pattern_of(catalog: Catalog, movement_id: str) -> str:
    movement = catalog.get(movement_id)
    assert movement is not None
    return movement.pattern


def test_strength_push_session_layout(catalog: Catalog) -> None:
    program = program_for(SplitTemplate.PPL)
    push = generate_sessions(program, program.microcycles[0], catalog,
                             AthleteProfile("ath-1"))[0]
    assert push.session_type is SessionType.STRENGTH
    assert [(e.position, e.role) for e in push.exercises] == [
        (1, W), (2, W), (3, M), (4, A), (5, A), (6, C), (7, C)]
    patterns = [pattern_of(catalog, e.movement_id) for e in push.exercises]
    assert patterns == ["MOBILITY", "MOBILITY", "HORIZONTAL_PUSH", "VERTICAL_PUSH",
                        "ELBOW_EXTENSION", "STRETCH", "STRETCH"]
    doses = [(e.sets, e.reps, e.target_rpe) for e in push.exercises]
    assert doses == [(1, 10, 5.0), (1, 10, 5.0), (5, 5, 8.0), (3, 8, 7.5), (3, 8, 7.5),
                     (1, 1, 1.0), (1, 1, 1.0)]


def test_finisher_when_fat_loss_or_endurance_weighs_three(catalog: Catalog) -> None:
    def finishers(*goals: tuple[Goal, int]) -> list[PlannedExercise]:
        program = program_for(SplitTemplate.PPL, *goals)
        push = generate_sessions(program, program.microcycles[0], catalog,
                                 AthleteProfile("ath-1"))[0]
        return [e for e in push.exercises if e.role is F]

    assert finishers((Goal.STRENGTH, 8), (Goal.FAT_LOSS, 2)) == []
    [finisher] = finishers((Goal.STRENGTH, 7), (Goal.FAT_LOSS, 3))
    assert (finisher.sets, finisher.reps, finisher.target_rpe) == (3, 12, 7.0)
    assert (finisher.grouping, finisher.group) == (Grouping.CIRCUIT, 1)
    assert len(finishers((Goal.STRENGTH, 7), (Goal.ENDURANCE, 3))) == 1
    assert len(finishers((Goal.FAT_LOSS, 10),)) == 1  # a CONDITIONING program


def test_hybrid_conditioning_day_is_a_circuit(catalog: Catalog) -> None:
    program = program_for(SplitTemplate.HYBRID)
    day = generate_sessions(program, program.microcycles[0], catalog,
                            AthleteProfile("ath-1"))[2]
    assert (day.focus, day.session_type) == ("CONDITIONING", SessionType.CONDITIONING)
    circuit = [e for e in day.exercises if e.role is F]
    assert len(circuit) == 3
    assert {(e.grouping, e.group) for e in circuit} == {(Grouping.CIRCUIT, 1)}
    assert {pattern_of(catalog, e.movement_id) for e in circuit} == {"CONDITIONING"}


def test_skill_session_uses_skill_movements(catalog: Catalog) -> None:
    program = program_for(SplitTemplate.PPL, (Goal.SKILL, 10))
    sessions = generate_sessions(program, program.microcycles[0], catalog,
                                 AthleteProfile("ath-1"))
    pull_main = [e for e in sessions[1].exercises if e.role in (M, S)]
    assert [(e.movement_id, e.role, e.sets, e.reps, e.target_rpe) for e in pull_main] == [
        ("muscle_up", S, 5, 3, 7.0)]
    push_main = [e for e in sessions[0].exercises if e.role in (M, S)]
    # HORIZONTAL_PUSH has no skill movement: a MAIN lift at the skill dose
    assert [(e.role, e.sets, e.reps) for e in push_main] == [(M, 5, 3)]


def all_sessions(catalog: Catalog, profile: AthleteProfile) -> list[tuple[ResolvedProgram,
                                                                        list[PlannedExercise]]]:
    out = []
    for split in SplitTemplate:
        for goal in Goal:
            program = resolve(spec((goal, 7), (Goal.FAT_LOSS if goal is not Goal.FAT_LOSS
                                               else Goal.MOBILITY, 3), split_template=split),
                              profile, DEFAULT_INTERFERENCE)
            for cycle in program.microcycles:
                for session in generate_sessions(program, cycle, catalog, profile):
                    out.append((program, list(session.exercises)))
    return out


def test_generation_is_deterministic(catalog: Catalog) -> None:
    profile = AthleteProfile("ath-1", movement_rules=(MovementRule("bench_press", "shoulder"),))
    program = program_for(SplitTemplate.PPL, profile=profile)
    fresh = Catalog.from_json(json.dumps([
        {"id": m.id, "name": m.name, "pattern": m.pattern, "equipment": m.equipment,
         "primary": [x.value for x in m.primary], "secondary": [x.value for x in m.secondary],
         "roles": [r.value for r in m.roles]} for m in catalog.all()]))
    for cycle in program.microcycles:
        first = generate_sessions(program, cycle, catalog, profile)
        assert generate_sessions(program, cycle, catalog, profile) == first
        assert generate_sessions(program, cycle, fresh, profile) == first


def test_generation_rotates_movements(catalog: Catalog) -> None:
    program = program_for(SplitTemplate.PPL)
    profile = AthleteProfile("ath-1")
    week1 = generate_sessions(program, program.microcycles[0], catalog, profile)
    week2 = generate_sessions(program, program.microcycles[1], catalog, profile)
    assert week1[0].exercises != week2[0].exercises
    assert week1[0].exercises != week1[3].exercises  # the two PUSH days differ too


def test_no_forbidden_or_repeated_movement_is_ever_planned(catalog: Catalog) -> None:
    forbidden = ("bench_press", "back_squat", "deadlift", "pull_up", "cat_cow", "burpee")
    profile = AthleteProfile("ath-1", movement_rules=tuple(
        MovementRule(movement_id, "injury") for movement_id in forbidden))
    planned = all_sessions(catalog, profile)
    assert planned
    for _, exercises in planned:
        ids = [e.movement_id for e in exercises]
        assert not set(ids) & set(forbidden)
        assert len(ids) == len(set(ids))
        assert [e.position for e in exercises] == list(range(1, len(exercises) + 1))
        for e in exercises:
            movement = catalog.get(e.movement_id)
            assert movement is not None and e.role in movement.roles


# ============================================================================================
# Progression and deload
# ============================================================================================

STRENGTH_MAIN = Prescription(5, 5, 8.0)


@pytest.mark.parametrize("style, expected", [
    # SINGLE: RPE + 0.5·((k − 1) % 3)
    (ProgressionStyle.SINGLE_PROGRESSION, [(5, 8.0), (5, 8.5), (5, 9.0), (5, 8.0)]),
    # DOUBLE: reps + ((k − 1) % 3)
    (ProgressionStyle.DOUBLE_PROGRESSION, [(5, 8.0), (6, 8.0), (7, 8.0), (5, 8.0)]),
    # WAVE: reps + (2, 1, 0)[(k − 1) % 3], RPE + 0.5·((k − 1)//3 % 2); k = 1..4
    (ProgressionStyle.WAVE_LOADING, [(7, 8.0), (6, 8.0), (5, 8.0), (7, 8.5)]),
])
def test_progression_styles(style: ProgressionStyle, expected: list[tuple[int, float]]) -> None:
    got = [progress(STRENGTH_MAIN, style, k, 6) for k in (1, 2, 3, 4)]
    assert [(p.reps, p.rpe) for p in got] == expected
    assert {p.sets for p in got} == {5}


def test_wave_loading_second_and_third_waves() -> None:
    got = [progress(STRENGTH_MAIN, ProgressionStyle.WAVE_LOADING, k, 9) for k in (5, 6, 7)]
    # k=5: (2,1,0)[1]=1, (4//3)%2=1 → 6 @ 8.5; k=6: 5 @ 8.5; k=7: (6//3)%2=0 → 7 @ 8.0
    assert [(p.reps, p.rpe) for p in got] == [(6, 8.5), (5, 8.5), (7, 8.0)]


def test_block_periodization_thirds() -> None:
    got = [progress(STRENGTH_MAIN, ProgressionStyle.BLOCK_PERIODIZATION, k, 6)
           for k in range(1, 7)]
    # third = 3·(k − 1)//6: k=1,2 → 0 (reps + 2); k=3,4 → 1 (base); k=5,6 → 2 (reps − 2, +0.5)
    assert [(p.reps, p.rpe) for p in got] == [(7, 8.0), (7, 8.0), (5, 8.0), (5, 8.0),
                                              (3, 8.5), (3, 8.5)]
    low = progress(Prescription(3, 2, 7.0), ProgressionStyle.BLOCK_PERIODIZATION, 6, 6)
    assert low.reps == 1  # 2 − 2 = 0, floored at 1


def test_rpe_is_capped() -> None:
    high = Prescription(3, 5, 9.5)
    assert progress(high, ProgressionStyle.SINGLE_PROGRESSION, 3, 6).rpe == 9.5  # 10.5 → 9.5


@pytest.mark.parametrize("base, expected", [
    (Prescription(5, 5, 8.0), Prescription(3, 5, 6.0)),    # ceil(5/2) = 3; 8 − 2
    (Prescription(3, 8, 7.5), Prescription(2, 8, 5.5)),    # ceil(3/2) = 2; 7.5 − 2
    (Prescription(2, 10, 6.0), Prescription(1, 10, 5.0)),  # 6 − 2 = 4, floored at 5
])
def test_deload(base: Prescription, expected: Prescription) -> None:
    assert deload(base) == expected


def test_progression_and_deload_across_the_program(catalog: Catalog) -> None:
    # 8 weekly cycles, deload every 4, beginner → SINGLE; STRENGTH main 5×5@8, acc 3×8@7.5
    program = program_for(SplitTemplate.PPL, (Goal.STRENGTH, 7), (Goal.FAT_LOSS, 3))
    profile = AthleteProfile("ath-1")

    def push_day(sequence: int) -> dict[ExerciseRole, tuple[int, int, float]]:
        session = generate_sessions(program, program.microcycles[sequence - 1], catalog,
                                    profile)[0]
        return {e.role: (e.sets, e.reps, e.target_rpe) for e in session.exercises}

    assert push_day(1)[M] == (5, 5, 8.0)   # k=1
    assert push_day(2)[M] == (5, 5, 8.5)   # k=2: + 0.5
    assert push_day(3)[A] == (3, 8, 8.5)   # k=3: 7.5 + 1.0
    deload_day = push_day(4)               # cycle 4 is a deload: base halved, RPE − 2
    assert deload_day[M] == (3, 5, 6.0)
    assert deload_day[A] == (2, 8, 5.5)
    assert deload_day[F] == (2, 12, 5.0)   # ceil(3/2) rounds; 7 − 2 = 5
    assert deload_day[W] == (1, 10, 5.0)   # warm-up and cool-down untouched
    assert deload_day[C] == (1, 1, 1.0)
    assert push_day(5)[M] == (5, 5, 8.0)   # cycle 5 is k=4: (4 − 1) % 3 = 0


# ============================================================================================
# Adaptation
# ============================================================================================


def push_session() -> list[PlannedExercise]:
    return [
        ex(1, "cat_cow", W, 1, 10, 5.0),
        ex(2, "bench_press", M, 5, 5, 8.0),
        ex(3, "overhead_press", A, 3, 8, 7.5, Grouping.SUPERSET, 1),
        ex(4, "triceps_pushdown", A, 3, 8, 7.5, Grouping.SUPERSET, 1),
        ex(5, "childs_pose", C, 1, 1, 1.0),
    ]


def run(catalog: Catalog, exercises: Sequence[PlannedExercise] | None = None, *,
        rules: Sequence[MovementRule] = (), sore: Sequence[Soreness] = (),
        score: float = 55, **kwargs: object):  # type: ignore[no-untyped-def]
    return adapt_session(push_session() if exercises is None else exercises, catalog=catalog,
                         movement_rules=rules, soreness=sore, recovery_score=score,
                         session_type=SessionType.STRENGTH, **kwargs)  # type: ignore[arg-type]


def steps_of(result, kind: str):  # type: ignore[no-untyped-def]
    return [s for s in result.steps if s.kind == kind]


def test_nothing_to_adapt_keeps_everything(catalog: Catalog) -> None:
    result = run(catalog)
    assert result.exercises == tuple(push_session())
    assert [s.kind for s in result.steps] == ["kept"] * 5
    assert result.added_sections == ()


def test_soreness_removes_by_muscle_map_and_substitutes_same_pattern(catalog: Catalog) -> None:
    # bench press loads TRICEPS as a primary muscle: level 5 ≥ 3 removes it. Dumbbell bench
    # has TRICEPS only as secondary (5 < 7): a valid substitute of the same pattern.
    result = run(catalog, sore=[Soreness(Muscle.TRICEPS, 5)])
    [removed, removed_pushdown] = steps_of(result, "removed")
    assert (removed.movement_id, removed.reason) == ("bench_press", "soreness: TRICEPS 5 (primary)")
    assert removed.detail["substitute"] == "dumbbell_bench_press"
    [sub] = steps_of(result, "substituted")
    assert (sub.movement_id, sub.substitute_id) == ("bench_press", "dumbbell_bench_press")
    assert sub.detail["source"] == "catalog"
    replaced = next(e for e in result.exercises if e.position == 2)
    assert replaced == ex(2, "dumbbell_bench_press", M, 5, 5, 8.0)  # same dose and slot
    # triceps_pushdown (TRICEPS primary) is removed too; dip and skull_crusher also load the
    # triceps as a primary muscle, so no ELBOW_EXTENSION movement can replace it
    assert removed_pushdown.movement_id == "triceps_pushdown"
    assert removed_pushdown.detail == {"substitute": None}
    assert "triceps_pushdown" not in [e.movement_id for e in result.exercises]
    # overhead press has TRICEPS as secondary (5 < 7): kept
    assert "overhead_press" in [e.movement_id for e in result.exercises]


def test_soreness_thresholds(catalog: Catalog) -> None:
    ohp = catalog.get("overhead_press")  # SHOULDERS / TRICEPS, CORE
    assert ohp is not None
    assert soreness_conflicts(ohp, {Muscle.SHOULDERS: 2}) == []
    assert soreness_conflicts(ohp, {Muscle.SHOULDERS: 3}) == ["SHOULDERS 3 (primary)"]
    assert soreness_conflicts(ohp, {Muscle.TRICEPS: 6}) == []
    assert soreness_conflicts(ohp, {Muscle.TRICEPS: 7}) == ["TRICEPS 7 (secondary)"]
    bench = catalog.get("bench_press")
    assert bench is not None
    assert soreness_conflicts(bench, {Muscle.SHOULDERS: 8, Muscle.CHEST: 6}) == [
        "CHEST 6 (primary)", "SHOULDERS 8 (secondary)"]


def test_soreness_uses_muscles_not_names() -> None:
    small = Catalog.from_entries([
        {"id": "chest_supported_row", "name": "Chest-supported row",
         "pattern": "HORIZONTAL_PULL", "equipment": "dumbbell", "primary": ["BACK"],
         "secondary": ["BICEPS"], "roles": ["MAIN"]},
        {"id": "floor_press", "name": "Floor press", "pattern": "HORIZONTAL_PUSH",
         "equipment": "barbell", "primary": ["CHEST"], "secondary": [], "roles": ["MAIN"]},
    ])
    result = adapt_session([ex(1, "chest_supported_row", M), ex(2, "floor_press", M)],
                           catalog=small, movement_rules=(),
                           soreness=[Soreness(Muscle.CHEST, 6)], recovery_score=55,
                           session_type=SessionType.STRENGTH)
    assert [e.movement_id for e in result.exercises] == ["chest_supported_row"]
    [removed] = steps_of(result, "removed")
    assert (removed.movement_id, removed.reason) == ("floor_press", "soreness: CHEST 6 (primary)")


def test_no_substitute_when_every_alternative_is_sore(catalog: Catalog) -> None:
    # TRICEPS 7: dumbbell bench (secondary 7 ≥ 7) and push-up (primary) both conflict
    result = run(catalog, [ex(1, "bench_press", M)], sore=[Soreness(Muscle.TRICEPS, 7)])
    assert result.exercises == ()
    assert [(s.kind, s.detail) for s in result.steps] == [("removed", {"substitute": None})]


def test_forbidden_by_id_with_reason_and_substitute(catalog: Catalog) -> None:
    result = run(catalog, rules=[MovementRule("bench_press", "shoulder impingement")])
    [removed] = steps_of(result, "removed")
    assert removed.reason == "forbidden: shoulder impingement"
    [sub] = steps_of(result, "substituted")
    assert sub.substitute_id == "dumbbell_bench_press"


def test_forbidden_wins_over_soreness_and_matches_ids_only(catalog: Catalog) -> None:
    result = run(catalog, rules=[MovementRule("bench_press", "elbow")],
                 sore=[Soreness(Muscle.CHEST, 9)])
    assert steps_of(result, "removed")[0].reason == "forbidden: elbow"
    result = run(catalog, rules=[MovementRule("bench", "a name, not an id")])
    assert steps_of(result, "removed") == []


def test_substitute_is_not_forbidden_or_already_in_the_session(catalog: Catalog) -> None:
    session = [ex(1, "bench_press", M), ex(2, "dumbbell_bench_press", A)]
    result = run(catalog, session, rules=[MovementRule("bench_press", "shoulder")])
    assert steps_of(result, "substituted")[0].substitute_id == "push_up"
    result = run(catalog, [ex(1, "bench_press", M)],
                 rules=[MovementRule("bench_press", "x"),
                        MovementRule("dumbbell_bench_press", "y")])
    assert steps_of(result, "substituted")[0].substitute_id == "push_up"


def test_catalog_substitute_must_fill_the_role(catalog: Catalog) -> None:
    # VERTICAL_PUSH: overhead_press, dumbbell_shoulder_press (MAIN); landmine_press is
    # ACCESSORY only; handstand_push_up SKILL only.
    rules = [MovementRule("overhead_press", "x"), MovementRule("dumbbell_shoulder_press", "y")]
    as_main = run(catalog, [ex(1, "overhead_press", M)], rules=rules)
    assert steps_of(as_main, "removed")[0].detail == {"substitute": None}
    as_accessory = run(catalog, [ex(1, "overhead_press", A)], rules=rules)
    assert steps_of(as_accessory, "substituted")[0].substitute_id == "landmine_press"


def test_propose_hook_accepted(catalog: Catalog) -> None:
    calls: list[tuple[str, frozenset[Muscle], frozenset[str]]] = []

    def propose(movement: Movement, sore: frozenset[Muscle],
                excluded: frozenset[str]) -> list[str]:
        calls.append((movement.id, sore, excluded))
        return ["push_up"]

    result = run(catalog, rules=[MovementRule("bench_press", "shoulder")],
                 sore=[Soreness(Muscle.QUADS, 4), Soreness(Muscle.CALVES, 2)], propose=propose)
    [sub] = steps_of(result, "substituted")
    assert (sub.substitute_id, sub.detail["source"]) == ("push_up", "propose")
    assert calls == [("bench_press", frozenset({Muscle.QUADS}), frozenset(
        {"bench_press", "cat_cow", "overhead_press", "triceps_pushdown", "childs_pose"}))]


def test_invalid_proposals_are_ignored(catalog: Catalog) -> None:
    def propose(movement: Movement, sore: frozenset[Muscle],
                excluded: frozenset[str]) -> list[str]:
        # unknown, other pattern, forbidden, already in session, sore (TRICEPS primary)
        return ["laser_press", "overhead_press", "bench_press", "triceps_pushdown", "push_up"]

    result = run(catalog, sore=[Soreness(Muscle.TRICEPS, 4)], propose=propose,
                 rules=[MovementRule("bench_press", "shoulder")])
    sub = steps_of(result, "substituted")[0]
    assert (sub.movement_id, sub.substitute_id) == ("bench_press", "dumbbell_bench_press")
    assert sub.detail == {"source": "catalog", "rejected_proposals": [
        "laser_press", "overhead_press", "bench_press", "triceps_pushdown", "push_up"]}


@pytest.mark.parametrize("score", [40, 55, 70])
def test_middle_recovery_changes_nothing(catalog: Catalog, score: float) -> None:
    result = run(catalog, score=score)
    assert result.exercises == tuple(push_session())
    assert result.added_sections == ()
    assert result.recovery_score == score


def test_low_recovery_cuts_volume_and_adds_a_warmup(catalog: Catalog) -> None:
    session = [*push_session(), ex(6, "cable_curl", A, 1, 12, 1.5)]
    result = run(catalog, session, score=39)
    doses = {e.movement_id: (e.sets, e.target_rpe) for e in result.exercises}
    assert doses["bench_press"] == (4, 7.0)      # 5 − 1 sets, 8 − 1 RPE
    assert doses["overhead_press"] == (2, 6.5)   # 3 − 1, 7.5 − 1
    assert doses["cable_curl"] == (1, 1.0)       # sets floor 1, RPE floor 1 (1.5 − 1 = 0.5)
    assert doses["cat_cow"] == (1, 5.0)          # warm-up untouched
    assert doses["childs_pose"] == (1, 1.0)      # cool-down untouched
    adjusted = steps_of(result, "volume_adjusted")
    assert [s.movement_id for s in adjusted] == ["bench_press", "overhead_press",
                                                 "triceps_pushdown", "cable_curl"]
    assert adjusted[0].detail == {"sets": [5, 4], "target_rpe": [8.0, 7.0]}
    assert result.added_sections == ("extra_warmup",)
    [added] = steps_of(result, "section_added")
    # cat_cow is already planned: the next warm-up in catalog order
    assert added.movement_id == "worlds_greatest_stretch"
    assert [e.movement_id for e in result.exercises][:2] == ["cat_cow", "worlds_greatest_stretch"]
    warmup = result.exercises[1]
    assert (warmup.role, warmup.sets, warmup.reps, warmup.target_rpe, warmup.position) == (
        W, 1, 10, 5.0, 7)  # after the highest planned position (6)


def test_high_recovery_adds_conditioning(catalog: Catalog) -> None:
    result = run(catalog, score=71)
    assert result.added_sections == ("conditioning",)
    finisher = result.exercises[-2]  # before the cool-down
    assert finisher == ex(6, "rowing_intervals", F, 3, 12, 7.0, Grouping.CIRCUIT, 2)
    assert result.exercises[-1].movement_id == "childs_pose"
    # a sore back rules the rower out (BACK primary): the next conditioning movement
    sore_back = run(catalog, score=71, sore=[Soreness(Muscle.BACK, 4)])
    assert steps_of(sore_back, "section_added")[0].movement_id == "assault_bike"


def test_section_skipped_when_nothing_is_allowed() -> None:
    small = Catalog.from_entries([
        {"id": "rower", "name": "Rower", "pattern": "CONDITIONING", "equipment": "rower",
         "primary": ["BACK"], "secondary": [], "roles": ["FINISHER"]}])
    result = adapt_session([], catalog=small, movement_rules=[MovementRule("rower", "knee")],
                           soreness=(), recovery_score=90, session_type=SessionType.STRENGTH)
    assert result.added_sections == ()
    assert [(s.kind, s.detail) for s in result.steps] == [
        ("section_skipped", {"section": "conditioning"})]


@pytest.mark.parametrize("score", [-1, 100.5, float("nan")])
def test_recovery_score_must_be_0_to_100(catalog: Catalog, score: float) -> None:
    with pytest.raises(DomainError) as caught:
        adapt(push_session(), catalog=catalog, movement_rules=(), soreness=(),
              recovery_score=score, session_type=SessionType.STRENGTH)  # raises at the call
    assert caught.value.field == "recovery_score"
    assert len(run(catalog, score=0).exercises) == 6   # 0 and 100 are valid
    assert len(run(catalog, score=100).exercises) == 6


def test_soreness_level_must_be_1_to_10(catalog: Catalog) -> None:
    with pytest.raises(DomainError) as caught:
        run(catalog, sore=[Soreness(Muscle.CHEST, 11)])
    assert caught.value.field == "soreness"


def test_adapt_yields_the_same_steps_as_adapt_session(catalog: Catalog) -> None:
    kwargs: dict[str, object] = {
        "catalog": catalog, "movement_rules": [MovementRule("bench_press", "shoulder")],
        "soreness": [Soreness(Muscle.TRICEPS, 5)], "recovery_score": 30,
        "session_type": SessionType.STRENGTH}
    steps = tuple(adapt(push_session(), **kwargs))  # type: ignore[arg-type]
    assert steps == adapt_session(push_session(), **kwargs).steps  # type: ignore[arg-type]
    assert all(s.reason for s in steps if s.kind == "removed")


def test_unknown_movement_is_kept_and_said_so(catalog: Catalog) -> None:
    result = run(catalog, [ex(1, "retired_move", M)], sore=[Soreness(Muscle.CHEST, 9)])
    assert [(s.kind, s.reason) for s in result.steps] == [
        ("kept", "not in the catalog: soreness not checked")]


def test_adapted_sessions_time_still_computes(catalog: Catalog) -> None:
    result = run(catalog, score=71)
    t = estimate_session_time(result.exercises, SessionType.STRENGTH)
    # main 5·(25 + 180) = 1025 → 18; accessory superset 2·3·(35 + 30) = 390 → 7;
    # finisher circuit 3·45 + 2·60 = 255 → 5; warm-up 5 + 1; cool-down 5 + 1
    assert (t.warmup_minutes, t.main_minutes, t.accessory_minutes, t.finisher_minutes,
            t.cooldown_minutes, t.total_minutes) == (6, 18, 7, 5, 6, 42)
    assert math.isfinite(result.recovery_score)
