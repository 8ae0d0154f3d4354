"""The training plugin's tables (SPEC D3): athletes, programs with their microcycles,
sessions and planned exercises, adaptations, and the athlete's logs.

Every row carries its tenant and every query filters on it. Writes are staged ops applied
in the transaction that ledgers the decision; each op writes its rows with one statement
per table (a multi-row INSERT, or an upsert where a row may exist), as the seed's own
performance notes asked: no per-row inserts, no DELETE + INSERT where an upsert fits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from bastion.storage.base import Base, TenantScoped, UtcDateTime, as_utc
from bastion.storage.database import Database
from bastion.storage.migrate import MIGRATIONS_DIR

TRAINING_VERSIONS = MIGRATIONS_DIR / "training"
_ID = sa.String(64)
_NAME = sa.String(32)


class AthleteRow(TenantScoped, Base):
    __tablename__ = "training_athletes"

    tenant_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    athlete_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    experience_level: Mapped[str] = mapped_column(_NAME)
    e1rm_formula: Mapped[str] = mapped_column(_NAME)
    preferred_split: Mapped[str | None] = mapped_column(_NAME, nullable=True)
    preferred_progression: Mapped[str | None] = mapped_column(_NAME, nullable=True)
    movement_rules_json: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ProgramRow(TenantScoped, Base):
    __tablename__ = "training_programs"
    __table_args__ = (
        sa.CheckConstraint("duration_weeks BETWEEN 8 AND 12 AND duration_weeks % 2 = 0",
                           name="duration_weeks"),
        sa.CheckConstraint("microcycle_length_days BETWEEN 7 AND 14",
                           name="microcycle_length_days"),
        sa.Index("ix_training_programs_athlete", "tenant_id", "athlete_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    athlete_id: Mapped[str] = mapped_column(sa.String(128))
    goals_json: Mapped[str] = mapped_column(sa.Text)
    duration_weeks: Mapped[int] = mapped_column(sa.Integer)
    start_date: Mapped[dt.date] = mapped_column(sa.Date)
    split_template: Mapped[str] = mapped_column(_NAME)
    progression_style: Mapped[str] = mapped_column(_NAME)
    session_type: Mapped[str] = mapped_column(_NAME)
    deload_every: Mapped[int] = mapped_column(sa.Integer)
    microcycle_length_days: Mapped[int] = mapped_column(sa.Integer)
    warnings_json: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class MicrocycleRow(TenantScoped, Base):
    __tablename__ = "training_microcycles"
    __table_args__ = (
        sa.CheckConstraint("length_days BETWEEN 7 AND 14", name="length_days"),
        sa.UniqueConstraint("program_id", "sequence", name="uq_training_microcycles_sequence"),
    )

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    program_id: Mapped[str] = mapped_column(_ID)
    sequence: Mapped[int] = mapped_column(sa.Integer)
    start_date: Mapped[dt.date] = mapped_column(sa.Date)
    length_days: Mapped[int] = mapped_column(sa.Integer)
    is_deload: Mapped[bool] = mapped_column(sa.Boolean)
    status: Mapped[str] = mapped_column(sa.String(16))


class SessionRow(TenantScoped, Base):
    __tablename__ = "training_sessions"
    __table_args__ = (
        sa.UniqueConstraint("program_id", "date", name="uq_training_sessions_date"),
        sa.Index("ix_training_sessions_athlete_date", "tenant_id", "athlete_id", "date"),
        sa.Index("ix_training_sessions_microcycle", "microcycle_id"),
    )

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    program_id: Mapped[str] = mapped_column(_ID)
    microcycle_id: Mapped[str] = mapped_column(_ID)
    athlete_id: Mapped[str] = mapped_column(sa.String(128))
    date: Mapped[dt.date] = mapped_column(sa.Date)
    day_index: Mapped[int] = mapped_column(sa.Integer)
    focus: Mapped[str] = mapped_column(_NAME)
    session_type: Mapped[str] = mapped_column(_NAME)
    adaptation_id: Mapped[str | None] = mapped_column(_ID, nullable=True)


class SessionExerciseRow(TenantScoped, Base):
    __tablename__ = "training_session_exercises"
    __table_args__ = (sa.Index("ix_training_session_exercises_program", "program_id"),)

    session_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    program_id: Mapped[str] = mapped_column(_ID)
    movement_id: Mapped[str] = mapped_column(sa.String(64))
    role: Mapped[str] = mapped_column(_NAME)
    sets: Mapped[int] = mapped_column(sa.Integer)
    reps: Mapped[int] = mapped_column(sa.Integer)
    target_rpe: Mapped[float] = mapped_column(sa.Float)
    grouping: Mapped[str] = mapped_column(_NAME)
    group_no: Mapped[int] = mapped_column(sa.Integer)


class AdaptationRow(TenantScoped, Base):
    __tablename__ = "training_adaptations"
    __table_args__ = (sa.Index("ix_training_adaptations_program", "program_id"),)

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    athlete_id: Mapped[str] = mapped_column(sa.String(128))
    program_id: Mapped[str] = mapped_column(_ID)
    session_id: Mapped[str] = mapped_column(_ID)
    request_json: Mapped[str] = mapped_column(sa.Text)
    result_json: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16))
    final_notes: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class WorkoutRow(TenantScoped, Base):
    __tablename__ = "training_workouts"
    __table_args__ = (sa.Index("ix_training_workouts_athlete", "tenant_id", "athlete_id",
                               "performed_at"),)

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    athlete_id: Mapped[str] = mapped_column(sa.String(128))
    # A plain reference: workout logs outlive a deleted program.
    session_id: Mapped[str | None] = mapped_column(_ID, nullable=True)
    performed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class WorkoutSetRow(TenantScoped, Base):
    __tablename__ = "training_workout_sets"

    workout_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    athlete_id: Mapped[str] = mapped_column(sa.String(128))
    movement_id: Mapped[str] = mapped_column(sa.String(64))
    pattern: Mapped[str] = mapped_column(_NAME)
    set_number: Mapped[int] = mapped_column(sa.Integer)
    weight: Mapped[float] = mapped_column(sa.Float)
    reps: Mapped[int] = mapped_column(sa.Integer)
    rpe: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    e1rm: Mapped[float] = mapped_column(sa.Float)


class TopSetRow(TenantScoped, Base):
    __tablename__ = "training_top_sets"

    tenant_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    athlete_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    pattern: Mapped[str] = mapped_column(_NAME, primary_key=True)
    movement_id: Mapped[str] = mapped_column(sa.String(64))
    weight: Mapped[float] = mapped_column(sa.Float)
    reps: Mapped[int] = mapped_column(sa.Integer)
    e1rm: Mapped[float] = mapped_column(sa.Float)
    workout_id: Mapped[str] = mapped_column(_ID)
    performed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class MuscleRecoveryRow(TenantScoped, Base):
    __tablename__ = "training_muscle_recovery"
    __table_args__ = (sa.CheckConstraint("level BETWEEN 0 AND 10", name="level"),)

    tenant_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    athlete_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    muscle: Mapped[str] = mapped_column(_NAME, primary_key=True)
    level: Mapped[int] = mapped_column(sa.Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class SorenessLogRow(TenantScoped, Base):
    __tablename__ = "training_soreness_logs"
    __table_args__ = (sa.Index("ix_training_soreness_logs_athlete", "tenant_id", "athlete_id",
                               "logged_at"),)

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    athlete_id: Mapped[str] = mapped_column(sa.String(128))
    muscle: Mapped[str] = mapped_column(_NAME)
    level: Mapped[int] = mapped_column(sa.Integer)
    logged_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class RecoverySignalRow(TenantScoped, Base):
    __tablename__ = "training_recovery_signals"
    __table_args__ = (sa.Index("ix_training_recovery_signals_athlete", "tenant_id",
                               "athlete_id", "logged_at"),)

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    athlete_id: Mapped[str] = mapped_column(sa.String(128))
    logged_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    recovery_score: Mapped[float] = mapped_column(sa.Float)
    sleep_hours: Mapped[float] = mapped_column(sa.Float)
    stress: Mapped[int] = mapped_column(sa.Integer)
    notes: Mapped[str] = mapped_column(sa.Text)


class ActivityRow(TenantScoped, Base):
    __tablename__ = "training_activities"
    __table_args__ = (sa.Index("ix_training_activities_athlete", "tenant_id", "athlete_id",
                               "performed_at"),)

    id: Mapped[str] = mapped_column(_ID, primary_key=True)
    athlete_id: Mapped[str] = mapped_column(sa.String(128))
    name: Mapped[str] = mapped_column(sa.String(200))
    duration_minutes: Mapped[int] = mapped_column(sa.Integer)
    distance_km: Mapped[float] = mapped_column(sa.Float)
    perceived_difficulty: Mapped[int] = mapped_column(sa.Integer)
    enjoyment: Mapped[int] = mapped_column(sa.Integer)
    performed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    notes: Mapped[str] = mapped_column(sa.Text)


ATHLETES = AthleteRow.__table__
PROGRAMS = ProgramRow.__table__
MICROCYCLES = MicrocycleRow.__table__
SESSIONS = SessionRow.__table__
EXERCISES = SessionExerciseRow.__table__
ADAPTATIONS = AdaptationRow.__table__
WORKOUTS = WorkoutRow.__table__
WORKOUT_SETS = WorkoutSetRow.__table__
TOP_SETS = TopSetRow.__table__
RECOVERY = MuscleRecoveryRow.__table__
SORENESS = SorenessLogRow.__table__
SIGNALS = RecoverySignalRow.__table__
ACTIVITIES = ActivityRow.__table__
TABLES = (ATHLETES, PROGRAMS, MICROCYCLES, SESSIONS, EXERCISES, ADAPTATIONS, WORKOUTS,
          WORKOUT_SETS, TOP_SETS, RECOVERY, SORENESS, SIGNALS, ACTIVITIES)

Row = dict[str, Any]


def _insert(conn: sa.Connection, table: sa.Table) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def _dicts(rows: Sequence[Any]) -> list[Row]:
    out = []
    for row in rows:
        item = dict(row._mapping)
        for key, value in item.items():
            if isinstance(value, dt.datetime):
                item[key] = as_utc(value)
        out.append(item)
    return out


# -- writes (staged ops) ----------------------------------------------------------------

class PutAthlete:
    """Creates or replaces an athlete's profile (one upsert)."""

    apply_order: ClassVar[int] = 50

    def __init__(self, row: Row) -> None:
        self.row = row

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["PutAthlete"]) -> None:
        for op in ops:
            insert = _insert(conn, ATHLETES).values(**op.row)
            keep = ("tenant_id", "athlete_id", "created_at")
            conn.execute(insert.on_conflict_do_update(
                index_elements=["tenant_id", "athlete_id"],
                set_={k: insert.excluded[k] for k in op.row if k not in keep}))


