"""Random requests through a real server: only documented status codes, and it keeps serving.

Documented: OK; INVALID_ARGUMENT naming the field (google.rpc.BadRequest); and
RESOURCE_EXHAUSTED from gRPC itself when a request is over the 4 MiB message limit. Never
UNKNOWN or INTERNAL. Whatever was accepted is in the ledger, and the chain still verifies.
"""

from __future__ import annotations

import json
import math

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bastion.runtime.config import Settings
from bastion.v1 import decision_pb2
from bastion.v1 import guard_service_pb2 as gpb
from bastion.v1 import ledger_service_pb2 as lpb
from bastion.v1 import metabolism_service_pb2 as mpb

MAX_MESSAGE = Settings().max_message_bytes  # make_test_settings keeps the default
OVERSIZE = "x" * (MAX_MESSAGE + 1024)
FUZZ = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])

int32 = st.integers(-2**31, 2**31 - 1)
int64 = st.integers(-2**63, 2**63 - 1)
floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [0.0, -0.0, 1e-320, -1.0, 1e308, 100.0, 100.0000001, 2.0**53, float("nan"), float("inf")])
special_texts = st.sampled_from([
    "", " ", "\x00", "a\x00b", "\x7f", "\x1b[31m", "\r\n", "\u202e", "\ufeff", "\U0010ffff",
    "é.ü", "😀", "🏳️‍🌈", "tool.exec", "a.b/c:d-e_f", ".leading", "-x", "{}", "null", "NaN",
    "a" * 256, "a" * 257, "ü" * 300, "😀" * 5000, "x" * 70_000, OVERSIZE,
])
texts = st.text(max_size=60) | special_texts
# Mostly valid names, so requests also get past validation into guards, ledger and storage.
names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,40}", fullmatch=True) | texts
ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,40}", fullmatch=True) | texts

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=16)
json_objects = st.dictionaries(st.text(max_size=12), json_values, max_size=6).flatmap(
    lambda d: st.sampled_from([json.dumps(d), json.dumps(d, ensure_ascii=False)]))
NASTY_JSON = [
    "{", "}", "[1]", "1", '"x"', "null", "true", '{"a": NaN}', '{"a": Infinity}',
    '{"a": -Infinity}', '{"a": 1e999}', '{"a": -1e400}', '{"a": 123456789012345678901234567890}',
    '{"a": 1' + "0" * 5000 + "}", '{"a": "\\ud800"}', '{"\\udfff": 1}', '{"a": "\\ud83d\\ude00"}',
    '{"a": "\\u0000"}', '{"a": 1, "a": 2}', '{"a": 1,}', "{'a': 1}", '{"a": 1} x',
    "[" * 5000 + "]" * 5000, '{"a":' * 3000 + "1" + "}" * 3000,
    '{"a": "' + "x" * 70_000 + '"}', "\ufeff{}",
]
NASTY_TEXT = ["\x00", "\u202e", "\U0010ffff", "😀" * 100, "x" * 4097]
NASTY_FLOAT = [float("nan"), float("inf"), -float("inf"), -1.0, -0.0, 5e-324, 1e308]
attributes = json_objects | texts | st.sampled_from(NASTY_JSON)


def _examples(requests):  # type: ignore[no-untyped-def]
    """Hypothesis @example for each request: always tried, before the random ones."""
    def decorate(test):  # type: ignore[no-untyped-def]
        for request in requests:
            test = example(request)(test)
        return test
    return decorate

reasoning = st.builds(
    gpb.Reasoning, text=texts, goal=texts, model=texts, thinking_tokens=int64,
    phase=st.sampled_from(["", "plan", "design", "build", "test", "deploy", "PLAN"]) | texts)

# A valid request with up to three fields replaced by junk: most examples get past
# validation into guards, canonical JSON, the ledger and storage, and each junk value is
# tried where everything else is fine.
VALID = {
    "action": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,40}", fullmatch=True),
    "resource": st.text(max_size=40),
    "agent_id": st.just("") | st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,40}",
                                            fullmatch=True),
    "run_id": st.just("run-1"),
    "task_id": st.just(""),
    "priority": st.integers(0, 4),
    "estimated_cost_usd": st.floats(0, 1e6),
    "resources": st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True),
                                 st.floats(0, 1e9), max_size=4),
    "attributes_json": json_objects,
    "reasoning": st.none() | st.builds(gpb.Reasoning, text=st.text(max_size=40),
                                       goal=st.text(max_size=20),
                                       phase=st.sampled_from(["", "plan", "test"]),
                                       thinking_tokens=st.integers(0, 10**6)),
}
JUNK = {
    "action": texts, "resource": texts, "agent_id": texts, "run_id": texts, "task_id": texts,
    "priority": int32, "estimated_cost_usd": floats,
    "resources": st.dictionaries(texts, floats, max_size=5) | st.dictionaries(
        st.text(max_size=70), floats, min_size=30, max_size=40),
    "attributes_json": attributes, "reasoning": reasoning,
}


@st.composite
def check_requests(draw: st.DrawFn) -> gpb.CheckRequest:
    fields = {name: draw(strategy) for name, strategy in VALID.items()}
    for name in draw(st.sets(st.sampled_from(sorted(JUNK)), max_size=3)):
        fields[name] = draw(JUNK[name])
    if fields["reasoning"] is None:
        del fields["reasoning"]
    return gpb.CheckRequest(**fields)


scores = st.floats(0, 100) | floats
metabolism_inputs = st.builds(
    mpb.MetabolismInputs, health_score=scores, operations_score=scores, customer_score=scores,
    active_goals=st.integers(0, 50) | int32, pending_tasks=st.integers(0, 500) | int32)


