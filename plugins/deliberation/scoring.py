"""Scoring an agent's reasoning (SPEC G1): pure functions, no I/O.

The text is split into **segments**: its non-empty lines, and each line into sentences
(ending in ``.``, ``!`` or ``?`` followed by a space). A segment is a **reasoning step**
when it starts with a step marker (``first``, ``then``, ``because``, ...) or is a numbered
or bulleted line (``1.``, ``2)``, ``-``, ``*``, ``•``). The formulas are SPEC G1's:

- depth = min(1, steps / 5 · 0.5 + 0.2·has_conclusion + 0.2·has_justification
  + 0.1·detailed), detailed = the average step is longer than 50 characters;
- coherence = max(0, 1 − 0.15·logical_issues − 0.1·off_topic_segments), logical issues =
  occurrences of contradiction, vague-hedging and non-sequitur markers; an off-topic
  segment shares no keyword with the goal (no goal: none is off-topic);
- relevance = 0.6·goal_keyword_match + 0.4·phase_language_match, goal_keyword_match = the
  share of the goal's keywords found in the text (no goal: 0), phase_language_match =
  distinct words of the phase's vocabulary found, over 3, capped at 1 (no phase: 0);
- overall = weighted sum (0.35 / 0.35 / 0.30 by default);
- recommendation, in order: ``reject`` if a dimension or overall < ``reject_below`` (0.3);
  ``fallback`` if thinking tokens > ``token_cap`` (2000); ``review`` if overall <
  ``review_below`` (0.6) or a dimension is below its threshold (0.5 each); else ``pass``.

Markers match whole words or phrases, case-insensitively (punctuation between words is
ignored). Words are runs of letters, digits, apostrophes and hyphens; keywords are words of
at least three characters, starting with a letter, that are not stop words. Thinking tokens, when the caller gives none, are
counted as ⌈characters / 4⌉ (the usual estimate for English text with BPE tokenizers).
Every list and number here is a default a tenant can override (``Settings``).
"""

from __future__ import annotations

import math
import re
from itertools import chain
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

try:  # the C counting of ASCII texts, built with the package (_tokens.c)
    from bastion.plugins.deliberation._tokens import tally as _native_tally
except ImportError:  # pragma: no cover - a build without a C compiler: the Python path
    _native_tally = None

DEFAULT_MARKERS: Mapping[str, tuple[str, ...]] = {
    "step": ("first", "firstly", "second", "secondly", "third", "then", "next", "after that",
             "afterwards", "finally", "lastly", "because", "since", "therefore", "thus",
             "hence", "so", "consequently", "to do this", "step"),
    "conclusion": ("therefore", "thus", "hence", "in conclusion", "to conclude",
                   "as a result", "consequently", "so i will", "i will", "the answer is",
                   "overall"),
    "justification": ("because", "since", "given that", "due to", "the reason",
                      "this means", "which means", "as shown by", "evidence", "based on"),
    "contradiction": ("contradicts", "contradiction", "but actually", "on second thought",
                      "that is wrong", "that's wrong", "i was wrong", "the opposite"),
    "hedging": ("maybe", "perhaps", "probably", "i guess", "not sure", "somehow",
                "something like", "kind of", "sort of", "whatever", "hopefully"),
    "non_sequitur": ("anyway", "randomly", "unrelated", "for no reason", "who knows",
                     "by the way"),
}

DEFAULT_PHASE_WORDS: Mapping[str, tuple[str, ...]] = {
    "plan": ("plan", "approach", "strategy", "steps", "goal", "milestone", "scope",
             "prioritize", "estimate", "risk"),
    "design": ("design", "architecture", "interface", "schema", "component", "trade-off",
               "tradeoff", "model", "structure", "api"),
    "build": ("implement", "build", "code", "write", "function", "compile", "refactor",
              "module", "class", "dependency"),
    "test": ("test", "tests", "verify", "assert", "coverage", "case", "expected",
             "reproduce", "validate", "regression"),
    "deploy": ("deploy", "release", "rollout", "rollback", "roll", "production", "monitor",
               "environment", "migrate", "health"),
}

STOP_WORDS = frozenset((
    "the and for are but not you all any can had her was one our out day get has him his "
    "how man new now old see two way who boy did its let put say she too use that with "
    "this from they will would there their what about which when make like time just know "
    "take into your some could them than then also back after only come over think well "
    "even want because these give most should very been were have does doing being").split())

