"""The training plugin's tables: athletes, programs, microcycles, sessions and their
exercises, adaptations, workouts and their sets, top sets, muscle recovery, soreness logs,
recovery signals, activities.

Revision ID: training_0001
"""
import sqlalchemy as sa
from alembic import op

revision = "training_0001"
down_revision = None
branch_labels = ("training",)
depends_on = "core_0001"

TABLES = ("training_activities", "training_adaptations", "training_athletes",
          "training_microcycles", "training_muscle_recovery", "training_programs",
          "training_recovery_signals", "training_session_exercises", "training_sessions",
          "training_soreness_logs", "training_top_sets", "training_workout_sets",
          "training_workouts")


def upgrade() -> None:
    op.create_table('training_activities',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('athlete_id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('distance_km', sa.Float(), nullable=False),
    sa.Column('perceived_difficulty', sa.Integer(), nullable=False),
    sa.Column('enjoyment', sa.Integer(), nullable=False),
    sa.Column('performed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_activities'))
    )
    op.create_index('ix_training_activities_athlete', 'training_activities', ['tenant_id', 'athlete_id', 'performed_at'], unique=False)
    op.create_index(op.f('ix_training_activities_tenant_id'), 'training_activities', ['tenant_id'], unique=False)
    op.create_table('training_adaptations',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('athlete_id', sa.String(length=128), nullable=False),
    sa.Column('program_id', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.String(length=64), nullable=False),
    sa.Column('request_json', sa.Text(), nullable=False),
    sa.Column('result_json', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('final_notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_adaptations'))
    )
    op.create_index('ix_training_adaptations_program', 'training_adaptations', ['program_id'], unique=False)
    op.create_index(op.f('ix_training_adaptations_tenant_id'), 'training_adaptations', ['tenant_id'], unique=False)
    op.create_table('training_athletes',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('athlete_id', sa.String(length=128), nullable=False),
    sa.Column('experience_level', sa.String(length=32), nullable=False),
    sa.Column('e1rm_formula', sa.String(length=32), nullable=False),
    sa.Column('preferred_split', sa.String(length=32), nullable=True),
    sa.Column('preferred_progression', sa.String(length=32), nullable=True),
    sa.Column('movement_rules_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'athlete_id', name=op.f('pk_training_athletes'))
    )
    op.create_table('training_microcycles',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('program_id', sa.String(length=64), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('length_days', sa.Integer(), nullable=False),
    sa.Column('is_deload', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.CheckConstraint('length_days BETWEEN 7 AND 14', name=op.f('ck_training_microcycles_length_days')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_microcycles')),
    sa.UniqueConstraint('program_id', 'sequence', name='uq_training_microcycles_sequence')
    )
    op.create_index(op.f('ix_training_microcycles_tenant_id'), 'training_microcycles', ['tenant_id'], unique=False)
    op.create_table('training_muscle_recovery',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('athlete_id', sa.String(length=128), nullable=False),
    sa.Column('muscle', sa.String(length=32), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('level BETWEEN 0 AND 10', name=op.f('ck_training_muscle_recovery_level')),
    sa.PrimaryKeyConstraint('tenant_id', 'athlete_id', 'muscle', name=op.f('pk_training_muscle_recovery'))
    )
    op.create_table('training_programs',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('athlete_id', sa.String(length=128), nullable=False),
    sa.Column('goals_json', sa.Text(), nullable=False),
    sa.Column('duration_weeks', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('split_template', sa.String(length=32), nullable=False),
    sa.Column('progression_style', sa.String(length=32), nullable=False),
    sa.Column('session_type', sa.String(length=32), nullable=False),
    sa.Column('deload_every', sa.Integer(), nullable=False),
    sa.Column('microcycle_length_days', sa.Integer(), nullable=False),
    sa.Column('warnings_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.CheckConstraint('duration_weeks BETWEEN 8 AND 12 AND duration_weeks % 2 = 0', name=op.f('ck_training_programs_duration_weeks')),
    sa.CheckConstraint('microcycle_length_days BETWEEN 7 AND 14', name=op.f('ck_training_programs_microcycle_length_days')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_programs'))
    )
    op.create_index('ix_training_programs_athlete', 'training_programs', ['tenant_id', 'athlete_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_training_programs_tenant_id'), 'training_programs', ['tenant_id'], unique=False)
    op.create_table('training_recovery_signals',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('athlete_id', sa.String(length=128), nullable=False),
    sa.Column('logged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recovery_score', sa.Float(), nullable=False),
    sa.Column('sleep_hours', sa.Float(), nullable=False),
    sa.Column('stress', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_recovery_signals'))
    )
    op.create_index('ix_training_recovery_signals_athlete', 'training_recovery_signals', ['tenant_id', 'athlete_id', 'logged_at'], unique=False)
    op.create_index(op.f('ix_training_recovery_signals_tenant_id'), 'training_recovery_signals', ['tenant_id'], unique=False)
    op.create_table('training_session_exercises',
    sa.Column('session_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.String(length=64), nullable=False),
    sa.Column('movement_id', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('sets', sa.Integer(), nullable=False),
    sa.Column('reps', sa.Integer(), nullable=False),
    sa.Column('target_rpe', sa.Float(), nullable=False),
    sa.Column('grouping', sa.String(length=32), nullable=False),
    sa.Column('group_no', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('session_id', 'position', name=op.f('pk_training_session_exercises'))
    )
    op.create_index('ix_training_session_exercises_program', 'training_session_exercises', ['program_id'], unique=False)
    op.create_index(op.f('ix_training_session_exercises_tenant_id'), 'training_session_exercises', ['tenant_id'], unique=False)
    op.create_table('training_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('program_id', sa.String(length=64), nullable=False),
    sa.Column('microcycle_id', sa.String(length=64), nullable=False),
    sa.Column('athlete_id', sa.String(length=128), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('day_index', sa.Integer(), nullable=False),
    sa.Column('focus', sa.String(length=32), nullable=False),
    sa.Column('session_type', sa.String(length=32), nullable=False),
    sa.Column('adaptation_id', sa.String(length=64), nullable=True),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_sessions')),
    sa.UniqueConstraint('program_id', 'date', name='uq_training_sessions_date')
    )
    op.create_index('ix_training_sessions_athlete_date', 'training_sessions', ['tenant_id', 'athlete_id', 'date'], unique=False)
    op.create_index('ix_training_sessions_microcycle', 'training_sessions', ['microcycle_id'], unique=False)
    op.create_index(op.f('ix_training_sessions_tenant_id'), 'training_sessions', ['tenant_id'], unique=False)
    op.create_table('training_soreness_logs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('athlete_id', sa.String(length=128), nullable=False),
    sa.Column('muscle', sa.String(length=32), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('logged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_soreness_logs'))
    )
    op.create_index('ix_training_soreness_logs_athlete', 'training_soreness_logs', ['tenant_id', 'athlete_id', 'logged_at'], unique=False)
    op.create_index(op.f('ix_training_soreness_logs_tenant_id'), 'training_soreness_logs', ['tenant_id'], unique=False)
    op.create_table('training_top_sets',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('athlete_id', sa.String(length=128), nullable=False),
    sa.Column('pattern', sa.String(length=32), nullable=False),
    sa.Column('movement_id', sa.String(length=64), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('reps', sa.Integer(), nullable=False),
    sa.Column('e1rm', sa.Float(), nullable=False),
    sa.Column('workout_id', sa.String(length=64), nullable=False),
    sa.Column('performed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'athlete_id', 'pattern', name=op.f('pk_training_top_sets'))
    )
    op.create_table('training_workout_sets',
    sa.Column('workout_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('athlete_id', sa.String(length=128), nullable=False),
    sa.Column('movement_id', sa.String(length=64), nullable=False),
    sa.Column('pattern', sa.String(length=32), nullable=False),
    sa.Column('set_number', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('reps', sa.Integer(), nullable=False),
    sa.Column('rpe', sa.Float(), nullable=True),
    sa.Column('e1rm', sa.Float(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('workout_id', 'position', name=op.f('pk_training_workout_sets'))
    )
    op.create_index(op.f('ix_training_workout_sets_tenant_id'), 'training_workout_sets', ['tenant_id'], unique=False)
    op.create_table('training_workouts',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('athlete_id', sa.String(length=128), nullable=False),
    sa.Column('session_id', sa.String(length=64), nullable=True),
    sa.Column('performed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_workouts'))
    )
    op.create_index('ix_training_workouts_athlete', 'training_workouts', ['tenant_id', 'athlete_id', 'performed_at'], unique=False)
    op.create_index(op.f('ix_training_workouts_tenant_id'), 'training_workouts', ['tenant_id'], unique=False)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
