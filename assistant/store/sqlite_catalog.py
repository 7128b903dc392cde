"""The embedded catalog: one SQLite file under ASSISTANT_HOME, a BM25 index per library (FTS5).

SQLite's own locking makes it safe for many processes; the writer lock of a library is a lock
file (`flock`, released by the kernel when a writer dies). Keyword search is FTS5 over the
chunks' index terms, with its built-in bm25 ranking, updated in the same transaction as the
article row: adding or removing k articles costs O(k), whatever the size of the library.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import logging
import math
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from assistant.models import Article, Chunk
from assistant.store.catalog import (
    ARTICLE_COLUMNS,
    ArticleFilter,
    Committed,
    LibraryRow,
    Pending,
    StoredArticle,
    article_row,
    at_most,
    members,
    stored_article,
    vector_column,
)
from assistant.store.lexical import terms
from assistant.store.sqlite_impact import Changes, TopLists, create_sql, top_table

log = logging.getLogger(__name__)
FEW_CHUNKS = 2000  # a keyword search limited to at most this many chunks scores them directly

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
    date_source TEXT,
    PRIMARY KEY (library, id)
);
CREATE INDEX IF NOT EXISTS articles_content ON articles (library, content_hash);
CREATE INDEX IF NOT EXISTS articles_origin ON articles (library, origin);
CREATE INDEX IF NOT EXISTS articles_date ON articles (library, date, id);
CREATE INDEX IF NOT EXISTS articles_id_date ON articles (library, id, date);
CREATE TABLE IF NOT EXISTS chunks (
    n INTEGER PRIMARY KEY,
    library TEXT NOT NULL,
    id TEXT NOT NULL,
    article_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    stop INTEGER NOT NULL,
    n_tokens INTEGER NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (library, id)
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks (library, article_id);
CREATE INDEX IF NOT EXISTS chunks_owner ON chunks (library, id, article_id);
CREATE TABLE IF NOT EXISTS intents (
    library TEXT NOT NULL,
    chunk_id TEXT NOT NULL,
    PRIMARY KEY (library, chunk_id)
);
"""
LIBRARY_COLUMNS = {
    "n_articles": "INTEGER NOT NULL DEFAULT 0",
    "n_chunks": "INTEGER NOT NULL DEFAULT 0",
    "n_terms": "INTEGER NOT NULL DEFAULT 0",  # index terms in all chunks (average length)
    "top_built": "INTEGER NOT NULL DEFAULT 0",  # 1 once the impact lists hold every chunk
}
# Columns added to the articles table since its first version (NULL in older rows).
ARTICLE_ADDED_COLUMNS = {
    "date_source": "TEXT",  # metadata, text, feed, url or ingested; NULL: not recorded
}
# And to the chunks table.
CHUNK_ADDED_COLUMNS = {
    "vector": "BLOB",  # float16 copy of the chunk's vector (`packed`); NULL: not kept
}
_SELECT = ", ".join(ARTICLE_COLUMNS)
_LIGHT = _SELECT.replace("text,", "'' AS text,", 1)
_CHUNK = "id, article_id, idx, start, stop, n_tokens, text"


def fts_table(library: str) -> str:
    """The FTS5 table of a library: a safe SQL name whatever the library is called."""
    return "fts_" + hashlib.sha256(library.encode()).hexdigest()[:16]


def _chunk(row: Sequence[object]) -> Chunk:
    chunk_id, article_id, idx, start, stop, n_tokens, text = row
    return Chunk(
        id=str(chunk_id),
        article_id=str(article_id),
        index=int(str(idx)),
        start=int(str(start)),
        end=int(str(stop)),
        n_tokens=int(str(n_tokens)),
        text=str(text),
    )


