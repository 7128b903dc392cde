"""Impact-ordered postings: keyword search whose cost does not grow with the library.

FTS5 ranks every chunk that holds any of the question's words, so a question with a common word
reads hundreds of thousands of postings in a library of a million chunks. Here each term keeps
only its `TOP` best postings (chunk, tf, chunk length), ordered by their BM25 term weight (the
"impact": the part of BM25 that depends on the chunk, tf * (k1 + 1) / (tf + k1 * (1 - b + b *
length / average))), and the term's document frequency. A search reads one short list per
question word and adds idf * impact, so it costs O(words * TOP) whatever the size of the library.

Rare terms (df <= TOP) keep every posting, so their part of the score is exact. A common term
only lists its TOP best chunks; a chunk outside them gets nothing from that word, whose idf is
low anyway. eval/bench_scale.py reports how often the top results agree with FTS5's exact
ranking. Scores use the library's current average chunk length, so a search whose words are
all rare gives FTS5's bm25 exactly; lists are ordered with the average of when they were
written (chunks are cut to a fixed number of tokens, so it hardly moves).

The functions here are pure (arrays in, arrays out); the catalog keeps the lists in SQLite.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from assistant.store.lexical import bm25_idf, term_weight

TOP = 1024  # postings kept per term
ROW = 24  # bytes of one packed posting (three int64)
RANK_STEP = 2**-32  # impacts closer than this rank as equal (then the lower id first)
REFILL = TOP // 2  # a truncated list shorter than this is read again from the full index

Array = NDArray[np.int64]


class Postings(NamedTuple):
    """One term's postings: chunk row numbers, term frequencies, chunk lengths (in terms)."""

    ids: Array
    tfs: Array
    lengths: Array

    @classmethod
    def empty(cls) -> Postings:
        return cls(*(np.zeros(0, np.int64) for _ in range(3)))

    @classmethod
    def of(cls, rows: Iterable[tuple[int, int, int]]) -> Postings:
        """From (id, tf, length) triples."""
        table = np.array(list(rows), dtype=np.int64).reshape(-1, 3)
        return cls(table[:, 0].copy(), table[:, 1].copy(), table[:, 2].copy())

    def pack(self) -> bytes:
        """One blob: the three columns as little-endian int64 rows."""
        return np.stack([self.ids, self.tfs, self.lengths], axis=1).astype("<i8").tobytes()

    @classmethod
    def unpack(cls, blob: bytes) -> Postings:
        table = np.frombuffer(blob, dtype="<i8").astype(np.int64).reshape(-1, 3)
        return cls(table[:, 0], table[:, 1], table[:, 2])

    def impacts(self, average: float) -> NDArray[np.float64]:
        """BM25's chunk-dependent factor of each posting: tf * (k1 + 1) / (tf + k1 * (1 - b
        + b * length / average)).

        >>> Postings.of([(1, 1, 100), (2, 2, 50), (3, 2, 200)]).impacts(100.0).round(3).tolist()
        [1.0, 1.6, 1.073]
        """
        return term_weight(self.tfs, self.lengths, average)

    def best(self, average: float, cap: int = TOP) -> Postings:
        """The `cap` postings of highest impact, best first (ties: lower id first)."""
        order = np.lexsort((self.ids, -rank_values(self.impacts(average))))[:cap]
        return Postings(self.ids[order], self.tfs[order], self.lengths[order])

    def merge(
        self,
        added: Sequence[tuple[int, int, int]],
        removed: Iterable[int],
        average: float,
        cap: int = TOP,
    ) -> Postings:
        """The list after chunks were removed and (id, tf, length) added (an added id replaces
        its old posting), cut to the `cap` best.

        >>> old = Postings.of([(1, 1, 10), (2, 3, 10)])
        >>> old.merge([(3, 2, 10)], [2], 10.0).ids.tolist()
        [3, 1]
        """
        drop = set(removed) | {i for i, _, _ in added}
        kept = self
        if drop:
            keep = ~np.isin(self.ids, np.fromiter(drop, dtype=np.int64, count=len(drop)))
            kept = Postings(self.ids[keep], self.tfs[keep], self.lengths[keep])
        if added:
            new = Postings.of(added)
            kept = Postings(*(np.concatenate([a, b]) for a, b in zip(kept, new, strict=True)))
        return kept.best(average, cap)


