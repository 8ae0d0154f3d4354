"""``bastion_require(ok)``: how a group-commit batch run as one statement undoes itself
when a condition of its writes does not hold (PostgreSQL only; see
``storage/group_commit.py``, ``Statement.requires``).

Revision ID: core_0007
"""
from alembic import op

revision = "core_0007"
down_revision = "core_0006"
branch_labels = None
depends_on = None

# The SQLSTATE the committer recognises (storage.group_commit.REQUIREMENT_FAILED).
_SQLSTATE = "BQ001"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"""
        CREATE OR REPLACE FUNCTION bastion_require(ok boolean) RETURNS boolean AS $$
        BEGIN
          IF ok IS NOT TRUE THEN
            RAISE EXCEPTION 'a condition of the batch does not hold'
              USING ERRCODE = '{_SQLSTATE}';
          END IF;
          RETURN true;
        END $$ LANGUAGE plpgsql""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS bastion_require(boolean)")
