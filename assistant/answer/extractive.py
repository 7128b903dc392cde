"""The offline answer engine: the retrieved sentences that best answer the question, quoted.

No model beyond the embedder. Each sentence of the retrieved chunks gets features in [0, 1]:
- lexical: the IDF-weighted share of the question's words it (or, less, its neighbours) contains,
- semantic: cosine similarity of its embedding to the question's,
- type: a "who" question wants a name, "when" a date, "how many" a number, "how tall" or
  "how cold" a measure (a number with a unit), "where" a place, and the sentence must hold
  one beyond the words of the question,
- retrieval: how well its chunk matched,
- named: the share of the question's names and numbers (or, if it has none, its rarest word)
  that it contains, those only elsewhere in its chunk or in the article's title counting
  less; a question about another entity or year than the text's is the usual unanswerable one,
- rare: 1 minus the IDF of the rarest question word it (and its neighbours) lacks, relative to
  the question's rarest word: overlap only on common words is weak evidence,
- bigram: the share of the question's word pairs it repeats in order,
- cover: the IDF-weighted share of the question's words anywhere in its chunk.
Only sentences that add a word to the question's, and only the `semantic_candidates` best by
lexical match and retrieval, may answer (the others get no semantic score). One weighted sum of
the features ranks them; the best one (and a close runner-up from the same article) is quoted
verbatim with its [n]. Another weighted sum rates the best one: when that confidence is below
the threshold, the engine abstains with NO_ANSWER.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field, replace

import numpy as np

from assistant.answer.citations import defuse_markers
from assistant.answer.engines import AnswerRequest, Draft
from assistant.embeddings import Embedder
from assistant.models import NO_ANSWER, Article, Source
from assistant.parts import Parts
from assistant.sentences import sentence_spans
from assistant.store.lexical import STOPWORDS, terms

MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
).split()
DAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred hundreds thousand thousands million millions billion billions dozen dozens half "
    "twice thrice double triple"
).split()
MEASURES = (
    "tall high far big large long wide deep heavy fast quick cold warm hot old much many "
    "often small short low"
).split()
SIZES = "tall high far big large wide deep heavy fast cold warm hot".split()
UNITS = (  # regular expressions
    *"metres? meters? m km kilomet(?:re|er)s? cm mm miles? mi feet foot ft inch(?:es)?".split(),
    *"yards? kg kilograms? grams? g tonnes? tons? pounds? lbs? degrees? celsius".split(),
    *"fahrenheit °c? °f? c f mph km/h kph knots? percent square storeys? stories floors".split(),
    r"per\s?cent",
    "%",
)
PLACE_NOUNS = (
    "country countries city cities place places region regions town towns village area areas "
    "state states continent island islands river rivers province district location county"
).split()
PERSON_NOUNS = (
    "person people man men woman women company companies group groups king kings queen leader "
    "leaders president scientist scientists emperor pope general duke team organization "
    "organisation army family dynasty tribe newspaper newspapers agency agencies party parties "
    "ministry minister official officials firm firms publication network channel institution "
    "university club brand operator"
).split()
TIME_NOUNS = "year years date day month century decade time period era age season".split()
QUANTITY_NOUNS = (
    "number percentage percent proportion amount fraction share rate population size cost "
    "price temperature speed distance length height weight total"
).split()

_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})s?\b")
_DATE_WORD = re.compile(
    r"\b(" + "|".join(MONTHS + DAYS) + r"|yesterday|today|tomorrow|century|centuries|decade|"
    r"decades|morning|evening|night|overnight|week|weekend|\d+(?:st|nd|rd|th))\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\b\d[\d,.]*|\b(" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)
_PROPER = re.compile(
    r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]+(?:\s+(?:of\s+|de\s+|von\s+)?[A-Z][\w'’-]+)*"
)
# A number with a unit: "62 metres", "minus 23C", "-20°C", "1,550 km".
_MEASURE = re.compile(r"\d[\d,.]*\s*(?:" + "|".join(UNITS) + r")(?![\w])", re.IGNORECASE)
_DURATION = re.compile(
    r"\b(\d[\d,.]*|" + "|".join(NUMBER_WORDS) + r")[\s-]+(seconds?|minutes?|hours?|days?|weeks?|"
    r"months?|years?|decades?|centuries)\b",
    re.IGNORECASE,
)
_LETTERS = str.maketrans("łŁøØđĐßæÆœŒ", "lLoOdDsaAoO")
_WORDS = re.compile(r"[\w'’-]+")
# Names and numbers in a question: a capitalised word (not the question's first) or a number.
_NAMED = re.compile(r"\b[A-Z\u00C0-\u00DE][\w'’-]*|\b\d[\d,.]*")
_HOW = re.compile(r"\bhow\s+(many|much)\b", re.IGNORECASE)
_WH = re.compile(r"\b(what|which|who|whom|whose|when|where|why|how)\b", re.IGNORECASE)


def _any(words: Sequence[str]) -> str:
    return "(" + "|".join(words) + ")"


# Question cue -> the kind of answer it expects; the first match wins.
_TYPES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bhow (long|old)\b", re.I), "duration"),
    (re.compile(rf"\bhow {_any(SIZES)}\b", re.I), "measure"),
    (
        re.compile(
            rf"\bhow {_any(MEASURES)}\b|\b(what|which) {_any(QUANTITY_NOUNS)}\b"
            r"|\bto what (extent|degree)\b",
            re.I,
        ),
        "number",
    ),
    (
        re.compile(
            rf"\b(when|(what|which) {_any(TIME_NOUNS)})\b|\bin which year\b|\bhow long ago\b",
            re.I,
        ),
        "date",
    ),
    (
        re.compile(rf"\b(who|whom|whose)\b|\b(which|what) {_any(PERSON_NOUNS)}\b", re.I),
        "person",
    ),
    (
        re.compile(rf"\bwhere\b|\b(what|which) {_any(PLACE_NOUNS)}\b|\bin which\b", re.I),
        "place",
    ),
]

FEATURES = (
    "lexical",
    "semantic",
    "type",
    "retrieval",
    "named",
    "rare",
    "bigram",
    "cover",
)


def asking_clause(question: str) -> str:
    """The clause that asks: "When a force acts, what happens?" asks "what happens?"."""
    head, comma, tail = question.rpartition(",")
    if comma and _WH.search(tail) and _WH.match(head.strip()):
        return tail
    return question


def expected_type(question: str) -> str | None:
    """The answer type a question asks for (number, measure, duration, date, person, place).

    >>> expected_type("How cold did it get in Kharkiv?"), expected_type("What year was it?")
    ('measure', 'date')
    """
    clause = asking_clause(question)
    for pattern, kind in _TYPES:
        if pattern.search(clause):
            return kind
    return None


def proper_names(sentence: str, known: Set[str] = frozenset()) -> list[str]:
    """Capitalised words not opening the sentence; an opening word only if `known` has it."""
    names = []
    for m in _PROPER.finditer(sentence):
        names.extend(m.group(0).split())
    first = _WORDS.match(sentence.lstrip("\"'“‘(["))
    if first and first.group(0)[:1].isupper() and first.group(0).lower() in known:
        names.append(first.group(0))
    return names


def has_type(
    sentence: str, kind: str | None, question: str, known_names: Set[str] = frozenset()
) -> float:
    """1.0 when the sentence holds an answer of the kind that the question does not already.

    `known_names` (lowercase) are words seen capitalised mid-sentence nearby: a sentence
    opening with one of them holds a name too.
    """
    if kind is None:
        return 0.5
    asked = {w.lower() for w in _WORDS.findall(question)}

    def new(matches: Sequence[str]) -> bool:
        return any(m.lower() not in asked for m in matches if m)

    numbers = [m.group(0).rstrip(",.") for m in _NUMBER.finditer(sentence)]
    if kind == "number":
        return float(new(numbers))
    if kind == "measure":
        return float(bool(_MEASURE.search(sentence)) or new(numbers) * 0.5)
    if kind == "duration":
        return float(bool(_DURATION.search(sentence)) or new(numbers) * 0.5)
    if kind == "date":
        found = [m.group(0) for m in _YEAR.finditer(sentence)]
        found += [m.group(0) for m in _DATE_WORD.finditer(sentence)]
        return float(new(found))
    if new(proper_names(sentence, known_names)):
        return 1.0
    # "Where" is also answered by "from power plants" or "in the north": a name is no must.
    return 0.5 if kind == "place" else 0.0


def named_terms(question: str) -> list[str]:
    """Index terms of the question's names and numbers (its first word is never a name).

    >>> named_terms("What did John Paul II do in 1973?")
    ['john', 'paul', 'ii', '1973']
    """
    out: list[str] = []
    for m in _NAMED.finditer(question):
        if m.start() == 0 or m.group(0).lower() in STOPWORDS:
            continue
        out.extend(terms(m.group(0)))
    return [t for t in dict.fromkeys(out) if len(t) > 1 or t.isdigit()]


def question_terms(question: str) -> list[str]:
    """The question's index terms without its asking words: "how many drones" asks about
    drones, and "many" is in no answer.

    >>> question_terms("How many drones did Russia launch?")
    ['dron', 'russia', 'launch']
    """
    asking = {"many", "much"} if _HOW.search(question) else set()
    return [t for t in terms(question) if t not in asking]


def fold(text: str) -> str:
    """The text without accents, so 'Bolesław' matches 'Boleslaw'."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def match_key(term: str) -> str:
    """An index term for matching: a final 'e' dropped, so 'damage' meets 'damaged'."""
    return term[:-1] if len(term) > 3 and term.endswith("e") else term


