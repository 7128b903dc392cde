"""Index terms, and an in-memory BM25 index that is updated in place (add, remove, search).

The embedded catalog ranks with SQLite FTS5's bm25; `Bm25Index` computes the same formula
(k1 = 1.2, b = 0.75, FTS5's idf), so the server setup, whose catalog keeps this index as a
per-process cache, ranks chunks like the embedded one. The index can be saved to a folder and
loaded back, so a new process starts from a snapshot instead of reading every chunk.
"""

from __future__ import annotations

import json
import math
import re
from array import array
from collections import Counter
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

from assistant.store.catalog import members

_WORD = re.compile(r"\w+", re.UNICODE)
STOPWORDS = frozenset(
    """a an and are as at be been but by did do does for from had has have he her his how i if
    in into is it its of on or she so than that the their them then there these they this to
    was we were what when where which who whom whose why will with would you""".split()
)


def stem(word: str) -> str:
    """A light English suffix stripper: 'attacks' -> 'attack', 'cities' -> 'city'."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, replacement, minimum in (
        ("ies", "y", 3),
        ("sses", "ss", 2),
        ("ing", "", 4),
        ("edly", "", 4),
        ("ed", "", 4),
        ("es", "", 4),
        ("s", "", 3),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= minimum:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return word[: len(word) - len(suffix)] + replacement
    return word


def terms(text: str) -> list[str]:
    """Index terms: lowercase words, stopwords dropped, lightly stemmed."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


K1 = 1.2  # FTS5's bm25 defaults
B = 0.75
SNAPSHOT_FORMAT = 1


def bm25_idf(n_documents: int, df: int) -> float:
    """FTS5's idf: log((N - df + 0.5) / (df + 0.5)), at least 1e-6 (for terms in most chunks)."""
    if n_documents - df + 0.5 <= 0:  # counts read apart from each other; never from FTS5
        return 1e-6
    value = math.log((n_documents - df + 0.5) / (df + 0.5))
    return value if value > 0 else 1e-6


def term_weight(tfs: np.ndarray, lengths: np.ndarray, average: float) -> np.ndarray:
    """BM25's chunk-dependent factor: tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / average)),
    elementwise (an idf times it is the word's part of the score).

    >>> term_weight(np.array([1, 2, 2]), np.array([100, 50, 200]), 100.0).round(3).tolist()
    [1.0, 1.6, 1.073]
    """
    tfs = np.asarray(tfs, dtype=np.float64)
    norm = K1 * (1 - B + B * np.asarray(lengths, dtype=np.float64) / max(average, 1e-9))
    return tfs * (K1 + 1) / (tfs + norm)


def idf_weight(n_documents: int, df: int) -> float:
    """The idf `Lexical.idf` reports (always positive, used to weigh question words)."""
    return math.log(1 + (n_documents + 1) / (df + 0.5))


