"""The article catalog: articles, their chunks, write intents and the lexical index.

Chroma holds vectors; the catalog holds what must be transactional: whole articles, which chunks
belong to which article (with their text and a float16 copy of their vector, so that keyword hits
need no second trip to the vector store), and which chunks a writer has put in the vector store
but not yet committed (its intents). An article becomes visible when its row commits, in one
transaction with its chunk rows and their lexical index entries; so a question sees the old or
the new state of each article, never half of one. `Catalog` is the protocol; `SqliteCatalog`
(one file under ASSISTANT_HOME, the zero-setup default) and `PostgresCatalog`
(ASSISTANT_DATABASE_URL, shared by machines) implement it and pass one contract test suite.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence, Set
from contextlib import AbstractContextManager
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field

from assistant.models import DATE_SOURCES, Article, Chunk


class StoredArticle(BaseModel):
    """An article row: the article, its chunk ids and the chunking that made them."""

    article: Article
    chunk_ids: list[str]
    chunker: str


class LibraryRow(BaseModel):
    """A library's identity: the embedder that built its vectors, and its size."""

    name: str
    embedder: str
    dim: int
    created_at: dt.datetime
    n_articles: int = 0
    n_chunks: int = 0


class Pending(BaseModel):
    """An article ready to commit: its chunks are in the vector store already."""

    article: Article
    chunks: list[Chunk]
    chunker: str
    replaces: str | None = Field(None, description="an older id of the same source it replaces")
    vectors: list[bytes] = Field(
        default_factory=list,
        description="each chunk's vector as `packed` float16 bytes, in order; empty: not kept",
    )


def packed(vectors: NDArray[np.float32]) -> list[bytes]:
    """Each row of a vector matrix as float16 bytes, the catalog's copy of a chunk's vector."""
    return [row.tobytes() for row in np.asarray(vectors, dtype="<f2")]


def packed_by(vectors: NDArray[np.float32], sizes: Sequence[int]) -> list[list[bytes]]:
    """`packed` rows of consecutive chunks, cut into runs of these sizes (one per article)."""
    rows, runs, start = packed(vectors), [], 0
    for size in sizes:
        runs.append(rows[start : start + size])
        start += size
    return runs


def vector_column(chunks: Sequence[Chunk], vectors: Sequence[bytes]) -> list[bytes | None]:
    """The vector column for these chunk rows: NULL for each when none were given."""
    if not vectors:
        return [None] * len(chunks)
    if len(vectors) != len(chunks):
        raise ValueError(f"{len(vectors)} vectors for {len(chunks)} chunks")
    return list(vectors)


def unpacked(blobs: Sequence[bytes]) -> NDArray[np.float32]:
    """`packed` rows back as one float32 matrix."""
    flat = np.frombuffer(b"".join(blobs), dtype="<f2")
    return flat.reshape(len(blobs), -1 if blobs else 0).astype(np.float32)


class Committed(BaseModel):
    """What committing one pending article did, decided inside the commit's transaction."""

    article_id: str
    status: str = Field(description="added, updated, unchanged or duplicate")
    twin: StoredArticle | None = Field(None, description="the article it duplicates")
    stale: list[str] = Field(
        default_factory=list, description="chunk ids the article no longer uses (to delete)"
    )


