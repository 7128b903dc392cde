"""Short answers: the span of a sentence that answers the question (pure, numpy).

Every run of up to `MAX_WORDS` words of the sentence that neither starts nor ends with a
stopword or punctuation is a candidate. Each gets features that say what kind of thing it is
(number, date, capitalised name, measure), whether it repeats the question, how far it sits
from the sentence words that align with the question's (the answer usually stands next to
what the question mentions, never inside it), and how close its token vectors come to the
question's asking word ("who", "when", "how many"...). A linear model from the reader's model
file scores them; the best is the short answer, quoted verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from assistant.answer.extractive import DAYS, MONTHS, NUMBER_WORDS, match_key, match_keys
from assistant.answer.features import Question
from assistant.embeddings import TokenVectors
from assistant.store.lexical import STOPWORDS, stem

MAX_WORDS = 8
TOKEN = re.compile(
    r"(?:[A-Z]\.){2,}|[$£€¥]?\d+(?:[.,:]\d+)*(?:%|[a-zA-Z]+)?|\w+(?:['’-]\w+)*|[^\w\s]"
)
"""A short answer's words: an initialism ("U.S.", "U.N.") is one word, so no span starts or
ends inside it."""
_WH = re.compile(r"\b(what|which|who|whom|whose|when|where|why|how)\b", re.IGNORECASE)
_INNER = frozenset("-/&()'’,.")
"""Punctuation a span may have inside it (a comma for "Paris, France")."""
_YEAR = re.compile(r"^(1[0-9]{3}|20[0-9]{2})s?$")
_DATE_WORDS = frozenset(
    MONTHS
    + DAYS
    + "century decade".split()
    + "today yesterday tomorrow week weekend spring summer autumn winter".split()
)
_NUMBER_WORDS = frozenset(NUMBER_WORDS) | {"zero", "dozen", "percent", "trillion"}
_UNIT_WORDS = frozenset(
    "% per cent percent metres meters km miles feet ft kg tonnes tons pounds degrees mph "
    "years months weeks days hours minutes seconds bn m £ $ €".split()
)
_PREPOSITIONS = frozenset("in at on from by to of for with near into".split())
_ARTICLES = frozenset({"a", "an", "the"})
KINDS = ("number", "measure", "duration", "date", "person", "place")
_NUMERIC_KINDS = frozenset({"number", "measure", "duration"})

SPAN_FEATURES = (
    "len1",
    "len2",
    "len3",
    "len4",
    "len_long",
    "question_share",
    "any_question",
    "number",
    "all_number",
    "date",
    "capital",
    "all_capital",
    "unit",
    "comma",
    "sentence_start",
    "gap_log",
    "adjacent",
    "near",
    "no_anchor",
    "after_anchor",
    "wh_similarity",
    "question_similarity",
    "after_preposition",
    "numeric_kind_number",
    "numeric_kind_unit",
    "date_kind_date",
    "date_kind_number",
    "month_kind_date",
    "person_kind_capital",
    "place_kind_capital",
    "place_kind_preposition",
    "untyped_capital",
    "untyped_number",
    "typed_miss",
    "before_boundary",
    "after_boundary",
    "before_stop",
    "after_stop",
    "sentence_end",
    "lowercase",
    "untyped_long",
    "span_anchor_ratio",
    "anchor_follows",
    "numeric_kind_anchor_follows",
)


@dataclass(frozen=True)
class Spans:
    """A sentence's candidate spans: character offsets and one feature row each."""

    offsets: list[tuple[int, int]]
    features: NDArray[np.float64]
    """One row per span, columns in SPAN_FEATURES order."""


_MONTH = "|".join(sorted((m.capitalize() for m in MONTHS), key=len, reverse=True))
_DAY_AFTER = re.compile(r"\.?\s+(\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?|\d{4})\b")
_MONTH_BEFORE = re.compile(rf"\b({_MONTH})\.?\s+$")
_MONTH_AT_END = re.compile(rf"\b({_MONTH})$")


def complete_date(text: str, start: int, end: int) -> tuple[int, int]:
    """A date span made whole: "February" -> "February 5", "5" -> "February 5",
    "May" -> "May 2006" (the words around it in the sentence).

    >>> text = "It will expire on February 5 unless extended."
    >>> a, b = complete_date(text, 18, 26); text[a:b]
    'February 5'
    """
    if _MONTH_AT_END.search(text[start:end]):
        after = _DAY_AFTER.match(text, end)
        if after is not None:
            end = after.end()
    if re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)?", text[start:end]):
        before = _MONTH_BEFORE.search(text[:start])
        if before is not None:
            start = before.start()
    return start, end