def match_keys(text: str) -> list[str]:
    """The matching keys of a text's index terms, accents folded."""
    return [match_key(t) for t in terms(fold(text))]


def _bigrams(words: Sequence[str]) -> set[tuple[str, str]]:
    return set(zip(words, words[1:], strict=False))


@dataclass(frozen=True)
class ExtractiveConfig:
    """Weights and thresholds; tuned on SQuAD 2.0 (see eval/tune_extractive.py).

    Two weighted sums of the same features: `w_*` ranks the sentences (which one answers?),
    `c_*` gives the best one's confidence (is the answer there at all?), compared with
    `threshold`. They differ: a sentence lacking the question's names can still be the best
    one, but an answer then is a guess.
    """

    # Tuned by eval/tune_extractive.py (paragraph split, news rules "full"): SQuAD 2.0
    # held-out accuracy 52.8% (refusing everything: 50.2%); see eval/out/tune_extractive.md.
    # Ranking: which sentence answers.
    w_lexical: float = 0.45
    w_semantic: float = 0.35
    w_type: float = 0.1
    w_retrieval: float = 0.1
    w_named: float = 0.0
    w_rare: float = 0.0
    w_bigram: float = 0.0
    w_cover: float = 0.0
    # Confidence: is the answer there at all; abstain below the threshold.
    c_lexical: float = 0.0
    c_semantic: float = 0.5348
    c_type: float = 0.2406
    c_retrieval: float = 0.0
    c_named: float = 0.0
    c_rare: float = 0.0909
    c_bigram: float = 0.0802
    c_cover: float = 0.0535
    threshold: float = 0.4755
    neighbour_weight: float = 0.15
    named_neighbour_weight: float = 0.5
    max_sentences: int = 2
    runner_up_margin: float = 0.05
    semantic_candidates: int = 5  # sentences embedded per question

    def weights(self) -> dict[str, float]:
        """Ranking weights: feature name -> weight, in FEATURES order."""
        return {name: float(getattr(self, f"w_{name}")) for name in FEATURES}

    def confidence_weights(self) -> dict[str, float]:
        """Confidence weights: feature name -> weight, in FEATURES order."""
        return {name: float(getattr(self, f"c_{name}")) for name in FEATURES}


