"""The learned offline reader: quote the sentence that answers, lead with the short answer.

For a question and its retrieved sources:

1. every sentence of the sources gets cheap features (word overlap, names, answer type,
   retrieval) and a first linear model keeps the `shortlist_size` best;
2. one encoder call gives the question's and the shortlisted sentences' token vectors, for
   alignment features (which question words find a match) and span features;
3. the ranker scores the shortlisted sentences; the best span of each is a feature too;
4. the confidence model turns the best sentence's standing (margin over the runner-up,
   unmatched names and numbers, ...) into the probability that the answer is right;
5. below the threshold the reader abstains; otherwise it quotes the best sentence with its
   [n], after the short answer when the question asks for a number, name, date or place:
   `450 drones — "Russia attacked with 71 missiles, as well as 450 drones." [1]`.
   A question asking for two things gets a second cited sentence when the first lacks one.

The model file (assistant/answer/models/reader-v1.json, card beside it) comes from
eval/train_reader.py; its sha256 is checked on load.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import numpy as np

from assistant.answer.citations import defuse_markers
from assistant.answer.engines import AnswerRequest, Draft
from assistant.answer.extractive import expected_type, has_type, match_key
from assistant.answer.features import (
    IdfLookup,
    Question,
    Sentence,
    alignment_features,
    analyse_question,
    question_features,
    sentence_features,
    sentences_of,
)
from assistant.answer.linear import LinearModel, Matrix, ReaderModel, load_model, sigmoid, softmax
from assistant.answer.spans import (
    Spans,
    candidate_spans,
    complete_date,
    complete_number,
    fits,
)
from assistant.embeddings import BUNDLED_NAME, Embedder, OnnxEmbedder, TokenEncoder, TokenVectors
from assistant.models import NO_ANSWER, Article, Source
from assistant.parts import Parts
from assistant.store.lexical import stem

MODEL_PATH = Path(__file__).parent / "models" / "reader-v1.json"
READER_SHA256 = "5ecd4d3d8a2ae326819326ba3501576451d361f2c8674e94e7f7cbc1454c6ac7"
"""sha256 of MODEL_PATH; eval/train_reader.py prints it after a retrain."""

NO_SPAN = -5.0
"""The span score of a sentence without candidate spans."""
_NAME_ASKED = re.compile(r"\b(name[sd]?|called|title[sd]?)\b", re.IGNORECASE)
_SECOND = re.compile(
    r"^(?P<first>.+?),?\s+and\s+(?P<second>(?:(?:in|by|on|at|from|above|below|for|to)\s+)?"
    r"(?:what|which|who|whom|whose|when|where|how)\b.*)$",
    re.IGNORECASE,
)


def question_parts(question: str) -> list[str]:
    """The question's asking clauses: "Who founded it, and in which year?" has two.

    >>> question_parts("Who founded Sundance, and in which year?")
    ['Who founded Sundance', 'in which year?']
    """
    match = _SECOND.match(question.strip())
    if match is None:
        return [question]
    return [match.group("first").strip(), match.group("second").strip()]


def leads_with_span(question: str, kind: str | None) -> bool:
    """Whether the answer starts with the short answer: the question asks for a number, a
    date, a person, a place, a quantity, or a name ("What is the EP called?")."""
    return kind is not None or bool(_NAME_ASKED.search(question))


@dataclass
class SpanChoice:
    """A short answer: its characters in the sentence and its score."""

    start: int
    end: int
    score: float


@dataclass
class Reading:
    """What the reader made of a question: ranked sentences and the answer's probability."""

    question: Question
    sentences: list[Sentence]
    """Every candidate sentence (cheap features only, unless shortlisted)."""
    ranked: list[Sentence]
    """The shortlisted sentences, best first; their `score` is the ranker's logit."""
    probabilities: Matrix
    """The ranker's softmax over `ranked`."""
    q_tokens: TokenVectors | None
    features: dict[str, float] = field(default_factory=dict)
    """Question-level features of the confidence model."""
    probability: float = 0.0
    """That the best sentence answers the question (calibrated)."""
    spans: dict[int, SpanChoice] = field(default_factory=dict)
    """The best span of each ranked sentence, by its index in `ranked`."""


