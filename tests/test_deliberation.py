"""The deliberation guard (SPEC G1): formulas with hand-computed values, the verdicts
through a real server, stored scores, per-tenant settings, bad input and privacy, on
SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import math
import uuid

import grpc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import sqlalchemy as sa

from bastion.plugins.deliberation import scoring
from bastion.plugins.deliberation.settings import validate
from bastion.runtime.errors import InvalidArgument
from bastion.testing.harness import make_test_settings, running_server
from bastion.v1 import decision_pb2
from bastion.v1 import deliberation_service_pb2 as dpb
from bastion.v1 import deliberation_service_pb2_grpc
from bastion.v1 import guard_service_pb2 as gpb
from tests.conftest import Stubs

ALLOW, REVIEW, DENY = (decision_pb2.VERDICT_ALLOW, decision_pb2.VERDICT_REVIEW,
                       decision_pb2.VERDICT_DENY)

# Five steps (first/then/next/because/finally), each over 50 characters; a conclusion
# ("i will") and a justification ("because", "evidence"); every sentence names the goal.
GOOD = ("First, check that the working tree of the release branch is clean before deploying.\n"
        "Then run the full test suite against the release build to catch regressions early.\n"
        "Next, deploy the release to the staging environment and watch the health endpoint.\n"
        "Because staging mirrors production, a healthy staging deploy is good evidence.\n"
        "Finally, I will promote the release to production and monitor error rates.")
GOAL = "deploy the release to production safely"
# Two short steps with a justification: depth 0.4, below its 0.5 threshold.
SHORT = "First, run the test suite on the branch.\nThen deploy it because it passed."
VAGUE = "maybe do it. perhaps not. i guess whatever."


def test_a_thorough_plan_scores_by_the_formulas() -> None:
    s = scoring.score(GOOD, GOAL, "deploy", 0, scoring.Settings())
    assert (s.steps, s.logical_issues, s.off_topic_segments) == (5, 0, 0)
    # depth = min(1, 5/5·0.5 + 0.2 + 0.2 + 0.1) = 1; coherence = 1
    assert (s.depth, s.coherence) == (1.0, 1.0)
    # goal keywords {deploy, release, production, safely}: 3 of 4 found; the deploy
    # vocabulary has ≥ 3 words in the text: relevance = 0.6·0.75 + 0.4·1 = 0.85
    assert s.relevance == pytest.approx(0.85)
    assert s.overall == pytest.approx(0.35 + 0.35 + 0.30 * 0.85)
    assert s.thinking_tokens == math.ceil(len(GOOD) / 4)
    assert s.recommendation == "pass"


def test_depth_coherence_and_relevance_terms() -> None:
    s = scoring.score(SHORT, "deploy the branch", "deploy", 0, scoring.Settings())
    # 2 steps, no detail (short), no conclusion, one justification: 2/5·0.5 + 0.2
    assert (s.steps, s.depth) == (2, pytest.approx(0.4))
    assert s.coherence == 1.0
    # goal {deploy, branch} both found; one deploy word ("deploy"): 0.6 + 0.4/3
    assert s.relevance == pytest.approx(0.6 + 0.4 / 3)
    assert s.overall == pytest.approx(0.35 * 0.4 + 0.35 + 0.3 * (0.6 + 0.4 / 3))
    assert s.recommendation == "review"             # overall 0.71, but depth 0.4 < 0.5

    noisy = scoring.score(SHORT + "\nBy the way, lunch is at noon.", "deploy the branch",
                          "deploy", 0, scoring.Settings())
    # "by the way" is a non-sequitur marker; the lunch sentence shares no goal keyword
    assert (noisy.logical_issues, noisy.off_topic_segments) == (1, 1)
    assert noisy.coherence == pytest.approx(1 - 0.15 - 0.1)

    listed = scoring.score("1. check the tree\n2) run tests\n- deploy", "", "", 0,
                           scoring.Settings())
    assert listed.steps == 3
    assert listed.relevance == 0.0                  # no goal, no phase


def test_typographic_apostrophes_and_non_ascii_words() -> None:
    s = scoring.score("Then déployer la release\u2014that\u2019s wrong.", "release", "deploy", 0,
                      scoring.Settings())
    assert s.logical_issues == 1                    # "that's wrong", typeset
    assert s.off_topic_segments == 0 and s.steps == 1
    assert "déployer" in scoring.words_of("then déployer la release")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1 .!?-*•'\t\r\n\u2019\u2014é😀\x00")),
               max_size=80))
def test_segment_words_splits_every_segment_as_words_of_does(text: str) -> None:
    # The scorer translates all segments in one call; it must find the same words as
    # translating each segment alone.
    parts = scoring.segments(text.lower())
    assert scoring.segment_words(parts) == [scoring.words_of(p) for p in parts]


def test_recommendations_in_order() -> None:
    settings = scoring.Settings()
    vague = scoring.score(VAGUE, GOAL, "deploy", 5000, settings)
    assert vague.recommendation == "reject"         # reject wins over fallback
    assert vague.logical_issues == 4                # maybe, perhaps, i guess, whatever
    assert scoring.score(GOOD, GOAL, "deploy", 2001, settings).recommendation == "fallback"
    assert scoring.score(GOOD, GOAL, "deploy", 2000, settings).recommendation == "pass"
    dims = {"depth": 0.9, "coherence": 0.9, "relevance": 0.9}
    assert scoring.recommend(dims, 0.29, 10, settings) == "reject"
    assert scoring.recommend({**dims, "relevance": 0.29}, 0.9, 10, settings) == "reject"
    assert scoring.recommend(dims, 0.59, 10, settings) == "review"
    assert scoring.recommend({**dims, "depth": 0.49}, 0.9, 10, settings) == "review"
    assert scoring.recommend(dims, 0.6, 10, settings) == "pass"


@pytest.mark.parametrize("raw, field", [
    ({"weights": {"depth": 0.5}}, "settings.weights"),            # sums to 1.15
    ({"thresholds": {"depth": 1.5}}, "settings.thresholds[depth]"),
    ({"thresholds": {"width": 0.5}}, "settings.thresholds[width]"),
    ({"token_cap": 0}, "settings.token_cap"),
    ({"markers": {"feelings": ["sad"]}}, "settings.markers[feelings]"),
    ({"markers": {"hedging": []}}, "settings.markers[hedging]"),
    ({"colour": "red"}, "settings.colour"),
])
def test_bad_settings_name_the_field(raw, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgument) as caught:
        validate(raw, scoring.Settings())
    assert caught.value.field == field


def check(stubs, text: str, **fields) -> decision_pb2.Decision:  # type: ignore[no-untyped-def]
    fields.setdefault("action", "tool.exec")
    reasoning = gpb.Reasoning(text=text, goal=fields.pop("goal", GOAL),
                              phase=fields.pop("phase", "deploy"),
                              thinking_tokens=fields.pop("thinking_tokens", 0))
    return stubs.guard.Check(gpb.CheckRequest(reasoning=reasoning, **fields),
                             metadata=stubs.metadata).decision


def deliberation(stubs) -> deliberation_service_pb2_grpc.DeliberationServiceStub:  # type: ignore[no-untyped-def]
    return deliberation_service_pb2_grpc.DeliberationServiceStub(stubs.channel)


def result_of(decision: decision_pb2.Decision) -> decision_pb2.GuardResult:
    [result] = [g for g in decision.guard_results if g.guard == "deliberation"]
    return result


def test_verdicts_scores_and_counts_in_the_decision(agent) -> None:  # type: ignore[no-untyped-def]
    passed = check(agent, GOOD)
    assert passed.verdict == ALLOW
    result = result_of(passed)
    assert result.scores["overall"] == pytest.approx(0.955)
    assert result.reasons[0].code == "deliberation_pass"
    assert result.reasons[0].details["steps"] == "5"

    fallback = check(agent, GOOD, thinking_tokens=2500)
    assert fallback.verdict == ALLOW
    assert [(o.guard, o.code) for o in fallback.obligations] == [
        ("deliberation", "use_fallback_model")]

    assert check(agent, SHORT, goal="deploy the branch").verdict == REVIEW
    rejected = check(agent, VAGUE)
    assert rejected.verdict == DENY
    assert [r.code for r in rejected.reasons] == ["deliberation_reject"]

    plain = agent.guard.Check(gpb.CheckRequest(action="tool.exec"), metadata=agent.metadata)
    assert all(g.guard != "deliberation" for g in plain.decision.guard_results)


def test_scores_are_stored_and_listed_per_run(server, connect, agent) -> None:  # type: ignore[no-untyped-def]
    run = f"run-{uuid.uuid4().hex[:8]}"
    good = check(agent, GOOD, run_id=run, task_id="t-1", agent_id="a-1")
    vague = check(agent, VAGUE, run_id=run)
    check(agent, GOOD, run_id="another-run")
    stub = deliberation(agent)
    listed = stub.ListDeliberations(dpb.ListDeliberationsRequest(run_id=run),
                                    metadata=agent.metadata).scores
    assert [s.decision_id for s in listed] == [good.decision_id, vague.decision_id]
    first = listed[0]
    assert (first.task_id, first.agent_id, first.phase, first.recommendation) == (
        "t-1", "a-1", "deploy", "pass")
    assert first.overall == pytest.approx(0.955) and first.steps == 5
    assert len(first.text_hash) == 64 and first.HasField("created_at")
    low = stub.ListDeliberations(dpb.ListDeliberationsRequest(run_id=run,
                                                              low_quality_only=True),
                                 metadata=agent.metadata).scores
    assert [s.decision_id for s in low] == [vague.decision_id]
    # Paging: one at a time.
    page = stub.ListDeliberations(dpb.ListDeliberationsRequest(run_id=run, page_size=1),
                                  metadata=agent.metadata)
    assert [s.decision_id for s in page.scores] == [good.decision_id]
    rest = stub.ListDeliberations(dpb.ListDeliberationsRequest(
        run_id=run, page_size=1, page_token=page.next_page_token), metadata=agent.metadata)
    assert [s.decision_id for s in rest.scores] == [vague.decision_id]
    assert rest.next_page_token == ""
    # Another tenant sees none of them.
    other = connect(server.create_tenant().agent_token)
    assert not deliberation(other).ListDeliberations(
        dpb.ListDeliberationsRequest(run_id=run), metadata=other.metadata).scores


def test_a_tenant_tunes_its_settings(connect, tenant) -> None:  # type: ignore[no-untyped-def]
    operator, agent = connect(tenant.operator_token), connect(tenant.agent_token)
    stub = deliberation(operator)
    with pytest.raises(grpc.RpcError) as caught:
        deliberation(agent).SetDeliberationSettings(dpb.SetDeliberationSettingsRequest(
            settings=dpb.DeliberationSettings(token_cap=10)), metadata=agent.metadata)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED

    changed = stub.SetDeliberationSettings(dpb.SetDeliberationSettingsRequest(
        settings=dpb.DeliberationSettings(token_cap=100)), metadata=operator.metadata)
    assert changed.overridden and changed.settings.token_cap == 100
    assert changed.settings.weights["depth"] == pytest.approx(0.35)
    assert check(agent, GOOD, thinking_tokens=150).obligations[0].code == "use_fallback_model"

    stub.SetDeliberationSettings(dpb.SetDeliberationSettingsRequest(
        settings=dpb.DeliberationSettings(thresholds={"depth": 0.3})),
        metadata=operator.metadata)
    # Overrides accumulate per field: the token cap stays, SHORT now passes its depth.
    assert check(agent, SHORT, goal="deploy the branch").verdict == ALLOW

    with pytest.raises(grpc.RpcError) as caught:
        stub.SetDeliberationSettings(dpb.SetDeliberationSettingsRequest(
            settings=dpb.DeliberationSettings(weights={"depth": 0.9})),
            metadata=operator.metadata)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith("settings.weights:")

    reset = stub.SetDeliberationSettings(dpb.SetDeliberationSettingsRequest(reset=True),
                                         metadata=operator.metadata)
    assert not reset.overridden and reset.settings.token_cap == 2000
    assert check(agent, SHORT, goal="deploy the branch").verdict == REVIEW


@pytest.mark.parametrize("reasoning, field", [
    (gpb.Reasoning(text="x" * (32 * 1024 + 1)), "reasoning.text"),
    (gpb.Reasoning(text="ok", phase="celebrate"), "reasoning.phase"),
    (gpb.Reasoning(text="ok", thinking_tokens=-1), "reasoning.thinking_tokens"),
])
def test_bad_reasoning_names_the_field(agent, reasoning, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as caught:
        agent.guard.Check(gpb.CheckRequest(action="x.y", reasoning=reasoning),
                          metadata=agent.metadata)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith(f"{field}:")


def test_non_utf8_reasoning_is_invalid_argument(server, tenant) -> None:  # type: ignore[no-untyped-def]
    # CheckRequest{action: "x.y", reasoning: Reasoning{text: b"\xff\xfe"}} by hand.
    reasoning = b"\x0a\x02\xff\xfe"
    body = b"\x0a\x03x.y" + b"\x52" + bytes([len(reasoning)]) + reasoning
    with grpc.insecure_channel(server.target) as channel:
        raw = channel.unary_unary("/bastion.v1.GuardService/Check",
                                  request_serializer=lambda b: b,
                                  response_deserializer=gpb.CheckResponse.FromString)
        with pytest.raises(grpc.RpcError) as caught:
            raw(body, metadata=[("authorization", f"Bearer {tenant.agent_token}")])
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_the_reasoning_text_is_never_stored_or_logged(database_url) -> None:  # type: ignore[no-untyped-def]
    from bastion.runtime.logging import configure_logging

    marker = f"MARKER{uuid.uuid4().hex}"
    text = GOOD + f"\nBecause {marker} proves the release is safe, I will deploy it."
    stream = io.StringIO()
    configure_logging("json", "debug", stream=stream, cache=False)
    try:
        with running_server(make_test_settings(database_url)) as handle:
            keys = handle.create_tenant()
            with grpc.insecure_channel(handle.target) as channel:
                agent = Stubs(channel, keys.agent_token)
                for thinking_tokens in (0, 5000):             # pass and fallback
                    decision = check(agent, text, thinking_tokens=thinking_tokens,
                                     run_id="r-1")
                    explained = agent.guard.Explain(gpb.ExplainRequest(
                        decision_id=decision.decision_id), metadata=agent.metadata)
                    assert marker not in str(explained)
                assert check(agent, marker).verdict == DENY      # rejected text too
                with pytest.raises(grpc.RpcError) as caught:     # and a refused request
                    check(agent, marker, phase="nope")
                assert marker not in caught.value.details()
                stored = deliberation(agent).ListDeliberations(
                    dpb.ListDeliberationsRequest(run_id="r-1"), metadata=agent.metadata)
                assert len(stored.scores) == 2 and marker not in str(stored)
            database = handle.database
            found = []
            with database.engine.connect() as conn:
                metadata = sa.MetaData()
                metadata.reflect(bind=conn)
                for table in metadata.sorted_tables:
                    for row in conn.execute(sa.select(table)):
                        if any(marker in str(value) for value in row):
                            found.append(table.name)
            assert metadata.tables                              # the scan saw the tables
            assert "deliberation_scores" in metadata.tables
            assert not found, f"the reasoning text reached {found}"
    finally:
        configure_logging("json", "info", cache=False)
    logs = stream.getvalue()
    assert any(json.loads(line).get("event") == "rpc" for line in logs.splitlines())
    assert marker not in logs


@pytest.mark.parametrize("hash_key", ["", "a-key"])
def test_an_unkeyed_reasoning_hash_is_warned_when_serving_not_by_every_command(
        database_url: str, hash_key: str) -> None:
    from dataclasses import replace

    from structlog.testing import capture_logs

    from bastion.plugins.deliberation import DeliberationPlugin
    from bastion.runtime.services import ServiceContext
    from bastion.storage import Database

    base = make_test_settings(database_url)
    configured = replace(base, plugin_sections={**base.plugin_sections,
                                                "deliberation": {"hash_key": hash_key}})
    database = Database(database_url)
    plugin = DeliberationPlugin()
    try:
        with capture_logs() as by_command:  # every CLI command configures the plugins
            plugin.bastion_configure(settings=configured, database=database)
        with capture_logs() as by_server:   # only the server registers their services
            plugin.bastion_services(context=ServiceContext(
                lifecycle=None, database=database, settings=configured,  # type: ignore[arg-type]
                plugin_manager=None))  # type: ignore[arg-type]
    finally:
        database.dispose()
    assert [e["event"] for e in by_command] == []
    warned = [e for e in by_server if e["event"] == "deliberation_hash_unkeyed"]
    assert len(warned) == (0 if hash_key else 1)
    assert all(e["log_level"] == "warning" for e in warned)