_HEAD_WORDS = 6  # a step marker is among a segment's first words
# Every ASCII character that is not part of a word becomes a space (then str.split).
_BYTE_SEPARATORS = bytes(c if (chr(c).isalnum() or chr(c) in "'-" or c >= 128) else 32
                         for c in range(256))
_UNICODE_SEPARATORS = {ord(c): " " for c in "\u2013\u2014\u201c\u201d\u2026\u00a0"}
_UNICODE_SEPARATORS.update({0x2018: "'", 0x2019: "'"})  # typographic apostrophes
# The same, keeping newlines: every segment of a text is translated in one call.
_BYTE_SEPARATORS_BY_LINE = bytes(10 if c == 10 else b for c, b in enumerate(_BYTE_SEPARATORS))
_LIST_ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+")
_LIST_STARTS = frozenset("0123456789-*•")  # a stripped list item starts with one of these


@dataclass(frozen=True)
class Settings:
    """A tenant's scoring settings (defaults: SPEC G1)."""

    weights: Mapping[str, float] = field(default_factory=lambda: {
        "depth": 0.35, "coherence": 0.35, "relevance": 0.30})
    thresholds: Mapping[str, float] = field(default_factory=lambda: {
        "depth": 0.5, "coherence": 0.5, "relevance": 0.5})
    reject_below: float = 0.3
    review_below: float = 0.6
    token_cap: int = 2000
    markers: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: DEFAULT_MARKERS)
    phase_words: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: DEFAULT_PHASE_WORDS)

    def merged(self, overrides: Mapping[str, Any]) -> "Settings":
        """These settings with ``overrides`` (already validated) applied."""
        changes: dict[str, Any] = {}
        for key in ("weights", "thresholds"):
            if key in overrides:
                changes[key] = {**getattr(self, key), **overrides[key]}
        for key in ("markers", "phase_words"):
            if key in overrides:
                changes[key] = {**getattr(self, key),
                                **{k: tuple(v) for k, v in overrides[key].items()}}
        for key in ("reject_below", "review_below", "token_cap"):
            if key in overrides:
                changes[key] = overrides[key]
        return replace(self, **changes)


@dataclass(frozen=True)
class Score:
    depth: float
    coherence: float
    relevance: float
    overall: float
    steps: int
    logical_issues: int
    off_topic_segments: int
    thinking_tokens: int
    recommendation: str


class _Phrases:
    """A marker list split for fast matching over a text's words: single words are looked
    up in the set of the text's words; a phrase is searched in the space-joined words
    only when its first word occurs at all."""

    def __init__(self, phrases: Sequence[str]) -> None:
        cleaned = {" ".join(words_of(p.lower())) for p in phrases}
        cleaned.discard("")
        self.words = frozenset(p for p in cleaned if " " not in p)
        by_first: dict[str, list[str]] = {}
        for phrase in sorted(cleaned):
            if " " in phrase:
                by_first.setdefault(phrase.split(" ", 1)[0], []).append(f" {phrase} ")
        self.by_first = {first: tuple(group) for first, group in by_first.items()}
        self.firsts = frozenset(self.by_first)
        # Every " phrase " of two or more words (for the C counting).
        self.phrases = tuple(p for group in self.by_first.values() for p in group)

    def _candidates(self, present: set[str]) -> list[str]:
        return [p for first in self.firsts.intersection(present) for p in self.by_first[first]]

    def count(self, present: set[str], joined: str) -> int:
        """Occurrences in ``joined`` (``present``: the set of its words)."""
        return (sum(joined.count(f" {w} ") for w in self.words.intersection(present))
                + sum(joined.count(p) for p in self._candidates(present)))

    def found(self, present: set[str], joined: str) -> bool:
        return not self.words.isdisjoint(present) or any(
            p in joined for p in self._candidates(present))