class Lexical(Protocol):
    """Keyword search over a library's chunks (BM25)."""

    def search(
        self, query: str, k: int, allowed: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """The k best (chunk id, score) pairs with a positive score, best first; `allowed`
        restricts the search to these article ids."""
        ...

    def idf(self, term: str) -> float:
        """Inverse document frequency of an index term over the library's chunks."""
        ...


class Catalog(Protocol):
    """Articles, chunks, intents and keyword search of every library under one home."""

    # Libraries
    def library(self, name: str) -> LibraryRow | None: ...
    def create_library(self, name: str, embedder: str) -> LibraryRow: ...
    def set_dim(self, name: str, dim: int) -> None: ...
    def generation(self, name: str) -> int: ...
    def libraries(self) -> list[LibraryRow]: ...
    def drop_library(self, name: str) -> None: ...
    def count(self, library: str) -> tuple[int, int]: ...

    # Articles
    def commit(self, library: str, pending: Sequence[Pending]) -> list[Committed]: ...
    def get(self, library: str, article_id: str) -> StoredArticle | None: ...
    def get_many(self, library: str, article_ids: Sequence[str]) -> dict[str, StoredArticle]: ...
    def find_prefix(self, library: str, prefix: str) -> list[str]: ...
    def find_content(self, library: str, content_hash: str) -> StoredArticle | None: ...
    def from_origin(self, library: str, origin: str) -> list[StoredArticle]: ...
    def all(self, library: str) -> list[StoredArticle]: ...
    def delete(self, library: str, article_id: str) -> list[str]: ...
    def restore(
        self,
        library: str,
        stored: StoredArticle,
        chunks: Sequence[Chunk],
        vectors: Sequence[bytes] = (),
    ) -> None: ...
    def recount(self, library: str) -> None: ...
    def chunk_ids(self, library: str) -> dict[str, list[str]]: ...

    # Chunks
    def chunks(self, library: str, article_id: str) -> list[Chunk]: ...
    def chunks_by_id(self, library: str, chunk_ids: Sequence[str]) -> dict[str, Chunk]: ...
    def chunks_with_vectors(
        self, library: str, chunk_ids: Sequence[str]
    ) -> tuple[dict[str, Chunk], dict[str, bytes]]: ...
    def vector_rows(self, library: str) -> tuple[list[str], list[str], list[bytes]] | None:
        """Every committed chunk's id, article id and `packed` vector, in row order; None
        when a chunk has no vector copy (written before the catalog kept them)."""
        ...

    def iter_chunks(self, library: str, page: int = 2000) -> Iterator[Chunk]: ...
    def filter_articles(
        self, library: str, where: ArticleFilter, limit: int | None = None
    ) -> list[str]: ...
    def newest_date(self, library: str, until: dt.date) -> dt.date | None: ...

    # Writes in flight (always under writer_lock)
    def writer_lock(self, library: str) -> AbstractContextManager[None]: ...
    def intend(self, library: str, chunk_ids: Sequence[str]) -> None: ...
    def intents(self, library: str) -> list[str]: ...
    def forget_intents(self, library: str, chunk_ids: Sequence[str]) -> None: ...
    def owned(self, library: str, chunk_ids: Sequence[str]) -> set[str]: ...
    def owners(self, library: str, chunk_ids: Sequence[str]) -> dict[str, str]: ...

    # Keyword search
    def lexical(self, library: str) -> Lexical: ...

    def close(self) -> None: ...


class ArticleFilter(BaseModel):
    """The article side of a query's filters, for the catalog to apply itself."""

    article_ids: list[str] | None = None
    source: str | None = None
    title: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


ASK_AT_MOST = 5000  # article ids a `Matching` asks about at once; with more it lists them all


class Matching(Set[str]):
    """The articles that pass a wide date filter, not listed: a search asks the catalog about
    the candidates it meets ("this week" can pass 100,000 articles, and listing them took
    longer than the rest of the question). Answers are kept; iterating (or `len`) lists all.
    """

    def __init__(self, catalog: Catalog, library: str, where: ArticleFilter) -> None:
        self.catalog = catalog
        self.library = library
        self.where = where
        self._known: dict[str, bool] = {}
        self._all: frozenset[str] | None = None
        self._lock = threading.Lock()

    def check(self, ids: Iterable[str]) -> set[str]:
        """Those of `ids` that pass, in one catalog query for the ones not asked about yet."""
        wanted = set(ids)
        with self._lock:
            unknown = [i for i in wanted if i not in self._known]
        if self._all is not None or len(unknown) > ASK_AT_MOST:
            return wanted & self.listed()
        if unknown:
            asked = self.where.model_copy(update={"article_ids": unknown})
            passed = set(self.catalog.filter_articles(self.library, asked))
            with self._lock:
                self._known.update((i, i in passed) for i in unknown)
        with self._lock:
            return {i for i in wanted if self._known[i]}

    def listed(self) -> frozenset[str]:
        """Every article that passes: one query, made once (a fallback that needs them all)."""
        if self._all is None:
            self._all = frozenset(self.catalog.filter_articles(self.library, self.where))
        return self._all

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and bool(self.check([item]))

    def __iter__(self) -> Iterator[str]:
        return iter(self.listed())

    def __len__(self) -> int:
        return len(self.listed())

    def __bool__(self) -> bool:
        return True  # made only when more than a few thousand articles pass


def members(allowed: Collection[str], ids: Iterable[str]) -> set[str]:
    """Those of `ids` in `allowed`: one catalog query when `allowed` is a `Matching`."""
    if isinstance(allowed, Matching):
        return allowed.check(ids)
    return {i for i in ids if i in allowed}


def at_most(allowed: Collection[str], n: int) -> bool:
    """Whether at most n articles are allowed, without listing a `Matching` (always more)."""
    return not isinstance(allowed, Matching) and len(allowed) <= n


def article_row(article: Article, chunker: str, chunk_ids: Sequence[str]) -> dict[str, object]:
    """An article as column values (shared by both catalogs)."""
    ingested = article.ingested_at or dt.datetime.now(dt.UTC)
    return {
        "id": article.id,
        "source": article.source,
        "origin": article.origin,
        "title": article.title,
        "text": article.text,
        "format": article.format,
        "url": article.url,
        "date": article.date.isoformat() if article.date else None,
        "author": article.author,
        "credits": json.dumps(article.credits),
        "content_hash": article.content_hash,
        "raw_hash": article.raw_hash,
        "chunker": chunker,
        "chunk_ids": json.dumps(list(chunk_ids)),
        "ingested_at": ingested.isoformat(timespec="seconds"),
        "date_source": article.date_source,
    }


ARTICLE_COLUMNS = (
    "id",
    "source",
    "origin",
    "title",
    "text",
    "format",
    "url",
    "date",
    "author",
    "credits",
    "content_hash",
    "raw_hash",
    "chunker",
    "chunk_ids",
    "ingested_at",
    "date_source",
)


def stored_article(row: Sequence[object]) -> StoredArticle:
    """A StoredArticle from column values in ARTICLE_COLUMNS order."""
    (
        article_id,
        source,
        origin,
        title,
        text,
        fmt,
        url,
        date,
        author,
        credits,
        content_hash,
        raw_hash,
        chunker,
        chunk_ids,
        ingested_at,
        date_source,
    ) = row
    chunk_list = json.loads(str(chunk_ids))
    day = date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date)) if date else None
    when = (
        ingested_at
        if isinstance(ingested_at, dt.datetime)
        else dt.datetime.fromisoformat(str(ingested_at))
    )
    article = Article(
        id=str(article_id),
        source=str(source),
        origin=str(origin),
        title=str(title),
        text=str(text),
        format=str(fmt),
        url=str(url) if url else None,
        date=day,
        date_source=str(date_source) if date_source in DATE_SOURCES else None,
        author=str(author) if author else None,
        credits=json.loads(str(credits)),
        content_hash=str(content_hash),
        raw_hash=str(raw_hash),
        ingested_at=when,
        n_chunks=len(chunk_list),
    )
    return StoredArticle(article=article, chunk_ids=chunk_list, chunker=str(chunker))
