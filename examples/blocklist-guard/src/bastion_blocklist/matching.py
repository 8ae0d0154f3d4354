"""Blocklist patterns: exact action names (``payments.refund``) or prefixes (``payments.*``)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bastion.runtime.errors import InvalidArgument

MAX_PATTERN_CHARS = 256
# The characters Bastion accepts in an action name, optionally followed by one "*".
_PATTERN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*\*?$")


def parse_pattern(value: str, field: str) -> str:
    """``value`` if it is a valid pattern, else :class:`InvalidArgument` naming ``field``."""
    if not value:
        raise InvalidArgument(field, "is required")
    if len(value) > MAX_PATTERN_CHARS:
        raise InvalidArgument(field, f"must be at most {MAX_PATTERN_CHARS} characters")
    if not _PATTERN_RE.match(value):
        raise InvalidArgument(field, "must be an action name (letters, digits and . _ : / -, "
                                     "starting with a letter or digit), optionally ending in *")
    return value


def blocking_pattern(action: str, patterns: Iterable[str]) -> str | None:
    """The first of ``patterns`` that blocks ``action``, or None."""
    for pattern in patterns:
        if pattern.endswith("*"):
            if action.startswith(pattern[:-1]):
                return pattern
        elif action == pattern:
            return pattern
    return None
