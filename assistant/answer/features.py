"""What the reader sees of a question and its candidate sentences: named numeric features (pure).

Two kinds, both plain `dict[str, float]` so a model file can pick the ones it was fitted on:

- `sentence_features`, cheap and for every sentence of the retrieved chunks: IDF-weighted word
  overlap with the question (the sentence's own, and what only its neighbours add), names and
  numbers of the question found in it or only around it (chunk, neighbours, title), the rarest
  question word it lacks, word pairs in order, answer-type agreement ("who" wants a name, "when"
  a date, "how many" a number ...), and the retrieval's view of its chunk (rank, fused, dense
  and BM25 scores), its length and place in the article.
- `alignment_features`, for the shortlisted sentences, from the encoder's contextual WordPiece
  vectors: for each content word of the question the best cosine to any word of the sentence,
  summarised (IDF-weighted mean, minimum, share left without a match; names and numbers apart),
  and the sentence's pooled cosine to the question.

`question_features` describe the question and its best candidates for the second model, the
probability that the answer is right: the ranker's margin over the runner-up, the best
sentence's unmatched names and numbers, and which question words no retrieved chunk contains
(how on-topic unanswerable questions betray themselves).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from assistant.answer.extractive import (
    distinct_sentences,
    expected_type,
    fold,
    has_type,
    match_key,
    match_keys,
    named_terms,
    proper_names,
    question_terms,
)
from assistant.embeddings import TokenVectors
from assistant.models import Article, Source
from assistant.store.lexical import STOPWORDS, stem

IdfLookup = Callable[[str], float]

KINDS = ("number", "measure", "duration", "date", "person", "place")
"""Answer types a question may ask for (None: any)."""

# Words that ask rather than say what is asked about: never expected in the answer.
ASKING = frozenset("many much long old far often kind type sort name named called".split())
_WORD = re.compile(r"\w+", re.UNICODE)
_DIGITS = re.compile(r"\d")
_NEGATION = re.compile(r"\b(not|no|never|none|nor|without|n't|cannot)\b|n't\b", re.IGNORECASE)
MATCHED = 0.6
"""A question word whose best cosine to a sentence word reaches this counts as found there."""


@dataclass(frozen=True)
class QuestionWord:
    """A content word of the question: where it is, its matching key and IDF weight."""

    start: int
    end: int
    key: str
    weight: float
    named: bool
    numeric: bool


@dataclass(frozen=True)
class Question:
    """A question as the reader analyses it, before looking at any sentence."""

    text: str
    kind: str | None
    seq: list[str]
    """Matching keys of its content terms, in order (for word pairs)."""
    weights: dict[str, float]
    """Key -> IDF (the highest of the raw terms that share it)."""
    named: list[str]
    """Keys of its names and numbers; the rarest key when it has none."""
    words: list[QuestionWord]
    """Content words with positions, for token alignment."""

    @property
    def keys(self) -> list[str]:
        return list(dict.fromkeys(self.seq))


def analyse_question(question: str, idf: IdfLookup) -> Question:
    """The question's answer type, content terms with IDF weights, names and numbers."""
    folded = fold(question)
    raw = question_terms(folded)
    seq = [match_key(t) for t in raw]
    weights: dict[str, float] = {}
    for term, key in zip(raw, seq, strict=True):
        weights[key] = max(weights.get(key, 0.0), idf(term))
    named = list(dict.fromkeys(match_key(t) for t in named_terms(folded)))
    if not named and weights:
        named = sorted(weights, key=lambda k: -weights[k])[:1]
    named_set = set(named)
    words: list[QuestionWord] = []
    if len(folded) == len(question):  # offsets of the folded text are the question's
        for m in _WORD.finditer(folded):
            low = m.group(0).lower()
            if low in STOPWORDS or low in ASKING:
                continue
            key = match_key(stem(low))
            if key not in weights:
                continue
            words.append(
                QuestionWord(
                    m.start(),
                    m.end(),
                    key,
                    weights[key],
                    named=key in named_set,
                    numeric=bool(_DIGITS.search(low)),
                )
            )
    return Question(question, expected_type(question), seq, weights, named, words)


