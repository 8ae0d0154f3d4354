"""Plugin loading, listing and enabling; guard failures fail closed; slow guards bounded."""

from __future__ import annotations

import json

import pytest

from bastion.clients import BastionClient, Verdict
from bastion.runtime import cli
from bastion.runtime.config import GuardSettings, Settings
from bastion.runtime.plugin_manager import make_plugin_manager, plugin_infos
from bastion.testing.harness import make_test_settings, running_server
from bastion_blocklist import BlocklistPlugin
from tests.guards import Blocks, DenyPrefix, Raises


def test_entry_points_load_builtin_and_third_party_plugins() -> None:
    pm = make_plugin_manager(Settings())
    infos = {i.name: i for i in plugin_infos(pm)}
    assert {"ledger", "metabolism", "blocklist"} <= set(infos)
    assert infos["blocklist"].version == "0.1.0"
    assert infos["blocklist"].source == "entrypoint:bastion-blocklist-guard"
    assert "bastion_guard_check" in infos["blocklist"].hooks
    assert infos["ledger"].source == "builtin"


def test_plugins_can_be_disabled_or_allow_listed() -> None:
    disabled = make_plugin_manager(Settings(plugins=("-blocklist",)))
    assert disabled.get_plugin("blocklist") is None and disabled.get_plugin("ledger")
    only = make_plugin_manager(Settings(plugins=("ledger",)))
    assert [n for n, _ in only.list_name_plugin()] == ["ledger"]


def test_cli_lists_plugins(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BASTION_PLUGINS", "-metabolism")
    assert cli.main(["plugins"]) == 0
    names = {p["name"] for p in json.loads(capsys.readouterr().out)}
    assert "blocklist" in names and "metabolism" not in names


def test_list_plugins_rpc(database_url) -> None:  # type: ignore[no-untyped-def]
    with running_server(make_test_settings(database_url), [BlocklistPlugin]) as handle:
        keys = handle.create_tenant()
        with BastionClient(handle.target, api_key=keys.operator_token) as client:
            plugins = {p.name: p for p in client.list_plugins()}
    assert {"ledger", "metabolism", "blocklist"} <= set(plugins)
    assert "bastion_guard_check" in plugins["blocklist"].hooks


def test_a_guard_that_raises_fails_closed(database_url) -> None:  # type: ignore[no-untyped-def]
    with running_server(make_test_settings(database_url), [Raises]) as handle:
        keys = handle.create_tenant()
        with BastionClient(handle.target, api_key=keys.agent_token) as client:
            decision = client.check("anything")
    assert decision.verdict is Verdict.DENY
    assert [(r.guard, r.code) for r in decision.reasons] == [("raises", "guard_error")]


def test_a_fail_open_guard_that_raises_is_ignored(database_url) -> None:  # type: ignore[no-untyped-def]
    settings = make_test_settings(database_url, guards={"raises": GuardSettings(fail_open=True)})
    with running_server(settings, [Raises]) as handle:
        keys = handle.create_tenant()
        with BastionClient(handle.target, api_key=keys.agent_token) as client:
            assert client.check("anything").verdict is Verdict.ALLOW


@pytest.fixture
def blocking_guard():  # type: ignore[no-untyped-def]
    Blocks.release.clear()
    yield Blocks
    Blocks.release.set()


def test_a_slow_guard_is_bounded_by_its_timeout(database_url, blocking_guard) -> None:  # type: ignore[no-untyped-def]
    settings = make_test_settings(database_url, guard_timeout_ms=50)
    with running_server(settings, [blocking_guard, DenyPrefix]) as handle:
        keys = handle.create_tenant()
        with BastionClient(handle.target, api_key=keys.agent_token) as client:
            decision = client.check("tool.read")
        blocking_guard.release.set()
    assert decision.verdict is Verdict.DENY
    assert [(r.guard, r.code) for r in decision.reasons] == [("blocks", "guard_timeout")]


def test_shadow_guards_are_reported_but_do_not_decide(database_url) -> None:  # type: ignore[no-untyped-def]
    settings = make_test_settings(database_url,
                                  guards={"deny_prefix": GuardSettings(mode="shadow")})
    with running_server(settings, [DenyPrefix]) as handle:
        keys = handle.create_tenant()
        with BastionClient(handle.target, api_key=keys.agent_token) as client:
            decision = client.check("deny.delete")
    assert decision.verdict is Verdict.ALLOW
    assert [(g.guard, g.verdict, g.shadow) for g in decision.shadow_results] == [
        ("deny_prefix", Verdict.DENY, True)]


def test_interceptors_jobs_and_observers_from_a_plugin(database_url) -> None:  # type: ignore[no-untyped-def]
    from tests.guards import Observes

    with running_server(make_test_settings(database_url), [Observes]) as handle:
        plugin = handle.server.pm.get_plugin("observes")
        keys = handle.create_tenant()
        with BastionClient(handle.target, api_key=keys.agent_token) as client:
            client.check("tool.exec")
        assert plugin.job_ran.wait(10), "the background job never ran"
    assert "/bastion.v1.GuardService/Check" in plugin.methods
    assert plugin.finished == ["tool.exec"]


def test_a_defer_refuses_a_domain_call_with_retry_info(database_url) -> None:  # type: ignore[no-untyped-def]
    import grpc

    from bastion.clients import BastionError
    from tests.guards import DeferMetabolism

    with running_server(make_test_settings(database_url), [DeferMetabolism]) as handle:
        keys = handle.create_tenant()
        with BastionClient(handle.target, api_key=keys.agent_token) as client:
            with pytest.raises(BastionError) as info:
                client.plan_task_generation(existing_todo_count=1)
    assert info.value.code is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert info.value.retry_after == 12.0
    assert info.value.error_info is not None and info.value.error_info.reason == "VERDICT_DEFER"
