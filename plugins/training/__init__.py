"""The training domain plugin (SPEC D3, seed 003): contributes ``TrainingService``.

Programs, sessions generated from the movement library shipped with the plugin
(``movements.json``), adaptation to soreness, movement rules and recovery, and workout,
soreness and recovery logs. Every RPC passes through the guards as the action
``training.<rpc in snake_case>`` and is ledgered, exactly like the metabolism plugin's.

Configuration, ``[plugins.training]``:

- ``interference``: goal conflict rules replacing the defaults, a list of
  ``{goals = ["STRENGTH", "ENDURANCE"], severity = 0.9, note = "..."}``; a severity above 0.8
  refuses a program with both goals (FAILED_PRECONDITION naming the pair).
- ``proposal_timeout_s`` (2.0): how long AdaptSession waits for a plugin implementing
  ``bastion_training_substitutes`` (an awaitable answer) before the deterministic choice.
- ``recovery_hours_per_point`` (10): muscle recovery decay, one point per this many full hours.
"""

from __future__ import annotations

import pathlib
from collections.abc import Mapping, Sequence
from typing import Any

from bastion.plugins.training import generation
from bastion.plugins.training.catalog import Catalog
from bastion.plugins.training.model import Goal, InterferenceRule
from bastion.plugins.training.servicer import TrainingServicer
from bastion.plugins.training.service import Training
from bastion.runtime import hookimpl
from bastion.runtime.config import Settings
from bastion.runtime.services import ServiceContext, ServiceRegistration
from bastion.storage import Database
from bastion.storage import training as store
from bastion.v1 import training_service_pb2_grpc


def interference_rules(raw: Sequence[Mapping[str, Any]]) -> tuple[InterferenceRule, ...]:
    """``[plugins.training] interference`` entries as rules; a bad entry names itself."""
    rules = []
    for i, entry in enumerate(raw):
        where = f"plugins.training.interference[{i}]"
        try:
            first, second = (Goal(str(g)) for g in entry["goals"])
            severity = float(entry["severity"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"{where}: needs goals = [two of {', '.join(g.value for g in Goal)}]"
                             " and a severity between 0 and 1") from None
        if not 0 <= severity <= 1 or first is second:
            raise ValueError(f"{where}: severity must be 0-1 and the goals different")
        rules.append(InterferenceRule(first, second, severity, str(entry.get("note", ""))))
    return tuple(rules)


class TrainingPlugin:
    name = "training"

    def __init__(self) -> None:
        self.interference: tuple[InterferenceRule, ...] = generation.DEFAULT_INTERFERENCE
        self.proposal_timeout_s = 2.0
        self.hours_per_point = 10.0

    @hookimpl
    def bastion_configure(self, settings: Settings, database: Database) -> None:
        section = settings.plugin_settings(self.name)
        if "interference" in section:
            self.interference = interference_rules(section["interference"])
        self.proposal_timeout_s = float(section.get("proposal_timeout_s", 2.0))
        self.hours_per_point = float(section.get("recovery_hours_per_point", 10.0))
        if self.proposal_timeout_s <= 0 or self.hours_per_point <= 0:
            raise ValueError("plugins.training: proposal_timeout_s and "
                             "recovery_hours_per_point must be > 0")

    @hookimpl
    def bastion_migrations(self) -> list[pathlib.Path]:
        return [store.TRAINING_VERSIONS]

    @hookimpl
    def bastion_services(self, context: ServiceContext) -> list[ServiceRegistration]:
        hook = context.plugin_manager.hook.bastion_training_substitutes
        training = Training(context.lifecycle, context.database, Catalog.load(),
                            interference=self.interference,
                            proposer=hook if hook.get_hookimpls() else None,
                            proposal_timeout_s=self.proposal_timeout_s,
                            hours_per_point=self.hours_per_point)
        return [ServiceRegistration(
            name="bastion.v1.TrainingService",
            add_to_server=training_service_pb2_grpc.add_TrainingServiceServicer_to_server,
            servicer=TrainingServicer(training))]
