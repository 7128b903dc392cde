"""Where the articles of one story disagree: a number, a date or a name (pure).

Each sentence of one article that states a figure (or, near the top, a name) is checked against
the sentences of every other article with the claim checker (`assistant.answer.claims`): when
it is contradicted on a number, date or name, the two articles give different values for the
same fact ("71 missiles" in one, "17 missiles" in the other). Negation, modality and role
mismatches are left out: across outlets they are mostly different wording, not different facts.

>>> a = Side(1, "Russia attacked Ukraine overnight with 71 missiles, the air force said.")
>>> b = Side(2, "Russia attacked Ukraine overnight with 17 missiles, the air force said.")
>>> [(c.kind, c.values) for c in find_disagreements([a, b])]
[('number', ('71 missiles', '17 missiles'))]
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast

from assistant.answer.claims import Evidence, Verdict, check_claim
from assistant.numbers import TENS, UNITS
from assistant.sentences import sentence_spans
from assistant.store.lexical import STOPWORDS, stem
from assistant.summarize.stories import article_names

Kind = Literal["number", "date", "name"]
KINDS: tuple[Kind, ...] = ("number", "date", "name")
CLAIM_SENTENCES = 30  # sentences of an article whose figures are compared
NAME_SENTENCES = 8  # ... and whose names are (the lead)
EVIDENCE_SENTENCES = 60  # sentences of the other article they are compared with
MIN_WORDS = 6
_FIGURE = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|dozen)\b|"
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b|"
    r"\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b",
    re.IGNORECASE,
)
_WORDS = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_NUMBER_VALUES = {**UNITS, **TENS}
_NUMBER_WORD = re.compile(rf"\b(?:{'|'.join(_NUMBER_VALUES)})\b", re.IGNORECASE)
_YEAR_RANGE = re.compile(r"\b(1[89]|20)(\d\d)[-–](\d\d)\b")
_MONTHS = "january february march april may june july august september october november december"
_ENDS = re.compile(r"[.!?…][\"'”’)\]]*$")


@dataclass(frozen=True)
class Side:
    """One article of a story, numbered as the briefing cites it."""

    number: int
    text: str
    date: dt.date | None = None


@dataclass(frozen=True)
class Conflict:
    """Two articles giving different values for one fact: `values[i]` is in `spans[i]` of the
    article numbered `numbers[i]` (the lower number first)."""

    kind: Kind
    values: tuple[str, str]
    numbers: tuple[int, int]
    spans: tuple[tuple[int, int], tuple[int, int]]
    reason: str


def _sentences(text: str, limit: int) -> list[tuple[int, int]]:
    out = []
    for a, b in sentence_spans(text)[:limit]:
        piece = text[a:b]
        if len(_WORDS.findall(piece)) >= MIN_WORDS and _ENDS.search(piece):
            out.append((a, b))
    return out


def _key(kind: str, values: tuple[str, str]) -> tuple[str, frozenset[str]]:
    return kind, frozenset(v.lower().strip(" .,") for v in values)


def _fold(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", ascii_text.lower()).strip()


def _alike(a: str, b: str) -> bool:
    """Whether two values are one thing written twice ("Oscar"/"Oscars", "Israel"/"Israeli")."""
    fa, fb = _fold(a), _fold(b)
    return not fa or not fb or fa in fb or fb in fa or fa.rstrip("s") == fb.rstrip("s")


def _years_spelled_out(text: str) -> str:
    """Year ranges written in full: "2001-02" -> "2001-2002" (so that 2002 is found)."""
    return _YEAR_RANGE.sub(lambda m: f"{m[1]}{m[2]}-{m[1]}{m[3]}", text)


def _mentions(text: str, value: str, kind: str) -> bool:
    """Whether an article writes a value anywhere: a number's figures (digits or words, years
    inside a range like "2001-02" too), a date as written, a name's own words."""
    text = _years_spelled_out(text)
    if kind == "number":
        figures = _DIGITS.findall(value)
        if figures:
            spelled = _NUMBER_WORD.sub(lambda m: str(_NUMBER_VALUES[m.group().lower()]), text)
            return all(
                re.search(rf"(?<![\d.,]){re.escape(f)}(?![\d]|[.,]\d)", spelled) for f in figures
            )
    return f" {_fold(value)} " in f" {_fold(text)} "


def _day_of(value: str, day: dt.date | None) -> bool:
    """Whether a date as written names this day: its day of the month with its month, or its
    weekday ("Friday, April 3" or "Friday" for 2026-04-03)."""
    if day is None:
        return False
    words = _fold(value).split()
    month = _MONTHS.split()[day.month - 1]
    if str(day.day) in words:
        return any(month.startswith(w) and len(w) >= 3 for w in words)
    weekday = day.strftime("%A").lower()
    return weekday in words and not any(w.isdigit() for w in words)


def _confirmed(kind: str, values: tuple[str, str], claimant: Side, other: Side) -> bool:
    """A conflict stands only when neither article also writes the other's value anywhere; two
    names must both be names (not a capitalised first word), and neither article may write
    the words that set the other's name apart ("Texas Senate" vs "Democratic Senate" is no
    conflict when the second article mentions Texas)."""
    mine, theirs = values
    if _mentions(other.text, mine, kind) or _mentions(claimant.text, theirs, kind):
        return False
    if kind != "name":
        return True
    words = {side.number: set(_fold(v).split()) for v, side in ((mine, claimant), (theirs, other))}
    own = {claimant.number: words[claimant.number] - words[other.number]}
    own[other.number] = words[other.number] - words[claimant.number]
    for side, rival in ((claimant, other), (other, claimant)):
        names = article_names("", side.text, lead_chars=len(side.text))
        if not own[side.number] <= names or not own[side.number]:
            return False
        if any(f" {w} " in f" {_fold(rival.text)} " for w in own[side.number]):
            return False
    return True


