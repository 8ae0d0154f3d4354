"""Plugins: loading through entry points (the example ``bastion-blocklist-guard`` must be
installed: ``pip install -e examples/blocklist-guard``, which ``make test`` does), listing,
enabling and disabling; a third-party plugin's table, service and guard on a real server;
guards that fail, time out or run in shadow mode; the other kinds of plugin hooks.

Calls go through raw generated stubs, so this file depends on the server alone.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from bastion.runtime import cli
from bastion.runtime.config import GuardSettings, Settings, load_settings
from bastion.runtime.plugin_manager import make_plugin_manager, plugin_infos
from bastion.testing.harness import (
    ServerHandle,
    TenantKeys,
    make_test_settings,
    running_server,
)
from bastion.v1 import (
    admin_service_pb2,
    decision_pb2,
    guard_service_pb2,
    metabolism_service_pb2,
)
from bastion_blocklist import BlocklistPlugin
from bastion_blocklist.v1 import blocklist_pb2, blocklist_pb2_grpc
from tests.conftest import Stubs
from tests.guards import Blocks, DeferMetabolism, DenyPrefix, Observes, Raises

ALLOW, DENY = decision_pb2.VERDICT_ALLOW, decision_pb2.VERDICT_DENY


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for var in ("BASTION_CONFIG", "BASTION_PLUGINS"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


@pytest.fixture
def serve(database_url: str) -> Iterator[object]:
    """``serve(plugins, **settings)`` → (handle, tenant keys): a server on a fresh database
    with the built-in plugins plus ``plugins``, stopped after the test."""
    with contextlib.ExitStack() as stack:
        def _serve(plugins: list[object], **changes: object) -> tuple[ServerHandle, TenantKeys]:
            settings = make_test_settings(database_url, **changes)
            handle = stack.enter_context(running_server(settings, plugins))
            return handle, handle.create_tenant()

        yield _serve


@pytest.fixture
def dial() -> Iterator[object]:
    """``dial(handle, token)`` → :class:`Stubs` on a new channel, closed after the test."""
    channels: list[grpc.Channel] = []

    def _dial(handle: ServerHandle, token: str) -> Stubs:
        channels.append(grpc.insecure_channel(handle.target))
        return Stubs(channels[-1], token)

    yield _dial
    for channel in channels:
        channel.close()


def check(stubs: Stubs, action: str) -> decision_pb2.Decision:
    return stubs.guard.Check(guard_service_pb2.CheckRequest(action=action),
                             metadata=stubs.metadata).decision


# -- loading and listing ------------------------------------------------------------------

def test_entry_points_load_builtin_and_third_party_plugins(clean_env) -> None:  # type: ignore[no-untyped-def]
    pm = make_plugin_manager(Settings())
    infos = {i.name: i for i in plugin_infos(pm)}
    assert {"blocklist", "ledger", "metabolism"} <= set(infos)
    assert isinstance(pm.get_plugin("blocklist"), BlocklistPlugin)
    assert (infos["blocklist"].version, infos["blocklist"].source) == (
        "0.1.0", "entrypoint:bastion-blocklist-guard")
    assert "bastion_guard_check" in infos["blocklist"].hooks
    assert (infos["ledger"].source, infos["metabolism"].source) == ("builtin", "builtin")


def test_each_plugin_manager_gets_its_own_plugin_instance(clean_env) -> None:  # type: ignore[no-untyped-def]
    first, second = make_plugin_manager(Settings()), make_plugin_manager(Settings())
    assert first.get_plugin("blocklist") is not second.get_plugin("blocklist")


def test_plugins_can_be_disabled_or_allow_listed(clean_env) -> None:  # type: ignore[no-untyped-def]
    disabled = make_plugin_manager(Settings(plugins=("-blocklist",)))
    assert disabled.get_plugin("blocklist") is None
    assert disabled.get_plugin("ledger") is not None
    assert disabled.get_plugin("metabolism") is not None
    only = make_plugin_manager(Settings(plugins=("ledger",)))
    assert [name for name, _ in only.list_name_plugin()] == ["ledger"]


def test_bastion_plugins_environment_variable(clean_env) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(env={"BASTION_PLUGINS": "-blocklist, -metabolism"})
    assert settings.plugins == ("-blocklist", "-metabolism")
    names = {name for name, _ in make_plugin_manager(settings).list_name_plugin()}
    assert "blocklist" not in names and "metabolism" not in names and "ledger" in names


def test_cli_lists_plugins(clean_env, capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli.main(["plugins"]) == 0
    listed = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert {"blocklist", "ledger", "metabolism"} <= set(listed)
    assert listed["blocklist"]["version"] == "0.1.0"
    assert listed["blocklist"]["source"] == "entrypoint:bastion-blocklist-guard"

    clean_env.setenv("BASTION_PLUGINS", "-blocklist")
    assert cli.main(["plugins"]) == 0
    assert "blocklist" not in {p["name"] for p in json.loads(capsys.readouterr().out)}


def test_list_plugins_rpc(serve, dial) -> None:  # type: ignore[no-untyped-def]
    handle, keys = serve([BlocklistPlugin])
    admin: Stubs = dial(handle, keys.admin_token)
    response = admin.admin.ListPlugins(admin_service_pb2.ListPluginsRequest(),
                                       metadata=admin.metadata)
    plugins = {p.name: p for p in response.plugins}
    assert {"blocklist", "ledger", "metabolism"} <= set(plugins)
    assert "bastion_guard_check" in plugins["blocklist"].hooks
    assert plugins["blocklist"].source == "manual"  # registered by the test, not an entry point


def test_a_third_party_plugin_gets_its_table_service_and_guard(serve, dial) -> None:  # type: ignore[no-untyped-def]
    handle, keys = serve([BlocklistPlugin])   # running_server ran the plugin's migration
    operator: Stubs = dial(handle, keys.operator_token)
    blocklist = blocklist_pb2_grpc.BlocklistServiceStub(operator.channel)
    blocklist.AddEntry(blocklist_pb2.AddEntryRequest(pattern="payments.*"),
                       metadata=operator.metadata)
    denied = check(dial(handle, keys.agent_token), "payments.refund")
    assert denied.verdict == DENY
    assert [(r.guard, r.code) for r in denied.reasons] == [("blocklist", "blocked_action")]
    assert check(dial(handle, keys.agent_token), "files.read").verdict == ALLOW
    other = handle.create_tenant()
    assert check(dial(handle, other.agent_token), "payments.refund").verdict == ALLOW


def test_a_migrated_plugin_can_be_disabled_and_enabled_again(database_url, dial) -> None:  # type: ignore[no-untyped-def]
    settings = make_test_settings(database_url)
    with running_server(settings, [BlocklistPlugin]) as handle:
        keys = handle.create_tenant()
        operator = dial(handle, keys.operator_token)
        blocklist_pb2_grpc.BlocklistServiceStub(operator.channel).AddEntry(
            blocklist_pb2.AddEntryRequest(pattern="payments.*"), metadata=operator.metadata)
        assert check(dial(handle, keys.agent_token), "payments.refund").verdict == DENY
    with running_server(settings, []) as handle:   # as with BASTION_PLUGINS=-blocklist
        assert handle.server.pm.get_plugin("blocklist") is None
        assert check(dial(handle, keys.agent_token), "payments.refund").verdict == ALLOW
    with running_server(settings, [BlocklistPlugin]) as handle:  # its table and rows remain
        assert check(dial(handle, keys.agent_token), "payments.refund").verdict == DENY


# -- guards that fail, hang or only watch -------------------------------------------------

def test_a_guard_that_raises_fails_closed(serve, dial) -> None:  # type: ignore[no-untyped-def]
    handle, keys = serve([Raises])
    decision = check(dial(handle, keys.agent_token), "anything")
    assert decision.verdict == DENY
    assert [(r.guard, r.code) for r in decision.reasons] == [("raises", "guard_error")]


def test_a_fail_open_guard_that_raises_is_ignored(serve, dial) -> None:  # type: ignore[no-untyped-def]
    handle, keys = serve([Raises], guards={"raises": GuardSettings(fail_open=True)})
    decision = check(dial(handle, keys.agent_token), "anything")
    assert decision.verdict == ALLOW
    assert list(decision.reasons) == [] and list(decision.guard_results) == []


@pytest.fixture
def blocking_guard() -> Iterator[type[Blocks]]:
    """The Blocks guard, held until this fixture's teardown releases its worker thread."""
    Blocks.release.clear()
    yield Blocks
    Blocks.release.set()


