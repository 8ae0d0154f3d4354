"""Deliberation scores (append-only) and per-tenant scoring settings (deliberation plugin).

Revision ID: deliberation_0001
"""
import sqlalchemy as sa
from alembic import op

from bastion.storage import append_only

revision = "deliberation_0001"
down_revision = None
branch_labels = ("deliberation",)
depends_on = "core_0001"

UtcDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "deliberation_scores",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), autoincrement=True,
                  nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("decision_id", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(256), nullable=False),
        sa.Column("task_id", sa.String(256), nullable=False),
        sa.Column("agent_id", sa.String(256), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("model", sa.String(256), nullable=False),
        sa.Column("depth", sa.Float, nullable=False),
        sa.Column("coherence", sa.Float, nullable=False),
        sa.Column("relevance", sa.Float, nullable=False),
        sa.Column("overall", sa.Float, nullable=False),
        sa.Column("steps", sa.Integer, nullable=False),
        sa.Column("logical_issues", sa.Integer, nullable=False),
        sa.Column("off_topic_segments", sa.Integer, nullable=False),
        sa.Column("thinking_tokens", sa.BigInteger, nullable=False),
        sa.Column("recommendation", sa.String(16), nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deliberation_scores"),
    )
    op.create_index("ix_deliberation_scores_tenant_run", "deliberation_scores",
                    ["tenant_id", "run_id", "id"])
    op.create_index("ix_deliberation_scores_tenant_id", "deliberation_scores",
                    ["tenant_id", "id"])
    append_only.create(op, "deliberation_scores")
    op.create_table(
        "deliberation_settings",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("settings_json", sa.Text, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("updated_by", sa.String(256), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_deliberation_settings"),
    )


def downgrade() -> None:
    op.drop_table("deliberation_settings")
    append_only.drop(op, "deliberation_scores")
    op.drop_table("deliberation_scores")
