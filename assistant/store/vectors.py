"""Vector stores: the VectorStore protocol and ChromaStore (embedded on disk, or a server)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.embeddings import Vectors
from assistant.errors import ConfigError, NotFoundError
from assistant.models import Chunk, Hit

WHERE_IDS = 500  # article ids per chroma filter (each one is an SQL variable in chroma)
OVERFETCH = (20, 50, 200, 2000)  # with more ids: neighbours taken per hit wanted, then filtered
MAX_NEAREST = 10_000  # neighbours per chroma query (it binds each as an SQL variable)
MAX_PARTS = 20  # searched part by part when the nearest hold too few: at most this many filters


class VectorStore(Protocol):
    """Chunks with their vectors, searchable by vector. One store holds one library."""

    def add(self, chunks: Sequence[Chunk], vectors: Vectors) -> None: ...

    def delete(self, chunk_ids: Sequence[str]) -> None: ...

    def query(
        self, vector: Sequence[float] | Vectors, k: int, article_ids: Sequence[str] | None = None
    ) -> list[Hit]: ...

    def nearest(self, vector: Sequence[float] | Vectors, k: int) -> list[tuple[str, float]]:
        """The k nearest chunk ids with their cosine similarity, best first: no texts or
        metadata, so many can be taken cheaply (the caller knows the chunks)."""
        ...

    def get(self, chunk_ids: Sequence[str]) -> list[Chunk]: ...

    def ids(self) -> set[str]: ...

    def iter_chunks(self) -> Iterable[Chunk]: ...

    def vectors(self, chunk_ids: Sequence[str]) -> dict[str, Vectors]: ...

    def count(self) -> int: ...


def _metadata(chunk: Chunk) -> dict[str, str | int]:
    return {
        "article_id": chunk.article_id,
        "index": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
        "n_tokens": chunk.n_tokens,
    }


def _chunk(chunk_id: str, text: str, meta: Mapping[str, Any]) -> Chunk:
    return Chunk(
        id=chunk_id,
        article_id=str(meta["article_id"]),
        index=int(meta["index"]),
        text=text,
        start=int(meta["start"]),
        end=int(meta["end"]),
        n_tokens=int(meta["n_tokens"]),
    )


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def chroma_client(home: Path, url: str | None = None) -> Any:
    """A chroma client: embedded under `home`, or a server at `url` (http://host:port)."""
    import chromadb

    if url:
        from urllib.parse import urlparse

        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ConfigError(f"ASSISTANT_CHROMA_URL {url!r} is not an http(s)://host:port URL")
        try:
            return chromadb.HttpClient(
                host=parsed.hostname,
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=_chroma_settings(),
            )
        except ValueError as error:
            raise ConfigError(
                f"cannot reach the Chroma server at {url} (ASSISTANT_CHROMA_URL): is "
                "`chroma run --path DIR --port PORT` running?"
            ) from error
    home.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(home / "chroma"), settings=_chroma_settings())


