"""Per-tenant guard modes: an admin runs a guard in shadow (or enforce) mode for one tenant.

Revision ID: core_0006
"""
import sqlalchemy as sa
from alembic import op

revision = "core_0006"
down_revision = "core_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guard_modes",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("guard", sa.String(128), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(256), nullable=False),
        sa.CheckConstraint("mode IN ('enforce', 'shadow')", name="mode"),
        sa.PrimaryKeyConstraint("tenant_id", "guard", name="pk_guard_modes"),
    )


def downgrade() -> None:
    op.drop_table("guard_modes")
