"""Admission guards' tables: quotas (settings, limits, counters, reservations, violations,
usage time series) and run budgets (budgets, events).

Revision ID: core_0003
"""
import sqlalchemy as sa
from alembic import op

from bastion.storage import append_only

revision = "core_0003"
down_revision = "core_0002"
branch_labels = None
depends_on = None

UtcDateTime = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def _tenant(table: str) -> sa.Column:
    return sa.Column("tenant_id", sa.String(64), nullable=False)


def upgrade() -> None:
    op.create_table(
        "quota_settings", _tenant("quota_settings"),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("throttle_threshold", sa.Float, nullable=True),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_quota_settings"),
    )
    op.create_table(
        "quota_limits", _tenant("quota_limits"),
        sa.Column("resource", sa.String(32), nullable=False),
        sa.Column("limit", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "resource", name="pk_quota_limits"),
    )
    op.create_table(
        "quota_counters", _tenant("quota_counters"),
        sa.Column("resource", sa.String(32), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("used", sa.Float, nullable=False),
        sa.Column("throttled_until", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "resource", "period", name="pk_quota_counters"),
    )
    op.create_table(
        "quota_reservations", _tenant("quota_reservations"),
        sa.Column("decision_id", sa.String(64), nullable=False),
        sa.Column("resource", sa.String(32), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("amount", sa.Float, nullable=False),
        sa.Column("run_id", sa.String(256), nullable=False),
        sa.Column("task_id", sa.String(256), nullable=False),
        sa.Column("reserved_at", UtcDateTime, nullable=False),
        sa.Column("settled_at", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "decision_id", "resource",
                                name="pk_quota_reservations"),
    )
    op.create_table(
        "quota_violations",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        _tenant("quota_violations"),
        sa.Column("resource", sa.String(32), nullable=False),
        sa.Column("requested", sa.Float, nullable=False),
        sa.Column("used", sa.Float, nullable=False),
        sa.Column("limit", sa.Float, nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("decision_id", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_quota_violations"),
    )
    op.create_index("ix_quota_violations_tenant_id", "quota_violations", ["tenant_id"])
    op.create_table(
        "usage_records",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        _tenant("usage_records"),
        sa.Column("resource", sa.String(32), nullable=False),
        sa.Column("amount", sa.Float, nullable=False),
        sa.Column("run_id", sa.String(256), nullable=False),
        sa.Column("task_id", sa.String(256), nullable=False),
        sa.Column("decision_id", sa.String(64), nullable=False),
        sa.Column("ts", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_usage_records"),
    )
    op.create_index("ix_usage_records_tenant_id", "usage_records", ["tenant_id"])
    op.create_table(
        "run_budgets", _tenant("run_budgets"),
        sa.Column("run_id", sa.String(256), nullable=False),
        sa.Column("total_micros", sa.BigInteger, nullable=True),
        sa.Column("spent_micros", sa.BigInteger, nullable=False),
        sa.Column("fired_mask", sa.Integer, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "run_id", name="pk_run_budgets"),
    )
    op.create_table(
        "budget_events",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        _tenant("budget_events"),
        sa.Column("run_id", sa.String(256), nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("total_micros", sa.BigInteger, nullable=False),
        sa.Column("spent_micros", sa.BigInteger, nullable=False),
        sa.Column("units_affected", sa.Text, nullable=False),
        sa.Column("priorities_preempted", sa.Text, nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_budget_events"),
    )
    op.create_index("ix_budget_events_tenant_id", "budget_events", ["tenant_id"])
    # The records of what happened are history: the database refuses to rewrite them.
    for table in ("usage_records", "budget_events", "quota_violations"):
        append_only.create(op, table)


def downgrade() -> None:
    for table in ("usage_records", "budget_events", "quota_violations"):
        append_only.drop(op, table)
    for table in ("budget_events", "run_budgets", "usage_records", "quota_violations",
                  "quota_reservations", "quota_counters", "quota_limits", "quota_settings"):
        op.drop_table(table)