class CreateProgram:
    """A program, all its microcycles, and the sessions and exercises generated for the
    first: one multi-row INSERT per table."""

    apply_order: ClassVar[int] = 50

    def __init__(self, program: Row, microcycles: Sequence[Row], sessions: Sequence[Row],
                 exercises: Sequence[Row]) -> None:
        self.program, self.microcycles = program, list(microcycles)
        self.sessions, self.exercises = list(sessions), list(exercises)

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["CreateProgram"]) -> None:
        conn.execute(sa.insert(PROGRAMS), [op.program for op in ops])
        for table, rows in ((MICROCYCLES, [r for op in ops for r in op.microcycles]),
                            (SESSIONS, [r for op in ops for r in op.sessions]),
                            (EXERCISES, [r for op in ops for r in op.exercises])):
            if rows:
                conn.execute(sa.insert(table), rows)


class ActivateMicrocycle:
    """Makes a PLANNED microcycle ACTIVE with its generated sessions, and completes the
    previously active one. Only one of two concurrent calls wins the conditional UPDATE;
    the loser writes nothing and reads ``applied`` False."""

    apply_order: ClassVar[int] = 50

    def __init__(self, *, tenant_id: str, program_id: str, microcycle_id: str,
                 sessions: Sequence[Row], exercises: Sequence[Row]) -> None:
        self.tenant_id, self.program_id, self.microcycle_id = tenant_id, program_id, microcycle_id
        self.sessions, self.exercises = list(sessions), list(exercises)
        self.applied = False

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["ActivateMicrocycle"]) -> None:
        for op in ops:
            won = conn.execute(sa.update(MICROCYCLES).where(
                MICROCYCLES.c.tenant_id == op.tenant_id, MICROCYCLES.c.id == op.microcycle_id,
                MICROCYCLES.c.status == "PLANNED").values(status="ACTIVE")).rowcount
            if not won:
                continue
            conn.execute(sa.update(MICROCYCLES).where(
                MICROCYCLES.c.tenant_id == op.tenant_id,
                MICROCYCLES.c.program_id == op.program_id, MICROCYCLES.c.status == "ACTIVE",
                MICROCYCLES.c.id != op.microcycle_id).values(status="COMPLETED"))
            if op.sessions:
                conn.execute(sa.insert(SESSIONS), op.sessions)
                conn.execute(sa.insert(EXERCISES), op.exercises)
            op.applied = True


