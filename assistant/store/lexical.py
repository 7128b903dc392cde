"""BM25 over a library's chunks (bm25s), persisted beside chroma.

Chroma's embedded mode has no sparse search, so each library keeps a BM25 index in
ASSISTANT_HOME/bm25/<library>/. The index is derived data: it records the catalog generation
it was built from and is rebuilt whenever the library changed since.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

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


class LexicalIndex:
    """A BM25 index of chunk texts in a folder; thread-safe for reads and rebuilds."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.generation = -1
        self.ids: list[str] = []
        self._position: dict[str, int] = {}
        self._model: Any = None
        self._df: dict[str, int] = {}
        self._lock = threading.Lock()

    def load(self) -> bool:
        """Read the index from disk; False when there is none (or it is unreadable)."""
        meta = self.folder / "meta.json"
        if not meta.is_file():
            return False
        try:
            import bm25s

            info = json.loads(meta.read_text())
            df = {str(k): int(v) for k, v in info.get("df", {}).items()}
            model = (
                bm25s.BM25.load(str(self.folder / "index"), show_progress=False)
                if info["ids"]
                else None
            )
        except (OSError, ValueError, KeyError):
            return False
        with self._lock:
            self.generation, self.ids, self._model = (
                int(info["generation"]),
                list(info["ids"]),
                model,
            )
            self._position = {chunk_id: i for i, chunk_id in enumerate(self.ids)}
            self._df = df
        return True

    def build(self, documents: Iterable[tuple[str, str]], generation: int) -> None:
        """Index (chunk id, text) pairs and write them to disk atomically."""
        import bm25s

        ids: list[str] = []
        corpus: list[list[str]] = []
        for chunk_id, text in documents:
            ids.append(chunk_id)
            corpus.append(terms(text) or ["\x00empty"])
        df: dict[str, int] = {}
        for doc in corpus:
            for term in set(doc):
                df[term] = df.get(term, 0) + 1
        model = None
        staging = self.folder.with_name(self.folder.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        if ids:
            model = bm25s.BM25()
            model.index(corpus, show_progress=False)
            model.save(str(staging / "index"), show_progress=False)
        (staging / "meta.json").write_text(
            json.dumps({"generation": generation, "ids": ids, "df": df})
        )
        old = self.folder.with_name(self.folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.folder.exists():
            self.folder.rename(old)
        staging.rename(self.folder)
        shutil.rmtree(old, ignore_errors=True)
        with self._lock:
            self.generation, self.ids, self._model = generation, ids, model
            self._position = {chunk_id: i for i, chunk_id in enumerate(ids)}
            self._df = df

    def idf(self, term: str) -> float:
        """Inverse document frequency of an index term over the library's chunks."""
        n = len(self.ids)
        return math.log(1 + (n + 1) / (self._df.get(term, 0) + 0.5))

    def search(
        self, query: str, k: int, allowed: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """The k best (chunk id, BM25 score) pairs with a positive score, best first."""
        with self._lock:
            model, ids, position = self._model, self.ids, self._position
        words = [w for w in terms(query) if model is not None and w in model.vocab_dict]
        if model is None or not words:
            return []
        scores = np.asarray(model.get_scores(words), dtype=np.float32)
        if allowed is not None:
            mask = np.zeros(len(ids), dtype=bool)
            mask[[position[i] for i in allowed if i in position]] = True
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(ids))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(ids) else np.arange(len(ids))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(ids[i], float(scores[i])) for i in top if scores[i] > 0]
