"""The deliberation scorer's C tokeniser (``_tokens.c``) finds exactly what its Python path
finds, on every ASCII text (the C path is only taken for those), and the whole score is the
same with and without it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.plugins.deliberation import scoring

# Every character class the tokeniser treats apart: word characters, sentence ends, list
# markers, each ASCII line break and space, NUL, other punctuation.
ASCII_PIECES = [*"ab1 9.!?)-*'\t\r\n\x0b\x0c\x1c\x1d\x1e\x1f\x00,;:\"(", ". ", "1. ", "- ",
                "* ", "12) ", "first ", "then ", "after that ", "to do this ", "because ",
                "ship ", "release ", "deploy ", "maybe ", "Then ", "FIRST. ", "\r\n"]
ascii_texts = st.lists(st.sampled_from(ASCII_PIECES), max_size=60).map("".join)
GOALS = ["", "ship release 4.2", "release", "the and for"]  # the last: no keywords at all
CUSTOM = scoring.Settings().merged({"markers": {
    "step": ["then", "after that", "to do this", "first thing", "a b 1 9 a b a",
             "déjà vu", "ship release"],
    "contradiction": ["maybe", "a b"]}})


def both(low: str, goal: str, config: scoring.Settings) -> tuple[tuple, tuple]:
    matcher = scoring._matcher(config)
    args = (low, matcher.step.words, matcher.step.by_first, scoring.keywords(goal),
            scoring._HEAD_WORDS)
    return scoring._native_scan(*args), scoring._scan_python(*args)


def test_the_c_tokeniser_is_built() -> None:
    # `make install` compiles it (a C compiler is part of the set-up); without it every
    # judged Check pays the Python path, about twice the scorer's time.
    assert scoring._native_scan is not None


@settings(max_examples=600, deadline=None)
@given(text=ascii_texts, goal=st.sampled_from(GOALS),
       config=st.sampled_from([scoring.Settings(), CUSTOM]))
def test_c_and_python_tokenise_every_ascii_text_alike(text: str, goal: str,
                                                      config: scoring.Settings) -> None:
    native, python = both(text.lower(), goal, config)
    assert native == python


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(max_codepoint=127), max_size=120),
       goal=st.sampled_from(GOALS))
def test_c_and_python_agree_on_arbitrary_ascii(text: str, goal: str) -> None:
    native, python = both(text.lower(), goal, scoring.Settings())
    assert native == python


def test_scores_match_with_and_without_the_c_path(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [
        "First, check the tree.\nThen run make deploy! Because CI passed? 1. ship it\n"
        "- roll back if errors rise, maybe. That is wrong.\r\n* watch health",
        "",
        "   \n\n . ! ?",
        "Then déjà vu: the release ships\u2014anyway.",  # not ASCII: the Python path
    ]
    configs = (scoring.Settings(), CUSTOM)
    with_c = [scoring.score(t, "ship release", "deploy", 0, c) for c in configs for t in texts]
    monkeypatch.setattr(scoring, "_native_scan", None)
    without = [scoring.score(t, "ship release", "deploy", 0, c) for c in configs for t in texts]
    assert with_c == without
    # Steps by default: "first…", "then…", "because…", "- roll…", "* watch…" ("1." is cut
    # from "ship it" by the sentence end, so it is no list item); issues: "maybe", "that is
    # wrong". The custom markers drop "first", "because" and the contradiction phrases.
    assert (with_c[0].steps, with_c[0].logical_issues) == (5, 2)
    assert (with_c[4].steps, with_c[4].logical_issues) == (3, 1)


def test_the_c_tokeniser_refuses_what_it_cannot_read() -> None:
    matcher = scoring._matcher(scoring.Settings())
    with pytest.raises(ValueError, match="ASCII"):
        scoring._native_scan("déjà", matcher.step.words, matcher.step.by_first, set(), 6)
    with pytest.raises(TypeError):
        scoring._native_scan("text", matcher.step.words, {"text": ["not a tuple"]}, set(), 6)


@pytest.mark.parametrize("text", [
    "a" * 32_768,                                    # one word as long as a text may be
    "a " * 16_384,                                   # the most words a text can hold
    ". " * 16_384,                                   # the most segments, none with words
    "\n" * 32_768,                                   # the most lines
    " ".join(f"w{n}" for n in range(6_000)),         # thousands of distinct words
    "- then " * 4_681,                               # one long list item of step markers
], ids=["one-word", "most-words", "most-segments", "most-lines", "distinct", "list-item"])
def test_c_and_python_agree_at_the_largest_texts(text: str) -> None:
    native, python = both(text.lower(), "then w17", scoring.Settings())
    assert native == python
