"""The article catalog: full cleaned text and metadata of every article, in SQLite.

Chroma holds chunks and vectors; this table holds what chroma is bad at: whole articles,
lookups by source and content hash, and a transactional record of which chunks belong to
which article. An article row is written only after its chunks are in the vector store, so
after a crash the catalog never points at missing chunks for long: `Library.reconcile`
removes whatever a crash left half-done.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel

from assistant.models import Article

SCHEMA = """
CREATE TABLE IF NOT EXISTS libraries (
    name TEXT PRIMARY KEY,
    embedder TEXT NOT NULL,
    dim INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    generation INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS articles (
    library TEXT NOT NULL,
    id TEXT NOT NULL,
    source TEXT NOT NULL,
    origin TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    format TEXT NOT NULL,
    url TEXT,
    date TEXT,
    author TEXT,
    credits TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    raw_hash TEXT NOT NULL,
    chunker TEXT NOT NULL,
    chunk_ids TEXT NOT NULL,
    ingested_at TEXT NOT NULL,
    PRIMARY KEY (library, id)
);
CREATE INDEX IF NOT EXISTS articles_content ON articles (library, content_hash);
CREATE INDEX IF NOT EXISTS articles_origin ON articles (library, origin);
"""

_COLUMNS = (
    "id, source, origin, title, text, format, url, date, author, credits, content_hash, "
    "raw_hash, chunker, chunk_ids, ingested_at"
)
_LIGHT_COLUMNS = _COLUMNS.replace("text,", "'' AS text,")


class StoredArticle(BaseModel):
    """An article row: the article, its chunk ids and the chunking that made them."""

    article: Article
    chunk_ids: list[str]
    chunker: str


class LibraryRow(BaseModel):
    """A library's identity: the embedder that built its vectors."""

    name: str
    embedder: str
    dim: int
    created_at: dt.datetime


class Catalog:
    """SQLite file shared by all libraries under one ASSISTANT_HOME. Thread-safe."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._depth = 0
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes: all or nothing. Nested use joins the outer transaction."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    # Libraries

    def library(self, name: str) -> LibraryRow | None:
        """The library row, or None when it was never created."""
        with self._lock:
            row = self._db.execute(
                "SELECT name, embedder, dim, created_at FROM libraries WHERE name = ?", (name,)
            ).fetchone()
        if row is None:
            return None
        return LibraryRow(name=row[0], embedder=row[1], dim=row[2], created_at=row[3])

    def create_library(self, name: str, embedder: str) -> LibraryRow:
        """Record a new library built with `embedder` (idempotent)."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO libraries (name, embedder, dim, created_at) "
                "VALUES (?, ?, 0, ?)",
                (name, embedder, now),
            )
        row = self.library(name)
        assert row is not None
        return row

    def set_dim(self, name: str, dim: int) -> None:
        """Record the vector size once the first vectors exist."""
        with self._lock:
            self._db.execute("UPDATE libraries SET dim = ? WHERE name = ?", (dim, name))

    def generation(self, name: str) -> int:
        """A counter that grows with every change to the library's articles."""
        with self._lock:
            row = self._db.execute(
                "SELECT generation FROM libraries WHERE name = ?", (name,)
            ).fetchone()
        return int(row[0]) if row else 0

    def _bump(self, library: str) -> None:
        self._db.execute(
            "UPDATE libraries SET generation = generation + 1 WHERE name = ?", (library,)
        )

    def libraries(self) -> list[LibraryRow]:
        """Every library, by name."""
        with self._lock:
            rows = self._db.execute(
                "SELECT name, embedder, dim, created_at FROM libraries ORDER BY name"
            ).fetchall()
        return [LibraryRow(name=r[0], embedder=r[1], dim=r[2], created_at=r[3]) for r in rows]

    def drop_library(self, name: str) -> None:
        """Forget a library and its articles."""
        with self.transaction():
            self._db.execute("DELETE FROM articles WHERE library = ?", (name,))
            self._db.execute("DELETE FROM libraries WHERE name = ?", (name,))

    # Articles

    def put(self, library: str, article: Article, chunk_ids: Sequence[str], chunker: str) -> None:
        """Insert or replace an article row."""
        ingested = article.ingested_at or dt.datetime.now(dt.UTC)
        with self.transaction():
            self._db.execute(
                f"INSERT OR REPLACE INTO articles (library, {_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    library,
                    article.id,
                    article.source,
                    article.origin,
                    article.title,
                    article.text,
                    article.format,
                    article.url,
                    article.date.isoformat() if article.date else None,
                    article.author,
                    json.dumps(article.credits),
                    article.content_hash,
                    article.raw_hash,
                    chunker,
                    json.dumps(list(chunk_ids)),
                    ingested.isoformat(timespec="seconds"),
                ),
            )
            self._bump(library)

    def get(self, library: str, article_id: str) -> StoredArticle | None:
        """An article by id."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM articles WHERE library = ? AND id = ?",
                (library, article_id),
            ).fetchone()
        return _stored(row) if row else None

    def get_many(self, library: str, article_ids: Sequence[str]) -> dict[str, StoredArticle]:
        """Articles by id (missing ids are absent from the result)."""
        out: dict[str, StoredArticle] = {}
        ids = list(dict.fromkeys(article_ids))
        for first in range(0, len(ids), 500):
            part = ids[first : first + 500]
            marks = ",".join("?" * len(part))
            with self._lock:
                rows = self._db.execute(
                    f"SELECT {_COLUMNS} FROM articles WHERE library = ? AND id IN ({marks})",
                    (library, *part),
                ).fetchall()
            for row in rows:
                stored = _stored(row)
                out[stored.article.id] = stored
        return out

    def find_prefix(self, library: str, prefix: str) -> list[str]:
        """Ids starting with `prefix` (so users can type a short id)."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM articles WHERE library = ? AND id LIKE ? ESCAPE '\\' LIMIT 10",
                (library, escaped + "%"),
            ).fetchall()
        return [r[0] for r in rows]

    def find_content(self, library: str, content_hash: str) -> StoredArticle | None:
        """An article with exactly this cleaned text, if any."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_LIGHT_COLUMNS} FROM articles WHERE library = ? AND content_hash = ? "
                "LIMIT 1",
                (library, content_hash),
            ).fetchone()
        return _stored(row) if row else None

    def from_origin(self, library: str, origin: str) -> list[StoredArticle]:
        """Articles read from one file or URL (without their text)."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_LIGHT_COLUMNS} FROM articles WHERE library = ? AND origin = ?",
                (library, origin),
            ).fetchall()
        return [_stored(r) for r in rows]

    def all(self, library: str) -> list[StoredArticle]:
        """Every article of a library (without text), newest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_LIGHT_COLUMNS} FROM articles WHERE library = ? "
                "ORDER BY ingested_at DESC, title",
                (library,),
            ).fetchall()
        return [_stored(r) for r in rows]

    def delete(self, library: str, article_id: str) -> None:
        """Remove an article row."""
        with self.transaction():
            self._db.execute(
                "DELETE FROM articles WHERE library = ? AND id = ?", (library, article_id)
            )
            self._bump(library)

    def chunk_ids(self, library: str) -> dict[str, list[str]]:
        """article id -> its chunk ids, for the whole library."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, chunk_ids FROM articles WHERE library = ?", (library,)
            ).fetchall()
        return {r[0]: json.loads(r[1]) for r in rows}

    def count(self, library: str) -> tuple[int, int]:
        """(articles, chunks) in a library, counted by SQLite (asked before every question)."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(json_array_length(chunk_ids)), 0) "
                "FROM articles WHERE library = ?",
                (library,),
            ).fetchone()
        return int(row[0]), int(row[1])


def _stored(row: Sequence[object]) -> StoredArticle:
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
    ) = row
    chunk_list = json.loads(str(chunk_ids))
    article = Article(
        id=str(article_id),
        source=str(source),
        origin=str(origin),
        title=str(title),
        text=str(text),
        format=str(fmt),
        url=str(url) if url else None,
        date=dt.date.fromisoformat(str(date)) if date else None,
        author=str(author) if author else None,
        credits=json.loads(str(credits)),
        content_hash=str(content_hash),
        raw_hash=str(raw_hash),
        ingested_at=dt.datetime.fromisoformat(str(ingested_at)),
        n_chunks=len(chunk_list),
    )
    return StoredArticle(article=article, chunk_ids=chunk_list, chunker=str(chunker))
