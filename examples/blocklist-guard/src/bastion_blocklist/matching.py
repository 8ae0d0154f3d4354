"""Which pattern blocks an action: exact names, or prefixes written ``payments.*``."""

from __future__ import annotations

from collections.abc import Iterable


def blocking_pattern(action: str, patterns: Iterable[str]) -> str | None:
    for pattern in patterns:
        if pattern.endswith("*"):
            if action.startswith(pattern[:-1]):
                return pattern
        elif action == pattern:
            return pattern
    return None
