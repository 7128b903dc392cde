"""question -> ranked chunks: dense (chroma) + lexical (BM25), fused by reciprocal rank."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from assistant.embeddings import Vectors
from assistant.models import Article, Hit
from assistant.store.library import Library

Mode = Literal["hybrid", "dense", "lexical"]
Fusion = Literal["score", "rrf"]
RRF_K = 60  # the usual reciprocal-rank-fusion constant
DENSE_WEIGHT = 0.5  # share of the dense score in score fusion (the rest is BM25)


class Filters(BaseModel):
    """Restrict retrieval to some articles. Every given field must match."""

    article_ids: list[str] | None = None
    source: str | None = Field(None, description="substring of the source path or URL")
    title: str | None = Field(None, description="substring of the title, any case")
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def active(self) -> bool:
        """True when any filter is set."""
        return any(v is not None for v in self.model_dump().values())

    def matches(self, article: Article) -> bool:
        """Whether an article passes every filter."""
        if self.article_ids is not None and article.id not in self.article_ids:
            return False
        if self.source and self.source.lower() not in (
            f"{article.source} {article.url or ''}".lower()
        ):
            return False
        if self.title and self.title.lower() not in article.title.lower():
            return False
        if self.date_from and (article.date is None or article.date < self.date_from):
            return False
        return not (self.date_to and (article.date is None or article.date > self.date_to))


def rrf(
    rankings: Sequence[Sequence[str]], weights: Sequence[float] | None = None
) -> dict[str, float]:
    """Reciprocal rank fusion: sum of weight / (RRF_K + rank) over the rankings (rank from 1)."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (RRF_K + rank)
    return fused


def score_fusion(
    dense: dict[str, float], lexical: dict[str, float], dense_weight: float = DENSE_WEIGHT
) -> dict[str, float]:
    """Each retriever's scores divided by its best score, then a weighted sum.

    A chunk missing from one list gets 0 from that retriever. On SQuAD 2.0 this beats both
    retrievers alone and reciprocal rank fusion (eval/bench_retrieval.py).
    """
    top_dense = max(dense.values(), default=0.0)
    top_lexical = max(lexical.values(), default=0.0)
    fused: dict[str, float] = {}
    for chunk_id in dense.keys() | lexical.keys():
        d = dense.get(chunk_id, 0.0) / top_dense if top_dense > 0 else 0.0
        x = lexical.get(chunk_id, 0.0) / top_lexical if top_lexical > 0 else 0.0
        fused[chunk_id] = dense_weight * max(d, 0.0) + (1 - dense_weight) * x
    return fused


def mmr(
    query: Vectors, candidates: Sequence[str], vectors: dict[str, Vectors], k: int, lam: float
) -> list[str]:
    """Maximal marginal relevance: pick relevant candidates that are not near-copies."""
    pool = [c for c in candidates if c in vectors]
    chosen: list[str] = []
    while pool and len(chosen) < k:
        best, best_score = pool[0], -np.inf
        for candidate in pool:
            v = vectors[candidate]
            relevance = float(v @ query)
            redundancy = max((float(v @ vectors[c]) for c in chosen), default=0.0)
            score = lam * relevance - (1 - lam) * redundancy
            if score > best_score:
                best, best_score = candidate, score
        chosen.append(best)
        pool.remove(best)
    return chosen


def retrieve(
    library: Library,
    question: str,
    *,
    k: int = 6,
    mode: Mode = "hybrid",
    filters: Filters | None = None,
    mmr_lambda: float | None = None,
    query_vector: Vectors | None = None,
    fusion: Fusion = "score",
) -> list[Hit]:
    """The k chunks that best match the question, best first.

    `hybrid` fuses dense (chroma, cosine) and lexical (BM25) results: by normalised scores
    (`fusion="score"`, the default) or by reciprocal rank (`fusion="rrf"`).
    """
    allowed_articles: list[str] | None = None
    allowed_chunks: list[str] | None = None
    if filters is not None and filters.active():
        stored = library.catalog.all(library.name)
        allowed_articles = [s.article.id for s in stored if filters.matches(s.article)]
        allowed_chunks = [
            i for s in stored if s.article.id in allowed_articles for i in s.chunk_ids
        ]
        if not allowed_articles:
            return []
    pool = max(k * 4, 20)
    dense: list[Hit] = []
    if mode in ("hybrid", "dense") or mmr_lambda is not None:
        if query_vector is None:
            query_vector = library.embedder.embed([question])[0]
        dense = library.store.query(query_vector, pool, allowed_articles)
    lexical: list[tuple[str, float]] = []
    index = library.lexical() if mode in ("hybrid", "lexical") else None
    if index is not None:
        lexical = index.search(question, pool, allowed_chunks)

    dense_score = {h.chunk.id: h.score for h in dense}
    lexical_score = dict(lexical)
    if mode == "dense":
        order = [h.chunk.id for h in dense]
        score = dense_score
    elif mode == "lexical":
        order = [chunk_id for chunk_id, _ in lexical]
        score = lexical_score
    elif fusion == "rrf":
        score = rrf([[h.chunk.id for h in dense], [c for c, _ in lexical]])
        order = sorted(score, key=lambda c: -score[c])
    else:
        # Chunks only BM25 found still get their exact cosine, from their stored vectors.
        only_lexical = [c for c in lexical_score if c not in dense_score]
        if query_vector is not None and only_lexical:
            for chunk_id, vector in library.store.vectors(only_lexical).items():
                dense_score[chunk_id] = float(vector @ query_vector)
        score = score_fusion(dense_score, lexical_score)
        order = sorted(score, key=lambda c: -score[c])
    if mmr_lambda is not None and query_vector is not None:
        order = mmr(query_vector, order, library.store.vectors(order[:pool]), k, mmr_lambda)
    order = order[:k]

    chunks = {h.chunk.id: h.chunk for h in dense}
    missing = [c for c in order if c not in chunks]
    chunks.update({c.id: c for c in library.store.get(missing)})
    if query_vector is not None and missing:
        for chunk_id, vector in library.store.vectors(missing).items():
            dense_score[chunk_id] = float(vector @ query_vector)
    return [
        Hit(
            chunk=chunks[c],
            score=score.get(c, 0.0),
            dense=dense_score.get(c),
            lexical=lexical_score.get(c),
        )
        for c in order
        if c in chunks
    ]