def _outcome(call) -> tuple[grpc.StatusCode, object]:  # type: ignore[no-untyped-def]
    try:
        return grpc.StatusCode.OK, call()
    except grpc.RpcError as error:
        return error.code(), error


def _assert_documented(code: grpc.StatusCode, outcome: object, request_size: int,
                       request: object) -> None:
    assert code in (grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT,
                    grpc.StatusCode.RESOURCE_EXHAUSTED), (code, outcome, request)
    oversize = request_size > MAX_MESSAGE
    assert (code is grpc.StatusCode.RESOURCE_EXHAUSTED) == oversize, (code, request_size)
    if code is grpc.StatusCode.INVALID_ARGUMENT:
        status = rpc_status.from_call(outcome)  # type: ignore[arg-type]
        assert status is not None, outcome
        violations = []
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                violations.extend(bad.field_violations)
        assert violations and all(v.field for v in violations), status
        assert "Traceback" not in status.message


def test_random_checks_answer_only_documented_codes(agent, admin) -> None:  # type: ignore[no-untyped-def]
    seen: set[grpc.StatusCode] = set()

    @FUZZ
    @given(check_requests())
    @_examples(gpb.CheckRequest(action="tool.exec", attributes_json=a) for a in NASTY_JSON)
    @_examples(gpb.CheckRequest(action="tool.exec", resource=t) for t in NASTY_TEXT)
    @_examples(gpb.CheckRequest(action="tool.exec", estimated_cost_usd=f) for f in NASTY_FLOAT)
    def property_(request: gpb.CheckRequest) -> None:
        code, outcome = _outcome(lambda: agent.guard.Check(request, metadata=agent.metadata,
                                                           timeout=30))
        seen.add(code)
        _assert_documented(code, outcome, request.ByteSize(), request)
        if code is grpc.StatusCode.OK:
            decision = outcome.decision  # type: ignore[attr-defined]
            assert decision.decision_id.startswith("dec_")
            assert decision.verdict != decision_pb2.VERDICT_UNSPECIFIED
            assert decision.HasField("ledger_entry") and decision.ledger_entry.sequence > 0

    property_()
    # The generators reach past validation, and into the message-size limit.
    assert {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT} <= seen, seen
    _assert_still_serving(agent, admin)


def test_random_metabolism_calls_answer_only_documented_codes(agent, admin) -> None:  # type: ignore[no-untyped-def]
    seen: set[grpc.StatusCode] = set()

    @FUZZ
    @given(st.none() | metabolism_inputs, st.integers(0, 100) | int32)
    def property_(inputs: mpb.MetabolismInputs | None, todo: int) -> None:
        snapshot = mpb.ComputeSnapshotRequest(inputs=inputs)
        plan = mpb.PlanTaskGenerationRequest(inputs=inputs, existing_todo_count=todo)
        for request, call in (
                (snapshot, lambda: agent.metabolism.ComputeSnapshot(
                    snapshot, metadata=agent.metadata, timeout=30)),
                (plan, lambda: agent.metabolism.PlanTaskGeneration(
                    plan, metadata=agent.metadata, timeout=30))):
            code, outcome = _outcome(call)
            seen.add(code)
            _assert_documented(code, outcome, request.ByteSize(), request)
            if code is grpc.StatusCode.OK:
                assert outcome.decision_id.startswith("dec_")  # type: ignore[attr-defined]
                shot = outcome.snapshot  # type: ignore[attr-defined]
                assert all(math.isfinite(x) for x in (
                    shot.fatigue, shot.recovery_rate, shot.workload_index,
                    shot.projected_weekly_capacity)), outcome
                if request is plan:
                    assert outcome.max_new_tasks >= 0  # type: ignore[attr-defined]

    property_()
    assert {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT} <= seen, seen
    _assert_still_serving(agent, admin)


def test_oversize_request_is_resource_exhausted(agent, admin) -> None:  # type: ignore[no-untyped-def]
    request = gpb.CheckRequest(action="tool.exec", resource=OVERSIZE)
    code, outcome = _outcome(lambda: agent.guard.Check(request, metadata=agent.metadata,
                                                       timeout=30))
    assert code is grpc.StatusCode.RESOURCE_EXHAUSTED, outcome
    _assert_still_serving(agent, admin)


# Bytes that are no CheckRequest: invalid UTF-8 in a string field, a truncated varint, a
# length beyond the end, field number 0, an end-group tag with no group.
UNDECODABLE = [b"\x0a\x02\xff\xfe", b"\x30\xff", b"\x0a\x7f", b"\x00\x01", b"\x0c"]


def test_undecodable_request_bytes_are_invalid_argument(agent) -> None:  # type: ignore[no-untyped-def]
    raw = agent.channel.unary_unary("/bastion.v1.GuardService/Check",
                                    request_serializer=lambda body: body,
                                    response_deserializer=lambda body: body)
    codes = [_outcome(lambda b=body: raw(b, metadata=agent.metadata, timeout=10))[0]
             for body in UNDECODABLE]
    assert set(codes) == {grpc.StatusCode.INVALID_ARGUMENT}, codes


def _assert_still_serving(agent, admin) -> None:  # type: ignore[no-untyped-def]
    """A valid Check is still allowed and ledgered, and the tenant's chain verifies with
    whatever the random requests put into it."""
    reply = agent.guard.Check(gpb.CheckRequest(action="tool.exec"), metadata=agent.metadata,
                              timeout=30)
    assert reply.decision.verdict == decision_pb2.VERDICT_ALLOW
    report = admin.ledger.Verify(lpb.LedgerServiceVerifyRequest(limit=100_000),
                                 metadata=admin.metadata, timeout=60)
    assert report.chain_ok and report.overall_ok, [
        e for e in report.entries if not (e.chain_ok and e.sig_ok)][:3]
    assert report.count == reply.decision.ledger_entry.sequence