@dataclass(eq=False)
class Sentence:
    """A sentence of a retrieved chunk: where it is, and what the reader computed for it."""

    source: int
    """The [n] of its chunk."""
    article_id: str
    start: int
    end: int
    text: str
    rank: int
    """Its chunk's position among the sources, from 0."""
    features: dict[str, float] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)
    tokens: TokenVectors | None = None
    found: NDArray[np.float32] | None = None
    """Per question content word, how well this sentence matches it (1.0: spelled the same)."""
    score: float = 0.0
    """The ranker's logit."""


def sentences_of(sources: Sequence[Source], articles: Mapping[str, Article]) -> list[Sentence]:
    """Every sentence of the sources once (chunks overlap), in source order, article offsets."""
    return [
        Sentence(number, article_id, start, end, text, rank)
        for rank, number, article_id, start, end, text in distinct_sentences(sources, articles)
    ]


def _bigrams(seq: Sequence[str]) -> set[tuple[str, str]]:
    return set(zip(seq, seq[1:], strict=False))


def sentence_features(
    question: Question, sentences: Sequence[Sentence], sources: Sequence[Source]
) -> None:
    """Fill each sentence's cheap features (and its `keys`) in place."""
    if not sentences:
        return
    keys = question.keys
    weights = question.weights
    total = sum(weights.values()) or 1.0
    rarest = max(weights.values(), default=1.0) or 1.0
    named = question.named
    q_bigrams = _bigrams(question.seq)
    q_set = set(keys)
    kind = question.kind
    seqs = [match_keys(s.text) for s in sentences]
    for s, seq in zip(sentences, seqs, strict=True):
        s.keys = set(seq)
    known_names = (
        {w.lower() for s in sentences for w in proper_names(s.text)}
        if kind in ("person", "place")
        else set()
    )
    by_number = {s.number: s for s in sources}
    top_dense = max((s.hit.dense or 0.0 for s in sources), default=0.0)
    top_lexical = max((s.hit.lexical or 0.0 for s in sources), default=0.0)
    top_fused = max((s.hit.score for s in sources), default=0.0)
    chunk_keys = {s.number: set(match_keys(s.hit.chunk.text)) for s in sources}
    title_keys = {s.number: set(match_keys(s.title)) for s in sources}
    everywhere: set[str] = set().union(*chunk_keys.values()) if chunk_keys else set()
    anywhere = sum(weights[k] for k in keys if k in everywhere) / total
    for i, s in enumerate(sentences):
        own_keys = s.keys
        near: set[str] = set()
        for j in (i - 1, i + 1):
            if 0 <= j < len(sentences) and sentences[j].article_id == s.article_id:
                near |= sentences[j].keys
        seen = own_keys | near
        around = near | chunk_keys.get(s.source, set()) | title_keys.get(s.source, set())
        own = sum(weights[k] for k in keys if k in own_keys) / total
        context = sum(weights[k] for k in keys if k in near - own_keys) / total
        in_chunk = sum(weights[k] for k in keys if k in own_keys | around) / total
        named_own = sum(k in own_keys for k in named) / len(named) if named else 1.0
        named_around = sum(k in around - own_keys for k in named) / len(named) if named else 0.0
        named_nowhere = sum(k not in own_keys | around for k in named) / len(named) if named else 0
        missing = max((weights[k] for k in keys if k not in seen), default=0.0)
        hit = by_number[s.source].hit
        n_words = len(_WORD.findall(s.text))
        type_match = has_type(s.text, kind, question.text, known_names)
        f = {
            "lexical": own,
            "context": context,
            "cover": in_chunk,
            "named": named_own,
            "named_around": named_around,
            "named_nowhere": float(named_nowhere),
            "rare": 1.0 - missing / rarest,
            "bigram": (len(q_bigrams & _bigrams(seqs[i])) / len(q_bigrams) if q_bigrams else own),
            "adds": float(bool(own_keys - q_set)),
            "novel": len(own_keys - q_set) / max(1, len(own_keys)),
            "type": type_match,
            "typed": float(kind is not None),
            "type_miss": float(kind is not None and type_match == 0.0),
            "rank": 1.0 / (1 + s.rank),
            "fused": hit.score / top_fused if top_fused > 0 else 0.0,
            "dense": max(0.0, hit.dense or 0.0),
            "dense_rel": (hit.dense or 0.0) / top_dense if top_dense > 0 else 0.0,
            "bm25_rel": (hit.lexical or 0.0) / top_lexical if top_lexical > 0 else 0.0,
            "position": math.log1p(s.start / 200),
            "length": math.log1p(n_words),
            "short": float(n_words < 6),
            "anywhere": anywhere,
        }
        s.features = f


