"""Semantic guard policies (SPEC G5): CEL policies per tenant or global (scope ``*``) and a
version per scope (from one change sequence) for cache invalidation across replicas.

Revision ID: core_0005
"""
import sqlalchemy as sa
from alembic import op

revision = "core_0005"
# Another core migration (core_0004) is being written in parallel; the merge re-points this.
down_revision = "core_0004"
branch_labels = None
depends_on = None

UtcDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "policies",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("effect", sa.String(8), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("description", sa.String(1024), nullable=False),
        sa.Column("expression", sa.Text, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("fail_open", sa.Boolean, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_policies"),
    )
    op.create_index("ix_policies_tenant_id", "policies", ["tenant_id"])
    op.create_table(
        "policy_versions",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_policy_versions"),
    )
    op.create_index("ix_policy_versions_version", "policy_versions", ["version"])


def downgrade() -> None:
    op.drop_index("ix_policy_versions_version", table_name="policy_versions")
    op.drop_table("policy_versions")
    op.drop_index("ix_policies_tenant_id", table_name="policies")
    op.drop_table("policies")
