"""Adapting a planned session to how the athlete is today (SPEC D3; seed 003
AdaptationService).

For each planned exercise, in order:

1. a movement forbidden by one of the athlete's movement rules (matched by movement id only,
   never by name) is removed: ``"forbidden: <rule reason>"``;
2. otherwise a movement that loads a sore muscle is removed, judged by the catalog's muscle
   map: a muscle sore at level ≥ 3 among its PRIMARY muscles, or ≥ 7 among its SECONDARY
   ones: ``"soreness: CHEST 6 (primary)"``. (The seed compared body-part names with movement
   names, so a sore CHEST never removed "bench press".)
3. a removed movement is replaced when possible by a movement of the same pattern that is
   not forbidden, not already in the session and not sore; the substitute keeps the planned
   sets, reps, RPE, position and grouping. ``propose`` (e.g. an LLM, the seed's stubbed
   ``suggest_exercise_substitution``) is asked first and its answers are checked against the
   same conditions; otherwise the first such catalog movement that may fill the role is used.
4. Bastion's volume rule (the seed's ``_adjust_volume`` was unspecified): with a recovery
   score below 40, MAIN and ACCESSORY work loses one set (never below 1) and one RPE point
   (never below 1); from 40 to 70 the volume is unchanged.

Then sections (SPEC D3): a recovery score above 70 appends a conditioning finisher, below 40
one more warm-up movement. Every decision is an :class:`AdaptationStep`, removals included.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator, Mapping, Sequence

from bastion.plugins.training.catalog import Catalog
from bastion.plugins.training.errors import DomainError
from bastion.plugins.training.generation import (
    FINISHER_PRESCRIPTION,
    ROLE_ORDER,
    WARMUP_PRESCRIPTION,
    Prescription,
)
from bastion.plugins.training.model import (
    AdaptationStep,
    AdaptedSession,
    ExerciseRole,
    Grouping,
    Movement,
    MovementRule,
    Muscle,
    PlannedExercise,
    SessionType,
    Soreness,
)

PRIMARY_SORENESS_LIMIT = 3  # a prime mover this sore should not be loaded
SECONDARY_SORENESS_LIMIT = 7  # an assisting muscle tolerates more
LOW_RECOVERY = 40  # below: less volume and an extra warm-up
HIGH_RECOVERY = 70  # above: a conditioning finisher
RPE_FLOOR = 1.0

CONDITIONING_SECTION = "conditioning"
EXTRA_WARMUP_SECTION = "extra_warmup"
_VOLUME_ROLES = (ExerciseRole.MAIN, ExerciseRole.ACCESSORY)

Proposer = Callable[[Movement, frozenset[Muscle], frozenset[str]], Sequence[str]]
"""``propose(removed_movement, sore_muscles, excluded_ids) -> candidate ids``, best first.

