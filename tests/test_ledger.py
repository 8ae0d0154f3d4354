"""The ledger: chain, paging, verification, tamper evidence, append-only triggers."""

from __future__ import annotations

import json

import grpc
import pytest
import sqlalchemy as sa

from bastion.clients import BastionClient, BastionError
from bastion.runtime import cli
from bastion.storage import Database
from bastion.testing.harness import TEST_LEDGER_SECRET, make_test_settings, running_server
from bastion.v1 import ledger_service_pb2 as pb


def _checks(client: BastionClient, n: int) -> list[str]:
    return [client.check("tool.exec", attributes={"n": i}).decision_id for i in range(n)]


def test_entries_chain_and_page(server, tenant) -> None:  # type: ignore[no-untyped-def]
    with BastionClient(server.target, api_key=tenant.admin_token) as client:
        ids = _checks(client, 5)
        first = client.list_ledger(page_size=3)
        second = client.list_ledger(page_size=3, page_token=first.next_page_token)
        decisions = client.list_ledger(action_type="decision", page_size=1000)
    entries = first.entries + second.entries
    assert [e.sequence for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].parent_hash == ""
    for previous, entry in zip(entries, entries[1:]):
        assert entry.parent_hash == previous.entry_hash
    assert second.next_page_token == ""
    assert [e.subject_id for e in decisions.entries] == ids
    assert decisions.entries[0].payload["request"]["attributes"] == {"n": 0}


@pytest.mark.parametrize("kwargs, field", [({"page_size": 5000}, "page_size"),
                                           ({"page_token": "abc"}, "page_token")])
def test_bad_paging_names_the_field(agent, kwargs, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as info:
        agent.ledger.List(pb.LedgerServiceListRequest(**kwargs), metadata=agent.metadata)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.details().startswith(field)


def test_verify_is_for_admins(server, tenant) -> None:  # type: ignore[no-untyped-def]
    for token in (tenant.agent_token, tenant.operator_token):
        with BastionClient(server.target, api_key=token) as client:
            with pytest.raises(BastionError) as info:
                client.verify_ledger()
            assert info.value.code is grpc.StatusCode.PERMISSION_DENIED
    with BastionClient(server.target, api_key=tenant.admin_token) as client:
        _checks(client, 3)
        report = client.verify_ledger()
    assert report.overall_ok is True and report.chain_ok and report.has_secret
    assert all(e.sig_ok is True for e in report.entries)


def test_verify_is_disabled_unless_configured(database_url) -> None:  # type: ignore[no-untyped-def]
    settings = make_test_settings(database_url, plugin_sections={"ledger": {"secret": "s"}})
    with running_server(settings) as handle:
        keys = handle.create_tenant()
        with BastionClient(handle.target, api_key=keys.admin_token) as client:
            with pytest.raises(BastionError) as info:
                client.verify_ledger()
    assert info.value.code is grpc.StatusCode.FAILED_PRECONDITION


def test_without_a_secret_entries_are_chained_but_unsigned(database_url) -> None:  # type: ignore[no-untyped-def]
    settings = make_test_settings(database_url,
                                  plugin_sections={"ledger": {"verify_enabled": True}})
    with running_server(settings) as handle:
        keys = handle.create_tenant()
        with BastionClient(handle.target, api_key=keys.admin_token) as client:
            _checks(client, 2)
            report = client.verify_ledger()
            entries = client.list_ledger().entries
    assert report.has_secret is False and report.overall_ok is None and report.chain_ok
    assert all(e.sig_ok is None for e in report.entries)
    assert all(e.signature == "" for e in entries)


def _tamper(db: Database, tenant_id: str, sequence: int) -> None:
    """What an attacker with database access does: disable the guard rail, edit a row."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only")
        else:
            conn.exec_driver_sql("DROP TRIGGER ledger_entries_no_update")
        payload = conn.execute(sa.text(
            "SELECT payload_json FROM ledger_entries WHERE tenant_id = :t AND sequence = :s"),
            {"t": tenant_id, "s": sequence}).scalar_one()
        changed = payload.replace('"verdict":"ALLOW"', '"verdict":"DENY"', 1)
        assert changed != payload
        conn.execute(sa.text("UPDATE ledger_entries SET payload_json = :p "
                             "WHERE tenant_id = :t AND sequence = :s"),
                     {"p": changed, "t": tenant_id, "s": sequence})


def test_rows_cannot_be_updated_or_deleted(server, tenant, agent) -> None:  # type: ignore[no-untyped-def]
    with BastionClient(server.target, api_key=tenant.agent_token) as client:
        _checks(client, 1)
    for statement in ("UPDATE ledger_entries SET actor = 'x' WHERE tenant_id = :t",
                      "DELETE FROM ledger_entries WHERE tenant_id = :t"):
        with pytest.raises(sa.exc.DBAPIError) as info:
            with server.database.engine.begin() as conn:
                conn.execute(sa.text(statement), {"t": tenant.tenant_id})
        assert "append-only" in str(info.value)


def test_changing_one_row_is_named_by_verify_and_the_cli(database_url, monkeypatch,
                                                         capsys) -> None:  # type: ignore[no-untyped-def]
    with running_server(make_test_settings(database_url)) as handle:
        keys = handle.create_tenant()
        with BastionClient(handle.target, api_key=keys.admin_token) as client:
            _checks(client, 6)
            monkeypatch.setenv("BASTION_DATABASE_URL", database_url)
            monkeypatch.setenv("BASTION_LEDGER_SECRET", TEST_LEDGER_SECRET)
            assert cli.main(["ledger", "verify", "--tenant", keys.tenant_id]) == 0
            capsys.readouterr()
            _tamper(handle.database, keys.tenant_id, 5)
            report = client.verify_ledger()
    bad = [e for e in report.entries if not (e.chain_ok and e.sig_ok)]
    assert [(e.sequence, e.chain_ok, e.sig_ok) for e in bad] == [(5, False, False)]
    assert "hash_mismatch" in bad[0].reason and "signature_mismatch" in bad[0].reason
    assert report.overall_ok is False and report.chain_ok is False
    assert cli.main(["ledger", "verify", "--tenant", keys.tenant_id]) == 1
    out = json.loads(capsys.readouterr().out)
    assert [e["sequence"] for e in out["entries"]] == [5]
    assert out["overall_ok"] is False
