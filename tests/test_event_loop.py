"""The server's event loop: uvloop by default where installed, asyncio's when configured."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from bastion.runtime.config import load_settings
from bastion.runtime.event_loop import loop_name, new_event_loop
from bastion.v1 import decision_pb2
from bastion.v1 import guard_service_pb2 as gpb


def test_auto_is_uvloop_where_it_is_installed() -> None:
    # uvloop is a dependency everywhere but Windows (where "auto" means asyncio's loop).
    for kind, expected in (("auto", "uvloop"), ("uvloop", "uvloop"), ("asyncio", "asyncio")):
        loop = new_event_loop(kind)
        try:
            assert loop_name(loop) == expected
            assert loop.run_until_complete(asyncio.sleep(0, "ran")) == "ran"
        finally:
            loop.close()


def test_an_unknown_event_loop_is_refused() -> None:
    with pytest.raises(ValueError, match="event_loop"):
        load_settings(env={"BASTION_EVENT_LOOP": "tornado"})
    with pytest.raises(ValueError, match="event_loop"):
        new_event_loop("tornado")
    assert load_settings(env={"BASTION_EVENT_LOOP": "asyncio"}).event_loop == "asyncio"


@pytest.mark.parametrize("kind", ["uvloop", "asyncio"])
def test_the_server_decides_on_either_loop(database_url, kind) -> None:  # type: ignore[no-untyped-def]
    from bastion.testing.harness import make_test_settings, running_server
    from tests.conftest import Stubs

    with running_server(make_test_settings(database_url, event_loop=kind)) as handle:
        assert loop_name(handle.server._loop) == kind
        keys = handle.create_tenant()
        with grpc.insecure_channel(handle.target) as channel:
            agent = Stubs(channel, keys.agent_token)
            decision = agent.guard.Check(gpb.CheckRequest(action="llm.generate",
                                                          resources={"tokens": 5}),
                                         metadata=agent.metadata).decision
            assert decision.verdict == decision_pb2.VERDICT_ALLOW
            assert decision.ledger_entry.sequence > 0