def _conflict(
    claimant: Side,
    span: tuple[int, int],
    other: Side,
    evidence: Sequence[Evidence],
    kinds: Sequence[str],
) -> Conflict | None:
    """The conflict between one sentence of `claimant` and the sentences of `other`, if any."""
    sentence = claimant.text[span[0] : span[1]]
    check = check_claim(sentence, evidence, answer_date=claimant.date)
    if check.verdict is not Verdict.CONTRADICTED or check.kind not in kinds:
        return None
    kind = cast(Kind, check.kind)
    mine, theirs = check.claim_value, check.evidence_value
    if not mine or not theirs or not check.evidence or _alike(mine, theirs):
        return None
    there = other.text.find(check.evidence)
    if there < 0 or not _confirmed(kind, (mine, theirs), claimant, other):
        return None
    if kind == "date" and _day_of(mine, claimant.date) and _day_of(theirs, other.date):
        return None  # each report tells what happens on its own day: updates, not a conflict
    their_span = (there, there + len(check.evidence))
    if claimant.number < other.number:
        return Conflict(
            kind, (mine, theirs), (claimant.number, other.number), (span, their_span), check.reason
        )
    return Conflict(
        kind, (theirs, mine), (other.number, claimant.number), (their_span, span), check.reason
    )


def _unit(value: str) -> str:
    """What a number counts, folded ("38 missiles" -> "missiles", "$6 million" -> "million")."""
    return " ".join(w for w in _fold(_NUMBER_WORD.sub(" ", value)).split() if not w.isdigit())


def _content(sentence: str) -> frozenset[str]:
    """A sentence's stemmed content words and figures, for aligning sentences."""
    return frozenset(stem(w) for w in _fold(sentence).split() if w not in STOPWORDS)


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _best_aligned(
    conflict: Conflict, texts: dict[int, str], spans: dict[int, list[tuple[int, int]]]
) -> bool:
    """Whether the two sentences of a number conflict are each other's closest match among the
    sentences of their articles that count the same thing. "Ukraine intercepted 38 missiles"
    is no rival to "Russia fired 70 missiles" when the first article also says "Russia fired
    71 missiles": the two outlets differ on the missiles fired, not on those intercepted."""
    if conflict.kind != "number":
        return True
    (n, m), ((a, b), (c, d)) = conflict.numbers, conflict.spans
    mine, theirs = _content(texts[n][a:b]), _content(texts[m][c:d])
    score = _overlap(mine, theirs)
    for number, own, rival, unit in (
        (n, (a, b), theirs, _unit(conflict.values[0])),
        (m, (c, d), mine, _unit(conflict.values[1])),
    ):
        if not unit:
            continue
        for x, y in spans[number]:
            sentence = texts[number][x:y]
            if (x, y) == own or f" {unit} " not in f" {_fold(sentence)} ":
                continue
            counts = _DIGITS.search(sentence) or _NUMBER_WORD.search(sentence)
            if counts and _overlap(_content(sentence), rival) > score:
                return False
    return True


def find_disagreements(
    sides: Sequence[Side], *, kinds: Sequence[str] = KINDS, limit: int = 5
) -> list[Conflict]:
    """The facts on which two of the articles give different numbers, dates or names, each
    once (at most `limit`), numbers first."""
    spans = {s.number: _sentences(s.text, max(CLAIM_SENTENCES, EVIDENCE_SENTENCES)) for s in sides}
    evidence = {
        s.number: [
            Evidence(number=s.number, text=s.text[a:b], date=s.date)
            for a, b in spans[s.number][:EVIDENCE_SENTENCES]
        ]
        for s in sides
    }
    texts = {s.number: s.text for s in sides}
    found: dict[tuple[str, frozenset[str]], Conflict] = {}
    for claimant in sides:
        for position, (a, b) in enumerate(spans[claimant.number][:CLAIM_SENTENCES]):
            figures = _FIGURE.search(claimant.text[a:b]) is not None
            if not figures and position >= NAME_SENTENCES:
                continue
            for other in sides:
                if other.number == claimant.number or not evidence[other.number]:
                    continue
                wanted = kinds if figures else [k for k in kinds if k == "name"]
                conflict = _conflict(claimant, (a, b), other, evidence[other.number], wanted)
                if conflict is not None and _best_aligned(conflict, texts, spans):
                    found.setdefault(_key(conflict.kind, conflict.values), conflict)
    order = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(found.values(), key=lambda c: (order[c.kind], c.numbers))[:limit]


def disagreement_line(conflict: Conflict, dates: dict[int, dt.date | None] | None = None) -> str:
    """'Sources differ: 71 missiles [1] vs 17 missiles [2]', with the reports' dates when
    they differ (a later report may be an update, not a mistake).

    >>> c = Conflict("number", ("71 missiles", "17 missiles"), (1, 2), ((0, 1), (0, 1)), "")
    >>> disagreement_line(c)
    'Sources differ: 71 missiles [1] vs 17 missiles [2]'
    """
    (first, second), (n, m) = conflict.values, conflict.numbers
    line = f"Sources differ: {first} [{n}] vs {second} [{m}]"
    day_n, day_m = (dates or {}).get(n), (dates or {}).get(m)
    if day_n and day_m and day_n != day_m:
        line += f" (reported {day_n.isoformat()} and {day_m.isoformat()})"
    return line
