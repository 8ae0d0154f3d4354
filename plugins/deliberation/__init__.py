"""The deliberation guard (SPEC G1): scores an agent's reasoning before it acts.

Concerned with requests that carry reasoning text. The recommendation is the verdict:
pass → ALLOW, review → REVIEW, fallback → ALLOW with the obligation
``use_fallback_model``, reject → DENY; the guard result carries the scores (depth,
coherence, relevance, overall) and a reason ``deliberation_<recommendation>`` whose details
hold the counts. Scoring is pure computation (:mod:`.scoring`), so the guard runs inline;
only a tenant's settings are read from storage, cached ``cache_ttl_s`` (1 s) per replica.

The raw reasoning is never stored, logged or ledgered: the score row written with the
decision holds numbers, counts and a keyed hash (HMAC-SHA256 with ``hash_key`` /
``BASTION_DELIBERATION_HASH_KEY``; plain SHA-256 without one, which a guess of a short
text could confirm: configure a key).

Configuration, ``[plugins.deliberation]``: ``cache_ttl_s``, ``hash_key``, and any scoring
setting as the server-wide default (``token_cap``, ``weights``, ``thresholds``,
``reject_below``, ``review_below``, ``markers``, ``phase_words``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Awaitable
from typing import Any

import structlog

from bastion.plugins.deliberation import scoring
from bastion.plugins.deliberation.servicer import DeliberationServicer
from bastion.plugins.deliberation.settings import validate
from bastion.runtime import hookimpl
from bastion.runtime.actions import ActionRequest
from bastion.runtime.config import Settings
from bastion.runtime.principal import Role
from bastion.runtime.services import ServiceContext, ServiceRegistration
from bastion.runtime.unit_of_work import UnitOfWork
from bastion.runtime.ttl_cache import TtlCache
from bastion.runtime.verdicts import Decision, GuardVerdict, Obligation, Reason, Verdict
from bastion.storage import Database
from bastion.storage import deliberations as store
from bastion.v1 import deliberation_service_pb2_grpc

log = structlog.get_logger("bastion.deliberation")

_VERDICTS = {"pass": Verdict.ALLOW, "review": Verdict.REVIEW, "fallback": Verdict.ALLOW,
             "reject": Verdict.DENY}
_CONFIG_ONLY = ("cache_ttl_s", "hash_key")


class DeliberationPlugin:
    name = "deliberation"
    inline = True  # scoring is pure computation; a settings cache miss returns an awaitable

    def __init__(self) -> None:
        self.defaults = scoring.Settings()
        self.cache_ttl_s = 1.0
        self.hash_key = b""
        self.database: Database | None = None
        self._settings: TtlCache[str, scoring.Settings] = TtlCache(self._read_settings, 1.0)

    @hookimpl
    def bastion_configure(self, settings: Settings, database: Database) -> None:
        section = dict(settings.plugin_settings(self.name))
        self.cache_ttl_s = float(section.get("cache_ttl_s", 1.0))
        self._settings = TtlCache(self._read_settings, self.cache_ttl_s)
        self.hash_key = str(section.get("hash_key", "")).encode()
        scoring_section = {k: v for k, v in section.items() if k not in _CONFIG_ONLY}
        try:
            overrides = validate(scoring_section, scoring.Settings(), "plugins.deliberation")
        except Exception as error:  # InvalidArgument: a bad configuration file
            raise ValueError(str(error)) from None
        self.defaults = scoring.Settings().merged(overrides)
        self.database = database

    @hookimpl
    def bastion_migrations(self) -> list[Any]:
        return [store.DELIBERATION_VERSIONS]

    @hookimpl
    def bastion_services(self, context: ServiceContext) -> list[ServiceRegistration]:
        # Said once when the server starts, not by every CLI command (which configure
        # the plugins too but never score reasoning).
        if not self.hash_key:
            log.warning("deliberation_hash_unkeyed",
                        message="no plugins.deliberation.hash_key: reasoning hashes are "
                                "plain SHA-256")
        return [ServiceRegistration(
            name="bastion.v1.DeliberationService",
            add_to_server=deliberation_service_pb2_grpc.add_DeliberationServiceServicer_to_server,
            servicer=DeliberationServicer(context.lifecycle, context.database, self),
            method_roles={"SetDeliberationSettings": Role.OPERATOR})]

    @staticmethod
    def concerned(request: ActionRequest) -> bool:
        return request.reasoning is not None and bool(request.reasoning.text)

    @hookimpl
    def bastion_guard_check(self, request: ActionRequest
                            ) -> GuardVerdict | None | Awaitable[GuardVerdict | None]:
        if not self.concerned(request):
            return None
        hit, settings = self._settings.peek(request.tenant_id)
        if hit:
            return self._judge(request, settings)  # type: ignore[arg-type]
        return self._judge_after_loading(request)

    async def _judge_after_loading(self, request: ActionRequest) -> GuardVerdict | None:
        return self._judge(request, await self.tenant_settings(request.tenant_id))

    async def tenant_settings(self, tenant_id: str) -> scoring.Settings:
        """The tenant's effective settings (read through the per-replica cache)."""
        return await self._settings.get(tenant_id)

    async def _read_settings(self, tenant_id: str) -> scoring.Settings:
        assert self.database is not None
        overrides = await asyncio.to_thread(store.tenant_overrides, self.database, tenant_id)
        return self.defaults.merged(overrides) if overrides else self.defaults

    def forget(self, tenant_id: str) -> None:
        """Drops the cached settings of a tenant (after a change on this replica)."""
        self._settings.invalidate(tenant_id)

    def _judge(self, request: ActionRequest, settings: scoring.Settings) -> GuardVerdict:
        reasoning = request.reasoning
        assert reasoning is not None
        score = scoring.score(reasoning.text, reasoning.goal, reasoning.phase,
                              reasoning.thinking_tokens, settings)
        # For bastion_decision_made (called again if the decision is revised at commit).
        request.scratch[self.name] = (score, self._hash(reasoning.text))
        rec = score.recommendation
        details = {"recommendation": rec, "steps": str(score.steps),
                   "logical_issues": str(score.logical_issues),
                   "off_topic_segments": str(score.off_topic_segments),
                   "thinking_tokens": str(score.thinking_tokens)}
        obligations = ()
        if rec == "fallback":
            obligations = (Obligation("use_fallback_model", {
                "thinking_tokens": str(score.thinking_tokens),
                "token_cap": str(settings.token_cap)}),)
        return GuardVerdict(
            _VERDICTS[rec],
            reasons=(Reason(f"deliberation_{rec}", _message(score), details),),
            obligations=obligations,
            scores={"depth": score.depth, "coherence": score.coherence,
                    "relevance": score.relevance, "overall": score.overall})

    def _hash(self, text: str) -> str:
        data = text.encode("utf-8", "surrogatepass")
        if self.hash_key:
            return hmac.new(self.hash_key, data, hashlib.sha256).hexdigest()
        return hashlib.sha256(data).hexdigest()

    @hookimpl
    def bastion_decision_made(self, request: ActionRequest, decision: Decision,
                              unit_of_work: UnitOfWork) -> None:
        scored = request.scratch.get(self.name)
        if scored is None:
            return
        score, text_hash = scored
        reasoning = request.reasoning
        assert reasoning is not None
        unit_of_work.add(store.InsertScores({
            "tenant_id": request.tenant_id, "decision_id": request.decision_id,
            "run_id": request.run_id, "task_id": request.task_id,
            "agent_id": request.agent_id, "phase": reasoning.phase, "model": reasoning.model,
            "depth": score.depth, "coherence": score.coherence,
            "relevance": score.relevance, "overall": score.overall, "steps": score.steps,
            "logical_issues": score.logical_issues,
            "off_topic_segments": score.off_topic_segments,
            "thinking_tokens": score.thinking_tokens,
            "recommendation": score.recommendation, "text_hash": text_hash,
            "created_at": decision.decided_at}))


def _message(score: scoring.Score) -> str:
    return (f"reasoning scored {score.overall:.2f} (depth {score.depth:.2f}, coherence "
            f"{score.coherence:.2f}, relevance {score.relevance:.2f}): "
            f"{score.recommendation}")
