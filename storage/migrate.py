"""Runs the Alembic migrations of the core and of every enabled plugin.

Plugins contribute version folders through the ``bastion_migrations`` hook; each folder is
an Alembic branch (``branch_labels``) that ``depends_on`` the core, and ``upgrade heads``
brings every branch up to date.

A plugin that was migrated and then disabled (or uninstalled) leaves its branch's revision
in ``alembic_version``, which the script directory of the enabled plugins cannot resolve.
Like Django with a removed app, Bastion leaves such a branch alone: it is not upgraded, not
required, and its row stays, so enabling the plugin again continues where it stopped.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterable

import sqlalchemy as sa
import structlog
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bastion.storage.database import Database

log = structlog.get_logger("bastion.migrate")
VERSION_TABLE = "alembic_version"
# Serialises `bastion migrate` run by several replicas at once on PostgreSQL.
_MIGRATE_LOCK_KEY = 0x6261737469_6F6E  # "bastion"

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
    """Brings the database to the newest revision of every enabled branch, in one
    transaction (PostgreSQL and SQLite both run DDL transactionally)."""
    cfg = alembic_config(db, version_locations)
    script = ScriptDirectory.from_config(cfg)
    with db.engine.connect().execution_options(bastion_write=True) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                         {"key": _MIGRATE_LOCK_KEY})
        parked = _park_unknown_heads(conn, script)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
        if parked:
            conn.execute(sa.text(f"INSERT INTO {VERSION_TABLE} (version_num) VALUES (:v)"),
                         [{"v": v} for v in parked])
        conn.commit()


def is_up_to_date(db: Database, version_locations: Iterable[pathlib.Path | str] = ()) -> bool:
    """True when every enabled branch (core and the plugins') is at its newest revision."""
    script = ScriptDirectory.from_config(alembic_config(db, version_locations))
    with db.engine.connect() as conn:
        current = [h for h in MigrationContext.configure(conn).get_current_heads()
                   if _known(script, h)]
    # Alembic records only the tips; what they include (dependencies too) is applied.
    applied = {r.revision for r in script.revision_map.iterate_revisions(
        tuple(current), "base", implicit_base=True)} if current else set()
    return set(script.get_heads()) <= applied


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.revision_map.get_revision(revision) is not None
    except Exception:  # noqa: BLE001 - alembic raises ResolutionError subclasses
        return False


def _park_unknown_heads(conn: sa.Connection, script: ScriptDirectory) -> list[str]:
    """Removes the recorded heads no enabled branch knows (put back after the upgrade, in
    the same transaction) so Alembic upgrades the branches it does know."""
    if not sa.inspect(conn).has_table(VERSION_TABLE):
        return []
    heads = MigrationContext.configure(conn).get_current_heads()
    unknown = [h for h in heads if not _known(script, h)]
    if unknown:
        log.warning("migrations_of_disabled_plugins_left_alone", revisions=unknown)
        conn.execute(sa.text(f"DELETE FROM {VERSION_TABLE} WHERE version_num = :v"),
                     [{"v": v} for v in unknown])
    return unknown
