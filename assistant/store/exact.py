"""Exact dense search over the catalog's vector copies, for libraries small enough to hold.

The catalog keeps a float16 copy of every committed chunk's vector (see catalog.packed). For a
library of up to `Settings.exact_search_chunks` chunks, a question's nearest chunks are found by
one matrix product over those copies instead of the vector store's index: a cold `assistant
ask` then never imports chromadb nor loads its index (about a second of a two-second cold ask on
the BBC library), and the ranking is exact rather than approximate. The copies are read once per
process; when the library's generation moves (a writer committed), the rows of removed chunks
are dropped and only the new chunks' copies are read.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from assistant.embeddings import normalize
from assistant.store.catalog import Catalog, members, unpacked


@dataclass(frozen=True)
class _Loaded:
    generation: int
    ids: list[str]
    owners: NDArray[np.int64]
    """Per row, the index of its article in `articles`."""
    articles: list[str]
    matrix: NDArray[np.float32]
    """Unit rows (a zero vector stays zero)."""


class ExactIndex:
    """A library's committed vectors in memory, searched exactly; None when it does not apply."""

    def __init__(self, catalog: Catalog, library: str, max_chunks: int) -> None:
        self.catalog = catalog
        self.library = library
        self.max_chunks = max_chunks
        self._loaded: _Loaded | None = None
        self._unusable: int | None = None
        """The generation at which a chunk had no copy (the vector store answers)."""
        self._lock = threading.Lock()

    def nearest(
        self, vector: NDArray[np.float32], k: int, articles: Collection[str] | None = None
    ) -> list[tuple[str, float]] | None:
        """The k nearest committed chunks by cosine, best first, within `articles` if given;
        None when the library is larger than `max_chunks` or a chunk has no vector copy (the
        caller asks the vector store then)."""
        loaded = self._current()
        if loaded is None:
            return None
        if k <= 0 or not loaded.ids:
            return []
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(query))
        if query.shape[0] != loaded.matrix.shape[1] or norm == 0.0:
            return None
        # einsum, not `@`: the BLAS product would start OpenBLAS's threads, which keep spinning
        # after it and slowed the reader's ONNX calls on two cores by about 10 ms per question.
        scores = np.einsum("ij,j->i", loaded.matrix, query / norm)
        if articles is None:
            return [(loaded.ids[i], float(scores[i])) for i in _best(scores, k)]
        # Within allowed articles: ask about the articles of the best rows, more and more of
        # them, as the vector store's path does (a `Matching` answers per asked article).
        verdict: dict[int, bool] = {}
        wanted = k
        while True:
            top = _best(scores, wanted)
            unknown = {int(o) for o in loaded.owners[top]} - verdict.keys()
            if unknown:
                passed = members(articles, [loaded.articles[o] for o in unknown])
                verdict.update((o, loaded.articles[o] in passed) for o in unknown)
            kept = [int(i) for i in top if verdict[int(loaded.owners[i])]]
            if len(kept) >= k or len(top) == len(scores):
                return [(loaded.ids[i], float(scores[i])) for i in kept[:k]]
            wanted *= 8

    def _current(self) -> _Loaded | None:
        row = self.catalog.library(self.library)
        if row is None or row.n_chunks > self.max_chunks:
            self._loaded = None
            return None
        generation = self.catalog.generation(self.library)
        with self._lock:
            if generation == self._unusable:
                return None  # a chunk without a copy: not read again until the next change
            loaded = self._loaded
            if loaded is None or loaded.generation != generation:
                updated = self._update(loaded, generation) if loaded is not None else None
                loaded = updated or self._load(generation)
                self._loaded = loaded
                if loaded is None:
                    self._unusable = generation
            return loaded

    def _load(self, generation: int) -> _Loaded | None:
        """Every committed chunk's copy, in one read."""
        rows = self.catalog.vector_rows(self.library)
        if rows is None or len(rows[0]) > self.max_chunks:
            return None
        ids, owners, blobs = rows
        return _built(generation, ids, owners, normalize(unpacked(blobs)) if blobs else None)

    def _update(self, previous: _Loaded, generation: int) -> _Loaded | None:
        """`previous` after other commits: the rows of removed chunks dropped, the copies of
        new ones read (chunk ids name their content, so a kept id keeps its vector). None: read
        everything again instead (more new than kept, or a new chunk without a copy)."""
        owners = {
            c: a for a, chunks in self.catalog.chunk_ids(self.library).items() for c in chunks
        }
        position = {c: i for i, c in enumerate(previous.ids)}
        new = [c for c in owners if c not in position]
        if len(owners) > self.max_chunks or len(new) > len(owners) // 2:
            return None
        found, kept = self.catalog.chunks_with_vectors(self.library, new) if new else ({}, {})
        if any(c not in kept for c in found):
            return None
        added = [c for c in new if c in kept]  # not found: deleted since the listing
        rows = [position[c] for c in owners if c in position]
        parts = [previous.matrix[rows]] if rows else []
        if added:
            parts.append(normalize(unpacked([kept[c] for c in added])))
        ids = [previous.ids[r] for r in rows] + added
        matrix = np.vstack(parts) if parts else None
        return _built(generation, ids, [owners[c] for c in ids], matrix)


def _built(
    generation: int, ids: list[str], owners: list[str], matrix: NDArray[np.float32] | None
) -> _Loaded:
    articles = sorted(set(owners))
    index = {a: i for i, a in enumerate(articles)}
    return _Loaded(
        generation=generation,
        ids=ids,
        owners=np.asarray([index[a] for a in owners], dtype=np.int64),
        articles=articles,
        matrix=matrix if matrix is not None else np.zeros((0, 0), dtype=np.float32),
    )


def _best(scores: NDArray[np.float32], n: int) -> NDArray[np.intp]:
    """The rows of the n best scores, best first (ties in row order)."""
    n = min(n, len(scores))
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    top = np.argpartition(-scores, n - 1)[:n]
    return top[np.lexsort((top, -scores[top]))]