class DeleteProgram:
    """The program and everything planned under it (adaptations included); workout logs
    stay. Sets ``found``."""

    apply_order: ClassVar[int] = 50

    def __init__(self, *, tenant_id: str, program_id: str) -> None:
        self.tenant_id, self.program_id = tenant_id, program_id
        self.found = False

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["DeleteProgram"]) -> None:
        for op in ops:
            for table in (EXERCISES, ADAPTATIONS, SESSIONS, MICROCYCLES):
                conn.execute(sa.delete(table).where(table.c.tenant_id == op.tenant_id,
                                                    table.c.program_id == op.program_id))
            op.found = bool(conn.execute(sa.delete(PROGRAMS).where(
                PROGRAMS.c.tenant_id == op.tenant_id,
                PROGRAMS.c.id == op.program_id)).rowcount)


class InsertRows:
    """Rows of one table (an adaptation, a recovery signal, an activity)."""

    apply_order: ClassVar[int] = 50

    def __init__(self, table: sa.Table, row: Row) -> None:
        self.table, self.row = table, row

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["InsertRows"]) -> None:
        by_table: dict[sa.Table, list[Row]] = {}
        for op in ops:
            by_table.setdefault(op.table, []).append(op.row)
        for table, rows in by_table.items():
            conn.execute(sa.insert(table), rows)


