"""SIGTERM under load: in-flight calls finish, no acknowledged decision is lost."""

from __future__ import annotations

import threading

import grpc
import pytest

from bastion.storage import Database
from bastion.storage import ledger as ledger_store
from bastion.v1 import guard_service_pb2 as pb
from bastion.v1 import guard_service_pb2_grpc
from tests.processes import cli, serving


@pytest.mark.multiprocess
def test_sigterm_loses_no_acknowledged_decision(database_url) -> None:  # type: ignore[no-untyped-def]
    cli(database_url, "migrate")
    tenant = cli(database_url, "tenant", "create", "acme")
    token = tenant["api_key"]["token"]
    acknowledged: list[str] = []
    failures: list[grpc.StatusCode] = []
    lock = threading.Lock()
    enough = threading.Event()

    with serving(database_url, 1, BASTION_GRACE_PERIOD_S="10") as (server,):
        def hammer() -> None:
            with grpc.insecure_channel(server.target) as channel:
                stub = guard_service_pb2_grpc.GuardServiceStub(channel)
                while True:
                    try:
                        reply = stub.Check(pb.CheckRequest(action="tool.exec"), timeout=5,
                                           metadata=[("authorization", f"Bearer {token}")])
                    except grpc.RpcError as error:
                        with lock:
                            failures.append(error.code())
                        return
                    with lock:
                        acknowledged.append(reply.decision.decision_id)
                        if len(acknowledged) >= 200:
                            enough.set()

        threads = [threading.Thread(target=hammer) for _ in range(6)]
        for thread in threads:
            thread.start()
        assert enough.wait(60), "the server never answered 200 checks"
        exit_code = server.terminate(timeout=30)  # SIGTERM while calls are in flight
        for thread in threads:
            thread.join(30)

    assert exit_code == 0
    # Calls that reach a stopping server fail visibly, never with a false success:
    # UNAVAILABLE (refused), CANCELLED (accepted by grpc-core, never started), or
    # DEADLINE_EXCEEDED (the kernel completed the handshake into a listener that no longer
    # reads).
    assert failures and set(failures) <= {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED,
                                          grpc.StatusCode.DEADLINE_EXCEEDED}
    db = Database(database_url)
    try:
        missing = [d for d in acknowledged
                   if ledger_store.find_by_subject(db, tenant["tenant_id"], d, "decision") is None]
    finally:
        db.dispose()
    assert not missing, f"{len(missing)} acknowledged decisions are not in the ledger"