@dataclass(frozen=True)
class Alignment:
    """How a question's content words align to one sentence's words (token vectors)."""

    best: NDArray[np.float32]
    """Per question word, the best cosine to any sentence token."""
    where: list[int]
    """Per question word, the index of that sentence token."""


def _word_rows(
    offsets: Sequence[tuple[int, int]], words: Sequence[QuestionWord]
) -> list[list[int]]:
    rows: list[list[int]] = [[] for _ in words]
    for i, (a, b) in enumerate(offsets):
        for w, word in enumerate(words):
            if a >= word.start and b <= word.end:
                rows[w].append(i)
                break
    return rows


def align(question: Question, q_tokens: TokenVectors, s_tokens: TokenVectors) -> Alignment:
    """Each question content word's best match among the sentence's tokens."""
    words = question.words
    if not words or s_tokens.vectors.shape[0] == 0:
        return Alignment(np.zeros(len(words), dtype=np.float32), [-1] * len(words))
    rows = _word_rows(q_tokens.offsets, words)
    sim = q_tokens.vectors @ s_tokens.vectors.T
    best = np.zeros(len(words), dtype=np.float32)
    where: list[int] = []
    for w, idx in enumerate(rows):
        if not idx:
            where.append(-1)
            continue
        piece = sim[idx]
        best[w] = float(piece.max(axis=1).mean())
        where.append(int(piece.mean(axis=0).argmax()))
    return Alignment(best, where)


def alignment_features(
    question: Question, q_tokens: TokenVectors, sentence: Sentence
) -> dict[str, float]:
    """Token-alignment features of one shortlisted sentence (its `tokens` set)."""
    assert sentence.tokens is not None
    words = question.words
    semantic = max(0.0, float(q_tokens.pooled @ sentence.tokens.pooled))
    negation = float(bool(_NEGATION.search(question.text)) != bool(_NEGATION.search(sentence.text)))
    if not words:
        sentence.found = np.zeros(0, dtype=np.float32)
        return {
            "semantic": semantic,
            "align_mean": 0.5,
            "align_min": 0.5,
            "align_low": 0.0,
            "align_named": 0.5,
            "align_named_low": 0.0,
            "align_number_low": 0.0,
            "align_soft": 0.0,
            "align_named_soft": 0.0,
            "align_order": 0.0,
            "align_pairs": 1.0,
            "negation": negation,
        }
    alignment = align(question, q_tokens, sentence.tokens)
    best = alignment.best
    weight = np.asarray([w.weight for w in words], dtype=np.float32)
    total = float(weight.sum()) or 1.0
    named = np.asarray([w.named for w in words], dtype=bool)
    numeric = np.asarray([w.numeric for w in words], dtype=bool)
    # A word the sentence spells the same way counts as found, whatever the vectors say.
    lexical = np.asarray([w.key in sentence.keys for w in words], dtype=bool)
    found = np.maximum(best, np.where(lexical, 1.0, 0.0)).astype(np.float32)
    sentence.found = found
    low = found < MATCHED
    soft = (~lexical) & (best >= MATCHED)
    return {
        "semantic": semantic,
        "align_mean": float((found * weight).sum() / total),
        "align_min": float(found.min()),
        "align_low": float((low * weight).sum() / total),
        "align_named": float(found[named].min()) if named.any() else 1.0,
        "align_named_low": float(low[named].mean()) if named.any() else 0.0,
        "align_number_low": float((~lexical[numeric]).any()) if numeric.any() else 0.0,
        "align_named_soft": float((soft[named]).mean()) if named.any() else 0.0,
        "align_soft": float((soft * weight).sum() / total),
        "align_order": _order(alignment.where, ~low),
        "align_pairs": _pairs(alignment.where, ~low),
        "negation": negation,
    }


