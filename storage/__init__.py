"""Bastion's storage layer: engine and transactions, tables, migrations, repositories.

SQL lives here and nowhere else. Domain code and guards call the small repository functions
in this package (or a plugin's own storage module) with a :class:`Database`; they never hold
a SQLAlchemy session across calls and never see one in their hook arguments.
"""

from bastion.storage.base import Base
from bastion.storage.database import Database, StorageUnavailable
from bastion.storage.group_commit import GroupCommitter, Withdrawn, WriteOp

__all__ = ["Base", "Database", "GroupCommitter", "StorageUnavailable", "Withdrawn", "WriteOp"]
