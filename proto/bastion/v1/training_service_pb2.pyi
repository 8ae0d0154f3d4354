import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TrainingGoal(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRAINING_GOAL_UNSPECIFIED: _ClassVar[TrainingGoal]
    TRAINING_GOAL_STRENGTH: _ClassVar[TrainingGoal]
    TRAINING_GOAL_HYPERTROPHY: _ClassVar[TrainingGoal]
    TRAINING_GOAL_ENDURANCE: _ClassVar[TrainingGoal]
    TRAINING_GOAL_MOBILITY: _ClassVar[TrainingGoal]
    TRAINING_GOAL_SKILL: _ClassVar[TrainingGoal]
    TRAINING_GOAL_FAT_LOSS: _ClassVar[TrainingGoal]

class SplitTemplate(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SPLIT_TEMPLATE_UNSPECIFIED: _ClassVar[SplitTemplate]
    SPLIT_TEMPLATE_HYBRID: _ClassVar[SplitTemplate]
    SPLIT_TEMPLATE_UPPER_LOWER: _ClassVar[SplitTemplate]
    SPLIT_TEMPLATE_PPL: _ClassVar[SplitTemplate]
    SPLIT_TEMPLATE_FULL_BODY: _ClassVar[SplitTemplate]
    SPLIT_TEMPLATE_BODY_PART_SPLIT: _ClassVar[SplitTemplate]
    SPLIT_TEMPLATE_PUSH_PULL: _ClassVar[SplitTemplate]

class ProgressionStyle(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROGRESSION_STYLE_UNSPECIFIED: _ClassVar[ProgressionStyle]
    PROGRESSION_STYLE_SINGLE_PROGRESSION: _ClassVar[ProgressionStyle]
    PROGRESSION_STYLE_DOUBLE_PROGRESSION: _ClassVar[ProgressionStyle]
    PROGRESSION_STYLE_WAVE_LOADING: _ClassVar[ProgressionStyle]
    PROGRESSION_STYLE_BLOCK_PERIODIZATION: _ClassVar[ProgressionStyle]

class ExperienceLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPERIENCE_LEVEL_UNSPECIFIED: _ClassVar[ExperienceLevel]
    EXPERIENCE_LEVEL_BEGINNER: _ClassVar[ExperienceLevel]
    EXPERIENCE_LEVEL_INTERMEDIATE: _ClassVar[ExperienceLevel]
    EXPERIENCE_LEVEL_ADVANCED: _ClassVar[ExperienceLevel]
    EXPERIENCE_LEVEL_EXPERT: _ClassVar[ExperienceLevel]

class E1rmFormula(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    E1RM_FORMULA_UNSPECIFIED: _ClassVar[E1rmFormula]
    E1RM_FORMULA_EPLEY: _ClassVar[E1rmFormula]
    E1RM_FORMULA_BRZYCKI: _ClassVar[E1rmFormula]
    E1RM_FORMULA_LOMBARDI: _ClassVar[E1rmFormula]
    E1RM_FORMULA_OCONNER: _ClassVar[E1rmFormula]

class SessionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SESSION_TYPE_UNSPECIFIED: _ClassVar[SessionType]
    SESSION_TYPE_STRENGTH: _ClassVar[SessionType]
    SESSION_TYPE_HYPERTROPHY: _ClassVar[SessionType]
    SESSION_TYPE_ENDURANCE: _ClassVar[SessionType]
    SESSION_TYPE_MOBILITY: _ClassVar[SessionType]
    SESSION_TYPE_SKILL: _ClassVar[SessionType]
    SESSION_TYPE_CONDITIONING: _ClassVar[SessionType]
    SESSION_TYPE_RECOVERY: _ClassVar[SessionType]

class ExerciseRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXERCISE_ROLE_UNSPECIFIED: _ClassVar[ExerciseRole]
    EXERCISE_ROLE_WARMUP: _ClassVar[ExerciseRole]
    EXERCISE_ROLE_MAIN: _ClassVar[ExerciseRole]
    EXERCISE_ROLE_ACCESSORY: _ClassVar[ExerciseRole]
    EXERCISE_ROLE_FINISHER: _ClassVar[ExerciseRole]
    EXERCISE_ROLE_COOLDOWN: _ClassVar[ExerciseRole]
    EXERCISE_ROLE_SKILL: _ClassVar[ExerciseRole]

class Grouping(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GROUPING_UNSPECIFIED: _ClassVar[Grouping]
    GROUPING_STRAIGHT: _ClassVar[Grouping]
    GROUPING_SUPERSET: _ClassVar[Grouping]
    GROUPING_CIRCUIT: _ClassVar[Grouping]

class Muscle(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MUSCLE_UNSPECIFIED: _ClassVar[Muscle]
    MUSCLE_CHEST: _ClassVar[Muscle]
    MUSCLE_BACK: _ClassVar[Muscle]
    MUSCLE_SHOULDERS: _ClassVar[Muscle]
    MUSCLE_BICEPS: _ClassVar[Muscle]
    MUSCLE_TRICEPS: _ClassVar[Muscle]
    MUSCLE_FOREARMS: _ClassVar[Muscle]
    MUSCLE_CORE: _ClassVar[Muscle]
    MUSCLE_GLUTES: _ClassVar[Muscle]
    MUSCLE_QUADS: _ClassVar[Muscle]
    MUSCLE_HAMSTRINGS: _ClassVar[Muscle]
    MUSCLE_CALVES: _ClassVar[Muscle]
    MUSCLE_HIP_FLEXORS: _ClassVar[Muscle]
TRAINING_GOAL_UNSPECIFIED: TrainingGoal
TRAINING_GOAL_STRENGTH: TrainingGoal
TRAINING_GOAL_HYPERTROPHY: TrainingGoal
TRAINING_GOAL_ENDURANCE: TrainingGoal
TRAINING_GOAL_MOBILITY: TrainingGoal
TRAINING_GOAL_SKILL: TrainingGoal
TRAINING_GOAL_FAT_LOSS: TrainingGoal
SPLIT_TEMPLATE_UNSPECIFIED: SplitTemplate
SPLIT_TEMPLATE_HYBRID: SplitTemplate
SPLIT_TEMPLATE_UPPER_LOWER: SplitTemplate
SPLIT_TEMPLATE_PPL: SplitTemplate
SPLIT_TEMPLATE_FULL_BODY: SplitTemplate
SPLIT_TEMPLATE_BODY_PART_SPLIT: SplitTemplate
SPLIT_TEMPLATE_PUSH_PULL: SplitTemplate
PROGRESSION_STYLE_UNSPECIFIED: ProgressionStyle
PROGRESSION_STYLE_SINGLE_PROGRESSION: ProgressionStyle
PROGRESSION_STYLE_DOUBLE_PROGRESSION: ProgressionStyle
PROGRESSION_STYLE_WAVE_LOADING: ProgressionStyle
PROGRESSION_STYLE_BLOCK_PERIODIZATION: ProgressionStyle
EXPERIENCE_LEVEL_UNSPECIFIED: ExperienceLevel
EXPERIENCE_LEVEL_BEGINNER: ExperienceLevel
EXPERIENCE_LEVEL_INTERMEDIATE: ExperienceLevel
EXPERIENCE_LEVEL_ADVANCED: ExperienceLevel
EXPERIENCE_LEVEL_EXPERT: ExperienceLevel
E1RM_FORMULA_UNSPECIFIED: E1rmFormula
E1RM_FORMULA_EPLEY: E1rmFormula
E1RM_FORMULA_BRZYCKI: E1rmFormula
E1RM_FORMULA_LOMBARDI: E1rmFormula
E1RM_FORMULA_OCONNER: E1rmFormula
SESSION_TYPE_UNSPECIFIED: SessionType
SESSION_TYPE_STRENGTH: SessionType
SESSION_TYPE_HYPERTROPHY: SessionType
SESSION_TYPE_ENDURANCE: SessionType
SESSION_TYPE_MOBILITY: SessionType
SESSION_TYPE_SKILL: SessionType
SESSION_TYPE_CONDITIONING: SessionType
SESSION_TYPE_RECOVERY: SessionType
EXERCISE_ROLE_UNSPECIFIED: ExerciseRole
EXERCISE_ROLE_WARMUP: ExerciseRole
EXERCISE_ROLE_MAIN: ExerciseRole
EXERCISE_ROLE_ACCESSORY: ExerciseRole
EXERCISE_ROLE_FINISHER: ExerciseRole
EXERCISE_ROLE_COOLDOWN: ExerciseRole
EXERCISE_ROLE_SKILL: ExerciseRole
GROUPING_UNSPECIFIED: Grouping
GROUPING_STRAIGHT: Grouping
GROUPING_SUPERSET: Grouping
GROUPING_CIRCUIT: Grouping
MUSCLE_UNSPECIFIED: Muscle
MUSCLE_CHEST: Muscle
MUSCLE_BACK: Muscle
MUSCLE_SHOULDERS: Muscle
MUSCLE_BICEPS: Muscle
MUSCLE_TRICEPS: Muscle
MUSCLE_FOREARMS: Muscle
MUSCLE_CORE: Muscle
MUSCLE_GLUTES: Muscle
MUSCLE_QUADS: Muscle
MUSCLE_HAMSTRINGS: Muscle
MUSCLE_CALVES: Muscle
MUSCLE_HIP_FLEXORS: Muscle

class MovementRule(_message.Message):
    __slots__ = ("movement_id", "reason")
    MOVEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    movement_id: str
    reason: str
    def __init__(self, movement_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class Athlete(_message.Message):
    __slots__ = ("athlete_id", "experience_level", "e1rm_formula", "preferred_split", "preferred_progression", "movement_rules")
    ATHLETE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPERIENCE_LEVEL_FIELD_NUMBER: _ClassVar[int]
    E1RM_FORMULA_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_SPLIT_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_PROGRESSION_FIELD_NUMBER: _ClassVar[int]
    MOVEMENT_RULES_FIELD_NUMBER: _ClassVar[int]
    athlete_id: str
    experience_level: ExperienceLevel
    e1rm_formula: E1rmFormula
    preferred_split: SplitTemplate
    preferred_progression: ProgressionStyle
    movement_rules: _containers.RepeatedCompositeFieldContainer[MovementRule]
    def __init__(self, athlete_id: _Optional[str] = ..., experience_level: _Optional[_Union[ExperienceLevel, str]] = ..., e1rm_formula: _Optional[_Union[E1rmFormula, str]] = ..., preferred_split: _Optional[_Union[SplitTemplate, str]] = ..., preferred_progression: _Optional[_Union[ProgressionStyle, str]] = ..., movement_rules: _Optional[_Iterable[_Union[MovementRule, _Mapping]]] = ...) -> None: ...

class PutAthleteRequest(_message.Message):
    __slots__ = ("athlete",)
    ATHLETE_FIELD_NUMBER: _ClassVar[int]
    athlete: Athlete
    def __init__(self, athlete: _Optional[_Union[Athlete, _Mapping]] = ...) -> None: ...

class PutAthleteResponse(_message.Message):
    __slots__ = ("athlete", "decision_id")
    ATHLETE_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    athlete: Athlete
    decision_id: str
    def __init__(self, athlete: _Optional[_Union[Athlete, _Mapping]] = ..., decision_id: _Optional[str] = ...) -> None: ...

class GetAthleteRequest(_message.Message):
    __slots__ = ("athlete_id",)
    ATHLETE_ID_FIELD_NUMBER: _ClassVar[int]
    athlete_id: str
    def __init__(self, athlete_id: _Optional[str] = ...) -> None: ...

class GetAthleteResponse(_message.Message):
    __slots__ = ("athlete", "decision_id")
    ATHLETE_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    athlete: Athlete
    decision_id: str
    def __init__(self, athlete: _Optional[_Union[Athlete, _Mapping]] = ..., decision_id: _Optional[str] = ...) -> None: ...

class Movement(_message.Message):
    __slots__ = ("movement_id", "name", "pattern", "equipment", "primary_muscles", "secondary_muscles", "roles")
    MOVEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PATTERN_FIELD_NUMBER: _ClassVar[int]
    EQUIPMENT_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_MUSCLES_FIELD_NUMBER: _ClassVar[int]
    SECONDARY_MUSCLES_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    movement_id: str
    name: str
    pattern: str
    equipment: str
    primary_muscles: _containers.RepeatedScalarFieldContainer[Muscle]
    secondary_muscles: _containers.RepeatedScalarFieldContainer[Muscle]
    roles: _containers.RepeatedScalarFieldContainer[ExerciseRole]
    def __init__(self, movement_id: _Optional[str] = ..., name: _Optional[str] = ..., pattern: _Optional[str] = ..., equipment: _Optional[str] = ..., primary_muscles: _Optional[_Iterable[_Union[Muscle, str]]] = ..., secondary_muscles: _Optional[_Iterable[_Union[Muscle, str]]] = ..., roles: _Optional[_Iterable[_Union[ExerciseRole, str]]] = ...) -> None: ...

class ListMovementsRequest(_message.Message):
    __slots__ = ("pattern",)
    PATTERN_FIELD_NUMBER: _ClassVar[int]
    pattern: str
    def __init__(self, pattern: _Optional[str] = ...) -> None: ...

class ListMovementsResponse(_message.Message):
    __slots__ = ("movements", "decision_id")
    MOVEMENTS_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    movements: _containers.RepeatedCompositeFieldContainer[Movement]
    decision_id: str
    def __init__(self, movements: _Optional[_Iterable[_Union[Movement, _Mapping]]] = ..., decision_id: _Optional[str] = ...) -> None: ...

class GoalWeight(_message.Message):
    __slots__ = ("goal", "weight")
    GOAL_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    goal: TrainingGoal
    weight: int
    def __init__(self, goal: _Optional[_Union[TrainingGoal, str]] = ..., weight: _Optional[int] = ...) -> None: ...

class CreateProgramRequest(_message.Message):
    __slots__ = ("athlete_id", "goals", "duration_weeks", "start_date", "microcycle_length_days", "deload_every", "split_template", "progression_style")
    ATHLETE_ID_FIELD_NUMBER: _ClassVar[int]
    GOALS_FIELD_NUMBER: _ClassVar[int]
    DURATION_WEEKS_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    MICROCYCLE_LENGTH_DAYS_FIELD_NUMBER: _ClassVar[int]
    DELOAD_EVERY_FIELD_NUMBER: _ClassVar[int]
    SPLIT_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    PROGRESSION_STYLE_FIELD_NUMBER: _ClassVar[int]
    athlete_id: str
    goals: _containers.RepeatedCompositeFieldContainer[GoalWeight]
    duration_weeks: int
    start_date: str
    microcycle_length_days: int
    deload_every: int
    split_template: SplitTemplate
    progression_style: ProgressionStyle
    def __init__(self, athlete_id: _Optional[str] = ..., goals: _Optional[_Iterable[_Union[GoalWeight, _Mapping]]] = ..., duration_weeks: _Optional[int] = ..., start_date: _Optional[str] = ..., microcycle_length_days: _Optional[int] = ..., deload_every: _Optional[int] = ..., split_template: _Optional[_Union[SplitTemplate, str]] = ..., progression_style: _Optional[_Union[ProgressionStyle, str]] = ...) -> None: ...

class PlannedExercise(_message.Message):
    __slots__ = ("position", "movement_id", "role", "sets", "reps", "target_rpe", "grouping", "group")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    MOVEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SETS_FIELD_NUMBER: _ClassVar[int]
    REPS_FIELD_NUMBER: _ClassVar[int]
    TARGET_RPE_FIELD_NUMBER: _ClassVar[int]
    GROUPING_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    position: int
    movement_id: str
    role: ExerciseRole
    sets: int
    reps: int
    target_rpe: float
    grouping: Grouping
    group: int
    def __init__(self, position: _Optional[int] = ..., movement_id: _Optional[str] = ..., role: _Optional[_Union[ExerciseRole, str]] = ..., sets: _Optional[int] = ..., reps: _Optional[int] = ..., target_rpe: _Optional[float] = ..., grouping: _Optional[_Union[Grouping, str]] = ..., group: _Optional[int] = ...) -> None: ...

class TimeBreakdown(_message.Message):
    __slots__ = ("warmup_minutes", "main_minutes", "accessory_minutes", "finisher_minutes", "cooldown_minutes", "total_minutes")
    WARMUP_MINUTES_FIELD_NUMBER: _ClassVar[int]
    MAIN_MINUTES_FIELD_NUMBER: _ClassVar[int]
    ACCESSORY_MINUTES_FIELD_NUMBER: _ClassVar[int]
    FINISHER_MINUTES_FIELD_NUMBER: _ClassVar[int]
    COOLDOWN_MINUTES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_MINUTES_FIELD_NUMBER: _ClassVar[int]
    warmup_minutes: int
    main_minutes: int
    accessory_minutes: int
    finisher_minutes: int
    cooldown_minutes: int
    total_minutes: int
    def __init__(self, warmup_minutes: _Optional[int] = ..., main_minutes: _Optional[int] = ..., accessory_minutes: _Optional[int] = ..., finisher_minutes: _Optional[int] = ..., cooldown_minutes: _Optional[int] = ..., total_minutes: _Optional[int] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("session_id", "program_id", "microcycle_id", "date", "focus", "session_type", "exercises", "time", "adaptation_id")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    MICROCYCLE_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    FOCUS_FIELD_NUMBER: _ClassVar[int]
    SESSION_TYPE_FIELD_NUMBER: _ClassVar[int]
    EXERCISES_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    ADAPTATION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    program_id: str
    microcycle_id: str
    date: str
    focus: str
    session_type: SessionType
    exercises: _containers.RepeatedCompositeFieldContainer[PlannedExercise]
    time: TimeBreakdown
    adaptation_id: str
    def __init__(self, session_id: _Optional[str] = ..., program_id: _Optional[str] = ..., microcycle_id: _Optional[str] = ..., date: _Optional[str] = ..., focus: _Optional[str] = ..., session_type: _Optional[_Union[SessionType, str]] = ..., exercises: _Optional[_Iterable[_Union[PlannedExercise, _Mapping]]] = ..., time: _Optional[_Union[TimeBreakdown, _Mapping]] = ..., adaptation_id: _Optional[str] = ...) -> None: ...

class Microcycle(_message.Message):
    __slots__ = ("microcycle_id", "sequence", "start_date", "length_days", "is_deload", "status", "sessions")
    MICROCYCLE_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    LENGTH_DAYS_FIELD_NUMBER: _ClassVar[int]
    IS_DELOAD_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    microcycle_id: str
    sequence: int
    start_date: str
    length_days: int
    is_deload: bool
    status: str
    sessions: _containers.RepeatedCompositeFieldContainer[Session]
    def __init__(self, microcycle_id: _Optional[str] = ..., sequence: _Optional[int] = ..., start_date: _Optional[str] = ..., length_days: _Optional[int] = ..., is_deload: _Optional[bool] = ..., status: _Optional[str] = ..., sessions: _Optional[_Iterable[_Union[Session, _Mapping]]] = ...) -> None: ...

class Program(_message.Message):
    __slots__ = ("program_id", "athlete_id", "goals", "duration_weeks", "start_date", "split_template", "progression_style", "session_type", "deload_every", "microcycle_length_days", "warnings", "microcycles", "created_at")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    ATHLETE_ID_FIELD_NUMBER: _ClassVar[int]
    GOALS_FIELD_NUMBER: _ClassVar[int]
    DURATION_WEEKS_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    SPLIT_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    PROGRESSION_STYLE_FIELD_NUMBER: _ClassVar[int]
    SESSION_TYPE_FIELD_NUMBER: _ClassVar[int]
    DELOAD_EVERY_FIELD_NUMBER: _ClassVar[int]
    MICROCYCLE_LENGTH_DAYS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    MICROCYCLES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    athlete_id: str
    goals: _containers.RepeatedCompositeFieldContainer[GoalWeight]
    duration_weeks: int
    start_date: str
    split_template: SplitTemplate
    progression_style: ProgressionStyle
    session_type: SessionType
    deload_every: int
    microcycle_length_days: int
    warnings: _containers.RepeatedScalarFieldContainer[str]
    microcycles: _containers.RepeatedCompositeFieldContainer[Microcycle]
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, program_id: _Optional[str] = ..., athlete_id: _Optional[str] = ..., goals: _Optional[_Iterable[_Union[GoalWeight, _Mapping]]] = ..., duration_weeks: _Optional[int] = ..., start_date: _Optional[str] = ..., split_template: _Optional[_Union[SplitTemplate, str]] = ..., progression_style: _Optional[_Union[ProgressionStyle, str]] = ..., session_type: _Optional[_Union[SessionType, str]] = ..., deload_every: _Optional[int] = ..., microcycle_length_days: _Optional[int] = ..., warnings: _Optional[_Iterable[str]] = ..., microcycles: _Optional[_Iterable[_Union[Microcycle, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateProgramResponse(_message.Message):
    __slots__ = ("program", "decision_id")
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    program: Program
    decision_id: str
    def __init__(self, program: _Optional[_Union[Program, _Mapping]] = ..., decision_id: _Optional[str] = ...) -> None: ...

class GetProgramRequest(_message.Message):
    __slots__ = ("program_id", "include_sessions")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_SESSIONS_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    include_sessions: bool
    def __init__(self, program_id: _Optional[str] = ..., include_sessions: _Optional[bool] = ...) -> None: ...

class GetProgramResponse(_message.Message):
    __slots__ = ("program", "decision_id")
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    program: Program
    decision_id: str
    def __init__(self, program: _Optional[_Union[Program, _Mapping]] = ..., decision_id: _Optional[str] = ...) -> None: ...

class ListProgramsRequest(_message.Message):
    __slots__ = ("athlete_id",)
    ATHLETE_ID_FIELD_NUMBER: _ClassVar[int]
    athlete_id: str
    def __init__(self, athlete_id: _Optional[str] = ...) -> None: ...

class ListProgramsResponse(_message.Message):
    __slots__ = ("programs", "decision_id")
    PROGRAMS_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    programs: _containers.RepeatedCompositeFieldContainer[Program]
    decision_id: str
    def __init__(self, programs: _Optional[_Iterable[_Union[Program, _Mapping]]] = ..., decision_id: _Optional[str] = ...) -> None: ...

class DeleteProgramRequest(_message.Message):
    __slots__ = ("program_id",)
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    def __init__(self, program_id: _Optional[str] = ...) -> None: ...

class DeleteProgramResponse(_message.Message):
    __slots__ = ("decision_id",)
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    def __init__(self, decision_id: _Optional[str] = ...) -> None: ...

class GenerateNextMicrocycleRequest(_message.Message):
    __slots__ = ("program_id",)
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    def __init__(self, program_id: _Optional[str] = ...) -> None: ...

class GenerateNextMicrocycleResponse(_message.Message):
    __slots__ = ("microcycle", "decision_id")
    MICROCYCLE_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    microcycle: Microcycle
    decision_id: str
    def __init__(self, microcycle: _Optional[_Union[Microcycle, _Mapping]] = ..., decision_id: _Optional[str] = ...) -> None: ...

class GetDailyPlanRequest(_message.Message):
    __slots__ = ("athlete_id", "date")
    ATHLETE_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    athlete_id: str
    date: str
    def __init__(self, athlete_id: _Optional[str] = ..., date: _Optional[str] = ...) -> None: ...

class GetDailyPlanResponse(_message.Message):
    __slots__ = ("rest_day", "session", "program_id", "decision_id")
    REST_DAY_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    rest_day: bool
    session: Session
    program_id: str
    decision_id: str
    def __init__(self, rest_day: _Optional[bool] = ..., session: _Optional[_Union[Session, _Mapping]] = ..., program_id: _Optional[str] = ..., decision_id: _Optional[str] = ...) -> None: ...

class SorenessEntry(_message.Message):
    __slots__ = ("muscle", "level")
    MUSCLE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    muscle: Muscle
    level: int
    def __init__(self, muscle: _Optional[_Union[Muscle, str]] = ..., level: _Optional[int] = ...) -> None: ...

class AdaptSessionRequest(_message.Message):
    __slots__ = ("athlete_id", "date", "soreness", "recovery_score", "notes")
    ATHLETE_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    SORENESS_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_SCORE_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    athlete_id: str
    date: str
    soreness: _containers.RepeatedCompositeFieldContainer[SorenessEntry]
    recovery_score: float
    notes: str
    def __init__(self, athlete_id: _Optional[str] = ..., date: _Optional[str] = ..., soreness: _Optional[_Iterable[_Union[SorenessEntry, _Mapping]]] = ..., recovery_score: _Optional[float] = ..., notes: _Optional[str] = ...) -> None: ...

class AdaptationStep(_message.Message):
    __slots__ = ("kind", "movement_id", "substitute_id", "reason", "detail_json")
    KIND_FIELD_NUMBER: _ClassVar[int]
    MOVEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SUBSTITUTE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_JSON_FIELD_NUMBER: _ClassVar[int]
    kind: str
    movement_id: str
    substitute_id: str
    reason: str
    detail_json: str
    def __init__(self, kind: _Optional[str] = ..., movement_id: _Optional[str] = ..., substitute_id: _Optional[str] = ..., reason: _Optional[str] = ..., detail_json: _Optional[str] = ...) -> None: ...

class Adaptation(_message.Message):
    __slots__ = ("adaptation_id", "session_id", "steps", "exercises", "added_sections", "recovery_score", "time", "status")
    ADAPTATION_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    EXERCISES_FIELD_NUMBER: _ClassVar[int]
    ADDED_SECTIONS_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_SCORE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    adaptation_id: str
    session_id: str
    steps: _containers.RepeatedCompositeFieldContainer[AdaptationStep]
    exercises: _containers.RepeatedCompositeFieldContainer[PlannedExercise]
    added_sections: _containers.RepeatedScalarFieldContainer[str]
    recovery_score: float
    time: TimeBreakdown
    status: str
    def __init__(self, adaptation_id: _Optional[str] = ..., session_id: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[AdaptationStep, _Mapping]]] = ..., exercises: _Optional[_Iterable[_Union[PlannedExercise, _Mapping]]] = ..., added_sections: _Optional[_Iterable[str]] = ..., recovery_score: _Optional[float] = ..., time: _Optional[_Union[TimeBreakdown, _Mapping]] = ..., status: _Optional[str] = ...) -> None: ...

class AdaptSessionResponse(_message.Message):
    __slots__ = ("adaptation", "decision_id")
    ADAPTATION_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    adaptation: Adaptation
    decision_id: str
    def __init__(self, adaptation: _Optional[_Union[Adaptation, _Mapping]] = ..., decision_id: _Optional[str] = ...) -> None: ...

class AdaptSessionStreamRequest(_message.Message):
    __slots__ = ("request",)
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: AdaptSessionRequest
    def __init__(self, request: _Optional[_Union[AdaptSessionRequest, _Mapping]] = ...) -> None: ...

class AdaptSessionStreamResponse(_message.Message):
    __slots__ = ("step", "result")
    STEP_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    step: AdaptationStep
    result: AdaptSessionResponse
    def __init__(self, step: _Optional[_Union[AdaptationStep, _Mapping]] = ..., result: _Optional[_Union[AdaptSessionResponse, _Mapping]] = ...) -> None: ...

class AcceptPlanRequest(_message.Message):
    __slots__ = ("adaptation_id", "final_notes")
    ADAPTATION_ID_FIELD_NUMBER: _ClassVar[int]
    FINAL_NOTES_FIELD_NUMBER: _ClassVar[int]
    adaptation_id: str
    final_notes: str
    def __init__(self, adaptation_id: _Optional[str] = ..., final_notes: _Optional[str] = ...) -> None: ...

class AcceptPlanResponse(_message.Message):
    __slots__ = ("session", "decision_id")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    session: Session
    decision_id: str
    def __init__(self, session: _Optional[_Union[Session, _Mapping]] = ..., decision_id: _Optional[str] = ...) -> None: ...

class LoggedSet(_message.Message):
    __slots__ = ("movement_id", "set_number", "weight", "reps", "rpe")
    MOVEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SET_NUMBER_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    REPS_FIELD_NUMBER: _ClassVar[int]
    RPE_FIELD_NUMBER: _ClassVar[int]
    movement_id: str
    set_number: int
    weight: float
    reps: int
    rpe: float
    def __init__(self, movement_id: _Optional[str] = ..., set_number: _Optional[int] = ..., weight: _Optional[float] = ..., reps: _Optional[int] = ..., rpe: _Optional[float] = ...) -> None: ...

class ScoredSet(_message.Message):
    __slots__ = ("set", "e1rm", "pattern")
    SET_FIELD_NUMBER: _ClassVar[int]
    E1RM_FIELD_NUMBER: _ClassVar[int]
    PATTERN_FIELD_NUMBER: _ClassVar[int]
    set: LoggedSet
    e1rm: float
    pattern: str
    def __init__(self, set: _Optional[_Union[LoggedSet, _Mapping]] = ..., e1rm: _Optional[float] = ..., pattern: _Optional[str] = ...) -> None: ...

class TopSet(_message.Message):
    __slots__ = ("pattern", "movement_id", "weight", "reps", "e1rm", "workout_id", "performed_at")
    PATTERN_FIELD_NUMBER: _ClassVar[int]
    MOVEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    REPS_FIELD_NUMBER: _ClassVar[int]
    E1RM_FIELD_NUMBER: _ClassVar[int]
    WORKOUT_ID_FIELD_NUMBER: _ClassVar[int]
    PERFORMED_AT_FIELD_NUMBER: _ClassVar[int]
    pattern: str
    movement_id: str
    weight: float
    reps: int
    e1rm: float
    workout_id: str
    performed_at: _timestamp_pb2.Timestamp
    def __init__(self, pattern: _Optional[str] = ..., movement_id: _Optional[str] = ..., weight: _Optional[float] = ..., reps: _Optional[int] = ..., e1rm: _Optional[float] = ..., workout_id: _Optional[str] = ..., performed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MuscleRecovery(_message.Message):
    __slots__ = ("muscle", "level", "updated_at")
    MUSCLE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    muscle: Muscle
    level: int
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, muscle: _Optional[_Union[Muscle, str]] = ..., level: _Optional[int] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LogWorkoutRequest(_message.Message):
    __slots__ = ("athlete_id", "session_id", "performed_at", "sets")
    ATHLETE_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PERFORMED_AT_FIELD_NUMBER: _ClassVar[int]
    SETS_FIELD_NUMBER: _ClassVar[int]
    athlete_id: str
    session_id: str
    performed_at: _timestamp_pb2.Timestamp
    sets: _containers.RepeatedCompositeFieldContainer[LoggedSet]
    def __init__(self, athlete_id: _Optional[str] = ..., session_id: _Optional[str] = ..., performed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sets: _Optional[_Iterable[_Union[LoggedSet, _Mapping]]] = ...) -> None: ...

class LogWorkoutResponse(_message.Message):
    __slots__ = ("workout_id", "sets", "new_top_sets", "recovery", "decision_id")
    WORKOUT_ID_FIELD_NUMBER: _ClassVar[int]
    SETS_FIELD_NUMBER: _ClassVar[int]
    NEW_TOP_SETS_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    workout_id: str
    sets: _containers.RepeatedCompositeFieldContainer[ScoredSet]
    new_top_sets: _containers.RepeatedCompositeFieldContainer[TopSet]
    recovery: _containers.RepeatedCompositeFieldContainer[MuscleRecovery]
    decision_id: str
    def __init__(self, workout_id: _Optional[str] = ..., sets: _Optional[_Iterable[_Union[ScoredSet, _Mapping]]] = ..., new_top_sets: _Optional[_Iterable[_Union[TopSet, _Mapping]]] = ..., recovery: _Optional[_Iterable[_Union[MuscleRecovery, _Mapping]]] = ..., decision_id: _Optional[str] = ...) -> None: ...

class LogSorenessRequest(_message.Message):
    __slots__ = ("athlete_id", "logged_at", "entries")
    ATHLETE_ID_FIELD_NUMBER: _ClassVar[int]
    LOGGED_AT_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    athlete_id: str
    logged_at: _timestamp_pb2.Timestamp
    entries: _containers.RepeatedCompositeFieldContainer[SorenessEntry]
    def __init__(self, athlete_id: _Optional[str] = ..., logged_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., entries: _Optional[_Iterable[_Union[SorenessEntry, _Mapping]]] = ...) -> None: ...

class LogSorenessResponse(_message.Message):
    __slots__ = ("recovery", "decision_id")
    RECOVERY_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    recovery: _containers.RepeatedCompositeFieldContainer[MuscleRecovery]
    decision_id: str
    def __init__(self, recovery: _Optional[_Iterable[_Union[MuscleRecovery, _Mapping]]] = ..., decision_id: _Optional[str] = ...) -> None: ...

class GetMuscleRecoveryRequest(_message.Message):
    __slots__ = ("athlete_id",)
    ATHLETE_ID_FIELD_NUMBER: _ClassVar[int]
    athlete_id: str
    def __init__(self, athlete_id: _Optional[str] = ...) -> None: ...

class GetMuscleRecoveryResponse(_message.Message):
    __slots__ = ("recovery", "decision_id")
    RECOVERY_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    recovery: _containers.RepeatedCompositeFieldContainer[MuscleRecovery]
    decision_id: str
    def __init__(self, recovery: _Optional[_Iterable[_Union[MuscleRecovery, _Mapping]]] = ..., decision_id: _Optional[str] = ...) -> None: ...

class LogRecoverySignalRequest(_message.Message):
    __slots__ = ("athlete_id", "logged_at", "recovery_score", "sleep_hours", "stress", "notes")
    ATHLETE_ID_FIELD_NUMBER: _ClassVar[int]
    LOGGED_AT_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_SCORE_FIELD_NUMBER: _ClassVar[int]
    SLEEP_HOURS_FIELD_NUMBER: _ClassVar[int]
    STRESS_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    athlete_id: str
    logged_at: _timestamp_pb2.Timestamp
    recovery_score: float
    sleep_hours: float
    stress: int
    notes: str
    def __init__(self, athlete_id: _Optional[str] = ..., logged_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recovery_score: _Optional[float] = ..., sleep_hours: _Optional[float] = ..., stress: _Optional[int] = ..., notes: _Optional[str] = ...) -> None: ...

class LogRecoverySignalResponse(_message.Message):
    __slots__ = ("signal_id", "decision_id")
    SIGNAL_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    signal_id: str
    decision_id: str
    def __init__(self, signal_id: _Optional[str] = ..., decision_id: _Optional[str] = ...) -> None: ...

class LogActivityRequest(_message.Message):
    __slots__ = ("athlete_id", "name", "duration_minutes", "distance_km", "perceived_difficulty", "enjoyment", "performed_at", "notes")
    ATHLETE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DURATION_MINUTES_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_KM_FIELD_NUMBER: _ClassVar[int]
    PERCEIVED_DIFFICULTY_FIELD_NUMBER: _ClassVar[int]
    ENJOYMENT_FIELD_NUMBER: _ClassVar[int]
    PERFORMED_AT_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    athlete_id: str
    name: str
    duration_minutes: int
    distance_km: float
    perceived_difficulty: int
    enjoyment: int
    performed_at: _timestamp_pb2.Timestamp
    notes: str
    def __init__(self, athlete_id: _Optional[str] = ..., name: _Optional[str] = ..., duration_minutes: _Optional[int] = ..., distance_km: _Optional[float] = ..., perceived_difficulty: _Optional[int] = ..., enjoyment: _Optional[int] = ..., performed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., notes: _Optional[str] = ...) -> None: ...

class LogActivityResponse(_message.Message):
    __slots__ = ("activity_id", "decision_id")
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    activity_id: str
    decision_id: str
    def __init__(self, activity_id: _Optional[str] = ..., decision_id: _Optional[str] = ...) -> None: ...

class EstimateE1rmRequest(_message.Message):
    __slots__ = ("weight", "reps", "rpe", "formula")
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    REPS_FIELD_NUMBER: _ClassVar[int]
    RPE_FIELD_NUMBER: _ClassVar[int]
    FORMULA_FIELD_NUMBER: _ClassVar[int]
    weight: float
    reps: int
    rpe: float
    formula: E1rmFormula
    def __init__(self, weight: _Optional[float] = ..., reps: _Optional[int] = ..., rpe: _Optional[float] = ..., formula: _Optional[_Union[E1rmFormula, str]] = ...) -> None: ...

class EstimateE1rmResponse(_message.Message):
    __slots__ = ("e1rm", "effective_reps", "decision_id")
    E1RM_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_REPS_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    e1rm: float
    effective_reps: float
    decision_id: str
    def __init__(self, e1rm: _Optional[float] = ..., effective_reps: _Optional[float] = ..., decision_id: _Optional[str] = ...) -> None: ...

class EstimateSessionTimeRequest(_message.Message):
    __slots__ = ("exercises", "session_type")
    EXERCISES_FIELD_NUMBER: _ClassVar[int]
    SESSION_TYPE_FIELD_NUMBER: _ClassVar[int]
    exercises: _containers.RepeatedCompositeFieldContainer[PlannedExercise]
    session_type: SessionType
    def __init__(self, exercises: _Optional[_Iterable[_Union[PlannedExercise, _Mapping]]] = ..., session_type: _Optional[_Union[SessionType, str]] = ...) -> None: ...

class EstimateSessionTimeResponse(_message.Message):
    __slots__ = ("time", "decision_id")
    TIME_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    time: TimeBreakdown
    decision_id: str
    def __init__(self, time: _Optional[_Union[TimeBreakdown, _Mapping]] = ..., decision_id: _Optional[str] = ...) -> None: ...