class SqliteCatalog:
    """One SQLite file shared by all libraries under one ASSISTANT_HOME; thread- and
    process-safe."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.locks = path.parent / "locks"
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._reader: sqlite3.Connection | None = None  # see `reading`
        self._read_lock = threading.Lock()
        self._reading = threading.local()  # the connection a thread's `reading` holds
        self._depth = 0
        self._writers: dict[str, tuple[threading.RLock, list[int]]] = {}
        self._changes: dict[str, Changes] = {}  # keyword postings written in this transaction
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=60000")
            self._db.executescript(SCHEMA)
            have = {r[1] for r in self._db.execute("PRAGMA table_info(libraries)")}
            for column, kind in LIBRARY_COLUMNS.items():
                if column not in have:
                    self._db.execute(f"ALTER TABLE libraries ADD COLUMN {column} {kind}")
            have = {r[1] for r in self._db.execute("PRAGMA table_info(articles)")}
            for column, kind in ARTICLE_ADDED_COLUMNS.items():
                if column not in have:
                    self._db.execute(f"ALTER TABLE articles ADD COLUMN {column} {kind}")
            have = {r[1] for r in self._db.execute("PRAGMA table_info(chunks)")}
            for column, kind in CHUNK_ADDED_COLUMNS.items():
                if column not in have:
                    self._db.execute(f"ALTER TABLE chunks ADD COLUMN {column} {kind}")
            for (name,) in self._db.execute("SELECT name FROM libraries").fetchall():
                self._create_index(str(name))  # libraries from before the keyword index

    def close(self) -> None:
        """Close the database connections."""
        with self._lock:
            self._db.close()
        with self._read_lock:
            if self._reader is not None:
                self._reader.close()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads that need not wait for this process's writer: the writing
        thread's own connection inside its transaction, else a second connection, which reads
        the last commit (WAL) while another thread writes."""
        if self._lock.acquire(blocking=False):  # free, or held by this very thread
            try:
                if self._db.in_transaction:
                    yield self._db
                    return
            finally:
                self._lock.release()
        with self._read_lock:
            if self._reader is None:
                self._reader = sqlite3.connect(
                    str(self.path), check_same_thread=False, isolation_level=None
                )
                self._reader.execute("PRAGMA busy_timeout=60000")
            self._reading.db = self._reader
            try:
                yield self._reader
            finally:
                self._reading.db = None

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        """Rows read where this thread reads: inside its `reading`, on that connection (and
        in its transaction); else on the main one, like `_rows`."""
        db: sqlite3.Connection | None = getattr(self._reading, "db", None)
        if db is None:
            return self._rows(sql, params)
        return list(db.execute(sql, params).fetchall())

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
                self._apply_changes()
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0
                self._changes.clear()

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return list(self._db.execute(sql, params).fetchall())

    # Libraries

    def library(self, name: str) -> LibraryRow | None:
        """The library row, or None when it was never created."""
        rows = self._rows(
            "SELECT name, embedder, dim, created_at, n_articles, n_chunks FROM libraries "
            "WHERE name = ?",
            (name,),
        )
        return _library(rows[0]) if rows else None

    def create_library(self, name: str, embedder: str) -> LibraryRow:
        """Record a new library built with `embedder`, with its keyword index (idempotent)."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self.transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO libraries (name, embedder, dim, created_at) "
                "VALUES (?, ?, 0, ?)",
                (name, embedder, now),
            )
            self._create_index(name)
            self._db.execute(  # a new library's impact lists are complete: it has no chunks
                "UPDATE libraries SET top_built = 1 WHERE name = ? "
                "AND NOT EXISTS (SELECT 1 FROM chunks WHERE library = ?)",
                (name, name),
            )
        row = self.library(name)
        assert row is not None
        return row

    def _create_index(self, name: str) -> None:
        table = fts_table(name)
        self._db.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5("
            "terms, tokenize = 'unicode61 remove_diacritics 0')"
        )
        self._db.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {table}_vocab USING fts5vocab({table}, row)"
        )
        self._db.execute(create_sql(table))

    def set_dim(self, name: str, dim: int) -> None:
        """Record the vector size once the first vectors exist."""
        with self.transaction():
            self._db.execute("UPDATE libraries SET dim = ? WHERE name = ?", (dim, name))

    def generation(self, name: str) -> int:
        """A counter that grows with every change to the library's articles."""
        rows = self._rows("SELECT generation FROM libraries WHERE name = ?", (name,))
        return int(str(rows[0][0])) if rows else 0

    def libraries(self) -> list[LibraryRow]:
        """Every library, by name."""
        rows = self._rows(
            "SELECT name, embedder, dim, created_at, n_articles, n_chunks FROM libraries "
            "ORDER BY name"
        )
        return [_library(r) for r in rows]

    def drop_library(self, name: str) -> None:
        """Forget a library, its articles, chunks and keyword index."""
        table = fts_table(name)
        with self.transaction():
            for sql in (
                "DELETE FROM articles WHERE library = ?",
                "DELETE FROM chunks WHERE library = ?",
                "DELETE FROM intents WHERE library = ?",
                "DELETE FROM libraries WHERE name = ?",
            ):
                self._db.execute(sql, (name,))
            self._db.execute(f"DROP TABLE IF EXISTS {table}_vocab")
            self._db.execute(f"DROP TABLE IF EXISTS {top_table(table)}")
            self._db.execute(f"DROP TABLE IF EXISTS {table}")

    def count(self, library: str) -> tuple[int, int]:
        """(articles, chunks) in a library, from the counters kept with every write."""
        row = self.library(library)
        return (row.n_articles, row.n_chunks) if row else (0, 0)

    # Writing articles

    def commit(self, library: str, pending: Sequence[Pending]) -> list[Committed]:
        """Write articles with their chunks and keyword entries, in one transaction.

        Inside it, each article is checked again against what other writers committed since it
        was prepared: the same text under another id is a duplicate, the same text under its
        own id is unchanged. Chunk ids that no article owns afterwards are returned as `stale`
        and stay recorded as intents until the caller has removed them from the vector store.
        """
        out: list[Committed] = []
        with self.transaction():
            for item in pending:
                out.append(self._commit_one(library, item))
            touched = {c.id for p in pending for c in p.chunks} | {i for c in out for i in c.stale}
            stale = {i for c in out for i in c.stale}
            self._forget(library, sorted(touched - stale))
            self._intend(library, sorted(stale))
            self._bump(library)
        return out

    def _commit_one(self, library: str, item: Pending) -> Committed:
        article = item.article
        previous = self._get(library, article.id, light=True)
        if previous is None and item.replaces:
            previous = self._get(library, item.replaces, light=True)
        new_ids = [c.id for c in item.chunks]
        if (
            previous is not None
            and previous.article.id == article.id
            and previous.article.content_hash == article.content_hash
            and previous.chunker == item.chunker
        ):
            if previous.article.raw_hash != article.raw_hash:
                self._db.execute(
                    "UPDATE articles SET raw_hash = ? WHERE library = ? AND id = ?",
                    (article.raw_hash, library, article.id),
                )
            stale = sorted(set(new_ids) - set(previous.chunk_ids))
            return Committed(article_id=article.id, status="unchanged", stale=stale)
        replaced = previous.article.id if previous is not None else None
        twin = self._twin(library, article.content_hash, {article.id, replaced})
        if twin is not None:
            stale = sorted(set(new_ids) - set(twin.chunk_ids))
            return Committed(article_id=twin.article.id, status="duplicate", twin=twin, stale=stale)
        if previous is not None:
            self._remove(library, previous.article.id)
        self._insert(library, article, item.chunks, item.chunker, item.vectors)
        stale = sorted(set(previous.chunk_ids) - set(new_ids)) if previous else []
        status = "updated" if previous is not None else "added"
        return Committed(article_id=article.id, status=status, stale=stale)

    def _twin(
        self, library: str, content_hash: str, exclude: set[str | None]
    ) -> StoredArticle | None:
        for row in self._db.execute(
            f"SELECT {_LIGHT} FROM articles WHERE library = ? AND content_hash = ?",
            (library, content_hash),
        ).fetchall():
            stored = stored_article(row)
            if stored.article.id not in exclude:
                return stored
        return None

    def _insert(
        self,
        library: str,
        article: Article,
        chunks: Sequence[Chunk],
        chunker: str,
        vectors: Sequence[bytes] = (),
    ) -> None:
        values = article_row(article, chunker, [c.id for c in chunks])
        marks = ", ".join("?" * (len(ARTICLE_COLUMNS) + 1))
        self._db.execute(
            f"INSERT INTO articles (library, {_SELECT}) VALUES ({marks})",
            (library, *values.values()),
        )
        table = fts_table(library)
        words = [terms(f"{article.title}\n{chunk.text}") for chunk in chunks]
        changes = self._changes.setdefault(library, Changes())
        column = vector_column(chunks, vectors)
        for chunk, chunk_words, vector in zip(chunks, words, column, strict=True):
            cursor = self._db.execute(
                "INSERT INTO chunks (library, id, article_id, idx, start, stop, n_tokens, text, "
                "vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    library,
                    chunk.id,
                    article.id,
                    chunk.index,
                    chunk.start,
                    chunk.end,
                    chunk.n_tokens,
                    chunk.text,
                    vector,
                ),
            )
            assert cursor.lastrowid is not None
            self._db.execute(
                f"INSERT INTO {table} (rowid, terms) VALUES (?, ?)",
                (cursor.lastrowid, " ".join(chunk_words)),
            )
            changes.add(cursor.lastrowid, chunk_words)
        self._db.execute(
            "UPDATE libraries SET n_articles = n_articles + 1, n_chunks = n_chunks + ?, "
            "n_terms = n_terms + ? WHERE name = ?",
            (len(chunks), sum(map(len, words)), library),
        )

    def _remove(self, library: str, article_id: str) -> list[str]:
        """Delete an article's rows (article, chunks, keyword entries); its chunk ids."""
        table = fts_table(library)
        # With the index terms each chunk was written with. INDEXED BY: left to itself, the
        # planner prefers the covering chunks_owner index and reads a whole library's rows.
        rows = self._db.execute(
            f"SELECT c.n, c.id, ifnull(f.terms, '') FROM chunks c INDEXED BY chunks_article "
            f"LEFT JOIN {table} f "
            "ON f.rowid = c.n WHERE c.library = ? AND c.article_id = ?",
            (library, article_id),
        ).fetchall()
        changes = self._changes.setdefault(library, Changes())
        n_terms = 0
        for n, _, indexed in rows:
            self._db.execute(f"DELETE FROM {table} WHERE rowid = ?", (n,))
            words = str(indexed).split()
            changes.remove(int(n), words)
            n_terms += len(words)
        self._db.execute(
            "DELETE FROM chunks WHERE library = ? AND article_id = ?", (library, article_id)
        )
        gone = self._db.execute(
            "DELETE FROM articles WHERE library = ? AND id = ?", (library, article_id)
        ).rowcount
        self._db.execute(
            "UPDATE libraries SET n_articles = n_articles - ?, n_chunks = n_chunks - ?, "
            "n_terms = max(n_terms - ?, 0) WHERE name = ?",
            (gone, len(rows), n_terms, library),
        )
        return [str(chunk_id) for _, chunk_id, _ in rows]

    def restore(
        self,
        library: str,
        stored: StoredArticle,
        chunks: Sequence[Chunk],
        vectors: Sequence[bytes] = (),
    ) -> None:
        """Write an article as it was (a migration or an import): no duplicate checks."""
        with self.transaction():
            self._remove(library, stored.article.id)
            self._insert(library, stored.article, chunks, stored.chunker, vectors)
            self._bump(library)

    def recount(self, library: str) -> None:
        """Set a library's counters from its rows (after a migration)."""
        with self.transaction():
            self._db.execute(
                "UPDATE libraries SET "
                "n_articles = (SELECT COUNT(*) FROM articles WHERE library = ?), "
                "n_chunks = (SELECT COUNT(*) FROM chunks WHERE library = ?) WHERE name = ?",
                (library, library, library),
            )

    def delete(self, library: str, article_id: str) -> list[str]:
        """Remove an article; its chunk ids, recorded as intents until the caller has removed
        them from the vector store."""
        with self.transaction():
            removed = self._remove(library, article_id)
            self._intend(library, removed)
            self._bump(library)
        return removed

    def _bump(self, library: str) -> None:
        self._db.execute(
            "UPDATE libraries SET generation = generation + 1 WHERE name = ?", (library,)
        )

    # Reading articles

    def _get(self, library: str, article_id: str, *, light: bool = False) -> StoredArticle | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_LIGHT if light else _SELECT} FROM articles WHERE library = ? AND id = ?",
                (library, article_id),
            ).fetchone()
        return stored_article(row) if row else None

    def get(self, library: str, article_id: str) -> StoredArticle | None:
        """An article by id."""
        return self._get(library, article_id)

    def get_many(self, library: str, article_ids: Sequence[str]) -> dict[str, StoredArticle]:
        """Articles by id (missing ids are absent from the result)."""
        rows = self._rows(
            f"SELECT {_SELECT} FROM articles WHERE library = ? "
            "AND id IN (SELECT value FROM json_each(?))",
            (library, json.dumps(list(dict.fromkeys(article_ids)))),
        )
        return {s.article.id: s for s in map(stored_article, rows)}

    def find_prefix(self, library: str, prefix: str) -> list[str]:
        """Ids starting with `prefix` (so users can type a short id)."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._rows(
            "SELECT id FROM articles WHERE library = ? AND id LIKE ? ESCAPE '\\' LIMIT 10",
            (library, escaped + "%"),
        )
        return [str(r[0]) for r in rows]

    def find_content(self, library: str, content_hash: str) -> StoredArticle | None:
        """An article with exactly this cleaned text, if any."""
        rows = self._rows(
            f"SELECT {_LIGHT} FROM articles WHERE library = ? AND content_hash = ? LIMIT 1",
            (library, content_hash),
        )
        return stored_article(rows[0]) if rows else None

    def from_origin(self, library: str, origin: str) -> list[StoredArticle]:
        """Articles read from one file or URL (without their text)."""
        rows = self._rows(
            f"SELECT {_LIGHT} FROM articles WHERE library = ? AND origin = ?", (library, origin)
        )
        return [stored_article(r) for r in rows]

    def all(self, library: str) -> list[StoredArticle]:
        """Every article of a library (without text), newest first."""
        rows = self._rows(
            f"SELECT {_LIGHT} FROM articles WHERE library = ? ORDER BY ingested_at DESC, title",
            (library,),
        )
        return [stored_article(r) for r in rows]

    def chunk_ids(self, library: str) -> dict[str, list[str]]:
        """article id -> its chunk ids, for the whole library."""
        rows = self._rows("SELECT id, chunk_ids FROM articles WHERE library = ?", (library,))
        return {str(r[0]): json.loads(str(r[1])) for r in rows}

    def filter_articles(
        self, library: str, where: ArticleFilter, limit: int | None = None
    ) -> list[str]:
        """Ids of the articles that pass every given filter (evaluated by SQLite), at most
        `limit` of them. A keyword search asks about its candidates inside its own read
        (see `Matching`), on that read's connection."""
        sql = ["SELECT id FROM articles"]
        params: list[object] = []
        if where.article_ids is not None:
            # The few ids asked about, looked up with their dates: the planner would
            # otherwise walk a whole date range of articles_date.
            sql.append("INDEXED BY articles_id_date WHERE library = ?")
            sql.append("AND id IN (SELECT value FROM json_each(?))")
            params += [library, json.dumps(where.article_ids)]
        else:
            sql.append("WHERE library = ?")
            params.append(library)
        if where.source:
            sql.append("AND (instr(lower(source), ?) > 0 OR instr(lower(ifnull(url, '')), ?) > 0)")
            params += [where.source.lower(), where.source.lower()]
        if where.title:
            sql.append("AND instr(lower(title), ?) > 0")
            params.append(where.title.lower())
        if where.date_from:
            sql.append("AND date >= ?")
            params.append(where.date_from.isoformat())
        if where.date_to:
            sql.append("AND date <= ?")
            params.append(where.date_to.isoformat())
        if limit is not None:
            sql.append("LIMIT ?")
            params.append(limit)
        # One JSON array, not a row per id: a wide time window can pass 100,000 articles.
        found = self._read(f"SELECT json_group_array(id) FROM ({' '.join(sql)})", params)
        ids: list[str] = json.loads(str(found[0][0]))
        return ids

    def newest_date(self, library: str, until: dt.date) -> dt.date | None:
        """The latest publication date not after `until` in a library (None: no dated article)."""
        rows = self._rows(
            "SELECT max(date) FROM articles WHERE library = ? AND date <= ?",
            (library, until.isoformat()),
        )
        value = rows[0][0] if rows else None
        return dt.date.fromisoformat(str(value)) if value else None

    # Chunks

    def chunks(self, library: str, article_id: str) -> list[Chunk]:
        """An article's chunks, in order."""
        rows = self._rows(
            f"SELECT {_CHUNK} FROM chunks WHERE library = ? AND article_id = ? ORDER BY idx",
            (library, article_id),
        )
        return [_chunk(r) for r in rows]

    def chunks_by_id(self, library: str, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        """Committed chunks by id; chunks no article owns (yet, or any more) are absent."""
        return self.chunks_with_vectors(library, chunk_ids)[0]

    def chunks_with_vectors(
        self, library: str, chunk_ids: Sequence[str]
    ) -> tuple[dict[str, Chunk], dict[str, bytes]]:
        """`chunks_by_id`, and the `packed` vectors of those that have one."""
        rows = self._rows(
            f"SELECT {_CHUNK}, vector FROM chunks WHERE library = ? "
            "AND id IN (SELECT value FROM json_each(?))",
            (library, json.dumps(list(chunk_ids))),
        )
        chunks = {str(r[0]): _chunk(r[:-1]) for r in rows}
        return chunks, {str(r[0]): bytes(r[-1]) for r in rows if isinstance(r[-1], bytes)}

    def vector_rows(self, library: str) -> tuple[list[str], list[str], list[bytes]] | None:
        """Every committed chunk's id, article id and `packed` vector, in row order; None
        when a chunk has no vector copy."""
        rows = self._rows(
            "SELECT id, article_id, vector FROM chunks WHERE library = ? ORDER BY n",
            (library,),
        )
        blobs = [r[2] for r in rows]
        if not all(isinstance(b, bytes) for b in blobs):
            return None
        return (
            [str(r[0]) for r in rows],
            [str(r[1]) for r in rows],
            [b for b in blobs if isinstance(b, bytes)],
        )

    def owned(self, library: str, chunk_ids: Sequence[str]) -> set[str]:
        """The chunk ids an article owns."""
        return set(self.owners(library, chunk_ids))

    def owners(self, library: str, chunk_ids: Sequence[str]) -> dict[str, str]:
        """chunk id -> the article that owns it, for the owned ones."""
        rows = self._rows(
            "SELECT id, article_id FROM chunks WHERE library = ? "
            "AND id IN (SELECT value FROM json_each(?))",
            (library, json.dumps(list(chunk_ids))),
        )
        return {str(r[0]): str(r[1]) for r in rows}

    def iter_chunks(self, library: str, page: int = 2000) -> Iterator[Chunk]:
        """Every committed chunk of a library, page by page."""
        last = 0
        while True:
            rows = self._rows(
                f"SELECT n, {_CHUNK} FROM chunks WHERE library = ? AND n > ? ORDER BY n LIMIT ?",
                (library, last, page),
            )
            for row in rows:
                yield _chunk(row[1:])
            if len(rows) < page:
                return
            last = int(str(rows[-1][0]))

    # Writes in flight

    @contextmanager
    def writer_lock(self, library: str) -> Iterator[None]:
        """One writer per library across threads and processes (a lock file, `flock`)."""
        with self._lock:
            lock, depth = self._writers.setdefault(library, (threading.RLock(), [0]))
        with lock:
            if depth[0]:
                depth[0] += 1
                try:
                    yield
                finally:
                    depth[0] -= 1
                return
            self.locks.mkdir(parents=True, exist_ok=True)
            name = hashlib.sha256(library.encode()).hexdigest()[:16]
            with (self.locks / f"{name}.lock").open("a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                depth[0] = 1
                try:
                    yield
                finally:
                    depth[0] = 0
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def _intend(self, library: str, chunk_ids: Sequence[str]) -> None:
        self._db.executemany(
            "INSERT OR IGNORE INTO intents (library, chunk_id) VALUES (?, ?)",
            [(library, i) for i in chunk_ids],
        )

    def _forget(self, library: str, chunk_ids: Sequence[str]) -> None:
        self._db.execute(
            "DELETE FROM intents WHERE library = ? "
            "AND chunk_id IN (SELECT value FROM json_each(?))",
            (library, json.dumps(list(chunk_ids))),
        )

    def intend(self, library: str, chunk_ids: Sequence[str]) -> None:
        """Record chunks about to be written to the vector store (before writing them)."""
        with self.transaction():
            self._intend(library, chunk_ids)

    def intents(self, library: str) -> list[str]:
        """Chunk ids recorded as in flight; under the writer lock, those of a dead writer."""
        return [
            str(r[0])
            for r in self._rows("SELECT chunk_id FROM intents WHERE library = ?", (library,))
        ]

    def forget_intents(self, library: str, chunk_ids: Sequence[str]) -> None:
        """Clear intents once their chunks are committed or removed from the vector store."""
        with self.transaction():
            self._forget(library, chunk_ids)

    # Keyword search

    def _apply_changes(self) -> None:
        """Write this transaction's keyword postings into the impact lists (just before its
        commit); a library whose lists were never built gets them built now."""
        for library, changes in self._changes.items():
            built, n_chunks, n_terms = self._db.execute(
                "SELECT top_built, n_chunks, n_terms FROM libraries WHERE name = ?", (library,)
            ).fetchone() or (1, 0, 0)
            lists = TopLists(self._db, fts_table(library))
            if built:
                lists.apply(changes, n_terms / max(n_chunks, 1))
            else:
                self._build_top(library)

    def reindex(self, library: str, progress: Callable[[int], None] | None = None) -> None:
        """Build the library's impact lists from its chunks (libraries from before them)."""
        with self.transaction():
            self._build_top(library, progress)

    def _build_top(self, library: str, progress: Callable[[int], None] | None = None) -> None:
        table = fts_table(library)

        def page(after: int, limit: int) -> list[tuple[int, list[str]]]:
            rows = self._db.execute(  # the index terms FTS5 holds for each chunk
                f"SELECT rowid, terms FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (after, limit),
            ).fetchall()
            return [(int(n), str(indexed).split()) for n, indexed in rows]

        log.warning(
            "building the keyword index of library %r, once (about a minute per 300,000 chunks)",
            library,
        )
        total = TopLists(self._db, table).build(page, progress)
        self._db.execute(
            "UPDATE libraries SET top_built = 1, n_terms = ? WHERE name = ?", (total, library)
        )

    def lexical(self, library: str) -> SqliteLexical:
        """BM25 over the library's chunks (title and text)."""
        return SqliteLexical(self, library)


class SqliteLexical:
    """FTS5's bm25 over one library's index terms."""

    def __init__(self, catalog: SqliteCatalog, library: str) -> None:
        self.catalog = catalog
        self.library = library
        self.table = fts_table(library)

    def search(
        self, query: str, k: int, allowed: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """The k best (chunk id, BM25 score) pairs, best first; `allowed`: article ids.

        Once the impact lists are built: from them without `allowed`; by scoring the allowed
        articles' chunks directly when they are at most FEW_CHUNKS; else from the lists'
        candidates that are allowed, when they hold k. Otherwise (and before the lists exist)
        from FTS5 (`exact`)."""
        words = list(dict.fromkeys(terms(query)))
        if not words or k <= 0:
            return []
        with self.catalog.reading() as db:
            # One read transaction: the counts and the lists from the same commit (a writer
            # committing in between would give words more chunks than the library has).
            inside = db.in_transaction  # a writer's own search: its view already
            if not inside:
                db.execute("BEGIN")
            try:
                found = self._search_lists(db, words, k, allowed)
            finally:
                if not inside:
                    db.execute("COMMIT")
        if found is not None:
            return found
        return self.exact(query, k, allowed)

    def _search_lists(
        self, db: sqlite3.Connection, words: list[str], k: int, allowed: Collection[str] | None
    ) -> list[tuple[str, float]] | None:
        """`search` from the impact lists; None when FTS5 must rank (the caller holds `db`'s
        lock, in a read transaction)."""
        built, n_chunks, n_terms = db.execute(
            "SELECT top_built, n_chunks, n_terms FROM libraries WHERE name = ?",
            (self.library,),
        ).fetchone() or (0, 0, 0)
        if built and n_chunks:
            lists = TopLists(db, self.table)
            average = n_terms / n_chunks
            if allowed is None:
                return self._named(db, lists.search(words, n_chunks, average, k))
            if at_most(allowed, FEW_CHUNKS):  # maybe a narrow filter: score its chunks directly
                rows = db.execute(
                    "SELECT n FROM chunks WHERE library = ? AND article_id IN "
                    "(SELECT value FROM json_each(?)) LIMIT ?",
                    (self.library, json.dumps(list(allowed)), FEW_CHUNKS + 1),
                ).fetchall()
                if len(rows) <= FEW_CHUNKS:
                    ids = [int(r[0]) for r in rows]
                    return self._named(db, lists.within(words, ids, n_chunks, average, k))

            def keep(candidates: list[int]) -> set[int]:
                found = db.execute(
                    "SELECT n, article_id FROM chunks WHERE n IN (SELECT value FROM json_each(?))",
                    (json.dumps(candidates),),
                ).fetchall()
                passed = members(allowed, {str(article) for _, article in found})
                return {int(n) for n, article in found if article in passed}

            best = lists.search(words, n_chunks, average, k, keep)
            if len(best) == k:  # else the lists held too few allowed chunks: ask FTS5
                return self._named(db, best)
        return None

    def exact(
        self, query: str, k: int, allowed: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """`search` ranked by FTS5's bm25 over every matching chunk (slower, exact)."""
        words = list(dict.fromkeys(terms(query)))
        if not words or k <= 0:
            return []
        match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        t = self.table
        params: list[object] = [match]
        if allowed is None:
            # Rank inside FTS5 and join only the k best to their chunk rows.
            sql = (
                f"SELECT c.id, s.score FROM (SELECT rowid AS r, -rank AS score FROM {t} "
                f"WHERE {t} MATCH ? ORDER BY rank LIMIT ?) s JOIN chunks c ON c.n = s.r "
                "ORDER BY s.score DESC"
            )
            params.append(k)
        else:
            sql = (
                f"SELECT c.id, -bm25({t}) FROM {t} JOIN chunks c ON c.n = {t}.rowid "
                f"WHERE {t} MATCH ? AND c.article_id IN (SELECT value FROM json_each(?)) "
                f"ORDER BY bm25({t}) LIMIT ?"
            )
            params += [json.dumps(list(allowed)), k]
        try:
            rows = self.catalog._rows(sql, params)
        except sqlite3.OperationalError:  # no such table: a library created before FTS
            return []
        return [(str(r[0]), float(str(r[1]))) for r in rows if float(str(r[1])) > 0]

    def _named(
        self, db: sqlite3.Connection, best: list[tuple[int, float]]
    ) -> list[tuple[str, float]]:
        """(chunk row number, score) pairs as (chunk id, score) (the caller holds `db`'s lock)."""
        names = dict(
            db.execute(
                "SELECT n, id FROM chunks WHERE n IN (SELECT value FROM json_each(?))",
                (json.dumps([n for n, _ in best]),),
            ).fetchall()
        )
        return [(str(names[n]), value) for n, value in best if n in names]

    def idf(self, term: str) -> float:
        """Inverse document frequency of an index term over the library's chunks."""
        _, n = self.catalog.count(self.library)
        rows = self.catalog._rows(f"SELECT doc FROM {self.table}_vocab WHERE term = ?", (term,))
        df = int(str(rows[0][0])) if rows else 0
        return math.log(1 + (n + 1) / (df + 0.5))


def _library(row: Sequence[object]) -> LibraryRow:
    return LibraryRow(
        name=str(row[0]),
        embedder=str(row[1]),
        dim=int(str(row[2])),
        created_at=dt.datetime.fromisoformat(str(row[3])),
        n_articles=int(str(row[4])),
        n_chunks=int(str(row[5])),
    )