class _Matcher:
    """Compiled marker lists of one Settings (built once per settings, cached)."""

    def __init__(self, settings: Settings) -> None:
        markers = settings.markers
        self.step = _Phrases(markers["step"])
        self.conclusion = _Phrases(markers["conclusion"])
        self.justification = _Phrases(markers["justification"])
        self.issues = _Phrases((*markers["contradiction"], *markers["hedging"],
                                *markers["non_sequitur"]))
        self.phase_words = {phase: frozenset(w for p in words for w in words_of(p.lower()))
                            for phase, words in settings.phase_words.items()}
        # For the C counting: each marker word's roles (_tokens.c's F_* bits), and per
        # phase the same with that phase's vocabulary added.
        flags: dict[str, int] = {}
        for bit, words in ((_STEP, self.step.words), (_STEP_FIRST, self.step.firsts),
                           (_CONCLUSION, self.conclusion.words),
                           (_JUSTIFICATION, self.justification.words),
                           (_ISSUE, self.issues.words)):
            for word in words:
                flags[word] = flags.get(word, 0) | bit
        self._flags = flags
        self._flags_by_phase: dict[str, dict[str, int]] = {}

    def flags(self, phase: str) -> dict[str, int]:
        """The marker words' roles, with ``phase``'s vocabulary (cached per phase)."""
        cached = self._flags_by_phase.get(phase)
        if cached is None:
            cached = dict(self._flags)
            for word in self.phase_words.get(phase, ()):
                cached[word] = cached.get(word, 0) | _PHASE
            if len(self._flags_by_phase) > 64:  # phases are few; a bound all the same
                self._flags_by_phase.clear()
            self._flags_by_phase[phase] = cached
        return cached


# A marker word's roles, as _tokens.c numbers them.
_STEP, _STEP_FIRST, _CONCLUSION, _JUSTIFICATION, _ISSUE, _PHASE = 1, 2, 4, 8, 16, 32


_MATCHERS: dict[int, tuple[Settings, _Matcher]] = {}


def _matcher(settings: Settings) -> _Matcher:
    cached = _MATCHERS.get(id(settings))
    if cached is None or cached[0] is not settings:
        if len(_MATCHERS) > 1024:
            _MATCHERS.clear()
        cached = (settings, _Matcher(settings))
        _MATCHERS[id(settings)] = cached
    return cached[1]


def segments(text: str) -> list[str]:
    out: list[str] = []
    for line in text.splitlines():
        if _LIST_ITEM.match(line):
            out.append(line.strip())  # a list item is one step, whatever its punctuation
            continue
        # A sentence ends at . ! or ? followed by a space (str methods: C speed).
        marked = line.replace(". ", ".\0").replace("! ", "!\0").replace("? ", "?\0")
        out.extend(s for s in map(str.strip, marked.split("\0")) if s)
    return out


def segment_words(parts: Sequence[str]) -> list[list[str]]:
    """``[words_of(part) for part in parts]`` (parts hold no newline, as ``segments``
    makes them), with one translation of all of them instead of one per part."""
    blob = "\n".join(parts)
    if not blob.isascii():
        blob = blob.translate(_UNICODE_SEPARATORS)
    blob = blob.encode("utf-8", "surrogatepass").translate(_BYTE_SEPARATORS_BY_LINE).decode(
        "utf-8", "surrogatepass")
    return [line.split() for line in blob.split("\n")] if parts else []


def words_of(text: str) -> list[str]:
    """The words of lower-case ``text``: runs of letters, digits, ``'`` and ``-``."""
    if not text.isascii():
        text = text.translate(_UNICODE_SEPARATORS)
    # bytes.translate is a C table lookup; UTF-8 leaves every non-ASCII byte >= 0x80, which
    # the table keeps, so multi-byte characters pass through whole.
    return text.encode("utf-8", "surrogatepass").translate(_BYTE_SEPARATORS).decode(
        "utf-8", "surrogatepass").split()