``sore_muscles`` are those sore at level ≥ 3; ``excluded_ids`` are forbidden movements and
those already in the session. Proposals are advice: each is checked like a catalog pick."""


def adapt(exercises: Sequence[PlannedExercise], *, catalog: Catalog,
          movement_rules: Sequence[MovementRule], soreness: Sequence[Soreness],
          recovery_score: float, session_type: SessionType,
          propose: Proposer | None = None) -> Iterator[AdaptationStep]:
    """The adaptation decisions for ``exercises``, in the order they are taken.

    Inputs are validated before the first step is produced: ``recovery_score`` must be
    0..100 and soreness levels 1..10 (``DomainError``). ``session_type`` is carried for the
    caller's record; none of today's rules depends on it. Use :func:`adapt_session` for the
    resulting exercises as well.
    """
    run = _Adaptation(catalog, movement_rules, soreness, recovery_score, session_type, propose)
    return run.steps(exercises)


def adapt_session(exercises: Sequence[PlannedExercise], *, catalog: Catalog,
                  movement_rules: Sequence[MovementRule], soreness: Sequence[Soreness],
                  recovery_score: float, session_type: SessionType,
                  propose: Proposer | None = None) -> AdaptedSession:
    """Run :func:`adapt` and collect its steps with the adapted exercises.

    The exercises come in performance order (warm-up, main and skill, accessory, finisher,
    cool-down). Kept and substituted exercises keep their planned ``position``, so a client
    can match them with the plan; added exercises take positions after the highest one.
    """
    run = _Adaptation(catalog, movement_rules, soreness, recovery_score, session_type, propose)
    steps = tuple(run.steps(exercises))
    ordered = sorted(run.exercises, key=lambda e: (ROLE_ORDER[e.role], e.position))
    return AdaptedSession(exercises=tuple(ordered), steps=steps,
                          added_sections=tuple(run.sections), recovery_score=recovery_score)


def soreness_conflicts(movement: Movement, sore: Mapping[Muscle, int]) -> list[str]:
    """Why ``movement`` is too much for the ``sore`` muscles today, e.g. ``["CHEST 6
    (primary)"]``; empty when it is fine. Primary muscles first, each in enum order."""
    found: list[str] = []
    for muscles, limit, label in ((movement.primary, PRIMARY_SORENESS_LIMIT, "primary"),
                                  (movement.secondary, SECONDARY_SORENESS_LIMIT, "secondary")):
        for muscle in Muscle:
            if muscle in muscles and sore.get(muscle, 0) >= limit:
                found.append(f"{muscle.value} {sore[muscle]} ({label})")
    return found


class _Adaptation:
    """One run of the rules; ``exercises`` and ``sections`` fill as :meth:`steps` runs."""

    def __init__(self, catalog: Catalog, movement_rules: Sequence[MovementRule],
                 soreness: Sequence[Soreness], recovery_score: float,
                 session_type: SessionType, propose: Proposer | None) -> None:
        _validate(soreness, recovery_score)
        self.catalog = catalog
        self.recovery_score = recovery_score
        self.session_type = session_type
        self.propose = propose
        self.forbidden: dict[str, str] = {}
        for rule in movement_rules:
            self.forbidden.setdefault(rule.movement_id, rule.reason)
        self.sore: dict[Muscle, int] = {}
        for entry in soreness:  # two reports of one muscle: the worse one counts
            self.sore[entry.muscle] = max(self.sore.get(entry.muscle, 0), entry.level)
        self.in_session: set[str] = set()
        self.exercises: list[PlannedExercise] = []
        self.sections: list[str] = []

    def steps(self, exercises: Sequence[PlannedExercise]) -> Iterator[AdaptationStep]:
        self.in_session = {e.movement_id for e in exercises}
        for exercise in exercises:
            yield from self._exercise(exercise)
        yield from self._sections()

    # -- one planned exercise ---------------------------------------------------------------

    def _exercise(self, exercise: PlannedExercise) -> Iterator[AdaptationStep]:
        movement = self.catalog.get(exercise.movement_id)
        reason = self._removal_reason(exercise.movement_id, movement)
        substituted = False
        if reason is not None:
            substitute, source, rejected = (
                self._substitute(movement, exercise.role) if movement else (None, "", []))
            detail: dict[str, object] = {"substitute": substitute.id if substitute else None}
            yield AdaptationStep("removed", movement_id=exercise.movement_id, reason=reason,
                                 detail=detail)
            if substitute is None:
                return
            self.in_session.add(substitute.id)
            yield AdaptationStep(
                "substituted", movement_id=exercise.movement_id, substitute_id=substitute.id,
                reason=f"same pattern {substitute.pattern}",
                detail={"source": source, "rejected_proposals": rejected})
            exercise = dataclasses.replace(exercise, movement_id=substitute.id)
            substituted = True
        if self.recovery_score < LOW_RECOVERY and exercise.role in _VOLUME_ROLES:
            adjusted = dataclasses.replace(exercise, sets=max(1, exercise.sets - 1),
                                           target_rpe=max(RPE_FLOOR, exercise.target_rpe - 1))
            yield AdaptationStep(
                "volume_adjusted", movement_id=exercise.movement_id,
                reason=f"recovery score {self.recovery_score:g} is below {LOW_RECOVERY}",
                detail={"sets": [exercise.sets, adjusted.sets],
                        "target_rpe": [exercise.target_rpe, adjusted.target_rpe]})
            exercise = adjusted
        elif not substituted:
            yield AdaptationStep("kept", movement_id=exercise.movement_id,
                                 reason="" if movement else "not in the catalog: soreness "
                                                            "not checked")
        self.exercises.append(exercise)

    def _removal_reason(self, movement_id: str, movement: Movement | None) -> str | None:
        if movement_id in self.forbidden:
            return f"forbidden: {self.forbidden[movement_id]}"
        if movement is not None:
            conflicts = soreness_conflicts(movement, self.sore)
            if conflicts:
                return f"soreness: {', '.join(conflicts)}"
        return None

    def _allowed(self, movement: Movement | None) -> bool:
        """Not forbidden, not already in the session, not sore."""
        return (movement is not None and movement.id not in self.forbidden
                and movement.id not in self.in_session
                and not soreness_conflicts(movement, self.sore))

    def _substitute(self, removed: Movement,
                    role: ExerciseRole) -> tuple[Movement | None, str, list[str]]:
        """(substitute, where it came from, proposals that failed the checks)."""
        rejected: list[str] = []
        if self.propose is not None:
            sore = frozenset(m for m, level in self.sore.items()
                             if level >= PRIMARY_SORENESS_LIMIT)
            excluded = frozenset(self.forbidden) | frozenset(self.in_session)
            for proposal in self.propose(removed, sore, excluded):
                candidate = self.catalog.get(proposal)
                if (candidate is not None and candidate.pattern == removed.pattern
                        and self._allowed(candidate)):
                    return candidate, "propose", rejected
                rejected.append(proposal)
        for candidate in self.catalog.by_pattern(removed.pattern):
            if role in candidate.roles and self._allowed(candidate):
                return candidate, "catalog", rejected
        return None, "", rejected

    # -- sections -------------------------------------------------------------------------

    def _sections(self) -> Iterator[AdaptationStep]:
        if self.recovery_score > HIGH_RECOVERY:
            candidates = [m for m in self.catalog.by_pattern("CONDITIONING")
                          if ExerciseRole.FINISHER in m.roles]
            yield from self._add_section(CONDITIONING_SECTION, candidates,
                                         ExerciseRole.FINISHER, FINISHER_PRESCRIPTION)
        elif self.recovery_score < LOW_RECOVERY:
            yield from self._add_section(EXTRA_WARMUP_SECTION,
                                         self.catalog.for_role(ExerciseRole.WARMUP),
                                         ExerciseRole.WARMUP, WARMUP_PRESCRIPTION)

    def _add_section(self, section: str, candidates: Sequence[Movement], role: ExerciseRole,
                     dose: Prescription) -> Iterator[AdaptationStep]:
        movement = next((m for m in candidates if self._allowed(m)), None)
        if movement is None:
            # Nothing safe to add: say so instead of silently skipping the section.
            yield AdaptationStep("section_skipped", reason="no movement is allowed today",
                                 detail={"section": section})
            return
        circuit = role is ExerciseRole.FINISHER
        self.exercises.append(PlannedExercise(
            position=max((e.position for e in self.exercises), default=0) + 1,
            movement_id=movement.id, role=role, sets=dose.sets, reps=dose.reps,
            target_rpe=dose.rpe,
            grouping=Grouping.CIRCUIT if circuit else Grouping.STRAIGHT,
            group=max((e.group for e in self.exercises), default=0) + 1 if circuit else 0))
        self.in_session.add(movement.id)
        self.sections.append(section)
        yield AdaptationStep("section_added", movement_id=movement.id,
                             reason=f"recovery score {self.recovery_score:g}",
                             detail={"section": section})


def _validate(soreness: Sequence[Soreness], recovery_score: float) -> None:
    if (isinstance(recovery_score, bool) or not isinstance(recovery_score, int | float)
            or math.isnan(recovery_score) or not 0 <= recovery_score <= 100):
        raise DomainError("recovery_score", f"must be 0 to 100, got {recovery_score!r}")
    for entry in soreness:
        if not 1 <= entry.level <= 10:
            raise DomainError("soreness", f"{entry.muscle.value}: level must be 1 to 10, "
                                          f"got {entry.level!r}")
