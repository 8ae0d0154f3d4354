"""Errors of the training domain (SPEC D3).

Pure Python on purpose: the domain modules raise these and the servicer maps them to gRPC
statuses in one place (``DomainError`` is a bad argument, ``GoalConflict`` a refused program),
so nothing here knows about grpc.
"""

from __future__ import annotations

from bastion.plugins.training.model import Goal


class TrainingError(Exception):
    """Base of every training-domain error; ``message`` is safe to show to a client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DomainError(TrainingError):
    """An input breaks a SPEC D3 rule; ``field`` names the input at fault (e.g. ``"goals"``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class GoalConflict(TrainingError):
    """Two goals interfere with a severity above 0.8: the program is not created (SPEC D3,
    seed 003 InterferenceService). The message names the pair so the athlete can drop one."""

    def __init__(self, first: Goal, second: Goal, severity: float) -> None:
        super().__init__(
            f"Goals {first.value} and {second.value} conflict heavily (severity {severity:g})")
        self.first = first
        self.second = second
        self.severity = severity
