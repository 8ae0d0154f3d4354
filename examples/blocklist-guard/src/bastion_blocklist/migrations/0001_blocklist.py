"""The blocklist plugin's table: its own Alembic branch, applied after Bastion's core.

Revision ID: blocklist_0001
"""
import sqlalchemy as sa
from alembic import op

revision = "blocklist_0001"
down_revision = None
branch_labels = ("blocklist",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "blocklist_entries",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("pattern", sa.String(256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_blocklist_entries"),
        sa.UniqueConstraint("tenant_id", "pattern",
                            name="uq_blocklist_entries_tenant_id_pattern"),
    )
    op.create_index("ix_blocklist_entries_tenant_id", "blocklist_entries", ["tenant_id"])


def downgrade() -> None:
    op.drop_table("blocklist_entries")