class ChromaStore:
    """A chroma collection in cosine space. We always pass our own vectors, never chroma's."""

    def __init__(self, client: Any, name: str, *, create: bool = True) -> None:
        self._client = client
        self.name = name
        if create:
            self._collection = client.get_or_create_collection(
                name=name,
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
        else:
            try:
                self._collection = client.get_collection(name=name, embedding_function=None)
            except Exception as error:  # chroma raises several types for a missing collection
                raise NotFoundError(f"library {name!r} has no vector collection") from error
        self._max_batch = int(getattr(client, "get_max_batch_size", lambda: 5000)())

    def add(self, chunks: Sequence[Chunk], vectors: Vectors) -> None:
        """Add (or overwrite) chunks with their vectors."""
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        for first in range(0, len(chunks), self._max_batch):
            part = chunks[first : first + self._max_batch]
            self._collection.upsert(
                ids=[c.id for c in part],
                embeddings=np.asarray(vectors[first : first + self._max_batch], dtype=np.float32),
                documents=[c.text for c in part],
                metadatas=[_metadata(c) for c in part],
            )

    def delete(self, chunk_ids: Sequence[str]) -> None:
        """Remove chunks; unknown ids are ignored."""
        ids = list(chunk_ids)
        for first in range(0, len(ids), self._max_batch):
            self._collection.delete(ids=ids[first : first + self._max_batch])

    def query(
        self, vector: Sequence[float] | Vectors, k: int, article_ids: Sequence[str] | None = None
    ) -> list[Hit]:
        """The k nearest chunks, best first; score is cosine similarity. `article_ids` limits
        them to those articles (a filter or a time window may name tens of thousands)."""
        if k <= 0 or (article_ids is not None and not article_ids):
            return []
        query = np.asarray(vector, dtype=np.float32)
        if article_ids is None:
            return self._nearest(query, k, None)
        ids = list(dict.fromkeys(article_ids))
        if len(ids) <= WHERE_IDS:
            return self._nearest(query, k, ids)
        # Too many ids for one filter (chroma passes each as an SQL variable): take more and
        # more neighbours and keep those of the allowed articles. When a small share of the
        # library is allowed that can stay short of k; then, if the ids are not too many,
        # search them part by part, else keep what was found (those articles are far away).
        allowed = set(ids)
        kept: list[Hit] = []
        for factor in OVERFETCH:
            wanted = min(k * factor, MAX_NEAREST)
            kept, seen = self._nearest_allowed(query, wanted, allowed, k)
            if len(kept) >= k or seen < wanted:  # enough, or the whole store
                return kept
            if wanted == MAX_NEAREST:
                break
        if len(ids) > WHERE_IDS * MAX_PARTS:
            return kept[:k]
        found: dict[str, Hit] = {h.chunk.id: h for h in kept}
        for first in range(0, len(ids), WHERE_IDS):
            for hit in self._nearest(query, k, ids[first : first + WHERE_IDS]):
                found[hit.chunk.id] = hit
        return sorted(found.values(), key=lambda h: -h.score)[:k]

    def nearest(self, vector: Sequence[float] | Vectors, k: int) -> list[tuple[str, float]]:
        """The k nearest chunk ids with their cosine similarity, best first."""
        if k <= 0:
            return []
        result = self._collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=min(k, MAX_NEAREST),
            include=["distances"],
        )
        return [
            (str(i), 1.0 - float(d))
            for i, d in zip(result["ids"][0], result["distances"][0], strict=True)
        ]

    def _nearest_allowed(
        self, query: Vectors, n: int, allowed: set[str], k: int
    ) -> tuple[list[Hit], int]:
        """The first k chunks of allowed articles among the n nearest, and how many neighbours
        there were (texts are read only for those k)."""
        result = self._collection.query(
            query_embeddings=[query], n_results=n, include=["metadatas", "distances"]
        )
        ids, metas = result["ids"][0], result["metadatas"][0]
        kept = [i for i, meta in enumerate(metas) if meta.get("article_id") in allowed][:k]
        if not kept:
            return [], len(ids)
        found = self._collection.get(ids=[ids[i] for i in kept], include=["documents"])
        texts = dict(zip(found["ids"], found["documents"], strict=True))
        hits = [
            Hit(
                chunk=_chunk(ids[i], texts.get(ids[i]) or "", metas[i]),
                score=1.0 - float(result["distances"][0][i]),
            )
            for i in kept
        ]
        return hits, len(ids)

    def _nearest(self, query: Vectors, k: int, article_ids: list[str] | None) -> list[Hit]:
        where: dict[str, Any] | None = None
        if article_ids is not None:
            where = (
                {"article_id": article_ids[0]}
                if len(article_ids) == 1
                else {"article_id": {"$in": article_ids}}
            )
        # No count() first: it costs a scan of the collection's records on every question, and
        # chroma returns fewer hits when it has fewer than k.
        result = self._collection.query(
            query_embeddings=[query],
            n_results=k,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        hits: list[Hit] = []
        for chunk_id, text, meta, distance in zip(
            result["ids"][0],
            result["documents"][0],
            result["metadatas"][0],
            result["distances"][0],
            strict=True,
        ):
            hits.append(Hit(chunk=_chunk(chunk_id, text, meta), score=1.0 - float(distance)))
        return hits

    def get(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        """Chunks by id, in the order asked; missing ids are skipped."""
        if not chunk_ids:
            return []
        found: dict[str, Chunk] = {}
        ids = list(chunk_ids)
        for first in range(0, len(ids), self._max_batch):
            result = self._collection.get(
                ids=ids[first : first + self._max_batch], include=["documents", "metadatas"]
            )
            for chunk_id, text, meta in zip(
                result["ids"], result["documents"], result["metadatas"], strict=True
            ):
                found[chunk_id] = _chunk(chunk_id, text, meta)
        return [found[i] for i in ids if i in found]

    def ids(self) -> set[str]:
        """Every chunk id in the collection."""
        out: set[str] = set()
        offset, page = 0, 10_000
        while True:
            result = self._collection.get(include=[], limit=page, offset=offset)
            out.update(result["ids"])
            if len(result["ids"]) < page:
                return out
            offset += page

    def page(self, offset: int, limit: int) -> list[Chunk]:
        """Chunks `offset` to `offset + limit` in the collection's own order."""
        result = self._collection.get(
            include=["documents", "metadatas"], limit=limit, offset=offset
        )
        return [
            _chunk(chunk_id, text, meta)
            for chunk_id, text, meta in zip(
                result["ids"], result["documents"], result["metadatas"], strict=True
            )
        ]

    def iter_chunks(self, page: int = 2000) -> Iterator[Chunk]:
        """Every chunk, page by page."""
        offset = 0
        while True:
            chunks = self.page(offset, page)
            yield from chunks
            if len(chunks) < page:
                return
            offset += page

    def vectors(self, chunk_ids: Sequence[str]) -> dict[str, Vectors]:
        """Stored vectors by chunk id (missing ids are absent)."""
        if not chunk_ids:
            return {}
        result = self._collection.get(ids=list(chunk_ids), include=["embeddings"])
        return {
            chunk_id: np.asarray(vector, dtype=np.float32)
            for chunk_id, vector in zip(result["ids"], result["embeddings"], strict=True)
        }

    def count(self) -> int:
        """Number of chunks."""
        return int(self._collection.count())
