"""The training domain's values (SPEC D3): plain frozen dataclasses and enums, no protobuf,
no database. The servicer converts to and from these; storage persists them."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field


class Goal(enum.Enum):
    STRENGTH = "STRENGTH"
    HYPERTROPHY = "HYPERTROPHY"
    ENDURANCE = "ENDURANCE"
    MOBILITY = "MOBILITY"
    SKILL = "SKILL"
    FAT_LOSS = "FAT_LOSS"


class SplitTemplate(enum.Enum):
    HYBRID = "HYBRID"
    UPPER_LOWER = "UPPER_LOWER"
    PPL = "PPL"
    FULL_BODY = "FULL_BODY"
    BODY_PART_SPLIT = "BODY_PART_SPLIT"
    PUSH_PULL = "PUSH_PULL"


class ProgressionStyle(enum.Enum):
    SINGLE_PROGRESSION = "SINGLE_PROGRESSION"
    DOUBLE_PROGRESSION = "DOUBLE_PROGRESSION"
    WAVE_LOADING = "WAVE_LOADING"
    BLOCK_PERIODIZATION = "BLOCK_PERIODIZATION"


class ExperienceLevel(enum.Enum):
    BEGINNER = "BEGINNER"
    INTERMEDIATE = "INTERMEDIATE"
    ADVANCED = "ADVANCED"
    EXPERT = "EXPERT"


class E1rmFormula(enum.Enum):
    EPLEY = "EPLEY"
    BRZYCKI = "BRZYCKI"
    LOMBARDI = "LOMBARDI"
    OCONNER = "OCONNER"


class SessionType(enum.Enum):
    STRENGTH = "STRENGTH"
    HYPERTROPHY = "HYPERTROPHY"
    ENDURANCE = "ENDURANCE"
    MOBILITY = "MOBILITY"
    SKILL = "SKILL"
    CONDITIONING = "CONDITIONING"
    RECOVERY = "RECOVERY"


class ExerciseRole(enum.Enum):
    WARMUP = "WARMUP"
    MAIN = "MAIN"
    ACCESSORY = "ACCESSORY"
    FINISHER = "FINISHER"
    COOLDOWN = "COOLDOWN"
    SKILL = "SKILL"


class Grouping(enum.Enum):
    """How an exercise is performed with its neighbours of the same ``group``."""

    STRAIGHT = "STRAIGHT"
    SUPERSET = "SUPERSET"  # rest halved
    CIRCUIT = "CIRCUIT"  # sets are rounds; 60 s between rounds, no per-set rest


class Muscle(enum.Enum):
    CHEST = "CHEST"
    BACK = "BACK"
    SHOULDERS = "SHOULDERS"
    BICEPS = "BICEPS"
    TRICEPS = "TRICEPS"
    FOREARMS = "FOREARMS"
    CORE = "CORE"
    GLUTES = "GLUTES"
    QUADS = "QUADS"
    HAMSTRINGS = "HAMSTRINGS"
    CALVES = "CALVES"
    HIP_FLEXORS = "HIP_FLEXORS"


@dataclass(frozen=True)
class Movement:
    """One entry of the movement library (``movements.json``)."""

    id: str
    name: str
    pattern: str
    equipment: str
    primary: frozenset[Muscle]
    secondary: frozenset[Muscle]
    # Which roles the movement may fill (a stretch is a cooldown, a squat a main lift).
    roles: frozenset[ExerciseRole]


@dataclass(frozen=True)
class GoalWeight:
    goal: Goal
    weight: int


@dataclass(frozen=True)
class InterferenceRule:
    """A pairwise goal conflict; order of the pair does not matter."""

    first: Goal
    second: Goal
    severity: float
    note: str = ""


@dataclass(frozen=True)
class MovementRule:
    """A movement the athlete must not do (matched by movement id only)."""

    movement_id: str
    reason: str


@dataclass(frozen=True)
class AthleteProfile:
    athlete_id: str
    experience_level: ExperienceLevel = ExperienceLevel.BEGINNER
    e1rm_formula: E1rmFormula = E1rmFormula.EPLEY
    preferred_split: SplitTemplate | None = None
    preferred_progression: ProgressionStyle | None = None
    movement_rules: tuple[MovementRule, ...] = ()


@dataclass(frozen=True)
class ProgramSpec:
    """A validated CreateProgram request, before resolution against the profile."""

    athlete_id: str
    goals: tuple[GoalWeight, ...]
    duration_weeks: int
    start_date: dt.date
    microcycle_length_days: int = 7
    deload_every: int = 4
    split_template: SplitTemplate | None = None
    progression_style: ProgressionStyle | None = None


@dataclass(frozen=True)
class PlannedExercise:
    position: int
    movement_id: str
    role: ExerciseRole
    sets: int
    reps: int
    target_rpe: float
    grouping: Grouping = Grouping.STRAIGHT
    group: int = 0


@dataclass(frozen=True)
class PlannedSession:
    date: dt.date
    day_index: int  # 0-based day within its microcycle
    focus: str  # e.g. "UPPER", "PUSH", "FULL_BODY_A"
    session_type: SessionType
    exercises: tuple[PlannedExercise, ...]


@dataclass(frozen=True)
class PlannedMicrocycle:
    sequence: int  # 1-based
    start_date: dt.date
    length_days: int
    is_deload: bool


@dataclass(frozen=True)
class ResolvedProgram:
    spec: ProgramSpec
    split_template: SplitTemplate
    progression_style: ProgressionStyle
    session_type: SessionType
    microcycles: tuple[PlannedMicrocycle, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class TimeBreakdown:
    warmup_minutes: int
    main_minutes: int
    accessory_minutes: int
    finisher_minutes: int
    cooldown_minutes: int
    total_minutes: int


@dataclass(frozen=True)
class Soreness:
    muscle: Muscle
    level: int  # 1-10


@dataclass(frozen=True)
class AdaptationStep:
    """One decision of AdaptSession, in the order it was taken."""

    kind: str  # "removed", "substituted", "volume_adjusted", "section_added", "kept"
    movement_id: str = ""
    substitute_id: str = ""
    reason: str = ""
    detail: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class AdaptedSession:
    exercises: tuple[PlannedExercise, ...]
    steps: tuple[AdaptationStep, ...]
    added_sections: tuple[str, ...]
    recovery_score: float


@dataclass(frozen=True)
class LoggedSet:
    movement_id: str
    set_number: int
    weight: float
    reps: int
    rpe: float | None


@dataclass(frozen=True)
class ScoredSet:
    logged: LoggedSet
    e1rm: float
    pattern: str