class Bm25Index:
    """BM25 over documents (chunk id, article id, index terms) held in memory.

    Documents are added and removed one at a time; a removed document's slot is only marked dead
    and the postings are compacted once half of the slots are dead. Not thread-safe: callers
    hold a lock. Each posting costs 8 bytes.
    """

    def __init__(self) -> None:
        self.ids: list[str] = []  # slot -> chunk id
        self.articles: list[str] = []  # slot -> article id
        self.lengths = array("i")  # slot -> number of terms
        self.alive = bytearray()  # slot -> 1 while the document is indexed
        self.slots: dict[str, int] = {}  # chunk id -> slot of the live document
        self.vocab: dict[str, int] = {}  # term -> term number
        self.postings: list[tuple[array[int], array[int]]] = []  # term number -> (slots, tfs)
        self.total = 0  # terms in live documents

    def __len__(self) -> int:
        return len(self.slots)

    def __contains__(self, chunk_id: object) -> bool:
        return chunk_id in self.slots

    def add(self, chunk_id: str, article_id: str, words: Sequence[str]) -> None:
        """Index a document (replacing one with the same id)."""
        self.remove(chunk_id)
        slot = len(self.ids)
        self.ids.append(chunk_id)
        self.articles.append(article_id)
        self.lengths.append(len(words))
        self.alive.append(1)
        self.slots[chunk_id] = slot
        self.total += len(words)
        for term, tf in Counter(words).items():
            number = self.vocab.get(term)
            if number is None:
                number = self.vocab[term] = len(self.postings)
                self.postings.append((array("i"), array("i")))
            slots, tfs = self.postings[number]
            slots.append(slot)
            tfs.append(tf)

    def remove(self, chunk_id: str) -> None:
        """Forget a document; unknown ids are ignored."""
        slot = self.slots.pop(chunk_id, None)
        if slot is None:
            return
        self.alive[slot] = 0
        self.total -= self.lengths[slot]
        if len(self.ids) > 1000 and len(self.slots) < len(self.ids) // 2:
            self.compact()

    def compact(self) -> None:
        """Renumber the live documents and drop the dead ones from the postings."""
        alive = np.frombuffer(bytes(self.alive), dtype=np.uint8).astype(bool)
        renumber = np.cumsum(alive, dtype=np.int64) - 1
        keep = np.flatnonzero(alive)
        self.ids = [self.ids[i] for i in keep]
        self.articles = [self.articles[i] for i in keep]
        self.lengths = array("i", np.array(self.lengths, dtype=np.int32)[keep].tobytes())
        self.alive = bytearray(b"\x01" * len(keep))
        self.slots = {chunk_id: slot for slot, chunk_id in enumerate(self.ids)}
        vocab: dict[str, int] = {}
        postings: list[tuple[array[int], array[int]]] = []
        for term, number in self.vocab.items():
            slots = np.array(self.postings[number][0], dtype=np.int32)
            live = alive[slots]
            if not live.any():
                continue
            vocab[term] = len(postings)
            postings.append(
                (
                    array("i", renumber[slots[live]].astype(np.int32).tobytes()),
                    array("i", np.array(self.postings[number][1], dtype=np.int32)[live].tobytes()),
                )
            )
        self.vocab, self.postings = vocab, postings

    def _live(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(slots, term frequencies) of the live documents that contain `term`."""
        number = self.vocab.get(term)
        if number is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        slots = np.array(self.postings[number][0], dtype=np.int64)
        tfs = np.array(self.postings[number][1], dtype=np.float64)
        live = np.frombuffer(bytes(self.alive), dtype=np.uint8)[slots].astype(bool)
        return slots[live], tfs[live]

    def df(self, term: str) -> int:
        """In how many documents the term occurs."""
        return len(self._live(term)[0])

    def idf(self, term: str) -> float:
        """Inverse document frequency of an index term (as `Lexical.idf` defines it)."""
        return idf_weight(len(self.slots), self.df(term))

    def search(
        self, query: str, k: int, allowed: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """The k best (chunk id, BM25 score) pairs with a positive score, best first (ties by
        id); `allowed` restricts the search to these article ids."""
        words = list(dict.fromkeys(terms(query)))
        n = len(self.slots)
        if not words or k <= 0 or n == 0:
            return []
        average = self.total / n
        lengths = np.array(self.lengths, dtype=np.float64)
        scores = np.zeros(len(self.ids), dtype=np.float64)
        for word in words:
            slots, tfs = self._live(word)
            if not len(slots):
                continue
            scores[slots] += bm25_idf(n, len(slots)) * term_weight(tfs, lengths[slots], average)
        found = np.flatnonzero(scores > 0)
        if allowed is not None:
            passed = members(allowed, [self.articles[s] for s in found])
            found = np.asarray([s for s in found if self.articles[s] in passed], dtype=np.int64)
        if len(found) > k:  # the k best, and whatever ties the k-th
            kth = np.partition(scores[found], len(found) - k)[len(found) - k]
            found = found[scores[found] >= kth]
        ranked = sorted(found.tolist(), key=lambda s: (-scores[s], self.ids[s]))[:k]
        return [(self.ids[s], float(scores[s])) for s in ranked]

    # Snapshots

    def save(self, folder: Path, info: dict[str, object]) -> None:
        """Write the index (compacted) and `info` into an existing, empty folder."""
        if len(self.slots) < len(self.ids):
            self.compact()
        offsets = np.zeros(len(self.postings) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(slots) for slots, _ in self.postings])
        all_slots = np.concatenate(
            [np.array(s, dtype=np.int32) for s, _ in self.postings] or [np.zeros(0, np.int32)]
        )
        all_tfs = np.concatenate(
            [np.array(t, dtype=np.int32) for _, t in self.postings] or [np.zeros(0, np.int32)]
        )
        np.savez(
            folder / "postings.npz",
            lengths=np.array(self.lengths, dtype=np.int32),
            offsets=offsets,
            slots=all_slots,
            tfs=all_tfs,
        )
        meta = {
            **info,
            "format": SNAPSHOT_FORMAT,
            "ids": self.ids,
            "articles": self.articles,
            "vocab": sorted(self.vocab, key=self.vocab.__getitem__),
        }
        (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> tuple[Bm25Index, dict[str, object]]:
        """An index saved by `save`, and its info; OSError or ValueError if unreadable."""
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"snapshot format {meta.get('format')!r}")
        with np.load(folder / "postings.npz") as data:
            lengths, offsets = data["lengths"], data["offsets"]
            slots, tfs = data["slots"], data["tfs"]
        index = cls()
        index.ids = [str(i) for i in meta["ids"]]
        index.articles = [str(a) for a in meta["articles"]]
        if not len(index.ids) == len(index.articles) == len(lengths):
            raise ValueError("snapshot columns differ in length")
        index.lengths = array("i", lengths.astype(np.int32).tobytes())
        index.alive = bytearray(b"\x01" * len(index.ids))
        index.slots = {chunk_id: slot for slot, chunk_id in enumerate(index.ids)}
        index.total = int(lengths.sum())
        index.vocab = {str(term): number for number, term in enumerate(meta["vocab"])}
        index.postings = [
            (
                array("i", slots[offsets[i] : offsets[i + 1]].astype(np.int32).tobytes()),
                array("i", tfs[offsets[i] : offsets[i + 1]].astype(np.int32).tobytes()),
            )
            for i in range(len(index.vocab))
        ]
        info = {k: v for k, v in meta.items() if k not in ("ids", "articles", "vocab")}
        return index, info
