"""Several real server processes sharing one database keep one unbroken ledger chain."""

from __future__ import annotations

import threading

import pytest

from bastion.clients import BastionClient, Verdict
from tests.processes import cli, serving

CLIENTS = 8
CHECKS_PER_CLIENT = 40


@pytest.mark.multiprocess
@pytest.mark.parametrize("processes", [3])
@pytest.mark.parametrize("backend", ["postgresql", "sqlite"], indirect=True)
def test_concurrent_checks_from_several_processes_form_one_chain(database_url,
                                                                 processes) -> None:  # type: ignore[no-untyped-def]
    cli(database_url, "migrate")
    tenant = cli(database_url, "tenant", "create", "acme")
    admin_token = tenant["api_key"]["token"]
    before = 2  # `tenant create` ledgers the tenant and its first key
    with serving(database_url, processes) as servers:
        sequences: list[int] = []
        errors: list[BaseException] = []
        lock = threading.Lock()

        def client_loop(index: int) -> None:
            clients = [BastionClient(s.target, api_key=admin_token) for s in servers]
            try:
                for n in range(CHECKS_PER_CLIENT):
                    decision = clients[(index + n) % len(clients)].check(
                        "tool.exec", agent_id=f"agent-{index}", attributes={"n": n})
                    assert decision.verdict is Verdict.ALLOW
                    assert decision.ledger_entry is not None
                    with lock:
                        sequences.append(decision.ledger_entry.sequence)
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                for client in clients:
                    client.close()

        threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors[:3]
        total = CLIENTS * CHECKS_PER_CLIENT
        assert sorted(sequences) == list(range(before + 1, before + total + 1))

        with BastionClient(servers[0].target, api_key=admin_token) as client:
            report = client.verify_ledger(limit=100_000)
    assert report.count == before + total
    assert report.chain_ok and report.overall_ok is True and report.has_secret
    assert all(e.chain_ok and e.sig_ok for e in report.entries)
