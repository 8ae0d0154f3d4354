"""Units of work and their append-only history (SPEC W1).

Revision ID: core_0002
"""
import sqlalchemy as sa
from alembic import op

from bastion.storage import append_only

revision = "core_0002"
down_revision = "core_0001"
branch_labels = None
depends_on = None

UtcDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "work_units",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.SmallInteger, nullable=False),
        sa.Column("attributes_json", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(256), nullable=True),
        sa.Column("lease_id", sa.String(64), nullable=True),
        sa.Column("lease_holder", sa.String(256), nullable=True),
        sa.Column("leased_at", UtcDateTime, nullable=True),
        sa.Column("last_heartbeat_at", UtcDateTime, nullable=True),
        sa.Column("lease_expires_at", UtcDateTime, nullable=True),
        sa.Column("progress", sa.Float, nullable=False),
        sa.Column("checkpoint_json", sa.Text, nullable=True),
        sa.Column("preemption_count", sa.Integer, nullable=False),
        sa.Column("reclaim_count", sa.Integer, nullable=False),
        sa.Column("failure_reason", sa.String(256), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_work_units"),
        sa.UniqueConstraint("tenant_id", "idempotency_key",
                            name="uq_work_units_tenant_id_idempotency_key"),
    )
    op.create_index("ix_work_units_tenant_id", "work_units", ["tenant_id", "id"])
    # Lease order (priority, age, id) straight from the index, with or without a run.
    op.create_index("ix_work_units_queue", "work_units",
                    ["tenant_id", "status", "priority", "created_at", "id"])
    op.create_index("ix_work_units_run", "work_units",
                    ["tenant_id", "run_id", "status", "priority", "created_at", "id"])
    op.create_index("ix_work_units_heartbeat", "work_units", ["status", "last_heartbeat_at"])
    op.create_table(
        "work_unit_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                  primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("prev_status", sa.String(16), nullable=False),
        sa.Column("new_status", sa.String(16), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("new_hash", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(256), nullable=False),
        sa.Column("metadata_json", sa.Text, nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_work_unit_history"),
    )
    op.create_index("ix_work_unit_history_tenant_id", "work_unit_history", ["tenant_id"])
    op.create_index("ix_work_unit_history_unit", "work_unit_history", ["unit_id", "id"])
    append_only.create(op, "work_unit_history")


def downgrade() -> None:
    append_only.drop(op, "work_unit_history")
    op.drop_table("work_unit_history")
    op.drop_table("work_units")