def shortlist(model: LinearModel, sentences: Sequence[Sentence], size: int) -> list[Sentence]:
    """The `size` sentences with the best first-stage scores among those that add a word to
    the question's (in score order, ties in source order)."""
    pool = [s for s in sentences if s.features.get("adds", 0.0) > 0]
    if not pool:
        return []
    scores = model.score_rows([s.features for s in pool])
    order = np.argsort(-scores, kind="stable")[:size]
    return [pool[i] for i in order]


def span_features(
    span_model: LinearModel,
    question: Question,
    q_tokens: TokenVectors | None,
    sentence: Sentence,
    memo: dict[int, Spans] | None = None,
) -> SpanChoice | None:
    """Score the sentence's candidate spans; add its span features; its best span.

    `memo` (by sentence identity) saves recomputing the spans of a sentence read again.
    """
    spans = memo.get(id(sentence)) if memo is not None else None
    if spans is None:
        spans = candidate_spans(question, q_tokens, sentence.text, sentence.tokens)
        if memo is not None:
            memo[id(sentence)] = spans
    if not spans.offsets:
        sentence.features.update({"span_best": NO_SPAN, "span_share": 0.0})
        return None
    scores = span_model.scores(spans.features)
    best = int(np.argmax(scores))
    sentence.features.update(
        {
            "span_best": float(scores[best]),
            "span_share": float(softmax(scores)[best]),
        }
    )
    start, end = spans.offsets[best]
    if question.kind == "date":
        start, end = complete_date(sentence.text, start, end)
    start, end = complete_number(sentence.text, start, end)
    return SpanChoice(start, end, float(scores[best]))


def read(
    model: ReaderModel,
    question: str,
    sentences: list[Sentence],
    analysis: Question,
    encode: TokenEncoder | None,
    tokens: Mapping[str, TokenVectors] | None = None,
    q_tokens: TokenVectors | None = None,
    models: Mapping[str, LinearModel] | None = None,
    memo: dict[int, Spans] | None = None,
) -> Reading:
    """Shortlist, encode, rank and rate: the whole reading after the cheap features.

    `encode` gives token vectors (one call for the question and the shortlist); the training
    script passes precomputed `tokens` and `q_tokens` instead, and `models` to replace the
    file's (cross-validation folds), and a `memo` of candidate spans.
    """
    parts = {
        "shortlist": model.shortlist,
        "ranker": model.ranker,
        "span": model.span,
        "confidence": model.confidence,
        **(models or {}),
    }
    top = shortlist(parts["shortlist"], sentences, model.shortlist_size)
    if encode is not None and top:
        vectors = encode.token_vectors([question] + [s.text[: model.max_chars] for s in top])
        q_tokens = vectors[0]
        for sentence, v in zip(top, vectors[1:], strict=True):
            sentence.tokens = v
    elif tokens is not None:
        for sentence in top:
            sentence.tokens = tokens.get(sentence.text, sentence.tokens)
    choices: list[SpanChoice | None] = []
    for sentence in top:
        if q_tokens is not None and sentence.tokens is not None:
            sentence.features.update(alignment_features(analysis, q_tokens, sentence))
        choices.append(span_features(parts["span"], analysis, q_tokens, sentence, memo))
    scores = parts["ranker"].score_rows([s.features for s in top])
    order = np.argsort(-scores, kind="stable")
    ranked = [top[i] for i in order]
    for i, sentence in zip(order, ranked, strict=True):
        sentence.score = float(scores[i])
    probabilities = softmax(np.asarray([s.score for s in ranked], dtype=np.float64))
    reading = Reading(analysis, sentences, ranked, probabilities, q_tokens)
    reading.spans = {
        rank: choice for rank, i in enumerate(order) if (choice := choices[int(i)]) is not None
    }
    if ranked:
        reading.features = question_features(analysis, ranked, list(probabilities))
        logit = parts["confidence"].score_rows([reading.features])[0]
        reading.probability = float(sigmoid(logit))
    return reading


