"""The Bastion Python client: typed, sync (:class:`BastionClient`) and asyncio
(:class:`AsyncBastionClient`), with retries on UNAVAILABLE only, deadlines, typed errors
(:class:`BastionError`) and the :func:`guarded` decorator. See docs/client.md."""

from bastion.clients.aio import AsyncBastionClient
from bastion.clients.client import BastionClient
from bastion.clients.errors import BastionError, ErrorInfo, FieldViolation, NotAllowed
from bastion.clients.guarded import guarded
from bastion.clients.types import (
    Decision,
    Explanation,
    GuardResult,
    LedgerEntry,
    LedgerPage,
    LedgerRef,
    LedgerVerification,
    MetabolismInputs,
    MetabolismSnapshot,
    Obligation,
    PluginInfo,
    Reason,
    Reasoning,
    TaskPlan,
    Verdict,
)

__all__ = [
    "AsyncBastionClient", "BastionClient", "BastionError", "Decision", "ErrorInfo",
    "Explanation", "FieldViolation", "GuardResult", "LedgerEntry", "LedgerPage", "LedgerRef",
    "LedgerVerification", "MetabolismInputs", "MetabolismSnapshot", "NotAllowed",
    "Obligation", "PluginInfo", "Reason", "Reasoning", "TaskPlan", "Verdict", "guarded",
]