def rank_values(impacts: NDArray[np.float64]) -> Array:
    """Impacts as whole multiples of RANK_STEP, the values lists are ordered by: every way of
    ordering them (one list, many at once) then agrees exactly, which float rounding of
    equal impacts (tf 1 in 21 terms and tf 3 in 88 at average 37.5) would not allow.

    >>> rank_values(np.array([1.0, 2.2])).tolist()
    [4294967296, 9448928051]
    """
    return np.rint(np.asarray(impacts) / RANK_STEP).astype(np.int64)


def insert_new(
    table: Array, counts: Array, added: Array, groups: Array, average: float, cap: int = TOP
) -> tuple[Array, Array]:
    """Many terms' lists with new postings inserted, each cut to its `cap` best, in a few
    array operations instead of one merge per term (a commit touches thousands of terms).

    `table` holds the lists one after another as (id, tf, length) rows, `counts[g]` rows for
    term g, each list ordered best first; `added` rows go to the terms `groups` names. Every
    added id must be higher than any id in `table` (new chunks get new row numbers), so that
    an added posting never replaces one. Each list comes out as `Postings.best` orders it
    with this average. Returns the new table and counts.

    >>> table = np.array([[1, 2, 10], [2, 1, 10], [3, 1, 10]])
    >>> added, groups = np.array([[9, 3, 10]]), np.array([0])
    >>> new, counts = insert_new(table, np.array([2, 1]), added, groups, 10.0)
    >>> new[:, 0].tolist(), counts.tolist()
    ([9, 1, 2, 3], [3, 1])
    """
    size = len(counts)
    rows = np.concatenate([table.reshape(-1, 3), added.reshape(-1, 3)])
    row_groups = np.concatenate([np.repeat(np.arange(size, dtype=np.int64), counts), groups])
    # One sort key for all lists: the term's number in the high bits, then the rank value
    # falling as the impact rises (impacts stay below k1 + 1 = 2.2, so 34 bits hold them).
    # The old lists are in this order already and the added rows follow them, sorted, so a
    # stable sort costs about one pass, and equal values keep ids in ascending order.
    keys = (row_groups << 34) + (
        (1 << 34) - 1 - rank_values(term_weight(rows[:, 1], rows[:, 2], average))
    )
    tail = len(table) + np.lexsort((added[:, 0], keys[len(table) :]))
    order = np.concatenate([np.arange(len(table)), tail])
    order = order[np.argsort(keys[order], kind="stable")]
    merged, merged_groups = rows[order], row_groups[order]
    grown = counts + np.bincount(groups, minlength=size)
    starts = np.cumsum(grown) - grown
    rank = np.arange(len(merged)) - starts[merged_groups]
    return merged[rank < cap], np.minimum(grown, cap)


def chunk_postings(words: Sequence[str]) -> dict[str, tuple[int, int]]:
    """term -> (tf, chunk length) for one chunk's index terms."""
    return {t: (tf, len(words)) for t, tf in Counter(words).items()}


def score(
    lists: Sequence[tuple[int, Postings]], n_documents: int, average: float, k: int
) -> list[tuple[int, float]]:
    """The k best (id, BM25 score) pairs for the terms' (df, postings), best first (ties: lower
    id first); BM25 as FTS5 computes it (its idf, k1 = 1.2, b = 0.75).

    >>> a = (1, Postings.of([(7, 1, 10)]))
    >>> b = (2, Postings.of([(7, 1, 10), (8, 2, 10)]))
    >>> [(i, round(s, 2)) for i, s in score([a, b], 10, 10.0, 5)]
    [(7, 3.07), (8, 1.68)]
    """
    parts = [
        (p.ids, p.impacts(average) * bm25_idf(n_documents, df)) for df, p in lists if len(p.ids)
    ]
    if not parts or k <= 0:
        return []
    ids = np.concatenate([p[0] for p in parts])
    values = np.concatenate([p[1] for p in parts])
    unique, inverse = np.unique(ids, return_inverse=True)
    totals = np.bincount(inverse, weights=values)
    if len(unique) > k:  # the k best, and whatever ties the k-th
        kth = np.partition(totals, len(totals) - k)[len(totals) - k]
        keep = totals >= kth
        unique, totals = unique[keep], totals[keep]
    order = np.lexsort((unique, -totals))[:k]
    pairs = zip(unique[order].tolist(), totals[order].tolist(), strict=True)
    return [(int(i), float(value)) for i, value in pairs if value > 0]