def test_a_slow_guard_is_bounded_by_its_timeout(serve, dial, blocking_guard) -> None:  # type: ignore[no-untyped-def]
    handle, keys = serve([blocking_guard, DenyPrefix], guard_timeout_ms=50)
    decision = check(dial(handle, keys.agent_token), "tool.read")
    assert decision.verdict == DENY
    assert [(r.guard, r.code) for r in decision.reasons] == [("blocks", "guard_timeout")]
    assert "50 ms" in decision.reasons[0].message


def test_a_slow_fail_open_guard_is_ignored(serve, dial, blocking_guard) -> None:  # type: ignore[no-untyped-def]
    handle, keys = serve([blocking_guard], guard_timeout_ms=50,
                         guards={"blocks": GuardSettings(fail_open=True)})
    assert check(dial(handle, keys.agent_token), "tool.read").verdict == ALLOW


def test_shadow_guards_are_reported_but_do_not_decide(serve, dial) -> None:  # type: ignore[no-untyped-def]
    handle, keys = serve([DenyPrefix], guards={"deny_prefix": GuardSettings(mode="shadow")})
    decision = check(dial(handle, keys.agent_token), "deny.delete")
    assert decision.verdict == ALLOW
    assert [(g.guard, g.verdict, g.shadow) for g in decision.shadow_results] == [
        ("deny_prefix", DENY, True)]


# -- the other hooks ----------------------------------------------------------------------

def test_interceptors_jobs_and_observers_from_a_plugin(serve, dial) -> None:  # type: ignore[no-untyped-def]
    handle, keys = serve([Observes])
    plugin = handle.server.pm.get_plugin("observes")
    check(dial(handle, keys.agent_token), "tool.exec")
    assert plugin.job_ran.wait(10), "the background job never ran"
    assert "/bastion.v1.GuardService/Check" in plugin.methods
    assert plugin.finished == ["tool.exec"]


def test_a_defer_refuses_a_domain_call_with_retry_info(serve, dial) -> None:  # type: ignore[no-untyped-def]
    handle, keys = serve([DeferMetabolism])
    agent: Stubs = dial(handle, keys.agent_token)
    with pytest.raises(grpc.RpcError) as info:
        agent.metabolism.PlanTaskGeneration(
            metabolism_service_pb2.PlanTaskGenerationRequest(existing_todo_count=1),
            metadata=agent.metadata)
    assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    status = rpc_status.from_call(info.value)
    assert status is not None
    found: dict[str, object] = {}
    for detail in status.details:
        for kind in (error_details_pb2.ErrorInfo, error_details_pb2.RetryInfo):
            message = kind()
            if detail.Unpack(message):
                found[kind.__name__] = message
    assert found["ErrorInfo"].reason == "VERDICT_DEFER"  # type: ignore[attr-defined]
    assert found["RetryInfo"].retry_delay.ToMilliseconds() == 12_000  # type: ignore[attr-defined]
