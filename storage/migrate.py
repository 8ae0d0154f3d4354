"""Runs the Alembic migrations of the core and of every enabled plugin.

Plugins contribute version folders through the ``bastion_migrations`` hook; each folder is
an Alembic branch (``branch_labels``) that ``depends_on`` the core, and ``upgrade heads``
brings every branch up to date.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterable

from alembic import command
from alembic.config import Config

from bastion.storage.database import Database

MIGRATIONS_DIR = pathlib.Path(__file__).resolve().parent / "migrations"
CORE_VERSIONS = MIGRATIONS_DIR / "versions"
LEDGER_VERSIONS = MIGRATIONS_DIR / "ledger"


def alembic_config(db: Database, version_locations: Iterable[pathlib.Path | str]) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    locations = [str(CORE_VERSIONS), *(str(p) for p in version_locations)]
    # Alembic splits this option on the separator; os.pathsep is safe for absolute paths.
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(dict.fromkeys(locations)))
    cfg.set_main_option("sqlalchemy.url", db.safe_url)
    return cfg


def upgrade(db: Database, version_locations: Iterable[pathlib.Path | str] = ()) -> None:
    """Brings the database to the newest revision of every branch."""
    cfg = alembic_config(db, version_locations)
    with db.engine.connect().execution_options(bastion_write=True) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
        conn.commit()


def is_up_to_date(db: Database, version_locations: Iterable[pathlib.Path | str] = ()) -> bool:
    """True when every branch (core and the plugins') is at its newest revision."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(db, version_locations))
    with db.engine.connect() as conn:
        current = tuple(MigrationContext.configure(conn).get_current_heads())
    # Alembic records only the tips; what they include (dependencies too) is applied.
    applied = {r.revision for r in script.revision_map.iterate_revisions(
        current, "base", implicit_base=True)} if current else set()
    return set(script.get_heads()) <= applied