class AcceptAdaptation:
    """Marks a PROPOSED adaptation ACCEPTED and makes its exercises the session's: an
    upsert by (session, position) and a delete of the positions beyond the new list.
    Sets ``applied`` (False when the adaptation was not PROPOSED any more)."""

    apply_order: ClassVar[int] = 50

    def __init__(self, *, tenant_id: str, adaptation_id: str, session_id: str,
                 exercises: Sequence[Row], final_notes: str, now: dt.datetime) -> None:
        self.tenant_id, self.adaptation_id, self.session_id = tenant_id, adaptation_id, session_id
        self.exercises, self.final_notes, self.now = list(exercises), final_notes, now
        self.applied = False

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["AcceptAdaptation"]) -> None:
        for op in ops:
            won = conn.execute(sa.update(ADAPTATIONS).where(
                ADAPTATIONS.c.tenant_id == op.tenant_id, ADAPTATIONS.c.id == op.adaptation_id,
                ADAPTATIONS.c.status == "PROPOSED").values(
                status="ACCEPTED", final_notes=op.final_notes, accepted_at=op.now)).rowcount
            if not won:
                continue
            if op.exercises:
                insert = _insert(conn, EXERCISES)
                keys = ("session_id", "position")
                conn.execute(insert.on_conflict_do_update(
                    index_elements=list(keys),
                    set_={k: insert.excluded[k] for k in op.exercises[0] if k not in keys}),
                    op.exercises)
            conn.execute(sa.delete(EXERCISES).where(
                EXERCISES.c.tenant_id == op.tenant_id, EXERCISES.c.session_id == op.session_id,
                EXERCISES.c.position > len(op.exercises)))
            conn.execute(sa.update(SESSIONS).where(
                SESSIONS.c.tenant_id == op.tenant_id, SESSIONS.c.id == op.session_id).values(
                adaptation_id=op.adaptation_id))
            op.applied = True


# (current level, updated_at) of a muscle, or None when it has no state → its new level.
LevelUpdate = Callable[[tuple[int, dt.datetime] | None], int]