_SIGN_BEFORE = re.compile(r"(?:\bminus\s+|(?<![\w.])[-–−]\s?)$", re.IGNORECASE)
_DEGREES_AFTER = re.compile(r"\s?°\s?[CF]?\b|°")


def complete_number(text: str, start: int, end: int) -> tuple[int, int]:
    """A number span with its sign and degrees: "23C" -> "minus 23C", "20" -> "–20°C".

    >>> text = "It fell below –20°C in Kyiv."
    >>> a, b = complete_number(text, 15, 17); text[a:b]
    '–20°C'
    """
    if not text[start:end][:1].isdigit():
        return start, end
    sign = _SIGN_BEFORE.search(text, 0, start)
    if sign is not None:
        start = sign.start()
    degrees = _DEGREES_AFTER.match(text, end)
    if degrees is not None:
        end = degrees.end()
    return start, end


def _tokens(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0)) for m in TOKEN.finditer(text)]


def _rows(offsets: Sequence[tuple[int, int]], a: int, b: int) -> list[int]:
    return [i for i, (x, y) in enumerate(offsets) if x < b and y > a]


def _question_rows(question: Question, q_tokens: TokenVectors) -> list[int]:
    """The question's WordPieces that belong to its content words."""
    return [
        i
        for i, (a, b) in enumerate(q_tokens.offsets)
        if any(a >= w.start and b <= w.end for w in question.words)
    ]


def wh_vector(question: Question, q_tokens: TokenVectors) -> NDArray[np.float32] | None:
    """The mean vector of the question's asking word and the word after it ("how many")."""
    match = _WH.search(question.text)
    if match is None:
        return None
    after = re.compile(r"\s*\w+").match(question.text, match.end())
    end = after.end() if after else match.end()
    rows = _rows(q_tokens.offsets, match.start(), end)
    if not rows:
        return None
    vector = q_tokens.vectors[rows].mean(axis=0)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else None


def _is_number(word: str) -> bool:
    """A lowercase token that is or holds a number ("450", "$5bn", "dozen")."""
    return bool(re.search(r"\d", word)) or word in _NUMBER_WORDS


_DAY_NUMBER = re.compile(r"(?:[1-9]|[12][0-9]|3[01])(?:st|nd|rd|th)?$")
_MONTH_AFTER = re.compile(rf"\s+(?:of\s+)?(?:{_MONTH})\b")
_CALENDAR_NAMES = frozenset(m for m in MONTHS if len(m) > 3) | frozenset(DAYS)
"""Whole weekday and month names ("May" is also a name: a person asked for may be one)."""


def fits(sentence: str, start: int, end: int, kind: str | None) -> bool:
    """Whether the span is of the kind asked, so that an answer may lead with it: a number
    for how many / how much / how long, a number or date word for when, and for who, where or
    a name ("what is it called?", kind None) a capitalised, numbered or quoted one.

    >>> fits("It had 450 drones.", 7, 10, "number"), fits("Hundreds fled.", 0, 8, "number")
    (True, True)
    >>> fits('often called "blood moons" due to', 14, 25, None)
    True
    >>> fits("called blood moons due to", 19, 22, None), fits("the U.S. said", 6, 7, "place")
    (False, False)
    >>> fits("the U.S. said", 4, 5, "place"), fits("in Kyiv. Mr Smith", 3, 7, "place")
    (False, True)

    The day of a date is not a count, nor a weekday or month a place or a person:

    >>> fits("It began on 4 August 1915.", 12, 13, "duration")
    False
    >>> fits("searched on Tuesday", 12, 19, "place"), fits("said on Tuesday", 8, 15, "person")
    (False, False)
    """
    text = sentence[start:end]
    words = [w.lower().rstrip(".") for w in TOKEN.findall(text)]
    if kind in _NUMERIC_KINDS:
        if _DAY_NUMBER.match(text) and (
            _MONTH_AFTER.match(sentence, end) or _MONTH_BEFORE.search(sentence[:start])
        ):
            return False
        return any(_is_number(w) or w.rstrip("s") in _NUMBER_WORDS for w in words)
    if kind in ("place", "person") and words and all(w in _CALENDAR_NAMES for w in words):
        return False
    if kind == "date":
        return any(re.search(r"\d", w) or w in _DATE_WORDS for w in words)
    if start > 0 and sentence[start - 1] in "\"“'‘" and end < len(sentence):
        return sentence[end] in "\"”'’"
    inside = sentence[max(start - 2, 0) : start] + "|" + sentence[end : end + 2]
    if re.search(r"\w\.\||\|\.\w", inside):
        return False  # cut out of an abbreviation: the "S" or "U" of "U.S."
    return text[:1].isupper() or text[:1].isdigit()


