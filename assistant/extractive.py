"""The offline answer engine: the retrieved sentences that best answer the question, quoted.

No model beyond the embedder. Each sentence of the retrieved chunks is scored on
- lexical match: the IDF-weighted share of the question's words it (or its neighbours) contains,
- semantic match: cosine similarity of its embedding to the question's,
- answer type: a "who" question wants a name, "when" a date, "how many" a number, "where" a
  place, and the sentence must hold one beyond the words of the question,
- retrieval: how well its chunk matched.
The best sentence (and a close runner-up) is quoted verbatim with its [n]; when the best score
is below the threshold, the engine abstains with NO_ANSWER.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.embeddings import Embedder
from assistant.lexical import terms
from assistant.models import NO_ANSWER, Article, Source
from assistant.sentences import sentence_spans

MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
).split()
DAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred hundreds thousand thousands million millions billion billions dozen dozens half"
).split()

_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})s?\b")
_DATE_WORD = re.compile(
    r"\b(" + "|".join(MONTHS + DAYS) + r"|yesterday|today|tomorrow|century|centuries|decade|"
    r"morning|evening|night|overnight|week|weekend)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\b\d[\d,.]*\b|\b(" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)
_PROPER = re.compile(
    r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]+(?:\s+(?:of\s+|de\s+|von\s+)?[A-Z][\w'’-]+)*"
)
_DURATION = re.compile(
    r"\b(\d[\d,.]*|" + "|".join(NUMBER_WORDS) + r")\s+(seconds?|minutes?|hours?|days?|weeks?|"
    r"months?|years?|decades?|centuries)\b",
    re.IGNORECASE,
)

# Question cue -> the kind of answer it expects.
_TYPES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"\bhow (many|much)\b|\bwhat (number|percentage|proportion|amount)\b", re.I),
        "number",
    ),
    (re.compile(r"\bhow (long|old)\b", re.I), "duration"),
    (
        re.compile(r"\b(when|what (year|date|day|month|century|time))\b|\bin which year\b", re.I),
        "date",
    ),
    (
        re.compile(r"\b(who|whom|whose)\b|\bwhich (person|man|woman|company|group)\b", re.I),
        "person",
    ),
    (
        re.compile(r"\bwhere\b|\bwhat (country|city|place|region|town)\b|\bin which\b", re.I),
        "place",
    ),
]


def expected_type(question: str) -> str | None:
    """The answer type a question asks for (number, duration, date, person, place) or None."""
    for pattern, kind in _TYPES:
        if pattern.search(question):
            return kind
    return None


def has_type(sentence: str, kind: str | None, question: str) -> float:
    """1.0 when the sentence holds an answer of the kind that the question does not already."""
    if kind is None:
        return 0.5
    asked = {w.lower() for w in re.findall(r"[\w'’-]+", question)}

    def new(matches: Sequence[str]) -> bool:
        return any(m.lower() not in asked for m in matches if m)

    if kind == "number":
        return float(new([m.group(0) for m in _NUMBER.finditer(sentence)]))
    if kind == "duration":
        return float(
            bool(_DURATION.search(sentence))
            or new([m.group(0) for m in _NUMBER.finditer(sentence)]) * 0.5
        )
    if kind == "date":
        found = [m.group(0) for m in _YEAR.finditer(sentence)]
        found += [m.group(0) for m in _DATE_WORD.finditer(sentence)]
        return float(new(found))
    names = []
    for m in _PROPER.finditer(sentence):
        names.extend(m.group(0).split())
    return float(new(names))


@dataclass(frozen=True)
class ExtractiveConfig:
    """Weights and thresholds; tuned on SQuAD 2.0 (see eval/tune_extractive.py)."""

    w_lexical: float = 0.45
    w_semantic: float = 0.35
    w_type: float = 0.10
    w_retrieval: float = 0.10
    threshold: float = 0.40
    neighbour_weight: float = 0.3
    max_sentences: int = 2
    runner_up_margin: float = 0.05
    semantic_candidates: int = 12


@dataclass
class Candidate:
    """A sentence of a retrieved chunk, with its scores."""

    source: int
    article_id: str
    start: int
    end: int
    text: str
    lexical: float = 0.0
    semantic: float = 0.0
    type_match: float = 0.0
    retrieval: float = 0.0
    score: float = 0.0
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ExtractiveResult:
    """What the engine decided: the answer text with [n] markers, or an abstention."""

    text: str
    abstained: bool
    confidence: float
    chosen: list[Candidate]
    candidates: list[Candidate]


IdfLookup = Callable[[str], float]


class ExtractiveEngine:
    """Answers by quoting retrieved sentences; needs only the embedder."""

    name = "extractive"

    def __init__(self, embedder: Embedder | None, config: ExtractiveConfig | None = None) -> None:
        self.embedder = embedder
        self.config = config or ExtractiveConfig()

    def candidates(
        self, sources: Sequence[Source], articles: Mapping[str, Article]
    ) -> list[Candidate]:
        """Every sentence of the sources, once (chunks overlap), with article offsets."""
        seen: set[tuple[str, int]] = set()
        out: list[Candidate] = []
        for source in sources:
            chunk = source.hit.chunk
            article = articles.get(chunk.article_id)
            text = article.text if article is not None and article.text else None
            for a, b in sentence_spans(chunk.text):
                start, end = chunk.start + a, chunk.start + b
                if (chunk.article_id, start) in seen:
                    continue
                seen.add((chunk.article_id, start))
                sentence = text[start:end] if text else chunk.text[a:b]
                out.append(Candidate(source.number, chunk.article_id, start, end, sentence))
        return out

    def score(
        self,
        question: str,
        sources: Sequence[Source],
        articles: Mapping[str, Article],
        idf: IdfLookup | None = None,
        question_vector: np.ndarray | None = None,
    ) -> list[Candidate]:
        """Score every candidate sentence; best first."""
        config = self.config
        candidates = self.candidates(sources, articles)
        if not candidates:
            return []
        q_terms = list(dict.fromkeys(terms(question)))
        sentence_terms = [set(terms(c.text)) for c in candidates]
        if idf is None:
            idf = _local_idf(sentence_terms)
        weights = {t: idf(t) for t in q_terms}
        total = sum(weights.values()) or 1.0
        kind = expected_type(question)
        best_retrieval = {
            s.number: s.hit.dense if s.hit.dense is not None else 0.0 for s in sources
        }
        for i, c in enumerate(candidates):
            own = sum(weights[t] for t in q_terms if t in sentence_terms[i]) / total
            near: set[str] = set()
            for j in (i - 1, i + 1):
                if 0 <= j < len(candidates) and candidates[j].article_id == c.article_id:
                    near |= sentence_terms[j]
            context = sum(weights[t] for t in q_terms if t in near and t not in sentence_terms[i])
            c.lexical = min(1.0, own + config.neighbour_weight * context / total)
            c.type_match = has_type(c.text, kind, question)
            c.retrieval = max(0.0, best_retrieval.get(c.source, 0.0))
        # Semantic similarity for the most promising sentences only (it costs a model call).
        ranked = sorted(candidates, key=lambda c: -(c.lexical + 0.5 * c.retrieval))
        top = ranked[: config.semantic_candidates]
        if self.embedder is not None and top:
            vectors = (
                self.embedder.embed([question] + [c.text for c in top])
                if question_vector is None
                else None
            )
            if vectors is not None:
                qv, sv = vectors[0], vectors[1:]
            else:
                qv, sv = question_vector, self.embedder.embed([c.text for c in top])
            for c, v in zip(top, sv, strict=True):
                c.semantic = max(0.0, float(v @ qv))
        for c in candidates:
            c.score = (
                config.w_lexical * c.lexical
                + config.w_semantic * c.semantic
                + config.w_type * c.type_match
                + config.w_retrieval * c.retrieval
            )
            c.features = {
                "lexical": round(c.lexical, 4),
                "semantic": round(c.semantic, 4),
                "type": c.type_match,
                "retrieval": round(c.retrieval, 4),
            }
        candidates.sort(key=lambda c: -c.score)
        return candidates

    def answer(
        self,
        question: str,
        sources: Sequence[Source],
        articles: Mapping[str, Article],
        idf: IdfLookup | None = None,
        question_vector: np.ndarray | None = None,
    ) -> ExtractiveResult:
        """Quote the best sentences with their [n], or abstain."""
        ranked = self.score(question, sources, articles, idf, question_vector)
        if not ranked or ranked[0].score < self.config.threshold:
            confidence = ranked[0].score if ranked else 0.0
            return ExtractiveResult(NO_ANSWER, True, confidence, [], ranked)
        chosen = [ranked[0]]
        for c in ranked[1:]:
            if len(chosen) >= self.config.max_sentences:
                break
            if (
                c.score >= ranked[0].score - self.config.runner_up_margin
                and c.text != ranked[0].text
            ):
                chosen.append(c)
        chosen.sort(key=lambda c: (c.source, c.start))
        text = " ".join(f"{_quote(c.text)} [{c.source}]" for c in chosen)
        return ExtractiveResult(text, False, ranked[0].score, chosen, ranked)


def _quote(sentence: str) -> str:
    return sentence.strip()


def _local_idf(sentence_terms: Sequence[set[str]]) -> IdfLookup:
    n = len(sentence_terms)
    df: dict[str, int] = {}
    for ts in sentence_terms:
        for t in ts:
            df[t] = df.get(t, 0) + 1

    def idf(term: str) -> float:
        return math.log(1 + (n + 1) / (df.get(term, 0) + 0.5))

    return idf
