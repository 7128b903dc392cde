"""The embedded catalog's impact-ordered keyword index (see impact.py), kept in SQLite.

One table per library, `<fts table>_top (term, df, postings)`: each term's document frequency
and its best postings as one blob. Writes collect their changes per transaction
(`Changes`); `TopLists.apply` rewrites each touched term's row once, just before the commit, so
adding or removing k chunks costs O(k * their terms), whatever the size of the library. A
library from before this index is searched with FTS5 until `TopLists.build` has run: the first
write to it builds the lists (about a minute per 300,000 chunks, once).
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.store.impact import (
    REFILL,
    ROW,
    TOP,
    Postings,
    chunk_postings,
    insert_new,
    score,
)
from assistant.store.lexical import bm25_idf, term_weight

RESCORE = 4  # candidates rescored exactly, per result wanted
CANDIDATES = 8192  # candidates a filtered search looks through for allowed chunks
KEEP_BATCH = 256  # candidates checked against a filter at first (then twice more each time)
BUILD_PAGE = 5000  # chunks read per query while building
BUILD_FLUSH = 4_000_000  # postings held before they are cut to each term's best TOP
SAMPLE = 5000  # chunks that estimate the average length while building


def top_table(fts: str) -> str:
    return f"{fts}_top"


def create_sql(fts: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {top_table(fts)} (term TEXT PRIMARY KEY, "
        "df INTEGER NOT NULL, postings BLOB NOT NULL) WITHOUT ROWID"
    )


@dataclass
class Changes:
    """A transaction's changes to one library's postings."""

    added: dict[str, list[tuple[int, int, int]]] = field(default_factory=lambda: defaultdict(list))
    removed: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    df: Counter[str] = field(default_factory=Counter)

    def add(self, n: int, words: Sequence[str]) -> None:
        for term, (tf, length) in chunk_postings(words).items():
            self.added[term].append((n, tf, length))
            self.df[term] += 1

    def remove(self, n: int, words: Sequence[str]) -> None:
        for term in set(words):
            self.removed[term].add(n)
            self.df[term] -= 1

    def terms(self) -> list[str]:
        return sorted(set(self.added) | set(self.removed) | set(self.df))


def term_counts(text: str, order: Sequence[str]) -> tuple[list[int], int]:
    """How often each term occurs in a chunk's index terms (one space between terms), and
    how many terms it has. Counting in the text with the spaces doubled (so that repeated
    neighbours each keep their own) is twice as fast as splitting it.

    >>> term_counts("grain grain port grains", ["grain", "port", "storm"])
    ([2, 1, 0], 4)
    """
    spaced = " " + text.replace(" ", "  ") + " "
    return [spaced.count(f" {t} ") for t in order], (text.count(" ") + 1 if text else 0)


def kept(
    best: list[tuple[int, float]], keep: Callable[[list[int]], set[int]], wanted: int
) -> list[tuple[int, float]]:
    """The first `wanted` candidates (best first) that `keep` allows, asking it about the
    candidates in growing batches (each batch costs a catalog lookup per candidate)."""
    found: list[tuple[int, float]] = []
    start, size = 0, KEEP_BATCH
    while start < len(best) and len(found) < wanted:
        batch = best[start : start + size]
        allowed = keep([n for n, _ in batch])
        found += [pair for pair in batch if pair[0] in allowed]
        start, size = start + size, size * 2
    return found[:wanted]


class TopLists:
    """One library's impact lists in an open SQLite connection (the caller holds its lock and
    runs writes inside a transaction)."""

    def __init__(self, db: sqlite3.Connection, fts: str) -> None:
        self.db = db
        self.fts = fts
        self.table = top_table(fts)

    def rows(self, words: Sequence[str]) -> dict[str, tuple[int, Postings]]:
        """term -> (df, postings) for the terms that have postings."""
        return {t: (df, Postings.unpack(blob)) for t, (df, blob) in self.blobs(words).items()}

    def blobs(self, words: Sequence[str]) -> dict[str, tuple[int, bytes]]:
        """term -> (df, packed postings) for the terms that have postings."""
        found: dict[str, tuple[int, bytes]] = {}
        for first in range(0, len(words), 500):
            for term, df, blob in self.db.execute(
                f"SELECT term, df, postings FROM {self.table} "
                "WHERE term IN (SELECT value FROM json_each(?))",
                (json.dumps(list(words[first : first + 500])),),
            ):
                found[str(term)] = (int(df), bytes(blob))
        return found

    def search(
        self,
        words: Sequence[str],
        n_documents: int,
        average: float,
        k: int,
        keep: Callable[[list[int]], set[int]] | None = None,
    ) -> list[tuple[int, float]]:
        """The k best (chunk row number, BM25 score) pairs; `keep` (given candidates, those
        allowed) limits them to some chunks, and then fewer than k may be found.

        When a word's list is cut, the lists give each chunk a lower bound of its score: the
        `RESCORE * k` best by that bound get their exact BM25 from their index terms."""
        rows = self.rows(words)
        cut = any(df > len(postings.ids) for df, postings in rows.values())
        wanted = RESCORE * k if cut else k
        best = score(list(rows.values()), n_documents, average, CANDIDATES if keep else wanted)
        if keep is not None:
            best = kept(best, keep, wanted)
        if not cut or not best:
            return best[:k]
        return self.rescore(rows, [n for n, _ in best], average, n_documents)[:k]

    def within(
        self, words: Sequence[str], ids: Sequence[int], n_documents: int, average: float, k: int
    ) -> list[tuple[int, float]]:
        """The k best of these chunks (row numbers), scored exactly from their index terms."""
        return self.rescore(self.rows(words), ids, average, n_documents)[:k]

    def rescore(
        self,
        rows: dict[str, tuple[int, Postings]],
        ids: Sequence[int],
        average: float,
        n_documents: int,
    ) -> list[tuple[int, float]]:
        """Exact BM25 of chunks (row numbers) for the words in `rows`, best first (ties: lower
        id first); chunks with none of the words are left out."""
        order = list(rows)
        idf = np.array([bm25_idf(n_documents, rows[t][0]) for t in order])
        found_ids, tfs, lengths = [], [], []
        for n, text in self.db.execute(
            f"SELECT rowid, terms FROM {self.fts} WHERE rowid IN (SELECT value FROM json_each(?))",
            (json.dumps(list(ids)),),
        ):
            found_ids.append(int(n))
            counts, length = term_counts(str(text), order)
            tfs.append(counts)
            lengths.append(length)
        tf = np.array(tfs, dtype=np.float64).reshape(len(found_ids), len(order))
        exact = term_weight(tf, np.array(lengths, dtype=np.float64)[:, None], average) @ idf
        ranked = sorted(zip(found_ids, exact.tolist(), strict=True), key=lambda p: (-p[1], p[0]))
        return [(n, value) for n, value in ranked if value > 0]

    def apply(self, changes: Changes, average: float) -> None:
        """Rewrite the touched terms' rows (inside the caller's transaction).

        Terms that only gained new chunks (all of an ingest's, most of an update's) are merged
        together by `insert_new`; terms that lost chunks, one by one."""
        touched = changes.terms()
        current = self.blobs(touched)
        grown = [t for t in touched if t not in changes.removed and changes.added.get(t)]
        rows = self._insert_new(grown, current, changes, average)
        if rows is None:  # an added id is not new: merge every term alone
            rows, grown = [], []
        done = set(grown)
        gone: list[tuple[str]] = []
        for term in touched:
            if term in done:
                continue
            df, blob = current.get(term, (0, b""))
            df += changes.df[term]
            if df <= 0:
                gone.append((term,))
                continue
            added, removed = changes.added.get(term, []), changes.removed.get(term, set())
            postings = Postings.unpack(blob).merge(added, removed, average)
            if len(postings.ids) < min(df, REFILL):  # a cut list that lost too many
                postings = self.refill(term, average)
            rows.append((term, df, postings.pack()))
        self.db.executemany(f"DELETE FROM {self.table} WHERE term = ?", gone)
        self.db.executemany(f"REPLACE INTO {self.table} VALUES (?, ?, ?)", rows)

    @staticmethod
    def _insert_new(
        terms: list[str],
        current: dict[str, tuple[int, bytes]],
        changes: Changes,
        average: float,
    ) -> list[tuple[str, int, bytes]] | None:
        """The rows of terms that only gained chunks, or None when an added chunk id is not
        above every listed one (a reused row number: it could replace a posting)."""
        blobs = [current.get(t, (0, b""))[1] for t in terms]
        table = np.frombuffer(b"".join(blobs), dtype="<i8").astype(np.int64).reshape(-1, 3)
        counts = np.array([len(b) // ROW for b in blobs], dtype=np.int64)
        added = [changes.added[t] for t in terms]
        groups = np.repeat(np.arange(len(terms), dtype=np.int64), [len(a) for a in added])
        new = np.array([p for a in added for p in a], dtype=np.int64).reshape(-1, 3)
        if len(table) and len(new) and new[:, 0].min() <= table[:, 0].max():
            return None
        merged, counts = insert_new(table, counts, new, groups, average)
        packed = merged.astype("<i8").tobytes()
        ends = np.cumsum(counts) * ROW
        rows = []
        for term, end, count in zip(terms, ends.tolist(), counts.tolist(), strict=True):
            df = current.get(term, (0, b""))[0] + changes.df[term]
            rows.append((term, df, packed[end - count * ROW : end]))
        return rows

    def refill(self, term: str, average: float) -> Postings:
        """A term's best postings read again from FTS5 (ranked by its one-word bm25)."""
        found = self.db.execute(
            f"SELECT rowid, terms FROM {self.fts} WHERE {self.fts} MATCH ? ORDER BY rank LIMIT ?",
            ('"' + term.replace('"', '""') + '"', TOP),
        ).fetchall()
        triples = []
        for n, text in found:
            words = str(text).split()
            triples.append((int(n), words.count(term), len(words)))
        return Postings.of(triples).best(average)

    def build(
        self,
        chunks: Callable[[int, int], list[tuple[int, list[str]]]],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Fill the table from every chunk (`chunks(after, limit)` pages through (row number,
        index terms) by row number); returns the total number of index terms."""
        self.db.execute(f"DELETE FROM {self.table}")
        average = _average(chunks)
        vocab: dict[str, int] = {}
        df = np.zeros(0, dtype=np.int64)
        kept = np.zeros((0, 4), dtype=np.int64)  # term number, id, tf, length
        pending: list[tuple[int, int, int, int]] = []
        total = 0
        after = -1
        while page := chunks(after, BUILD_PAGE):
            for n, words in page:
                total += len(words)
                for term, (tf, length) in chunk_postings(words).items():
                    pending.append((vocab.setdefault(term, len(vocab)), n, tf, length))
            after = page[-1][0]
            if progress is not None:
                progress(len(page))
            if len(pending) >= BUILD_FLUSH:
                df, kept = _cut(df, kept, pending, len(vocab), average)
                pending = []
        df, kept = _cut(df, kept, pending, len(vocab), average)
        names = sorted(vocab, key=vocab.__getitem__)
        bounds = np.flatnonzero(np.diff(kept[:, 0])) + 1
        self.db.executemany(
            f"INSERT INTO {self.table} VALUES (?, ?, ?)",
            (
                (names[int(group[0, 0])], int(df[group[0, 0]]), _postings(group).pack())
                for group in np.split(kept, bounds)
                if len(group)
            ),
        )
        return total


def _average(chunks: Callable[[int, int], list[tuple[int, list[str]]]]) -> float:
    """The average chunk length in index terms, from a sample of the first chunks."""
    sample = chunks(-1, SAMPLE)
    if not sample:
        return 1.0
    picked = random.Random(0).sample(sample, min(len(sample), 1000))
    return sum(len(words) for _, words in picked) / len(picked)


def _postings(group: np.ndarray) -> Postings:
    return Postings(group[:, 1].copy(), group[:, 2].copy(), group[:, 3].copy())


def _cut(
    df: np.ndarray,
    kept: np.ndarray,
    pending: list[tuple[int, int, int, int]],
    size: int,
    average: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Document frequencies with the pending postings counted, and kept + pending postings cut
    to each term's TOP best, sorted by term then impact (`insert_new`: chunks are read in row
    order, so every pending id is above every kept one)."""
    new = np.array(pending, dtype=np.int64).reshape(-1, 4)
    grown = np.zeros(size, dtype=np.int64)
    grown[: len(df)] = df
    grown += np.bincount(new[:, 0], minlength=size)[:size]
    counts = np.bincount(kept[:, 0], minlength=size)
    table, counts = insert_new(kept[:, 1:], counts, new[:, 1:], new[:, 0], average)
    terms = np.repeat(np.arange(size, dtype=np.int64), counts)
    return grown, np.column_stack([terms, table])
