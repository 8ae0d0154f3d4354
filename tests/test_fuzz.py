"""Random requests through a real server: only documented status codes, and it keeps serving."""

from __future__ import annotations

import grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bastion.v1 import decision_pb2, guard_service_pb2 as gpb, metabolism_service_pb2 as mpb

DOCUMENTED = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT,
              grpc.StatusCode.RESOURCE_EXHAUSTED}
anything = st.floats(allow_nan=True, allow_infinity=True) | st.floats(-1e6, 1e6)
texts = st.text(max_size=300) | st.just("a" * 5000) | st.sampled_from(
    ["tool.exec", "", " ", "a.b/c:d", "\x00", "é.ü", "{}"])
json_texts = texts | st.sampled_from(['{"a": 1}', '{"a": NaN}', "[1]", "{", '{"a": "' + "x" * 70000 + '"}'])

check_requests = st.builds(
    gpb.CheckRequest, action=texts, resource=texts, agent_id=texts, run_id=texts,
    task_id=texts, priority=st.integers(-3, 10), estimated_cost_usd=anything,
    resources=st.dictionaries(st.text(max_size=70), anything, max_size=4),
    attributes_json=json_texts,
    reasoning=st.none() | st.builds(gpb.Reasoning, text=texts, goal=texts, phase=texts,
                                    model=texts, thinking_tokens=st.integers(-10, 10**9)))
inputs = st.builds(mpb.MetabolismInputs, health_score=anything, operations_score=anything,
                   customer_score=anything, active_goals=st.integers(-5, 2**31 - 1),
                   pending_tasks=st.integers(-5, 2**31 - 1))


def _code(call) -> grpc.StatusCode:  # type: ignore[no-untyped-def]
    try:
        call()
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(check_requests)
def test_check_answers_only_documented_codes(agent, request) -> None:  # type: ignore[no-untyped-def]
    code = _code(lambda: agent.guard.Check(request, metadata=agent.metadata, timeout=10))
    assert code in DOCUMENTED, (code, request)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.none() | inputs, st.integers(-10, 2**31 - 1))
def test_metabolism_answers_only_documented_codes(agent, given_inputs, todo) -> None:  # type: ignore[no-untyped-def]
    snapshot = mpb.ComputeSnapshotRequest(inputs=given_inputs)
    plan = mpb.PlanTaskGenerationRequest(inputs=given_inputs, existing_todo_count=todo)
    for call in (lambda: agent.metabolism.ComputeSnapshot(snapshot, metadata=agent.metadata),
                 lambda: agent.metabolism.PlanTaskGeneration(plan, metadata=agent.metadata)):
        code = _code(call)
        assert code in DOCUMENTED, (code, given_inputs, todo)


def test_still_serving_after_the_storm(agent) -> None:  # type: ignore[no-untyped-def]
    reply = agent.guard.Check(gpb.CheckRequest(action="tool.exec"), metadata=agent.metadata)
    assert reply.decision.verdict == decision_pb2.VERDICT_ALLOW
