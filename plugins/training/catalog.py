"""The movement library: which movements exist, their pattern and the muscles they load.

``movements.json`` (shipped inside this package) is a list of objects::

    {"id": "back_squat", "name": "Back squat", "pattern": "SQUAT", "equipment": "barbell",
     "primary": ["QUADS", "GLUTES"], "secondary": ["CORE", "HAMSTRINGS"],
     "roles": ["MAIN", "ACCESSORY"]}

Generation picks movements by pattern and role; adaptation checks soreness against the
``primary``/``secondary`` muscle map, never against names (the seed matched body-part names
against movement names, which missed "bench press" for a sore CHEST). The file is validated
when it is loaded, so a typo fails at start-up with the entry named, not in a session.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

from bastion.plugins.training.model import ExerciseRole, Movement, Muscle

PATTERNS: frozenset[str] = frozenset({
    "SQUAT", "HINGE", "LUNGE", "HORIZONTAL_PUSH", "VERTICAL_PUSH", "HORIZONTAL_PULL",
    "VERTICAL_PULL", "ELBOW_FLEXION", "ELBOW_EXTENSION", "CALF_RAISE", "CORE", "CARRY",
    "CONDITIONING", "MOBILITY", "STRETCH",
})

_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_KEYS = ("id", "name", "pattern", "equipment", "primary", "secondary", "roles")
_RESOURCE = "movements.json"
_E = TypeVar("_E", Muscle, ExerciseRole)


class Catalog:
    """An immutable, validated set of movements in file order.

    Build it with :meth:`load` (the packaged library, parsed once) or :meth:`from_entries`
    (tests, operators' own libraries).
    """

    def __init__(self, movements: Iterable[Movement]) -> None:
        self._movements = tuple(movements)
        self._by_id: dict[str, Movement] = {}
        for movement in self._movements:
            if movement.id in self._by_id:
                raise ValueError(f"movement {movement.id!r}: duplicate id")
            self._by_id[movement.id] = movement

    @classmethod
    def load(cls) -> Catalog:
        """The packaged ``movements.json``, parsed and validated once per process."""
        return _packaged_catalog()

    @classmethod
    def from_json(cls, text: str) -> Catalog:
        data = json.loads(text)
        if not isinstance(data, list):
            raise ValueError("the movement library must be a JSON list of movements")
        return cls.from_entries(data)

    @classmethod
    def from_entries(cls, entries: Sequence[Mapping[str, object]]) -> Catalog:
        """Validate raw entries; any error is a ``ValueError`` naming the entry at fault."""
        return cls(_parse_entry(index, entry) for index, entry in enumerate(entries))

    def get(self, movement_id: str) -> Movement | None:
        return self._by_id.get(movement_id)

    def by_pattern(self, pattern: str) -> tuple[Movement, ...]:
        """Movements of ``pattern`` in file order (the order rotation and substitution use)."""
        return tuple(m for m in self._movements if m.pattern == pattern)

    def for_role(self, role: ExerciseRole) -> tuple[Movement, ...]:
        """Movements that may fill ``role``, in file order."""
        return tuple(m for m in self._movements if role in m.roles)

    def all(self) -> tuple[Movement, ...]:
        return self._movements

    def patterns(self) -> frozenset[str]:
        """The patterns that have at least one movement."""
        return frozenset(m.pattern for m in self._movements)

    def __len__(self) -> int:
        return len(self._movements)


@functools.cache
def _packaged_catalog() -> Catalog:
    # importlib.resources finds the file in a wheel, an sdist install or an editable checkout.
    text = importlib.resources.files(__package__).joinpath(_RESOURCE).read_text("utf-8")
    return Catalog.from_json(text)


def _parse_entry(index: int, entry: object) -> Movement:
    if not isinstance(entry, Mapping):
        raise ValueError(f"movement #{index}: expected an object")
    label = f"movement #{index} ({entry.get('id', '?')!r})"
    missing = [key for key in _KEYS if key not in entry]
    if missing:
        raise ValueError(f"{label}: missing {', '.join(missing)}")
    unknown = sorted(set(entry) - set(_KEYS))
    if unknown:
        raise ValueError(f"{label}: unknown keys {', '.join(unknown)}")
    movement_id, name, pattern, equipment = (
        entry["id"], entry["name"], entry["pattern"], entry["equipment"])
    if not isinstance(movement_id, str) or not _ID.match(movement_id):
        raise ValueError(f"{label}: id must be lowercase snake_case")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{label}: name must be a non-empty string")
    if not isinstance(equipment, str) or not equipment.strip():
        raise ValueError(f"{label}: equipment must be a non-empty string")
    if pattern not in PATTERNS:
        raise ValueError(f"{label}: unknown pattern {pattern!r}")
    primary = _enum_set(label, "primary", entry["primary"], Muscle)
    secondary = _enum_set(label, "secondary", entry["secondary"], Muscle)
    roles = _enum_set(label, "roles", entry["roles"], ExerciseRole)
    if not primary:
        raise ValueError(f"{label}: primary must name at least one muscle")
    if primary & secondary:
        # A muscle is either primary or secondary: both would make the soreness rule ambiguous.
        overlap = ", ".join(sorted(m.value for m in primary & secondary))
        raise ValueError(f"{label}: {overlap} both primary and secondary")
    if not roles:
        raise ValueError(f"{label}: roles must name at least one role")
    return Movement(id=movement_id, name=name, pattern=pattern, equipment=equipment,
                    primary=primary, secondary=secondary, roles=roles)


def _enum_set(label: str, key: str, raw: object, enum: type[_E]) -> frozenset[_E]:
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise ValueError(f"{label}: {key} must be a list of names")
    members = enum.__members__
    for name in raw:
        if name not in members:
            raise ValueError(f"{label}: unknown {key} value {name!r}")
    return frozenset(members[name] for name in raw)
