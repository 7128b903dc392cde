"""Tune data for the learned reader: every question retrieved as `assistant ask` does, with labels.

Used by eval/train_reader.py. A `Example` is one question: its retrieved sources (hybrid, k=6),
their sentences with the reader's cheap features, every sentence's token vectors, and which
sentences hold a gold fact (the eval's normalisation: `match_fact`). Examples are cached under
--home (a pickle per dataset, keyed by the dataset file's and the code's hash), so a re-run
only refits.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.answer.citations import number_sources
from assistant.answer.features import (
    IdfLookup,
    Question,
    Sentence,
    analyse_question,
    sentence_features,
    sentences_of,
)
from assistant.answer.reader import token_encoder
from assistant.api import Assistant
from assistant.embeddings import TokenVectors
from assistant.evaluation.datasets import QACase, load_dataset
from assistant.evaluation.metrics import match_fact
from assistant.evaluation.runner import prepare_library
from assistant.models import Article, Source
from assistant.query import Query
from assistant.retrieve.pipeline import Retrieval

CACHE_VERSION = "reader-retrieval-2"  # 2: keyword scores from SQLite FTS5 (was bm25s)
TOKEN_BATCH = 16


@dataclass
class Example:
    """One question with what retrieval found and what the gold says."""

    dataset: str
    id: str
    group: str
    """Questions of one group share articles: they stay in one cross-validation fold."""
    question: str
    answerable: bool
    facts: list[list[str]]
    sources: list[Source]
    articles: dict[str, Article]
    analysis: Question
    sentences: list[Sentence]
    q_tokens: TokenVectors
    labels: list[list[bool]] = field(default_factory=list)
    """Per sentence, per fact: whether the sentence holds it."""


@dataclass(frozen=True)
class DataSpec:
    """A tune dataset: the cases file and what to ingest for it, into which library."""

    name: str
    cases: Path
    library: str
    ingest: tuple[Path, ...] = ()


def file_digest(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256(CACHE_VERSION.encode())
    for path in paths:
        if path.is_file():
            digest.update(path.read_bytes())
        else:
            digest.update(str(path).encode())
    return digest.hexdigest()[:16]


def group_of(case: QACase, dataset: str) -> str:
    """SQuAD: the paragraph; BBC: the article; RealTimeQA: the week."""
    if dataset == "rtqa":
        week = next((t for t in case.tags if t.startswith("week-")), case.id.split("-")[0])
        return f"{dataset}:{week}"
    return f"{dataset}:{case.articles[0] if case.articles else case.id}"


@dataclass
class Retrieved:
    """What retrieval found for one case, with the token vectors the reader may need."""

    case: QACase
    sources: list[Source]
    articles: dict[str, Article]
    q_tokens: TokenVectors


def retrieve(
    assistant: Assistant, spec: DataSpec, cache: Path, max_chars: int, log: bool = True
) -> tuple[list[Retrieved], dict[str, TokenVectors], IdfLookup]:
    """Every case retrieved (hybrid, k=6) and every sentence's token vectors; cached under
    `cache` until the dataset files change."""
    dataset = load_dataset(spec.cases)
    library_name, report = prepare_library(
        assistant, dataset, library=spec.library, ingest=[str(p) for p in spec.ingest]
    )
    if report is not None and log:
        print(f"{spec.name}: library {library_name!r}: {report.summary()}", file=sys.stderr)
    parts = assistant.parts(library_name)
    library = parts.library
    index = library.lexical()
    idf: IdfLookup = index.idf if index is not None else (lambda term: 1.0)
    key = file_digest([spec.cases, *spec.ingest]) + f"-{max_chars}"
    path = cache / f"{spec.name}-{key}.pickle"
    if path.is_file():
        with path.open("rb") as handle:
            stored: tuple[list[Retrieved], dict[str, TokenVectors]] = pickle.load(handle)
        return stored[0], stored[1], idf
    started = time.perf_counter()
    query = Query(library=library_name, engine="extractive", k=6)
    retrieval = Retrieval(parts, query.retriever, query.postprocessors())
    encoder = token_encoder(assistant.embedder)
    found: list[Retrieved] = []
    for case in dataset.qa_cases:
        vector = library.embedder.embed([case.question])[0]
        # As the eval asks it: "this week" read against the day the question was asked.
        asked = query.model_copy(update={"now": case.asked}) if case.asked else query
        hits = retrieval.run(case.question, vector, asked, 6)
        stored_articles = library.catalog.get_many(library.name, [h.chunk.article_id for h in hits])
        articles = {aid: s.article for aid, s in stored_articles.items()}
        sources = number_sources(hits, articles)
        q_tokens = encoder.token_vectors([case.question])[0]
        found.append(Retrieved(case, sources, articles, q_tokens))
    texts = sorted(
        {s.text[:max_chars] for r in found for s in sentences_of(r.sources, r.articles)},
        key=len,
    )
    vectors: dict[str, TokenVectors] = {}
    for first in range(0, len(texts), TOKEN_BATCH):
        batch = texts[first : first + TOKEN_BATCH]
        vectors.update(zip(batch, encoder.token_vectors(batch), strict=True))
    if log:
        print(
            f"{spec.name}: {len(found)} questions, {len(texts)} distinct sentences "
            f"in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
    cache.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        pickle.dump((found, vectors), handle, protocol=pickle.HIGHEST_PROTOCOL)
    return found, vectors, idf


def examples(
    spec: DataSpec,
    found: Sequence[Retrieved],
    vectors: dict[str, TokenVectors],
    idf: IdfLookup,
    max_chars: int,
) -> list[Example]:
    """The reader's view of every retrieved case: cheap features, token vectors, labels."""
    out = []
    for r in found:
        case = r.case
        analysis = analyse_question(case.question, idf)
        sentences = sentences_of(r.sources, r.articles)
        sentence_features(analysis, sentences, r.sources)
        for sentence in sentences:
            sentence.tokens = vectors[sentence.text[:max_chars]]
        labels = [[match_fact(s.text, fact).found for fact in case.facts] for s in sentences]
        out.append(
            Example(
                dataset=spec.name,
                id=case.id,
                group=group_of(case, spec.name),
                question=case.question,
                answerable=case.answerable,
                facts=[list(f) for f in case.facts],
                sources=r.sources,
                articles=r.articles,
                analysis=analysis,
                sentences=sentences,
                q_tokens=r.q_tokens,
                labels=labels,
            )
        )
    return out
