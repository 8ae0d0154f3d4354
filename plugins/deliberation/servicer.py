"""DeliberationService: the tenant's deliberation scores and scoring settings."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import grpc

from bastion.plugins.deliberation import scoring
from bastion.plugins.deliberation.settings import validate
from bastion.runtime import validation as v
from bastion.runtime.domain_calls import guarded_call
from bastion.runtime.lifecycle import Lifecycle
from bastion.runtime.principal import current_principal
from bastion.storage import Database
from bastion.storage import deliberations as store
from bastion.storage.base import utcnow
from bastion.v1 import deliberation_service_pb2 as pb
from bastion.v1 import deliberation_service_pb2_grpc

if TYPE_CHECKING:
    from bastion.plugins.deliberation import DeliberationPlugin

MAX_PAGE = 1000


class DeliberationServicer(deliberation_service_pb2_grpc.DeliberationServiceServicer):
    def __init__(self, lifecycle: Lifecycle, database: Database,
                 plugin: "DeliberationPlugin") -> None:
        self._lifecycle, self._db, self._plugin = lifecycle, database, plugin

    async def ListDeliberations(self, request: pb.ListDeliberationsRequest,
                                context: grpc.aio.ServicerContext
                                ) -> pb.ListDeliberationsResponse:
        tenant_id = current_principal().tenant_id
        run_id = v.identifier(request.run_id, "run_id", 256)
        size = request.page_size or 100
        if not 0 < size <= MAX_PAGE:
            raise v.InvalidArgument("page_size", f"must be between 1 and {MAX_PAGE}")
        after = _page_token(request.page_token)
        below = None
        if request.low_quality_only:
            below = (await self._plugin.tenant_settings(tenant_id)).review_below
        rows = await asyncio.to_thread(store.list_scores, self._db, tenant_id, run_id=run_id,
                                       below=below, after_id=after, limit=size + 1)
        page = rows[:size]
        response = pb.ListDeliberationsResponse(scores=[_score_to_pb(r) for r in page])
        if len(rows) > size:
            response.next_page_token = str(page[-1]["id"])
        return response

    async def GetDeliberationSettings(self, request: pb.GetDeliberationSettingsRequest,
                                      context: grpc.aio.ServicerContext
                                      ) -> pb.GetDeliberationSettingsResponse:
        tenant_id = current_principal().tenant_id
        overrides = await asyncio.to_thread(store.tenant_overrides, self._db, tenant_id)
        settings = self._plugin.defaults.merged(overrides or {})
        return pb.GetDeliberationSettingsResponse(settings=_settings_to_pb(settings),
                                                  overridden=overrides is not None)

    async def SetDeliberationSettings(self, request: pb.SetDeliberationSettingsRequest,
                                      context: grpc.aio.ServicerContext
                                      ) -> pb.SetDeliberationSettingsResponse:
        principal = current_principal()
        raw = _settings_from_pb(request.settings) if request.HasField("settings") else {}
        if request.reset and raw:
            raise v.InvalidArgument("settings", "must be empty when reset is set")
        if not request.reset and not raw:
            raise v.InvalidArgument("settings", "is required (or set reset)")
        overrides = None if request.reset else validate(raw, self._plugin.defaults)
        op = store.SaveSettings(tenant_id=principal.tenant_id, overrides=overrides,
                                actor=principal.subject, now=utcnow())
        await guarded_call(self._lifecycle, "admin.deliberation.settings",
                           lambda uow: uow.add(op),
                           attributes={"reset": request.reset,
                                       "overrides": overrides or {}})
        self._plugin.forget(principal.tenant_id)
        settings = self._plugin.defaults.merged(overrides or {})
        return pb.SetDeliberationSettingsResponse(settings=_settings_to_pb(settings),
                                                  overridden=overrides is not None)


def _page_token(token: str) -> int:
    if not token:
        return 0
    if not token.isdigit() or len(token) > 19:
        raise v.InvalidArgument("page_token", "is not a token this service issued")
    return int(token)


def _score_to_pb(row: dict[str, Any]) -> pb.DeliberationScore:
    score = pb.DeliberationScore(**{k: row[k] for k in store.SCORE_COLUMNS
                                    if k != "created_at"})
    score.created_at.FromDatetime(row["created_at"])
    return score


def _settings_from_pb(msg: pb.DeliberationSettings) -> dict[str, Any]:
    """Only what the caller set (proto3: a zero number means "not set")."""
    raw: dict[str, Any] = {}
    if msg.weights:
        raw["weights"] = dict(msg.weights)
    if msg.thresholds:
        raw["thresholds"] = dict(msg.thresholds)
    for key in ("reject_below", "review_below", "token_cap"):
        if getattr(msg, key):
            raw[key] = getattr(msg, key)
    for key in ("markers", "phase_words"):
        lists = getattr(msg, key)
        if lists:
            raw[key] = {name: list(entry.phrases) for name, entry in lists.items()}
    return raw


def _settings_to_pb(settings: scoring.Settings) -> pb.DeliberationSettings:
    return pb.DeliberationSettings(
        weights=dict(settings.weights), thresholds=dict(settings.thresholds),
        reject_below=settings.reject_below, review_below=settings.review_below,
        token_cap=settings.token_cap,
        markers={k: pb.MarkerList(phrases=list(p)) for k, p in settings.markers.items()},
        phase_words={k: pb.MarkerList(phrases=list(p))
                     for k, p in settings.phase_words.items()})
