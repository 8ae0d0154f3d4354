"""The deliberation scorer's C counting (``_tokens.c``) finds exactly what its Python path
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
                "ship ", "release ", "deploy ", "maybe ", "Then ", "FIRST. ", "\r\n",
                # conclusion, justification and issue markers, words and phrases, whose
                # repeats str.count counts only when a word apart ("maybe maybe": 1)
                "i ", "will ", "so ", "therefore ", "I will ", "based on ", "since ",
                "MAYBE ", "kind of ", "that is wrong ", "on second thought ", "by the way ",
                "rollback ", "production "]
ascii_texts = st.lists(st.sampled_from(ASCII_PIECES), max_size=60).map("".join)
GOALS = ["", "ship release 4.2", "release", "the and for"]  # the last: no keywords at all
CUSTOM = scoring.Settings().merged({"markers": {
    "step": ["then", "after that", "to do this", "first thing", "a b 1 9 a b a",
             "déjà vu", "ship release"],
    "contradiction": ["maybe", "a b"]}})


PHASES = ["", "deploy", "test", "unknown"]


def both(text: str, goal: str, config: scoring.Settings, phase: str = "deploy"
         ) -> tuple[tuple, tuple]:
    matcher = scoring._matcher(config)
    goal_words = scoring.keywords(goal)
    native = scoring._native_tally(
        text, matcher.flags(phase), matcher.step.by_first, goal_words, scoring._HEAD_WORDS,
        matcher.conclusion.phrases, matcher.justification.phrases, matcher.issues.phrases)
    return native, scoring._tally_python(text.lower(), matcher, goal_words, phase)


def test_the_c_counting_is_built() -> None:
    # `make install` compiles it (a C compiler is part of the set-up); without it every
    # judged Check pays the Python path, several times the scorer's time.
    assert scoring._native_tally is not None


@settings(max_examples=600, deadline=None)
@given(text=ascii_texts, goal=st.sampled_from(GOALS),
       config=st.sampled_from([scoring.Settings(), CUSTOM]), phase=st.sampled_from(PHASES))
def test_c_and_python_count_every_ascii_text_alike(text: str, goal: str,
                                                   config: scoring.Settings,
                                                   phase: str) -> None:
    native, python = both(text, goal, config, phase)
    assert native == python


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(max_codepoint=127), max_size=120),
       goal=st.sampled_from(GOALS))
def test_c_and_python_agree_on_arbitrary_ascii(text: str, goal: str) -> None:
    native, python = both(text, goal, scoring.Settings())
    assert native == python


def test_repeated_markers_count_as_the_python_path_counts_them() -> None:
    # " maybe " in " maybe maybe maybe ": str.count finds the first and the third.
    native, python = both("Maybe maybe MAYBE. I guess i guess, i guess", "", scoring.Settings())
    assert native == python
    assert native[5] == 4  # 2 + 2


@pytest.mark.parametrize("words", [2, 17, 32, 70])
def test_phrases_of_any_length_count_alike(words: int) -> None:
    # Settings allow 64 characters a phrase (up to 32 words); the C counting takes longer
    # ones too (the Python path is the definition). The phrase twice in a row counts once:
    # the space between them belongs to the first match.
    phrase = " ".join(f"w{n}" for n in range(words))
    config = scoring.Settings().merged({"markers": {"hedging": [phrase], "conclusion": [phrase]}})
    text = f"{phrase}. x {phrase} {phrase}. {phrase[:-2]}"
    native, python = both(text, "", config)
    assert native == python
    assert native[3] is True and native[5] == 2


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
    monkeypatch.setattr(scoring, "_native_tally", None)
    without = [scoring.score(t, "ship release", "deploy", 0, c) for c in configs for t in texts]
    assert with_c == without
    # Steps by default: "first…", "then…", "because…", "- roll…", "* watch…" ("1." is cut
    # from "ship it" by the sentence end, so it is no list item); issues: "maybe", "that is
    # wrong". The custom markers drop "first", "because" and the contradiction phrases.
    assert (with_c[0].steps, with_c[0].logical_issues) == (5, 2)
    assert (with_c[4].steps, with_c[4].logical_issues) == (3, 1)


def test_the_c_counting_refuses_what_it_cannot_read() -> None:
    m = scoring._matcher(scoring.Settings())
    phrases = (m.conclusion.phrases, m.justification.phrases, m.issues.phrases)
    with pytest.raises(ValueError, match="ASCII"):
        scoring._native_tally("déjà", m.flags(""), m.step.by_first, set(), 6, *phrases)
    with pytest.raises(TypeError):
        scoring._native_tally("text", {"text": 2}, {"text": ["not a tuple"]}, set(), 6,
                              *phrases)
    with pytest.raises(TypeError):
        scoring._native_tally("a b", m.flags(""), m.step.by_first, set(), 6, (), (), (1,))


@pytest.mark.parametrize("text", [
    "a" * 32_768,                                    # one word as long as a text may be
    "a " * 16_384,                                   # the most words a text can hold
    ". " * 16_384,                                   # the most segments, none with words
    "\n" * 32_768,                                   # the most lines
    " ".join(f"w{n}" for n in range(6_000)),         # thousands of distinct words
    "- then " * 4_681,                               # one long list item of step markers
], ids=["one-word", "most-words", "most-segments", "most-lines", "distinct", "list-item"])
def test_c_and_python_agree_at_the_largest_texts(text: str) -> None:
    native, python = both(text, "then w17", scoring.Settings())
    assert native == python
