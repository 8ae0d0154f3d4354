"""Ledger entries, append-only by trigger (contributed by the ledger plugin).

Revision ID: ledger_0001
"""
import sqlalchemy as sa
from alembic import op

from bastion.storage import append_only

revision = "ledger_0001"
down_revision = None
branch_labels = ("ledger",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), autoincrement=True,
                  nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("sequence", sa.BigInteger, nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action_type", sa.String(128), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("payload_json", sa.Text, nullable=False),
        sa.Column("parent_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_entries"),
        sa.UniqueConstraint("tenant_id", "sequence", name="uq_ledger_entries_tenant_id_sequence"),
    )
    op.create_index("ix_ledger_entries_tenant_id", "ledger_entries", ["tenant_id"])
    op.create_index("ix_ledger_entries_subject_id", "ledger_entries", ["subject_id"])
    append_only.create(op, "ledger_entries")


def downgrade() -> None:
    append_only.drop(op, "ledger_entries")
    op.drop_table("ledger_entries")
