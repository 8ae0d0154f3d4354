"""Telemetry entries (SPEC W3) and agent memories (SPEC W4).

Revision ID: core_0004
"""
import sqlalchemy as sa
from alembic import op

revision = "core_0004"
down_revision = "core_0003"
branch_labels = None
depends_on = None

UtcDateTime = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "telemetry",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("entry_type", sa.String(32), nullable=False),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("details_json", sa.Text, nullable=False),
        sa.Column("error_json", sa.Text, nullable=True),
        sa.Column("run_id", sa.String(256), nullable=False),
        sa.Column("decision_id", sa.String(64), nullable=False),
        sa.Column("recorded_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_telemetry"),
    )
    # One secondary index: each further B-tree cost about a third of the COPY rate.
    op.create_index("ix_telemetry_tenant_time", "telemetry",
                    ["tenant_id", "recorded_at", "id"])
    op.create_table(
        "memories",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(128), nullable=False),
        sa.Column("key", sa.String(256), nullable=False),
        sa.Column("value_json", sa.Text, nullable=False),
        sa.Column("toxic", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("toxic_reason", sa.Text, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("last_accessed_at", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_memories"),
        sa.UniqueConstraint("tenant_id", "role", "key", name="uq_memories_tenant_id"),
    )
    op.create_index("ix_memories_last_accessed_at", "memories", ["last_accessed_at"])


def downgrade() -> None:
    op.drop_table("memories")
    op.drop_table("telemetry")