@dataclass(frozen=True)
class ReaderResult:
    """The reader's answer: text with [n] markers (or NO_ANSWER), its probability, the span."""

    text: str
    abstained: bool
    confidence: float
    short_answer: str | None
    chosen: list[Sentence]
    reading: Reading


class Reader:
    """Answers from retrieved sources with the learned model; needs a token encoder."""

    def __init__(self, model: ReaderModel, encoder: TokenEncoder) -> None:
        self.model = model
        self.encoder = encoder

    def read(
        self,
        question: str,
        sources: Sequence[Source],
        articles: Mapping[str, Article],
        idf: IdfLookup | None = None,
    ) -> Reading:
        """Every step up to the answer's probability."""
        sentences = sentences_of(sources, articles)
        analysis = analyse_question(question, idf or _flat_idf)
        sentence_features(analysis, sentences, sources)
        return read(self.model, question, sentences, analysis, self.encoder)

    def answer(
        self,
        question: str,
        sources: Sequence[Source],
        articles: Mapping[str, Article],
        idf: IdfLookup | None = None,
        threshold: float | None = None,
    ) -> ReaderResult:
        """Quote the best sentence (after its short answer), or abstain below the threshold."""
        reading = self.read(question, sources, articles, idf)
        return compose(reading, self.model, question, threshold)


def compose(
    reading: Reading, model: ReaderModel, question: str, threshold: float | None = None
) -> ReaderResult:
    """The answer text from a reading: the best sentence with its [n], led by the short
    answer when the question asks for one; a second sentence for a second asked thing or a
    close runner-up from the same article; NO_ANSWER below the threshold."""
    limit = model.threshold if threshold is None else threshold
    ranked = reading.ranked
    if not ranked or reading.probability < limit:
        return ReaderResult(NO_ANSWER, True, reading.probability, None, [], reading)
    best = ranked[0]
    span = reading.spans.get(0)
    short = best.text[span.start : span.end] if span is not None else None
    parts = question_parts(question)
    kinds = [expected_type(p) for p in parts]
    chosen = [best]
    leads: list[str | None] = []
    lead_first = leads_with_span(parts[0], kinds[0])
    if len(parts) > 1:
        lead_first = lead_first or leads_with_span(parts[1], kinds[1])
    lead_kind = kinds[0] if leads_with_span(parts[0], kinds[0]) else kinds[-1]
    if lead_first and span and fits(best.text, span.start, span.end, lead_kind):
        leads.append(_lead(best.text, span, reading.question))
    else:
        leads.append(None)  # no span of the kind asked: the quote alone
    if len(parts) > 1:
        second = _second_part(reading, model.span, parts[1], kinds[1], short)
        if second is not None:
            sentence, second_short = second
            if sentence is best:
                if second_short and leads[0] and second_short != leads[0]:
                    leads[0] = f"{leads[0]}; {second_short}"
            else:
                chosen.append(sentence)
                leads.append(second_short if leads_with_span(parts[1], kinds[1]) else None)
    elif len(ranked) > 1:
        runner = ranked[1]
        ratio = reading.probabilities[1] / max(reading.probabilities[0], 1e-9)
        if (
            ratio >= model.second_ratio
            and runner.article_id == best.article_id
            and runner.text != best.text
        ):
            chosen.append(runner)  # quoted without a lead: its span is not the answer
            leads.append(None)
    text = ""
    for i, (sentence, lead) in enumerate(zip(chosen, leads, strict=True)):
        if i:  # a quote without a full stop (a caption) would run into the next sentence
            text += " " if _SENTENCE_END.search(chosen[i - 1].text.strip()) else "\n"
        text += _cited(sentence, lead)
    return ReaderResult(text, False, reading.probability, short, chosen, reading)