def _pairs(where: Sequence[int], found: NDArray[np.bool_]) -> float:
    """Share of neighbouring question words (both found) that stay neighbours, in order, in
    the sentence: "Centre for Ujazdow Art" against "Ujazdow Castle ... Centre for Art" breaks
    one pair. 1.0 with no pair."""
    pairs = [
        (a, b)
        for (a, ok_a), (b, ok_b) in zip(
            zip(where, found, strict=True), list(zip(where, found, strict=True))[1:], strict=False
        )
        if ok_a and ok_b and a >= 0 and b >= 0
    ]
    if not pairs:
        return 1.0
    return sum(0 < b - a <= 4 for a, b in pairs) / len(pairs)


def _order(where: Sequence[int], found: NDArray[np.bool_]) -> float:
    """How far the found question words keep their order in the sentence: 1 same order,
    -1 reversed ("from Krakow to Warsaw" for "from Warsaw to Krakow"), 0 with fewer than 2."""
    positions = [p for p, ok in zip(where, found, strict=True) if ok and p >= 0]
    pairs = [(a, b) for i, a in enumerate(positions) for b in positions[i + 1 :] if a != b]
    if not pairs:
        return 0.0
    return sum(1.0 if b > a else -1.0 for a, b in pairs) / len(pairs)


def question_features(
    question: Question, ranked: Sequence[Sentence], probabilities: Sequence[float]
) -> dict[str, float]:
    """Features of the question and its best sentence for the answer-is-right model.

    `ranked` are the shortlisted sentences best first, `probabilities` the ranker's softmax.
    """
    if not ranked:
        return {}
    best = ranked[0]
    f = best.features
    second = ranked[1].score if len(ranked) > 1 else best.score - 5.0
    out = {
        "top_logit": best.score,
        "top_prob": float(probabilities[0]),
        "margin": min(5.0, best.score - second),
        "n_words": math.log1p(len(question.words)),
        "n_named": float(len([k for k in question.named if k in question.weights])),
    }
    for name in (
        "lexical",
        "named",
        "named_nowhere",
        "rare",
        "type",
        "type_miss",
        "dense",
        "anywhere",
        "semantic",
        "align_mean",
        "align_min",
        "align_low",
        "align_named",
        "align_named_low",
        "align_number_low",
        "span_best",
        "span_share",
        "align_soft",
        "align_order",
        "align_pairs",
        "align_named_soft",
        "negation",
        "bigram",
        "context",
    ):
        out[f"best_{name}"] = f.get(name, 0.0)
    for kind in KINDS:
        out[f"kind_{kind}"] = float(question.kind == kind)
    # Question words that no shortlisted sentence matches: the usual unanswerable question.
    found = [s.found for s in ranked if s.found is not None and s.found.size]
    if found and question.words:
        best_found = np.max(np.stack(found), axis=0)
        weight = np.asarray([w.weight for w in question.words])
        out["cover_low"] = float(((best_found < MATCHED) * weight).sum() / (weight.sum() or 1.0))
        out["cover_min"] = float(best_found.min())
    else:
        out["cover_low"], out["cover_min"] = 0.0, 1.0
    return out
