"""Test doubles for our own protocols: deterministic, offline, never the product's default."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence

import numpy as np

from assistant.embeddings import TokenVectors, Vectors, normalize
from assistant.models import Chunk, Hit

_WORD = re.compile(r"\w+")


class HashEmbedder:
    """Bag of hashed words: the same text always gives the same vector; shared words align."""

    def __init__(self, dim: int = 64, name: str = "hash-64") -> None:
        self.dim = dim
        self.name = name
        self.calls = 0
        self.texts_embedded = 0

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest[:4], "little") % self.dim] += 1.0
            if not out[row].any():
                out[row, 0] = 1.0
        return normalize(out)

    def token_vectors(self, texts: Sequence[str]) -> list[TokenVectors]:
        """A hashed one-hot vector per word: the same word always aligns with itself."""
        out = []
        for text in texts:
            words = list(_WORD.finditer(text.lower()))
            vectors = np.zeros((len(words), self.dim), dtype=np.float32)
            for row, word in enumerate(words):
                digest = hashlib.blake2b(word.group(0).encode(), digest_size=8).digest()
                vectors[row, int.from_bytes(digest[:4], "little") % self.dim] = 1.0
            out.append(
                TokenVectors(
                    vectors=vectors,
                    offsets=[(m.start(), m.end()) for m in words],
                    pooled=self.embed([text])[0],
                )
            )
        return out


class MemoryStore:
    """A VectorStore in a dict: exact cosine search."""

    def __init__(self) -> None:
        self._chunks: dict[str, Chunk] = {}
        self._vectors: dict[str, np.ndarray] = {}

    def add(self, chunks: Sequence[Chunk], vectors: Vectors) -> None:
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        for chunk, vector in zip(chunks, vectors, strict=True):
            self._chunks[chunk.id] = chunk
            self._vectors[chunk.id] = normalize(np.asarray([vector], dtype=np.float32))[0]

    def delete(self, chunk_ids: Sequence[str]) -> None:
        for chunk_id in chunk_ids:
            self._chunks.pop(chunk_id, None)
            self._vectors.pop(chunk_id, None)

    def query(
        self, vector: Sequence[float] | Vectors, k: int, article_ids: Sequence[str] | None = None
    ) -> list[Hit]:
        allowed = None if article_ids is None else set(article_ids)
        query = normalize(np.asarray([vector], dtype=np.float32))[0]
        scored = [
            Hit(chunk=chunk, score=float(self._vectors[chunk_id] @ query))
            for chunk_id, chunk in self._chunks.items()
            if allowed is None or chunk.article_id in allowed
        ]
        scored.sort(key=lambda hit: -hit.score)
        return scored[:k]

    def nearest(self, vector: Sequence[float] | Vectors, k: int) -> list[tuple[str, float]]:
        return [(h.chunk.id, h.score) for h in self.query(vector, k)]

    def get(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        return [self._chunks[i] for i in chunk_ids if i in self._chunks]

    def ids(self) -> set[str]:
        return set(self._chunks)

    def iter_chunks(self) -> Iterator[Chunk]:
        return iter(list(self._chunks.values()))

    def vectors(self, chunk_ids: Sequence[str]) -> dict[str, Vectors]:
        return {i: self._vectors[i] for i in chunk_ids if i in self._vectors}

    def count(self) -> int:
        return len(self._chunks)
