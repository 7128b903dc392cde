"""The built-in retrievers: dense (chroma), lexical (BM25), and two fusions of both.

`hybrid` (the default) divides each retriever's scores by its best score and adds them half
and half; on SQuAD 2.0 that beats either alone and reciprocal rank fusion (`rrf`), see
eval/bench_retrieval.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from assistant.models import Chunk, Hit
from assistant.parts import Parts
from assistant.retrieve.base import Search
from assistant.store.catalog import at_most, members, unpacked
from assistant.store.library import Library
from assistant.store.vectors import MAX_NEAREST, OVERFETCH, WHERE_IDS

RRF_K = 60  # the usual reciprocal-rank-fusion constant
DENSE_WEIGHT = 0.5  # share of the dense score in score fusion (the rest is BM25)
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="keyword-search")


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
    dense: Mapping[str, float], lexical: Mapping[str, float], dense_weight: float = DENSE_WEIGHT
) -> dict[str, float]:
    """Each retriever's scores divided by its best score, then a weighted sum.

    A chunk missing from one list gets 0 from that retriever.

    >>> score_fusion({"a": 0.8, "b": 0.4}, {"b": 6.0})
    {'a': 0.5, 'b': 0.75}
    """
    top_dense = max(dense.values(), default=0.0)
    top_lexical = max(lexical.values(), default=0.0)
    fused: dict[str, float] = {}
    for chunk_id in sorted(dense.keys() | lexical.keys()):
        d = dense.get(chunk_id, 0.0) / top_dense if top_dense > 0 else 0.0
        x = lexical.get(chunk_id, 0.0) / top_lexical if top_lexical > 0 else 0.0
        fused[chunk_id] = dense_weight * max(d, 0.0) + (1 - dense_weight) * x
    return fused


class _Both:
    """Shared by the retrievers: run dense and/or BM25 search, then build the hits."""

    dense = True
    lexical = True

    def __init__(self, parts: Parts) -> None:
        self.library: Library = parts.library

    def search(self, search: Search) -> list[Hit]:
        def keyword() -> dict[str, float]:
            return dict(self.library.lexical().search(search.text, search.pool, search.articles))

        # Both searches at once: the keyword one (SQLite) runs in a worker thread while chroma
        # answers the dense one here. Nothing else runs meanwhile: Python work in this thread
        # (building chunks) would hold the GIL that the keyword search needs.
        pending = _POOL.submit(keyword) if self.lexical and self.dense else None
        nearest = self.nearest(search) if self.dense else []
        lexical: dict[str, float] = {}
        if pending is not None:
            lexical = pending.result()
        elif self.lexical:
            lexical = keyword()
        # Then the texts of both in one query. Only chunks an article owns: a writer's chunks
        # are invisible until its commit, and replaced ones as soon as the new version
        # commits. With them, for chunks only BM25 found, the catalog's float16 copy of their
        # vectors, for their cosine (from the vector store for chunks written before the
        # catalog kept one).
        cosine = dict(nearest)
        only_lexical = [c for c in lexical if c not in cosine]
        catalog, name = self.library.catalog, self.library.name
        chunks, kept = catalog.chunks_with_vectors(name, [*cosine, *only_lexical])
        nearest = [(c, s) for c, s in nearest if c in chunks]
        cosine = dict(nearest)
        lexical = {c: v for c, v in lexical.items() if c in chunks}
        wanted = [c for c in only_lexical if c in chunks]
        have = [c for c in wanted if c in kept]
        vectors = dict(zip(have, unpacked([kept[c] for c in have]), strict=True))
        missing = [c for c in wanted if c not in vectors]
        if missing:
            vectors.update(self.library.store.vectors(missing))
        for chunk_id in wanted:
            if chunk_id in vectors:
                cosine[chunk_id] = float(vectors[chunk_id] @ search.vector)
        score = self.fuse(cosine if self.dense else {}, lexical, [c for c, _ in nearest])
        order = sorted(score, key=lambda c: -score[c])[: search.pool]
        return hits(self.library, order, score, chunks, cosine, lexical)

    def nearest(self, search: Search) -> list[tuple[str, float]]:
        """The pool's nearest chunk ids by cosine, within the allowed articles if any."""
        store, articles = self.library.store, search.articles
        exact = self.library.exact.nearest(search.vector, search.pool, articles)
        if exact is not None:
            return exact
        if articles is None:
            return store.nearest(search.vector, search.pool)
        if not at_most(articles, WHERE_IDS):
            # Many allowed articles (a wide time window): take more and more of the nearest
            # ids (no texts: cheap) and keep those the catalog says belong to allowed articles.
            owners: dict[str, str | None] = {}
            passed: set[str] = set()
            for factor in OVERFETCH:
                wanted = min(search.pool * factor, MAX_NEAREST)
                found = store.nearest(search.vector, wanted)
                new = [c for c, _ in found if c not in owners]
                owners.update(dict.fromkeys(new))  # None: no article owns it
                owned = self.library.catalog.owners(self.library.name, new)
                owners.update(owned)
                passed |= members(articles, set(owned.values()))
                kept = [(c, s) for c, s in found if owners[c] in passed]
                if len(kept) >= search.pool or len(found) < wanted:
                    return kept[: search.pool]
                if wanted == MAX_NEAREST:
                    break
        # Few allowed articles, or the nearest hold too few of them: the store filters.
        hits = store.query(search.vector, search.pool, sorted(articles))
        return [(h.chunk.id, h.score) for h in hits]

    def fuse(
        self, dense: Mapping[str, float], lexical: Mapping[str, float], dense_order: list[str]
    ) -> dict[str, float]:
        return score_fusion(dense, lexical)


class Hybrid(_Both):
    """Dense + BM25, fused by normalised scores (the default)."""


class ReciprocalRank(_Both):
    """Dense + BM25, fused by reciprocal rank (k=60)."""

    def fuse(
        self, dense: Mapping[str, float], lexical: Mapping[str, float], dense_order: list[str]
    ) -> dict[str, float]:
        return rrf([dense_order, list(lexical)])


class Dense(_Both):
    """Nearest chunks by cosine similarity of the embeddings (chroma)."""

    lexical = False

    def fuse(
        self, dense: Mapping[str, float], lexical: Mapping[str, float], dense_order: list[str]
    ) -> dict[str, float]:
        return dict(dense)


class Lexical(_Both):
    """Best chunks by BM25 over the library's words (title + text)."""

    dense = False

    def fuse(
        self, dense: Mapping[str, float], lexical: Mapping[str, float], dense_order: list[str]
    ) -> dict[str, float]:
        return dict(lexical)


def hits(
    library: Library,
    order: Sequence[str],
    score: Mapping[str, float],
    chunks: Mapping[str, Chunk],
    dense: Mapping[str, float],
    lexical: Mapping[str, float],
) -> list[Hit]:
    """Hits for chunk ids in order (those in `chunks`, the committed ones)."""
    known = chunks
    return [
        Hit(chunk=known[c], score=score.get(c, 0.0), dense=dense.get(c), lexical=lexical.get(c))
        for c in order
        if c in known
    ]
