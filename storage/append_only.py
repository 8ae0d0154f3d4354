"""Database-enforced append-only tables (ledger, history): triggers refuse UPDATE and DELETE.

Call from a migration: ``append_only.create(op, "ledger_entries")``.
"""

from __future__ import annotations

from typing import Any


def create(op: Any, table: str) -> None:
    """Installs triggers on ``table`` that refuse UPDATE, DELETE (and TRUNCATE on PostgreSQL)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE OR REPLACE FUNCTION bastion_refuse_change_{table}() RETURNS trigger AS $$
            BEGIN
              RAISE EXCEPTION '{table} is append-only' USING ERRCODE = 'restrict_violation';
            END $$ LANGUAGE plpgsql""")
        op.execute(f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                       FOR EACH ROW EXECUTE FUNCTION bastion_refuse_change_{table}()""")
        op.execute(f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
                       FOR EACH STATEMENT EXECUTE FUNCTION bastion_refuse_change_{table}()""")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table}
                           BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""")


def drop(op: Any, table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS bastion_refuse_change_{table}()")
    else:
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}")
