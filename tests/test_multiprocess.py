"""Several real `bastion serve` processes on one database keep one unbroken ledger chain.

Eight client threads send Checks for the same tenant round-robin over the processes, so the
processes append to the same chain concurrently. PostgreSQL serialises appenders with an
advisory lock per tenant; SQLite with BEGIN IMMEDIATE on the shared file; each process also
caches the chain head it last wrote, which the unique (tenant, sequence) constraint must
catch when another process appended meanwhile.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import grpc
import pytest

from bastion.storage import Database
from bastion.storage import ledger as ledger_store
from bastion.testing.harness import temporary_database
from bastion.v1 import decision_pb2
from bastion.v1 import guard_service_pb2 as gpb
from bastion.v1 import guard_service_pb2_grpc
from bastion.v1 import ledger_service_pb2 as lpb
from bastion.v1 import ledger_service_pb2_grpc
from tests.helpers_process import assert_clean_exit, serving, set_up_tenant

CLIENTS = 8
CHECKS_PER_CLIENT = 40


class Acknowledged(NamedTuple):
    decision_id: str
    sequence: int
    entry_hash: str
    server: int


def _bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


@pytest.mark.multiprocess
@pytest.mark.parametrize("engine, processes", [("postgresql", 3), ("sqlite", 3)])
def test_concurrent_checks_from_several_processes_form_one_chain(engine, processes,
                                                                 tmp_path) -> None:  # type: ignore[no-untyped-def]
    with temporary_database(engine, tmp_path) as url:
        setup = set_up_tenant(url)
        db = Database(url)
        try:
            before = ledger_store.list_entries(db, setup.tenant_id, after_sequence=0,
                                               limit=1000)
        finally:
            db.dispose()
        # tenant create + its admin key + the agent key, sequences 1..3.
        assert [e.sequence for e in before] == [1, 2, 3]

        with serving(url, tmp_path, processes) as servers:
            acknowledged: list[Acknowledged] = []
            errors: list[str] = []
            lock = threading.Lock()
            start = threading.Barrier(CLIENTS)

            def client_loop(index: int) -> None:
                channels = [grpc.insecure_channel(s.target) for s in servers]
                stubs = [guard_service_pb2_grpc.GuardServiceStub(c) for c in channels]
                mine: list[Acknowledged] = []
                try:
                    start.wait(timeout=30)
                    for n in range(CHECKS_PER_CLIENT):
                        which = (index + n) % len(stubs)
                        request = gpb.CheckRequest(
                            action="tool.exec", agent_id=f"agent-{index}",
                            attributes_json=f'{{"client": {index}, "n": {n}}}')
                        # Plain stubs, no client retries: any failure is the server's.
                        reply = stubs[which].Check(request, timeout=30,
                                                   metadata=_bearer(setup.agent_token))
                        decision = reply.decision
                        if decision.verdict != decision_pb2.VERDICT_ALLOW:
                            raise AssertionError(f"verdict {decision.verdict}: {decision}")
                        if not decision.HasField("ledger_entry"):
                            raise AssertionError(f"no ledger entry: {decision}")
                        mine.append(Acknowledged(decision.decision_id,
                                                 decision.ledger_entry.sequence,
                                                 decision.ledger_entry.entry_hash, which))
                except BaseException as error:  # noqa: BLE001 - reported by the test
                    with lock:
                        errors.append(f"client {index}: {error!r}")
                finally:
                    with lock:
                        acknowledged.extend(mine)
                    for channel in channels:
                        channel.close()

            threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(CLIENTS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
            assert not any(t.is_alive() for t in threads), "a client thread hung"
            assert not errors, errors[:3]

            total = CLIENTS * CHECKS_PER_CLIENT
            assert len(acknowledged) == total
            assert {a.server for a in acknowledged} == set(range(processes))
            # Every Check got its own sequence number, and together they continue the chain
            # set-up began without a gap or a duplicate.
            sequences = sorted(a.sequence for a in acknowledged)
            assert sequences == list(range(len(before) + 1, len(before) + total + 1))
            assert len({a.decision_id for a in acknowledged}) == total

            admin = _bearer(setup.admin_token)
            with grpc.insecure_channel(servers[-1].target) as channel:
                ledger = ledger_service_pb2_grpc.LedgerServiceStub(channel)
                report = ledger.Verify(lpb.LedgerServiceVerifyRequest(limit=100_000),
                                       metadata=admin, timeout=60)
                entries: list[lpb.LedgerEntry] = []
                token = ""
                while True:
                    page = ledger.List(lpb.LedgerServiceListRequest(page_size=1000,
                                                                    page_token=token),
                                       metadata=admin, timeout=30)
                    entries.extend(page.entries)
                    token = page.next_page_token
                    if not token:
                        break

        for server in servers:
            assert_clean_exit(server)

    assert report.HasField("overall_ok") and report.overall_ok
    assert report.chain_ok and report.has_secret
    assert report.count == len(before) + total
    assert len(report.entries) == report.count
    assert all(e.chain_ok and e.sig_ok for e in report.entries), [
        e for e in report.entries if not (e.chain_ok and e.sig_ok)][:3]
    # What each caller was told is what the ledger holds: its decision, at that sequence,
    # with that hash.
    by_subject = {e.subject_id: e for e in entries if e.action_type == "decision"}
    assert len(entries) == report.count
    for ack in acknowledged:
        entry = by_subject[ack.decision_id]
        assert (entry.sequence, entry.entry_hash) == (ack.sequence, ack.entry_hash)