class UpdateRecovery:
    """New recovery levels computed from the current ones read in the same transaction
    (locked on PostgreSQL), so two logs of one athlete do not lose an update. Also inserts
    the log rows that caused it (soreness entries, a workout with its sets) and keeps each
    pattern's top set (an upsert that only replaces a lower E1RM). Sets ``recovery`` and
    ``new_top_sets``."""

    apply_order: ClassVar[int] = 50

    def __init__(self, *, tenant_id: str, athlete_id: str, updates: Mapping[str, LevelUpdate],
                 now: dt.datetime, inserts: Sequence[tuple[sa.Table, Sequence[Row]]] = (),
                 top_sets: Sequence[Row] = ()) -> None:
        self.tenant_id, self.athlete_id, self.updates, self.now = tenant_id, athlete_id, updates, now
        self.inserts, self.top_sets = list(inserts), list(top_sets)
        self.recovery: list[Row] = []
        self.new_top_sets: list[Row] = []

    @classmethod
    def apply_all(cls, conn: sa.Connection, ops: Sequence["UpdateRecovery"]) -> None:
        for op in ops:
            for table, rows in op.inserts:
                if rows:
                    conn.execute(sa.insert(table), list(rows))
            op._apply_recovery(conn)
            op._apply_top_sets(conn)

    def _apply_recovery(self, conn: sa.Connection) -> None:
        if not self.updates:
            return
        query = sa.select(RECOVERY.c.muscle, RECOVERY.c.level, RECOVERY.c.updated_at).where(
            RECOVERY.c.tenant_id == self.tenant_id, RECOVERY.c.athlete_id == self.athlete_id,
            RECOVERY.c.muscle.in_(sorted(self.updates)))
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        current = {m: (level, as_utc(at)) for m, level, at in conn.execute(query)}
        rows = [{"tenant_id": self.tenant_id, "athlete_id": self.athlete_id, "muscle": muscle,
                 "level": update(current.get(muscle)), "updated_at": self.now}
                for muscle, update in sorted(self.updates.items())]
        insert = _insert(conn, RECOVERY)
        conn.execute(insert.on_conflict_do_update(
            index_elements=["tenant_id", "athlete_id", "muscle"],
            set_={"level": insert.excluded.level, "updated_at": insert.excluded.updated_at}),
            rows)
        self.recovery = rows

    def _apply_top_sets(self, conn: sa.Connection) -> None:
        if not self.top_sets:
            return
        insert = _insert(conn, TOP_SETS)
        columns = [c for c in self.top_sets[0] if c not in ("tenant_id", "athlete_id", "pattern")]
        statement = insert.on_conflict_do_update(
            index_elements=["tenant_id", "athlete_id", "pattern"],
            set_={c: insert.excluded[c] for c in columns},
            where=insert.excluded.e1rm > TOP_SETS.c.e1rm).returning(*TOP_SETS.c)
        # One multi-row statement; RETURNING yields only the rows it inserted or raised.
        self.new_top_sets = _dicts(conn.execute(statement, self.top_sets).all())


# -- reads ----------------------------------------------------------------------------

def athlete(db: Database, tenant_id: str, athlete_id: str) -> Row | None:
    with db.read() as session:
        return _athlete(session, tenant_id, athlete_id)


def _athlete(session: Session, tenant_id: str, athlete_id: str) -> Row | None:
    rows = session.execute(sa.select(ATHLETES).where(
        ATHLETES.c.tenant_id == tenant_id, ATHLETES.c.athlete_id == athlete_id)).all()
    return _dicts(rows)[0] if rows else None


def day_inputs(db: Database, tenant_id: str, athlete_id: str, date: dt.date, *,
               signal_since: dt.datetime | None = None
               ) -> tuple[Row | None, tuple[Row, list[Row]] | None, Row | None]:
    """What GetDailyPlan and AdaptSession read, in one read unit: the athlete (None: the
    rest is None too), their session on ``date`` with its exercises, and, when
    ``signal_since`` is given, their latest recovery signal since then. (Three read
    units cost AdaptSession ~1-2 ms more: bench/RESULTS.md.)"""
    with db.read() as session:
        profile = _athlete(session, tenant_id, athlete_id)
        if profile is None:
            return None, None, None
        found = _session_on(session, tenant_id, athlete_id, date)
        signal = None if signal_since is None else _latest_signal(
            session, tenant_id, athlete_id, signal_since)
    return profile, found, signal