def candidate_spans(
    question: Question,
    q_tokens: TokenVectors | None,
    sentence: str,
    s_tokens: TokenVectors | None,
) -> Spans:
    """Every candidate span of the sentence with its features."""
    tokens = _tokens(sentence)
    n = len(tokens)
    empty = Spans([], np.zeros((0, len(SPAN_FEATURES))))
    if n == 0:
        return empty
    q_keys = set(question.keys)
    words = [t[2] for t in tokens]
    lower = [w.lower() for w in words]
    punct = np.array([not re.match(r"[\w$£€¥]", w) for w in words])
    stop = np.array([w in STOPWORDS for w in lower])
    article = np.array([w in _ARTICLES for w in lower])
    keys = [
        [] if p else match_keys(w) if "." in w else [match_key(stem(w))]
        for w, p in zip(lower, punct, strict=True)
    ]  # "u.s." is asked when the question's "U.S." gave the keys "u" and "s"
    asked = np.array([any(k and k in q_keys for k in ks) for ks in keys])
    number = np.array([_is_number(w) for w in lower], dtype=float)
    date = np.array(
        [bool(_YEAR.match(w)) or w in _DATE_WORDS or w.rstrip(".") in _DATE_WORDS for w in lower],
        dtype=float,
    )
    month = np.array(
        [w[:1].isupper() and w.lower().rstrip(".") in MONTHS for w in words], dtype=float
    )
    capital = np.array([i > 0 and w[:1].isupper() for i, w in enumerate(words)], dtype=float)
    unit = np.array(
        [w in _UNIT_WORDS or w[:1] in "$£€¥" or w.endswith("%") for w in lower], dtype=float
    )
    comma = np.array([w == "," for w in words], dtype=float)
    inner_ok = np.array([(not p) or w in _INNER for w, p in zip(words, punct, strict=True)])
    # Anchors: sentence words that repeat or align with the question's content words.
    anchor = asked.copy()
    vectors: NDArray[np.float32] | None = None
    if s_tokens is not None and s_tokens.vectors.shape[0] and q_tokens is not None:
        # The WordPieces of token t are lo[t]..hi[t]-1 (pieces are sorted, never overlap).
        piece_starts = np.asarray([a for a, _ in s_tokens.offsets])
        piece_ends = np.asarray([b for _, b in s_tokens.offsets])
        lo = np.searchsorted(piece_ends, [t[0] for t in tokens], side="right")
        hi = np.searchsorted(piece_starts, [t[1] for t in tokens], side="left")
        hi = np.maximum(hi, lo)
        cumulative = np.concatenate(
            [np.zeros((1, s_tokens.vectors.shape[1]), np.float32), np.cumsum(s_tokens.vectors, 0)]
        )
        count = np.maximum(hi - lo, 1)[:, None]
        vectors = ((cumulative[hi] - cumulative[lo]) / count).astype(np.float32)
        q_rows = _question_rows(question, q_tokens)
        if q_rows:
            sim = s_tokens.vectors @ q_tokens.vectors[q_rows].T
            strong = np.concatenate([[0], np.cumsum(sim.max(axis=1) >= 0.75)])
            anchor |= (strong[hi] - strong[lo] > 0) & ~punct & ~stop
    positions = np.nonzero(anchor)[0]
    kind = question.kind
    # Every (first, last) token pair that may bound a span.
    may_start = ~punct & ~stop & ~article
    may_end = ~punct & (~stop | (number > 0))
    bad = np.concatenate([[0], np.cumsum(~inner_ok)])
    first_list: list[int] = []
    last_list: list[int] = []
    for i in np.nonzero(may_start)[0].tolist():
        for j in range(i, min(n, i + MAX_WORDS)):
            if bad[j + 1] - bad[i] > 0:
                break
            if may_end[j]:
                first_list.append(i)
                last_list.append(j)
    if not first_list:
        return empty
    first = np.asarray(first_list)
    last = np.asarray(last_list)

    def total(values: NDArray[np.float64] | NDArray[np.bool_]) -> NDArray[np.float64]:
        prefix = np.concatenate([[0.0], np.cumsum(values, dtype=np.float64)])
        out: NDArray[np.float64] = prefix[last + 1] - prefix[first]
        return out

    length = (last - first + 1).astype(np.float64)
    content = np.maximum(1.0, length - total(stop) - total(punct))
    n_asked = total(asked)
    q_share = n_asked / content
    keep = q_share < 1.0
    if not keep.any():
        return empty
    first, last, length, content, n_asked, q_share = (
        v[keep] for v in (first, last, length, content, n_asked, q_share)
    )
    # Gaps to the nearest anchor on either side (99: no anchor).
    index = np.arange(n)
    previous = np.full(n + 1, -1)
    following = np.full(n + 1, n)
    for p in positions.tolist():
        previous[p + 1 :] = p
    for p in reversed(positions.tolist()):
        following[:p] = p
    left = previous[first]
    right = following[last]
    has_left, has_right = left >= 0, right < n
    left_gap = np.where(has_left, first - left - 1, 99)
    right_gap = np.where(has_right, right - last - 1, 99)
    gap = np.minimum(left_gap, right_gap).astype(np.float64)
    no_anchor = ~(has_left | has_right)
    del index
    is_number = (total(number) > 0).astype(np.float64)
    all_number = (total(number) >= content).astype(np.float64)
    is_date = (total(date) > 0).astype(np.float64)
    n_capital = total(capital)
    is_capital = (n_capital > 0).astype(np.float64)
    has_unit = (total(unit) > 0).astype(np.float64)
    wh_sim = np.zeros(len(first))
    q_sim = np.zeros(len(first))
    if vectors is not None:
        cumulative = np.concatenate(
            [np.zeros((1, vectors.shape[1]), np.float32), np.cumsum(vectors, axis=0)]
        )
        means = cumulative[last + 1] - cumulative[first]
        norms = np.linalg.norm(means, axis=1, keepdims=True)
        means = means / np.where(norms > 0, norms, 1.0)
        wh = wh_vector(question, q_tokens) if q_tokens is not None else None
        if wh is not None:
            wh_sim = means @ wh
        if q_tokens is not None:
            q_sim = means @ q_tokens.pooled
    preposition_at = np.asarray([w in _PREPOSITIONS for w in lower])
    stop_at = np.asarray([w in STOPWORDS for w in lower])
    before = first - 1
    after = last + 1
    has_before = before >= 0
    has_after = after < n
    safe_before = np.maximum(before, 0)
    safe_after = np.minimum(after, n - 1)
    preposition = (has_before & preposition_at[safe_before]).astype(np.float64)
    boundary_before = ~has_before | punct[safe_before]
    boundary_after = ~has_after | punct[safe_after]
    before_stop = has_before & stop_at[safe_before]
    after_stop = has_after & (stop_at[safe_after] | preposition_at[safe_after])
    at_end = ~has_after | ((last + 2 >= n) & punct[safe_after])
    lowercase = (n_capital == 0) & (is_number == 0)
    numeric_kind = float(kind in _NUMERIC_KINDS)
    typed_hit = {
        "number": is_number,
        "measure": is_number,
        "duration": is_number,
        "date": is_date,
        "person": is_capital,
        "place": is_capital,
    }
    typed_miss = (
        (typed_hit[kind] == 0).astype(np.float64) if kind in typed_hit else np.zeros(len(first))
    )
    anchor_ratio = n_asked / len(positions) if len(positions) else np.zeros(len(first))
    # "How many drones ...?" is answered by "450 drones": the asked-about word follows.
    anchor_follows = (has_after & anchor[safe_after]).astype(np.float64)
    columns = [
        length == 1,
        length == 2,
        length == 3,
        length == 4,
        length > 4,
        q_share,
        q_share > 0,
        is_number,
        all_number,
        is_date,
        is_capital,
        n_capital >= content,
        has_unit,
        total(comma) > 0,
        first == 0,
        np.log1p(np.minimum(gap, 30)),
        gap == 0,
        gap <= 3,
        no_anchor,
        has_left,
        wh_sim,
        q_sim,
        preposition,
        is_number * numeric_kind,
        has_unit * numeric_kind,
        is_date * float(kind == "date"),
        is_number * float(kind == "date"),
        (total(month) > 0) * float(kind == "date"),
        is_capital * float(kind == "person"),
        is_capital * float(kind == "place"),
        preposition * float(kind == "place"),
        is_capital * float(kind is None),
        is_number * float(kind is None),
        typed_miss,
        boundary_before,
        boundary_after,
        before_stop,
        after_stop,
        at_end,
        lowercase,
        float(kind is None) * np.log1p(length),
        anchor_ratio,
        anchor_follows,
        anchor_follows * numeric_kind,
    ]
    features = np.column_stack([np.asarray(c, dtype=np.float64) for c in columns])
    offsets = [
        (tokens[i][0], tokens[j][1]) for i, j in zip(first.tolist(), last.tolist(), strict=True)
    ]
    return Spans(offsets, features)