def distinct_sentences(
    sources: Sequence[Source], articles: Mapping[str, Article]
) -> Iterator[tuple[int, int, str, int, int, str]]:
    """Every sentence of the sources once (chunks overlap), in source order: (the source's
    position from 0, its [n], article id, start, end in the article, text)."""
    seen: set[tuple[str, int]] = set()
    for rank, source in enumerate(sources):
        chunk = source.hit.chunk
        article = articles.get(chunk.article_id)
        text = article.text if article is not None and article.text else None
        for a, b in sentence_spans(chunk.text):
            start, end = chunk.start + a, chunk.start + b
            if (chunk.article_id, start) in seen:
                continue
            seen.add((chunk.article_id, start))
            sentence = text[start:end] if text else chunk.text[a:b]
            yield rank, source.number, chunk.article_id, start, end, sentence


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
    score: float = 0.0  # ranking
    confidence: float = 0.0  # that the answer is here at all
    features: dict[str, float] = field(default_factory=dict)
    # Parts of the features before the neighbour weights apply: "own" and "context" (lexical
    # match of the sentence, and what only its neighbours add), "named_own" and
    # "named_context" (names in the sentence, and those only in its chunk or article title),
    # "prerank" (lexical + retrieval: which sentences get a semantic score) and "adds" (1.0
    # when it has a word the question lacks).
    parts: dict[str, float] = field(default_factory=dict)
    # Adds information and is among the `semantic_candidates` best by prerank: may answer.
    shortlisted: bool = True


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
        return [
            Candidate(number, article_id, start, end, text)
            for _, number, article_id, start, end, text in distinct_sentences(sources, articles)
        ]

    def features(
        self,
        question: str,
        sources: Sequence[Source],
        articles: Mapping[str, Article],
        idf: IdfLookup | None = None,
        question_vector: np.ndarray | None = None,
    ) -> list[Candidate]:
        """Every candidate sentence with its features (in source order), not yet scored.

        Semantic similarity is computed for the `semantic_candidates` sentences with the best
        `prerank` (lexical match and retrieval) only: it costs a model call per sentence.
        """
        config = self.config
        candidates = self.candidates(sources, articles)
        if not candidates:
            return []
        q_raw = question_terms(fold(question))
        q_seq = [match_key(t) for t in q_raw]
        q_terms = list(dict.fromkeys(q_seq))
        q_set = set(q_terms)
        q_bigrams = _bigrams(q_seq)
        sentence_seqs = [match_keys(c.text) for c in candidates]
        sentence_terms = [set(seq) for seq in sentence_seqs]
        if idf is None:
            idf = _local_idf(sentence_terms)
        weights: dict[str, float] = {}
        for raw, key in zip(q_raw, q_seq, strict=True):
            weights[key] = max(weights.get(key, 0.0), idf(raw))
        named = [match_key(t) for t in named_terms(fold(question))]
        named = list(dict.fromkeys(named)) or sorted(q_terms, key=lambda t: -weights[t])[:1]
        total = sum(weights.values()) or 1.0
        rarest = max(weights.values(), default=1.0) or 1.0
        kind = expected_type(question)
        known_names = (
            {w.lower() for c in candidates for w in proper_names(c.text)}
            if kind in ("person", "place")
            else set()
        )
        retrieval = {s.number: s.hit.dense if s.hit.dense is not None else 0.0 for s in sources}
        chunk_terms = {s.number: set(match_keys(s.hit.chunk.text)) for s in sources}
        title_terms = {s.number: set(match_keys(s.title)) for s in sources}
        for i, c in enumerate(candidates):
            own_terms = sentence_terms[i]
            near: set[str] = set()
            for j in (i - 1, i + 1):
                if 0 <= j < len(candidates) and candidates[j].article_id == c.article_id:
                    near |= sentence_terms[j]
            seen = own_terms | near
            own = sum(weights[t] for t in q_terms if t in own_terms) / total
            context = sum(weights[t] for t in q_terms if t in near - own_terms) / total
            named_own = sum(1 for t in named if t in own_terms) / len(named) if named else 1.0
            around = near | chunk_terms.get(c.source, set()) | title_terms.get(c.source, set())
            named_context = (
                sum(1 for t in named if t in around - own_terms) / len(named) if named else 0.0
            )
            c.lexical = min(1.0, own + config.neighbour_weight * context)
            c.type_match = has_type(c.text, kind, question, known_names)
            c.retrieval = max(0.0, retrieval.get(c.source, 0.0))
            in_chunk = chunk_terms.get(c.source, own_terms) | own_terms
            missing = max((weights[t] for t in q_terms if t not in seen), default=0.0)
            c.features = {
                "lexical": c.lexical,
                "semantic": 0.0,
                "type": c.type_match,
                "retrieval": c.retrieval,
                "named": min(1.0, named_own + config.named_neighbour_weight * named_context),
                "rare": 1.0 - missing / rarest,
                "bigram": (
                    len(q_bigrams & _bigrams(sentence_seqs[i])) / len(q_bigrams)
                    if q_bigrams
                    else own
                ),
                "cover": sum(weights[t] for t in q_terms if t in in_chunk) / total,
            }
            c.parts = {
                "own": own,
                "context": context,
                "named_own": named_own,
                "named_context": named_context,
                "prerank": c.lexical + 0.5 * c.retrieval,
                "adds": float(bool(own_terms - q_set)),
            }
        # An answer must add information: a sentence with no word beyond the question's is out.
        for c in candidates:
            c.shortlisted = c.parts["adds"] > 0
        ranked = sorted((c for c in candidates if c.shortlisted), key=lambda c: -c.parts["prerank"])
        top = ranked[: config.semantic_candidates]
        if self.embedder is not None:
            for c in ranked[config.semantic_candidates :]:
                c.shortlisted = False
        if self.embedder is not None and top:
            if question_vector is None:
                vectors = self.embedder.embed([question] + [c.text for c in top])
                qv, sv = vectors[0], vectors[1:]
            else:
                qv, sv = question_vector, self.embedder.embed([c.text for c in top])
            for c, v in zip(top, sv, strict=True):
                c.semantic = max(0.0, float(v @ qv))
                c.features["semantic"] = c.semantic
        return candidates

    def score(
        self,
        question: str,
        sources: Sequence[Source],
        articles: Mapping[str, Article],
        idf: IdfLookup | None = None,
        question_vector: np.ndarray | None = None,
    ) -> list[Candidate]:
        """Score and rate every candidate sentence; the shortlisted first, each part best first."""
        candidates = self.features(question, sources, articles, idf, question_vector)
        weights = self.config.weights()
        total = sum(weights.values()) or 1.0  # the runner-up margin is on this scale
        confidence = self.config.confidence_weights()
        for c in candidates:
            c.score = sum(w * c.features[name] for name, w in weights.items()) / total
            c.confidence = sum(w * c.features[name] for name, w in confidence.items())
            c.features = {name: round(value, 4) for name, value in c.features.items()}
        candidates.sort(key=lambda c: (not c.shortlisted, -c.score))
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
        if not ranked or not ranked[0].shortlisted or ranked[0].confidence < self.config.threshold:
            confidence = ranked[0].confidence if ranked else 0.0
            return ExtractiveResult(NO_ANSWER, True, confidence, [], ranked)
        chosen = [ranked[0]]
        for c in ranked[1:]:
            if len(chosen) >= self.config.max_sentences or not c.shortlisted:
                break
            if (
                c.score >= ranked[0].score - self.config.runner_up_margin
                and c.text != ranked[0].text
                and c.article_id == ranked[0].article_id
            ):
                chosen.append(c)
        chosen.sort(key=lambda c: (c.source, c.start))
        text = " ".join(f"{_quote(c.text)} [{c.source}]" for c in chosen)
        return ExtractiveResult(text, False, ranked[0].confidence, chosen, ranked)


