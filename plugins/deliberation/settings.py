"""Validating scoring-setting overrides (server configuration and per-tenant RPC alike).

An override is a plain mapping with any of: ``weights``, ``thresholds`` (each a mapping of
``depth``/``coherence``/``relevance`` to a number), ``reject_below``, ``review_below``,
``token_cap``, ``markers`` (kind → phrases), ``phase_words`` (phase → words). Bad values are
INVALID_ARGUMENT naming the field (``settings.weights``, ``settings.markers[hedging]``...).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from bastion.plugins.deliberation.scoring import (
    DEFAULT_MARKERS,
    DEFAULT_PHASE_WORDS,
    Settings,
)
from bastion.runtime.errors import InvalidArgument

DIMENSIONS = ("depth", "coherence", "relevance")
MAX_PHRASES = 200
MAX_PHRASE_CHARS = 64
_KNOWN = ("weights", "thresholds", "reject_below", "review_below", "token_cap", "markers",
          "phase_words")


def validate(raw: Mapping[str, Any], base: Settings, prefix: str = "settings") -> dict[str, Any]:
    """The overrides in ``raw``, checked; the weights of the result (over ``base``) must
    sum to 1."""
    unknown = sorted(set(raw) - set(_KNOWN))
    if unknown:
        raise InvalidArgument(f"{prefix}.{unknown[0]}", "is not a deliberation setting")
    out: dict[str, Any] = {}
    for key in ("weights", "thresholds"):
        if key in raw:
            out[key] = _dimensions(raw[key], f"{prefix}.{key}")
    for key in ("reject_below", "review_below"):
        if key in raw:
            out[key] = _fraction(raw[key], f"{prefix}.{key}")
    if "token_cap" in raw:
        cap = raw["token_cap"]
        if isinstance(cap, bool) or not isinstance(cap, int) or not 0 < cap <= 10_000_000:
            raise InvalidArgument(f"{prefix}.token_cap", "must be an integer in 1..10000000")
        out["token_cap"] = cap
    if "markers" in raw:
        out["markers"] = _phrase_lists(raw["markers"], f"{prefix}.markers", DEFAULT_MARKERS)
    if "phase_words" in raw:
        out["phase_words"] = _phrase_lists(raw["phase_words"], f"{prefix}.phase_words",
                                           DEFAULT_PHASE_WORDS)
    weights = {**base.weights, **out.get("weights", {})}
    if abs(sum(weights.values()) - 1.0) > 1e-6:
        raise InvalidArgument(f"{prefix}.weights", "depth, coherence and relevance must sum "
                                                   f"to 1 (they sum to {sum(weights.values()):g})")
    return out


def _dimensions(value: Any, field: str) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise InvalidArgument(field, "must map depth, coherence, relevance to numbers")
    out = {}
    for name, number in value.items():
        if name not in DIMENSIONS:
            raise InvalidArgument(f"{field}[{name}]", "must be depth, coherence or relevance")
        out[name] = _fraction(number, f"{field}[{name}]")
    return out


def _fraction(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or not 0 <= value <= 1:
        raise InvalidArgument(field, "must be a number in [0, 1]")
    return float(value)


def _phrase_lists(value: Any, field: str,
                  known: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
    if not isinstance(value, Mapping):
        raise InvalidArgument(field, "must map names to lists of phrases")
    out = {}
    for name, phrases in value.items():
        where = f"{field}[{name}]"
        if name not in known:
            raise InvalidArgument(where, f"must be one of {', '.join(known)}")
        if not isinstance(phrases, (list, tuple)) or not phrases \
                or len(phrases) > MAX_PHRASES:
            raise InvalidArgument(where, f"must list 1 to {MAX_PHRASES} phrases")
        cleaned = []
        for phrase in phrases:
            if not isinstance(phrase, str) or not phrase.strip() \
                    or len(phrase) > MAX_PHRASE_CHARS:
                raise InvalidArgument(where, f"phrases must be 1 to {MAX_PHRASE_CHARS} "
                                             "characters")
            cleaned.append(phrase.strip().lower())
        out[name] = cleaned
    return out