def program(db: Database, tenant_id: str, program_id: str, *,
            include_sessions: bool = False) -> tuple[Row, list[Row], list[Row], list[Row]] | None:
    """(program, microcycles by sequence, sessions by date, exercises by session and
    position); sessions and exercises only with ``include_sessions``."""
    with db.read() as session:
        found = _dicts(session.execute(sa.select(PROGRAMS).where(
            PROGRAMS.c.tenant_id == tenant_id, PROGRAMS.c.id == program_id)).all())
        if not found:
            return None
        cycles = _dicts(session.execute(sa.select(MICROCYCLES).where(
            MICROCYCLES.c.tenant_id == tenant_id, MICROCYCLES.c.program_id == program_id)
            .order_by(MICROCYCLES.c.sequence)).all())
        sessions: list[Row] = []
        exercises: list[Row] = []
        if include_sessions:
            sessions, exercises = _sessions_of(session, tenant_id,
                                               SESSIONS.c.program_id == program_id)
    return found[0], cycles, sessions, exercises


def _sessions_of(session: Any, tenant_id: str, condition: Any) -> tuple[list[Row], list[Row]]:
    sessions = _dicts(session.execute(sa.select(SESSIONS).where(
        SESSIONS.c.tenant_id == tenant_id, condition).order_by(SESSIONS.c.date)).all())
    if not sessions:
        return [], []
    exercises = _dicts(session.execute(sa.select(EXERCISES).where(
        EXERCISES.c.tenant_id == tenant_id,
        EXERCISES.c.session_id.in_([s["id"] for s in sessions]))
        .order_by(EXERCISES.c.session_id, EXERCISES.c.position)).all())
    return sessions, exercises


def programs(db: Database, tenant_id: str, athlete_id: str = "") -> list[Row]:
    query = sa.select(PROGRAMS).where(PROGRAMS.c.tenant_id == tenant_id)
    if athlete_id:
        query = query.where(PROGRAMS.c.athlete_id == athlete_id)
    with db.read() as session:
        return _dicts(session.execute(query.order_by(PROGRAMS.c.created_at.desc(),
                                                     PROGRAMS.c.id)).all())


def _session_on(session: Session, tenant_id: str, athlete_id: str,
                date: dt.date) -> tuple[Row, list[Row]] | None:
    """The athlete's session on ``date`` in their newest program that has one."""
    found = _dicts(session.execute(
        sa.select(SESSIONS).join(PROGRAMS, PROGRAMS.c.id == SESSIONS.c.program_id).where(
            SESSIONS.c.tenant_id == tenant_id, SESSIONS.c.athlete_id == athlete_id,
            SESSIONS.c.date == date)
        .order_by(PROGRAMS.c.created_at.desc()).limit(1)).all())
    if not found:
        return None
    exercises = _dicts(session.execute(sa.select(EXERCISES).where(
        EXERCISES.c.tenant_id == tenant_id, EXERCISES.c.session_id == found[0]["id"])
        .order_by(EXERCISES.c.position)).all())
    return found[0], exercises


def session_by_id(db: Database, tenant_id: str, session_id: str) -> Row | None:
    with db.read() as session:
        rows = _dicts(session.execute(sa.select(SESSIONS).where(
            SESSIONS.c.tenant_id == tenant_id, SESSIONS.c.id == session_id)).all())
    return rows[0] if rows else None


def adaptation(db: Database, tenant_id: str, adaptation_id: str) -> Row | None:
    with db.read() as session:
        rows = _dicts(session.execute(sa.select(ADAPTATIONS).where(
            ADAPTATIONS.c.tenant_id == tenant_id, ADAPTATIONS.c.id == adaptation_id)).all())
    return rows[0] if rows else None


def recovery(db: Database, tenant_id: str, athlete_id: str) -> list[Row]:
    with db.read() as session:
        return _dicts(session.execute(sa.select(RECOVERY).where(
            RECOVERY.c.tenant_id == tenant_id, RECOVERY.c.athlete_id == athlete_id)
            .order_by(RECOVERY.c.muscle)).all())


def _latest_signal(session: Session, tenant_id: str, athlete_id: str,
                   since: dt.datetime) -> Row | None:
    rows = _dicts(session.execute(sa.select(SIGNALS).where(
        SIGNALS.c.tenant_id == tenant_id, SIGNALS.c.athlete_id == athlete_id,
        SIGNALS.c.logged_at >= since).order_by(SIGNALS.c.logged_at.desc()).limit(1)).all())
    return rows[0] if rows else None


def count_rows(db: Database, tenant_id: str) -> dict[str, int]:
    """Rows per training table for a tenant (tests and operators checking a cascade)."""
    with db.read() as session:
        return {t.name: session.execute(sa.select(sa.func.count()).select_from(t).where(
            t.c.tenant_id == tenant_id)).scalar_one() for t in TABLES}
