"""4 worker processes leasing from 2 `bastion serve` processes on one database: every unit
is held by one worker at a time, a worker killed with SIGKILL mid-lease has its unit
reclaimed by the zombie protocol and completed by another, and no unit is lost or done
twice (counted from the workers' own logs and from each unit's history)."""

from __future__ import annotations

import collections
import json
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import grpc
import pytest

from bastion.storage import Database
from bastion.storage import work as work_store
from bastion.testing.harness import temporary_database
from bastion.v1 import admin_service_pb2 as apb
from bastion.v1 import admin_service_pb2_grpc, work_service_pb2_grpc
from bastion.v1 import work_service_pb2 as wpb
from tests.helpers_process import serving, set_up_tenant

UNITS = 120
WORKERS = 4
# A worker: leases and completes until the stop file appears (polling an empty queue every
# 50 ms, as a worker would); with "hold" it leases one unit, says so, and waits to be killed.
WORKER = textwrap.dedent("""
    import json, os, sys, time, grpc
    from bastion.v1 import work_service_pb2 as wpb, work_service_pb2_grpc
    target, token, name, mode, stop = sys.argv[1:6]
    hold = mode == "hold"
    metadata = [("authorization", "Bearer " + token)]
    stub = work_service_pb2_grpc.WorkServiceStub(grpc.insecure_channel(target))

    def call(method, request):
        # UNAVAILABLE is retryable (nothing was written); a repeated Complete with the same
        # lease is a no-op, so retrying it cannot complete a unit twice.
        for attempt in range(50):
            try:
                return getattr(stub, method)(request, metadata=metadata, timeout=30)
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE or attempt == 49:
                    raise
                print(json.dumps({"retried": method}), flush=True)
                time.sleep(0.02 * (attempt + 1))          # backoff, as a client does

    while not os.path.exists(stop):
        reply = call("Lease", wpb.LeaseRequest(worker_id=name))
        if not reply.HasField("unit"):
            time.sleep(0.05)
            continue
        print(json.dumps({"leased": reply.unit.unit_id}), flush=True)
        if hold:
            sys.stdin.read()                              # until SIGKILL
        try:
            call("Complete", wpb.CompleteRequest(unit_id=reply.unit.unit_id,
                                                 lease_id=reply.lease_id))
        except grpc.RpcError as error:
            # A worker starved past the zombie timeout lost its lease: the unit went back
            # to the queue for another worker. It must drop the unit, as a real worker does.
            if error.code() != grpc.StatusCode.FAILED_PRECONDITION:
                raise
            print(json.dumps({"lost": reply.unit.unit_id}), flush=True)
            continue
        print(json.dumps({"completed": reply.unit.unit_id}), flush=True)
""")


def _bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def _worker(target: str, token: str, name: str, hold: bool,
            stop: pathlib.Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WORKER, target, token, name,
                             "hold" if hold else "run", str(stop)], stdout=subprocess.PIPE,
                            stdin=subprocess.PIPE, text=True)


def _wait_all_completed(url: str, tenant_id: str, timeout: float) -> None:
    db = Database(url)
    try:
        deadline = time.monotonic() + timeout
        while (counts := work_store.count_by_status(db, tenant_id)) != {"COMPLETED": UNITS}:
            assert time.monotonic() < deadline, f"not all units completed: {counts}"
            time.sleep(0.1)  # polling a condition with a deadline, not waiting a guess
    finally:
        db.dispose()


@pytest.mark.multiprocess
@pytest.mark.parametrize("engine", ["postgresql", "sqlite"])
def test_workers_share_the_queue_and_a_killed_workers_unit_is_reclaimed(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with temporary_database(engine, tmp_path) as url:
        setup = set_up_tenant(url)
        # Heartbeats older than 2 s are zombies; the sweeper is left to the admin call.
        with serving(url, tmp_path, 2, BASTION_ZOMBIE_TIMEOUT_S="2",
                     BASTION_ZOMBIE_SWEEP_INTERVAL_S="0") as servers:
            targets = [s.target for s in servers]
            with grpc.insecure_channel(targets[0]) as channel:
                work = work_service_pb2_grpc.WorkServiceStub(channel)
                submitted = work.SubmitMany(wpb.SubmitManyRequest(units=[
                    wpb.SubmitRequest(attributes_json=json.dumps({"n": n}))
                    for n in range(UNITS)]), metadata=_bearer(setup.agent_token)).unit_ids
            stop = tmp_path / "stop-workers"
            victim = _worker(targets[1], setup.agent_token, "victim", True, stop)
            held = json.loads(victim.stdout.readline())["leased"]   # it holds a unit now
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=10)
            workers = [_worker(targets[i % 2], setup.agent_token, f"w{i}", False, stop)
                       for i in range(WORKERS)]
            # Poll the zombie protocol until the victim's unit is reclaimed (it is once its
            # heartbeat is 2 s old); the other workers meanwhile drain the queue.
            reclaimed = 0
            deadline = time.monotonic() + 60
            with grpc.insecure_channel(targets[0]) as channel:
                admin = admin_service_pb2_grpc.AdminServiceStub(channel)
                while reclaimed == 0 and time.monotonic() < deadline:
                    reclaimed += admin.RunZombieProtocol(
                        apb.RunZombieProtocolRequest(), metadata=_bearer(setup.admin_token),
                        timeout=30).reclaimed
            assert reclaimed >= 1
            _wait_all_completed(url, setup.tenant_id, timeout=120)
            stop.touch()
            outputs = [w.communicate(timeout=120)[0] for w in workers]
            assert all(w.returncode == 0 for w in workers), outputs
            with grpc.insecure_channel(targets[1]) as channel:
                work = work_service_pb2_grpc.WorkServiceStub(channel)
                units = {u: work.GetUnit(wpb.GetUnitRequest(unit_id=u),
                                         metadata=_bearer(setup.agent_token)).unit
                         for u in submitted}
                histories = {u: work.GetHistory(wpb.GetHistoryRequest(unit_id=u),
                                                metadata=_bearer(setup.agent_token)).entries
                             for u in submitted}
    events = [json.loads(line) for out in outputs for line in out.splitlines()]
    completed = collections.Counter(e["completed"] for e in events if "completed" in e)
    leased = collections.Counter(e["leased"] for e in events if "leased" in e)
    lost = {e["lost"] for e in events if "lost" in e}
    # Every unit completed exactly once, by exactly one worker; none lost. A unit is leased
    # again only after its holder lost it to the zombie protocol (a starved worker on a
    # loaded machine); its history shows each reclaim.
    assert set(completed) == set(submitted) and set(completed.values()) == {1}
    for unit_id, times in leased.items():
        reclaims = sum(1 for e in histories[unit_id] if e.reason == "zombie_reclaimed")
        assert times == 1 + reclaims - (unit_id == held), (unit_id, times, reclaims)
    assert all(sum(1 for e in histories[u] if e.reason == "zombie_reclaimed") for u in lost)
    assert all(u.status == wpb.UNIT_STATUS_COMPLETED for u in units.values())
    # The victim's unit: leased by it, reclaimed, leased again by another, completed.
    assert [e.reason for e in histories[held]][:4] == [
        "submitted", "leased", "zombie_reclaimed", "leased"]
    assert histories[held][-1].reason == "completed"
    assert json.loads(histories[held][1].metadata_json)["holder"] == "victim"
    # Every lease took a PENDING unit: no unit was ever held by two workers at once.
    for unit_id, entries in histories.items():
        for entry in entries:
            if entry.reason == "leased":
                assert entry.prev_status == wpb.UNIT_STATUS_PENDING, unit_id