def _second_part(
    reading: Reading,
    span_model: LinearModel,
    part: str,
    kind: str | None,
    first_short: str | None,
) -> tuple[Sentence, str | None] | None:
    """The sentence (best ranked first) holding what the second asking clause wants, and its
    short answer as shown: the best sentence itself when it has an answer of that kind too."""
    question = replace(reading.question, text=part, kind=kind)
    for sentence in reading.ranked[:3]:
        if kind is not None and has_type(sentence.text, kind, reading.question.text) < 1.0:
            continue
        spans = candidate_spans(question, reading.q_tokens, sentence.text, sentence.tokens)
        if not spans.offsets:
            continue
        scores = span_model.scores(spans.features)
        for i in np.argsort(-scores, kind="stable"):
            a, b = spans.offsets[int(i)]
            candidate = sentence.text[a:b]
            if first_short is None or (
                candidate not in first_short and first_short not in candidate
            ):
                if not fits(sentence.text, a, b, kind):
                    return sentence, None
                return sentence, _lead(sentence.text, SpanChoice(a, b, 0.0), question)
        return sentence, None
    return None


_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_NEXT_WORD = re.compile(r"\s+([\w'’-]+)")


def _lead(text: str, span: SpanChoice, question: Question) -> str:
    """The short answer as shown: a number followed by what the question counts takes that
    word along ("450 drones" for "How many drones ...?")."""
    end = span.end
    if question.kind in ("number", "measure"):
        word = _NEXT_WORD.match(text, end)
        if word is not None and match_key(stem(word.group(1).lower())) in question.weights:
            end = word.end()
    return text[span.start : end]


def _cited(sentence: Sentence, lead: str | None) -> str:
    """The sentence with its [n]; after a lead it is quoted, in curly quotes when it holds
    straight ones itself (a quoted remark: `Hundreds — “"Hundreds of ...," he added.” [1]`)."""
    quote = defuse_markers(sentence.text.strip())
    if lead:
        opening, closing = ("“", "”") if '"' in quote else ('"', '"')
        return f"{defuse_markers(lead)} — {opening}{quote}{closing} [{sentence.source}]"
    return f"{quote} [{sentence.source}]"


def _flat_idf(term: str) -> float:
    return 1.0


@cache
def bundled_model() -> ReaderModel:
    """The packaged reader model, hash-checked (read once)."""
    return load_model(MODEL_PATH, READER_SHA256)


@cache
def bundled_encoder() -> OnnxEmbedder:
    """The bundled MiniLM, for token vectors when the library embeds with another model."""
    return OnnxEmbedder.bundled()


def token_encoder(embedder: Embedder) -> TokenEncoder:
    """The token vectors the model was trained on: the bundled MiniLM's. The library's own
    embedder gives them when it is that model (the question, embedded for retrieval, is then
    not run again); any other embedder (OpenAI, ASSISTANT_MODEL_DIR) leaves them to the
    bundled model."""
    if embedder.name == BUNDLED_NAME and isinstance(embedder, TokenEncoder):
        return embedder
    return bundled_encoder()


class ReaderAnswers:
    """The offline answer engine ("extractive"): the learned reader over retrieved sources."""

    tuned_on = ("squad-tune", "bbc-qa-tune", "realtimeqa-tune")  # eval/train_reader.py

    def __init__(self, parts: Parts) -> None:
        self.library = parts.library
        self.default_threshold = parts.settings.min_confidence
        self.reader = Reader(bundled_model(), token_encoder(parts.library.embedder))

    def answer(self, request: AnswerRequest) -> Iterator[str | Draft]:
        threshold = request.query.min_confidence
        if threshold is None:
            threshold = self.default_threshold
        index = self.library.lexical()
        result = self.reader.answer(
            request.question,
            request.sources,
            request.articles,
            idf=index.idf if index else None,
            threshold=threshold,
        )
        yield result.text
        yield Draft(
            text=result.text,
            abstained=result.abstained,
            confidence=round(result.confidence, 4),
            short_answer=None if result.abstained else result.short_answer,
            model=f"{self.reader.model.name}+{self.library.embedder.name}",
            verbatim=True,
        )