def _quote(sentence: str) -> str:
    """The sentence as quoted in the answer: an article's own "[9]" must not read as a citation."""
    return defuse_markers(sentence.strip())


def _local_idf(sentence_terms: Sequence[set[str]]) -> IdfLookup:
    n = len(sentence_terms)
    df: dict[str, int] = {}
    for ts in sentence_terms:
        for t in ts:
            df[t] = df.get(t, 0) + 1

    def idf(term: str) -> float:
        return math.log(1 + (n + 1) / (df.get(match_key(term), 0) + 0.5))

    return idf


class ExtractiveAnswers:
    """The offline answer engine: quotes the best retrieved sentences, or abstains."""

    tuned_on = ("squad-tune", "seed")  # eval/tune_extractive.py: SQuAD tune half, seed set kept

    def __init__(self, parts: Parts) -> None:
        self.library = parts.library
        self.engine = ExtractiveEngine(parts.library.embedder)
        self.default_threshold = parts.settings.min_confidence

    def answer(self, request: AnswerRequest) -> Iterator[str | Draft]:
        engine = self.engine
        threshold = request.query.min_confidence
        if threshold is None:
            threshold = self.default_threshold
        if threshold is not None:
            engine = ExtractiveEngine(engine.embedder, replace(engine.config, threshold=threshold))
        index = self.library.lexical()
        result = engine.answer(
            request.question,
            request.sources,
            request.articles,
            idf=index.idf if index else None,
            question_vector=request.vector,
        )
        yield result.text
        yield Draft(
            text=result.text,
            abstained=result.abstained,
            confidence=round(result.confidence, 4),
            model=self.library.embedder.name,
            verbatim=True,
        )
