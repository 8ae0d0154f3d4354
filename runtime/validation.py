"""Request validation helpers: each failure names the field (INVALID_ARGUMENT)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Mapping
from typing import Any

from orjson import loads as _orjson_loads

from bastion.runtime.errors import InvalidArgument

# Largest integer every JSON reader holds exactly (an IEEE double); canonical JSON (RFC 8785)
# refuses larger ones, so they cannot be ledgered.
MAX_SAFE_INTEGER = 2**53 - 1
_ACTION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@/-]*$")


def action_name(value: str, field: str, max_chars: int) -> str:
    if not value:
        raise InvalidArgument(field, "is required")
    if len(value) > max_chars:
        raise InvalidArgument(field, f"must be at most {max_chars} characters")
    if not _ACTION_RE.match(value):
        raise InvalidArgument(field, "may contain letters, digits and . _ : / - only")
    return value


def text(value: str, field: str, max_chars: int, *, required: bool = False) -> str:
    if required and not value:
        raise InvalidArgument(field, "is required")
    if len(value) > max_chars:
        raise InvalidArgument(field, f"must be at most {max_chars} characters")
    return value


def identifier(value: str, field: str, max_chars: int = 128, *, required: bool = False) -> str:
    if not value:
        if required:
            raise InvalidArgument(field, "is required")
        return value
    if len(value) > max_chars:
        raise InvalidArgument(field, f"must be at most {max_chars} characters")
    if not _ID_RE.match(value):
        raise InvalidArgument(field, "may contain letters, digits and . _ : @ / - only")
    return value


def amount(value: float, field: str, *, maximum: float | None = None) -> float:
    if math.isnan(value) or math.isinf(value):
        raise InvalidArgument(field, "must be a finite number")
    if value < 0:
        raise InvalidArgument(field, "must be >= 0")
    if maximum is not None and value > maximum:
        raise InvalidArgument(field, f"must be <= {maximum:g}")
    return value


def in_range(value: float, field: str, low: float, high: float) -> float:
    if math.isnan(value) or not low <= value <= high:
        raise InvalidArgument(field, f"must be between {low:g} and {high:g}")
    return value


def amounts(values: Mapping[str, float], field: str, max_entries: int = 32, *,
            known: Collection[str] | None = None) -> dict[str, float]:
    """Named non-negative finite amounts; with ``known``, only those names."""
    if len(values) > max_entries:
        raise InvalidArgument(field, f"at most {max_entries} entries")
    out = {}
    for name, value in values.items():
        identifier(name, f"{field}[{name[:32]}]", 64, required=True)
        if known is not None and name not in known:
            raise InvalidArgument(f"{field}[{name}]",
                                  f"unknown resource; known: {', '.join(known)}")
        out[name] = amount(value, f"{field}[{name}]")
    return out


def json_object(value: str, field: str, max_bytes: int) -> dict[str, Any]:
    if not value:
        return {}
    parsed = json_value(value, field, max_bytes)
    if not isinstance(parsed, dict):
        raise InvalidArgument(field, "must be a JSON object")
    return parsed


def json_value(value: str, field: str, max_bytes: int) -> Any:
    """Any JSON value (safe integers only, no NaN, no unpaired surrogates)."""
    if not value:
        raise InvalidArgument(field, "is required (a JSON value)")
    if len(value.encode()) > max_bytes:
        raise InvalidArgument(field, f"must be at most {max_bytes} bytes")
    if _LONG_NUMBER.search(value) is None:
        # orjson refuses what the checks below refuse (NaN, infinities, lone surrogates)
        # and decodes the rest to the same values, about 5 times faster; a number of 16
        # digits or more may lie beyond 2**53 (orjson takes it), and the exact decoder
        # below words every error, so both go the slow way.
        try:
            return _orjson_loads(value)
        except ValueError:
            pass
    try:
        parsed = _DECODER.decode(value)
    except (ValueError, RecursionError) as error:
        raise InvalidArgument(field, f"is not valid JSON ({_short(error)})") from None
    # A \uD800-style escape decodes to a lone surrogate: not text, and not recordable
    # (canonical JSON and the databases refuse it). Valid pairs decode to one character.
    if "\\u" in value and _SURROGATE_ESCAPE.search(value):
        try:
            json.dumps(parsed, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidArgument(field, "contains an unpaired surrogate escape") from None
        except RecursionError:
            raise InvalidArgument(field, "is nested too deeply") from None
    return parsed


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _safe_int(text: str) -> int:
    number = int(text)
    if not -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER:  # RFC 8785 (and I-JSON) refuse it
        raise ValueError(f"integer {text[:32]} is outside ±(2**53 - 1)")
    return number


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):  # 1e999: valid JSON, but not finite (RFC 8785 refuses it)
        raise ValueError(f"number {text[:32]} is out of range")
    return number


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_LONG_NUMBER = re.compile(r"\d{16}")
# One decoder (json.loads with a keyword argument builds a new one per call).
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float,
                           parse_int=_safe_int)


def _short(error: BaseException) -> str:
    return str(error).split("\n")[0][:120]


def enum_value(value: int, field: str, allowed: Mapping[int, Any]) -> Any:
    if value not in allowed:
        raise InvalidArgument(field, f"unknown value {value}")
    return allowed[value]