def keywords(text: str) -> set[str]:
    return {w for w in words_of(text.lower())
            if len(w) >= 3 and w[0].isalpha() and w not in STOP_WORDS}


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def _scan_python(low: str, step_words: frozenset[str],
                 step_firsts: Mapping[str, tuple[str, ...]], goal_words: set[str],
                 head_words: int) -> tuple[int, int, int, set[str], str]:
    """The tokenisation ``_tally_python`` needs, of lower-case ``low``: (reasoning steps,
    their total characters, off-topic segments, the set of words, the words space-joined
    with a space at each end)."""
    parts = segments(low)
    # One tokenisation; the markers are set lookups and substring counts over it (C
    # speed), not a regular expression per marker list.
    seg_words = segment_words(parts)
    words = list(chain.from_iterable(seg_words))
    steps = [part for part, part_words in zip(parts, seg_words)
             if (part_words and (part_words[0] in step_words or (
                 part_words[0] in step_firsts and _starts_with_phrase(
                     part_words[:head_words], step_firsts[part_words[0]]))))
             or (part[0] in _LIST_STARTS and _LIST_ITEM.match(part))]
    off_topic = sum(1 for part_words in seg_words if goal_words.isdisjoint(part_words)) \
        if goal_words else 0
    return (len(steps), sum(len(s) for s in steps), off_topic, set(words),
            " " + " ".join(words) + " ")


def _starts_with_phrase(words: Sequence[str], phrases: Sequence[str]) -> bool:
    """Whether ``words`` begin with one of ``phrases`` (each " word word ")."""
    head = " " + " ".join(words) + " "
    return any(head.startswith(p) for p in phrases)


def _tally_python(low: str, m: _Matcher, goal_words: set[str], phase: str
                  ) -> tuple[int, int, int, bool, bool, int, int, int]:
    """What ``score`` counts in lower-case ``low``: (reasoning steps, their characters,
    off-topic segments, a conclusion marker found, a justification marker found, logical
    issues, goal keywords found, phase words found). The C module ``_tokens`` counts the
    same for ASCII texts."""
    steps, step_chars, off_topic, present, joined = _scan_python(
        low, m.step.words, m.step.by_first, goal_words, _HEAD_WORDS)
    vocabulary = m.phase_words.get(phase, frozenset())
    return (steps, step_chars, off_topic, m.conclusion.found(present, joined),
            m.justification.found(present, joined), m.issues.count(present, joined),
            len(goal_words & present), len(vocabulary & present))


def tally(text: str, goal_words: set[str], phase: str, settings: Settings
          ) -> tuple[int, int, int, bool, bool, int, int, int]:
    """``_tally_python`` of ``text`` lower-cased, in C when the text is ASCII."""
    m = _matcher(settings)
    if _native_tally is not None and text.isascii():
        return _native_tally(text, m.flags(phase), m.step.by_first, goal_words, _HEAD_WORDS,
                             m.conclusion.phrases, m.justification.phrases, m.issues.phrases)
    return _tally_python(text.lower(), m, goal_words, phase)


def score(text: str, goal: str, phase: str, thinking_tokens: int,
          settings: Settings) -> Score:
    """Scores ``text`` (SPEC G1); ``thinking_tokens`` 0 means "count them"."""
    goal_words = keywords(goal)
    (steps, step_chars, off_topic, concluded, justified, issues, goal_hits,
     phase_hits) = tally(text, goal_words, phase, settings)
    detailed = steps > 0 and step_chars / steps > 50
    depth = min(1.0, steps / 5 * 0.5 + 0.2 * concluded + 0.2 * justified + 0.1 * detailed)
    coherence = max(0.0, 1.0 - 0.15 * issues - 0.1 * off_topic)
    goal_match = goal_hits / len(goal_words) if goal_words else 0.0
    relevance = 0.6 * goal_match + 0.4 * min(1.0, phase_hits / 3)

    w = settings.weights
    overall = w["depth"] * depth + w["coherence"] * coherence + w["relevance"] * relevance
    tokens = thinking_tokens or estimate_tokens(text)
    dims = {"depth": depth, "coherence": coherence, "relevance": relevance}
    return Score(depth=round(depth, 6), coherence=round(coherence, 6),
                 relevance=round(relevance, 6), overall=round(overall, 6), steps=steps,
                 logical_issues=issues, off_topic_segments=off_topic, thinking_tokens=tokens,
                 recommendation=recommend(dims, overall, tokens, settings))


def recommend(dims: Mapping[str, float], overall: float, tokens: int,
              settings: Settings) -> str:
    """SPEC G1's order: reject, then fallback, then review, else pass."""
    if min(dims.values()) < settings.reject_below or overall < settings.reject_below:
        return "reject"
    if tokens > settings.token_cap:
        return "fallback"
    if overall < settings.review_below or any(
            value < settings.thresholds[name] for name, value in dims.items()):
        return "review"
    return "pass"
