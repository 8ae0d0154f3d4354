"""The plugin's Alembic branch creates exactly the table its model describes."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bastion.storage import Base
from bastion_blocklist import storage


def test_the_migration_matches_the_model(bastion_server) -> None:
    assert storage.BlocklistRow.__table__.metadata is Base.metadata
    with bastion_server.database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    assert [d for d in diffs if "blocklist_entries" in repr(d)] == []


def test_the_branch_is_recorded(bastion_server) -> None:
    with bastion_server.database.engine.connect() as conn:
        heads = set(MigrationContext.configure(conn).get_current_heads())
    assert "blocklist_0001" in heads
