"""The built-in post-processors: MMR against near-repeats, and a recency boost."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

import numpy as np

from assistant.embeddings import Vectors
from assistant.models import Hit
from assistant.parts import Parts
from assistant.retrieve.base import Search
from assistant.store.library import Library

DEFAULT_MMR_LAMBDA = 0.7
DEFAULT_HALF_LIFE_DAYS = 30.0


def mmr(
    query: Vectors, candidates: Sequence[str], vectors: Mapping[str, Vectors], k: int, lam: float
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


class MaximalMarginalRelevance:
    """Diversify: each next source is relevant and unlike those already chosen (`--mmr`)."""

    def __init__(self, parts: Parts) -> None:
        self.library: Library = parts.library

    def process(self, search: Search, hits: list[Hit], k: int) -> list[Hit]:
        lam = search.query.mmr if search.query.mmr is not None else DEFAULT_MMR_LAMBDA
        by_id = {h.chunk.id: h for h in hits}
        vectors = self.library.store.vectors(list(by_id))
        return [by_id[c] for c in mmr(search.vector, list(by_id), vectors, k, lam)]


def recency_weight(date: dt.date | None, newest: dt.date, half_life_days: float) -> float:
    """1.0 for the newest article, halving every `half_life_days` before it; 0.5 undated.

    >>> recency_weight(dt.date(2026, 1, 1), dt.date(2026, 1, 31), 30.0)
    0.5
    """
    if date is None:
        return 0.5
    age = max(0, (newest - date).days)
    return math.pow(0.5, age / half_life_days)


class Recency:
    """Favour newer articles: score x 0.5 ** (days older than the newest hit / half-life)."""

    def __init__(self, parts: Parts) -> None:
        self.library: Library = parts.library

    def process(self, search: Search, hits: list[Hit], k: int) -> list[Hit]:
        half_life = search.query.recency or DEFAULT_HALF_LIFE_DAYS
        ids = list(dict.fromkeys(h.chunk.article_id for h in hits))
        stored = self.library.catalog.get_many(self.library.name, ids)
        dates = {aid: s.article.date for aid, s in stored.items()}
        known = [d for d in dates.values() if d is not None]
        if not known:
            return hits
        newest = max(known)
        weighted = [
            h.model_copy(
                update={
                    "score": h.score
                    * recency_weight(dates.get(h.chunk.article_id), newest, half_life)
                }
            )
            for h in hits
        ]
        return sorted(weighted, key=lambda h: -h.score)
