"""The server catalog: PostgreSQL (ASSISTANT_DATABASE_URL), shared by processes and machines.

The same tables and the same transactions as the embedded SQLite catalog: an article, its chunk
rows and the library's counters and generation change in one transaction, and every write
transaction of a library starts by bumping its generation, which locks the library's row: writes
to one library are serialised by PostgreSQL itself, and the duplicate check inside `commit`
sees everything committed before it. The writer lock is a session advisory lock held on a
connection of its own: PostgreSQL releases it when the holder's connection ends, so a writer
that dies (SIGKILL, a lost machine) never leaves a library locked.

Keyword search has no shared index: each process keeps a BM25 index of a library in memory
(`Bm25Index`, ranking like FTS5) and brings it up to date before each search from what changed
since the generation it has seen: chunk rows carry the generation that wrote them, and removed
chunk ids are logged with theirs (the log keeps the last PRUNE_AFTER generations; an older index
is rebuilt). Snapshots under ASSISTANT_HOME/bm25-cache/<library>/ let a new process start from
the newest one instead of reading every chunk.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg.pq import TransactionStatus

from assistant.config import redact_url
from assistant.errors import ConfigError
from assistant.models import Article, Chunk
from assistant.store.catalog import (
    ARTICLE_COLUMNS,
    ArticleFilter,
    Committed,
    LibraryRow,
    Pending,
    StoredArticle,
    article_row,
    stored_article,
    vector_column,
)
from assistant.store.lexical import Bm25Index, terms

SCHEMA = """
CREATE TABLE IF NOT EXISTS libraries (
    name TEXT PRIMARY KEY,
    embedder TEXT NOT NULL,
    dim INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    generation BIGINT NOT NULL DEFAULT 0,
    n_articles BIGINT NOT NULL DEFAULT 0,
    n_chunks BIGINT NOT NULL DEFAULT 0,
    uid TEXT NOT NULL DEFAULT gen_random_uuid()::text,
    pruned BIGINT NOT NULL DEFAULT 0
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
    date DATE,
    author TEXT,
    credits TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    raw_hash TEXT NOT NULL,
    chunker TEXT NOT NULL,
    chunk_ids TEXT NOT NULL,
    ingested_at TIMESTAMPTZ NOT NULL,
    date_source TEXT,
    PRIMARY KEY (library, id)
);
ALTER TABLE articles ADD COLUMN IF NOT EXISTS date_source TEXT;
CREATE INDEX IF NOT EXISTS articles_content ON articles (library, content_hash);
CREATE INDEX IF NOT EXISTS articles_origin ON articles (library, origin);
CREATE INDEX IF NOT EXISTS articles_date ON articles (library, date, id);
CREATE INDEX IF NOT EXISTS articles_id_date ON articles (library, id, date);
CREATE TABLE IF NOT EXISTS chunks (
    n BIGSERIAL PRIMARY KEY,
    library TEXT NOT NULL,
    id TEXT NOT NULL,
    article_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    stop INTEGER NOT NULL,
    n_tokens INTEGER NOT NULL,
    text TEXT NOT NULL,
    generation BIGINT NOT NULL,
    UNIQUE (library, id)
);
ALTER TABLE chunks ADD COLUMN IF NOT EXISTS vector BYTEA;
CREATE INDEX IF NOT EXISTS chunks_article ON chunks (library, article_id);
CREATE INDEX IF NOT EXISTS chunks_generation ON chunks (library, generation);
CREATE TABLE IF NOT EXISTS removed (
    library TEXT NOT NULL,
    generation BIGINT NOT NULL,
    chunk_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS removed_generation ON removed (library, generation);
CREATE TABLE IF NOT EXISTS intents (
    library TEXT NOT NULL,
    chunk_id TEXT NOT NULL,
    PRIMARY KEY (library, chunk_id)
);
"""
SCHEMA_LOCK = 0x41535354  # advisory key serialising schema creation ("ASST")
PRUNE_AFTER = 1000  # generations the removal log keeps for keyword caches to catch up with
POOL_SIZE = 8  # idle connections kept for reuse
CONNECT_TIMEOUT = 10  # seconds

_SELECT = ", ".join(ARTICLE_COLUMNS)
_LIGHT = _SELECT.replace("text,", "'' AS text,", 1)
_INSERT = ", ".join(
    f"%({c})s::date"
    if c == "date"
    else f"%({c})s::timestamptz"
    if c == "ingested_at"
    else f"%({c})s"
    for c in ARTICLE_COLUMNS
)
_CHUNK = "id, article_id, idx, start, stop, n_tokens, text"
_LIBRARY = "name, embedder, dim, created_at, n_articles, n_chunks"

Row = tuple[Any, ...]
Connection = psycopg.Connection[Row]


def writer_key(library: str) -> int:
    """The advisory lock key of a library's writer lock (a signed 64-bit integer)."""
    digest = hashlib.sha256(f"assistant-writer:{library}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


class _Pool:
    """Connections for any thread: each operation borrows one and gives it back."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._idle: list[Connection] = []
        self._lock = threading.Lock()

    def connect(self) -> Connection:
        """A new autocommit connection in UTC, or a ConfigError saying what to check."""
        try:
            conn = psycopg.connect(
                self.url,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT,
                keepalives=1,
                keepalives_idle=30,
                keepalives_interval=10,
                keepalives_count=3,
                application_name="article-assistant",
            )
        except psycopg.Error as error:
            raise ConfigError(
                f"cannot connect to PostgreSQL at {redact_url(self.url)} (ASSISTANT_DATABASE_URL): "
                f"{_first_line(error)}; is the server running and does the database exist?"
            ) from None
        conn.execute("SET TIME ZONE 'UTC'")
        return conn

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """Borrow a connection; a lost connection is a ConfigError, never a traceback."""
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None or conn.closed:
            conn = self.connect()
        try:
            yield conn
        except psycopg.OperationalError as error:
            conn.close()
            raise ConfigError(
                f"lost the connection to PostgreSQL at {redact_url(self.url)}: {_first_line(error)}"
            ) from None
        finally:
            reusable = not conn.closed and conn.info.transaction_status == TransactionStatus.IDLE
            with self._lock:
                if reusable and len(self._idle) < POOL_SIZE:
                    self._idle.append(conn)
                    conn = None
            if conn is not None:
                conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


class PostgresCatalog:
    """Every library of one PostgreSQL database; thread-, process- and machine-safe.

    `cache` is the folder (under ASSISTANT_HOME) for snapshots of the keyword indexes.
    """

    def __init__(self, url: str, cache: Path) -> None:
        if urlsplit(url).scheme not in ("postgresql", "postgres"):
            raise ConfigError(
                f"ASSISTANT_DATABASE_URL {redact_url(url)!r} is not a postgresql:// URL, e.g. "
                "postgresql://user:password@host:5432/assistant"
            )
        self.url = url
        self.cache = cache
        self._pool = _Pool(url)
        self._lock = threading.Lock()
        self._writers: dict[str, tuple[threading.RLock, list[int], list[Connection | None]]] = {}
        self._lexical: dict[str, PostgresLexical] = {}
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)

    def close(self) -> None:
        """Close every connection (a writer lock still held is released with its own)."""
        self._pool.close()
        with self._lock:
            for _, _, holder in self._writers.values():
                if holder[0] is not None:
                    holder[0].close()

    def _rows(self, sql: str, params: Sequence[object] | dict[str, object] = ()) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(sql, params).fetchall()

    @contextmanager
    def _writing(self, library: str) -> Iterator[tuple[Connection, int]]:
        """A write transaction of a library: bumps its generation first, which locks its row
        until the commit (writes to one library take turns); yields (connection, generation)."""
        with self._pool.connection() as conn, conn.transaction():
            row = conn.execute(
                "UPDATE libraries SET generation = generation + 1 WHERE name = %s "
                "RETURNING generation",
                (library,),
            ).fetchone()
            yield conn, int(row[0]) if row else 0

    # Libraries

    def library(self, name: str) -> LibraryRow | None:
        """The library row, or None when it was never created."""
        rows = self._rows(f"SELECT {_LIBRARY} FROM libraries WHERE name = %s", (name,))
        return _library(rows[0]) if rows else None

    def create_library(self, name: str, embedder: str) -> LibraryRow:
        """Record a new library built with `embedder` (idempotent)."""
        self._rows(
            "INSERT INTO libraries (name, embedder, dim, created_at) VALUES (%s, %s, 0, %s) "
            "ON CONFLICT (name) DO NOTHING RETURNING name",
            (name, embedder, dt.datetime.now(dt.UTC).replace(microsecond=0)),
        )
        row = self.library(name)
        assert row is not None
        return row

    def set_dim(self, name: str, dim: int) -> None:
        """Record the vector size once the first vectors exist."""
        self._rows("UPDATE libraries SET dim = %s WHERE name = %s RETURNING dim", (dim, name))

    def generation(self, name: str) -> int:
        """A counter that grows with every change to the library's articles."""
        rows = self._rows("SELECT generation FROM libraries WHERE name = %s", (name,))
        return int(rows[0][0]) if rows else 0

    def libraries(self) -> list[LibraryRow]:
        """Every library, by name."""
        rows = self._rows(f'SELECT {_LIBRARY} FROM libraries ORDER BY name COLLATE "C"')
        return [_library(r) for r in rows]

    def drop_library(self, name: str) -> None:
        """Forget a library, its articles, chunks and intents (and this process's keyword
        cache of it)."""
        with self._writing(name) as (conn, _):
            for table in ("articles", "chunks", "intents", "removed"):
                conn.execute(f"DELETE FROM {table} WHERE library = %s", (name,))
            conn.execute("DELETE FROM libraries WHERE name = %s", (name,))
        with self._lock:
            self._lexical.pop(name, None)
        shutil.rmtree(self.cache / _folder_name(name), ignore_errors=True)

    def count(self, library: str) -> tuple[int, int]:
        """(articles, chunks) in a library, from the counters kept with every write."""
        row = self.library(library)
        return (row.n_articles, row.n_chunks) if row else (0, 0)

    # Writing articles

    def commit(self, library: str, pending: Sequence[Pending]) -> list[Committed]:
        """Write articles with their chunks, in one transaction.

        Inside it, each article is checked again against what other writers committed since it
        was prepared: the same text under another id is a duplicate, the same text under its
        own id is unchanged. Chunk ids that no article owns afterwards are returned as `stale`
        and stay recorded as intents until the caller has removed them from the vector store.
        """
        out: list[Committed] = []
        with self._writing(library) as (conn, generation):
            for item in pending:
                out.append(self._commit_one(conn, library, item, generation))
            touched = {c.id for p in pending for c in p.chunks} | {i for c in out for i in c.stale}
            stale = {i for c in out for i in c.stale}
            _forget(conn, library, sorted(touched - stale))
            _intend(conn, library, sorted(stale))
            if generation % 100 == 0 and generation > PRUNE_AFTER:
                conn.execute(
                    "DELETE FROM removed WHERE library = %s AND generation <= %s",
                    (library, generation - PRUNE_AFTER),
                )
                conn.execute(
                    "UPDATE libraries SET pruned = %s WHERE name = %s",
                    (generation - PRUNE_AFTER, library),
                )
        return out

    def _commit_one(
        self, conn: Connection, library: str, item: Pending, generation: int
    ) -> Committed:
        article = item.article
        previous = _get(conn, library, article.id, light=True)
        if previous is None and item.replaces:
            previous = _get(conn, library, item.replaces, light=True)
        new_ids = [c.id for c in item.chunks]
        if (
            previous is not None
            and previous.article.id == article.id
            and previous.article.content_hash == article.content_hash
            and previous.chunker == item.chunker
        ):
            if previous.article.raw_hash != article.raw_hash:
                conn.execute(
                    "UPDATE articles SET raw_hash = %s WHERE library = %s AND id = %s",
                    (article.raw_hash, library, article.id),
                )
            stale = sorted(set(new_ids) - set(previous.chunk_ids))
            return Committed(article_id=article.id, status="unchanged", stale=stale)
        replaced = previous.article.id if previous is not None else None
        twin = _twin(conn, library, article.content_hash, {article.id, replaced})
        if twin is not None:
            stale = sorted(set(new_ids) - set(twin.chunk_ids))
            return Committed(article_id=twin.article.id, status="duplicate", twin=twin, stale=stale)
        if previous is not None:
            _remove(conn, library, previous.article.id, generation)
        _insert(conn, library, article, item.chunks, item.chunker, generation, item.vectors)
        stale = sorted(set(previous.chunk_ids) - set(new_ids)) if previous else []
        status = "updated" if previous is not None else "added"
        return Committed(article_id=article.id, status=status, stale=stale)

    def restore(
        self,
        library: str,
        stored: StoredArticle,
        chunks: Sequence[Chunk],
        vectors: Sequence[bytes] = (),
    ) -> None:
        """Write an article as it was (a migration or an import): no duplicate checks."""
        with self._writing(library) as (conn, generation):
            _remove(conn, library, stored.article.id, generation)
            _insert(conn, library, stored.article, chunks, stored.chunker, generation, vectors)

    def recount(self, library: str) -> None:
        """Set a library's counters from its rows (after a migration)."""
        with self._writing(library) as (conn, _):
            conn.execute(
                "UPDATE libraries SET "
                "n_articles = (SELECT COUNT(*) FROM articles WHERE library = %s), "
                "n_chunks = (SELECT COUNT(*) FROM chunks WHERE library = %s) WHERE name = %s",
                (library, library, library),
            )

    def delete(self, library: str, article_id: str) -> list[str]:
        """Remove an article; its chunk ids, recorded as intents until the caller has removed
        them from the vector store."""
        with self._writing(library) as (conn, generation):
            removed = _remove(conn, library, article_id, generation)
            _intend(conn, library, removed)
        return removed

    # Reading articles

    def get(self, library: str, article_id: str) -> StoredArticle | None:
        """An article by id."""
        rows = self._rows(
            f"SELECT {_SELECT} FROM articles WHERE library = %s AND id = %s", (library, article_id)
        )
        return stored_article(rows[0]) if rows else None

    def get_many(self, library: str, article_ids: Sequence[str]) -> dict[str, StoredArticle]:
        """Articles by id (missing ids are absent from the result)."""
        rows = self._rows(
            f"SELECT {_SELECT} FROM articles WHERE library = %s AND id = ANY(%s)",
            (library, list(dict.fromkeys(article_ids))),
        )
        return {s.article.id: s for s in map(stored_article, rows)}

    def find_prefix(self, library: str, prefix: str) -> list[str]:
        """Ids starting with `prefix` (so users can type a short id)."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._rows(
            "SELECT id FROM articles WHERE library = %s AND id LIKE %s ESCAPE '\\' "
            'ORDER BY id COLLATE "C" LIMIT 10',
            (library, escaped + "%"),
        )
        return [str(r[0]) for r in rows]

    def find_content(self, library: str, content_hash: str) -> StoredArticle | None:
        """An article with exactly this cleaned text, if any."""
        rows = self._rows(
            f"SELECT {_LIGHT} FROM articles WHERE library = %s AND content_hash = %s LIMIT 1",
            (library, content_hash),
        )
        return stored_article(rows[0]) if rows else None

    def from_origin(self, library: str, origin: str) -> list[StoredArticle]:
        """Articles read from one file or URL (without their text)."""
        rows = self._rows(
            f"SELECT {_LIGHT} FROM articles WHERE library = %s AND origin = %s", (library, origin)
        )
        return [stored_article(r) for r in rows]

    def all(self, library: str) -> list[StoredArticle]:
        """Every article of a library (without text), newest first."""
        rows = self._rows(
            f"SELECT {_LIGHT} FROM articles WHERE library = %s "
            'ORDER BY ingested_at DESC, title COLLATE "C"',
            (library,),
        )
        return [stored_article(r) for r in rows]

    def chunk_ids(self, library: str) -> dict[str, list[str]]:
        """article id -> its chunk ids, for the whole library."""
        rows = self._rows("SELECT id, chunk_ids FROM articles WHERE library = %s", (library,))
        return {str(r[0]): json.loads(str(r[1])) for r in rows}

    def filter_articles(
        self, library: str, where: ArticleFilter, limit: int | None = None
    ) -> list[str]:
        """Ids of the articles that pass every given filter (evaluated by PostgreSQL), at
        most `limit` of them."""
        sql = ["SELECT id FROM articles WHERE library = %s"]
        params: list[object] = [library]
        if where.article_ids is not None:
            sql.append("AND id = ANY(%s)")
            params.append(list(where.article_ids))
        if where.source:
            sql.append(
                "AND (strpos(lower(source), %s) > 0 OR strpos(lower(coalesce(url, '')), %s) > 0)"
            )
            params += [where.source.lower(), where.source.lower()]
        if where.title:
            sql.append("AND strpos(lower(title), %s) > 0")
            params.append(where.title.lower())
        if where.date_from:
            sql.append("AND date >= %s")
            params.append(where.date_from)
        if where.date_to:
            sql.append("AND date <= %s")
            params.append(where.date_to)
        if limit is not None:
            sql.append("LIMIT %s")
            params.append(limit)
        return [str(r[0]) for r in self._rows(" ".join(sql), params)]

    def newest_date(self, library: str, until: dt.date) -> dt.date | None:
        """The latest publication date not after `until` in a library (None: no dated article)."""
        rows = self._rows(
            "SELECT max(date) FROM articles WHERE library = %s AND date <= %s", (library, until)
        )
        value = rows[0][0] if rows else None
        return value if isinstance(value, dt.date) else None

    # Chunks

    def chunks(self, library: str, article_id: str) -> list[Chunk]:
        """An article's chunks, in order."""
        rows = self._rows(
            f"SELECT {_CHUNK} FROM chunks WHERE library = %s AND article_id = %s ORDER BY idx",
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
            f"SELECT {_CHUNK}, vector FROM chunks WHERE library = %s AND id = ANY(%s)",
            (library, list(chunk_ids)),
        )
        chunks = {str(r[0]): _chunk(r[:-1]) for r in rows}
        return chunks, {str(r[0]): bytes(r[-1]) for r in rows if r[-1] is not None}

    def vector_rows(self, library: str) -> tuple[list[str], list[str], list[bytes]] | None:
        """Every committed chunk's id, article id and `packed` vector, in row order; None
        when a chunk has no vector copy."""
        rows = self._rows(
            "SELECT id, article_id, vector FROM chunks WHERE library = %s ORDER BY n",
            (library,),
        )
        if any(r[2] is None for r in rows):
            return None
        return [str(r[0]) for r in rows], [str(r[1]) for r in rows], [bytes(r[2]) for r in rows]

    def owned(self, library: str, chunk_ids: Sequence[str]) -> set[str]:
        """The chunk ids an article owns."""
        return set(self.owners(library, chunk_ids))

    def owners(self, library: str, chunk_ids: Sequence[str]) -> dict[str, str]:
        """chunk id -> the article that owns it, for the owned ones."""
        rows = self._rows(
            "SELECT id, article_id FROM chunks WHERE library = %s AND id = ANY(%s)",
            (library, list(chunk_ids)),
        )
        return {str(r[0]): str(r[1]) for r in rows}

    def iter_chunks(self, library: str, page: int = 2000) -> Iterator[Chunk]:
        """Every committed chunk of a library, page by page."""
        last = 0
        while True:
            rows = self._rows(
                f"SELECT n, {_CHUNK} FROM chunks WHERE library = %s AND n > %s ORDER BY n LIMIT %s",
                (library, last, page),
            )
            for row in rows:
                yield _chunk(row[1:])
            if len(rows) < page:
                return
            last = int(rows[-1][0])

    # Writes in flight

    @contextmanager
    def writer_lock(self, library: str) -> Iterator[None]:
        """One writer per library across threads, processes and machines: a PostgreSQL
        advisory lock on a connection of its own, released by the server if the holder dies."""
        with self._lock:
            lock, depth, holder = self._writers.setdefault(
                library, (threading.RLock(), [0], [None])
            )
        with lock:
            if depth[0]:
                depth[0] += 1
                try:
                    yield
                finally:
                    depth[0] -= 1
                return
            conn = holder[0]
            if conn is None or conn.closed:
                conn = holder[0] = self._pool.connect()
            key = writer_key(library)
            try:
                conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            except psycopg.OperationalError as error:
                conn.close()
                raise ConfigError(
                    f"lost the connection to PostgreSQL at {redact_url(self.url)}: "
                    f"{_first_line(error)}"
                ) from None
            depth[0] = 1
            try:
                yield
            finally:
                depth[0] = 0
                try:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
                except psycopg.Error:
                    conn.close()  # the server releases the lock with the session

    def intend(self, library: str, chunk_ids: Sequence[str]) -> None:
        """Record chunks about to be written to the vector store (before writing them)."""
        with self._pool.connection() as conn, conn.transaction():
            _intend(conn, library, chunk_ids)

    def intents(self, library: str) -> list[str]:
        """Chunk ids recorded as in flight; under the writer lock, those of a dead writer."""
        rows = self._rows("SELECT chunk_id FROM intents WHERE library = %s", (library,))
        return [str(r[0]) for r in rows]

    def forget_intents(self, library: str, chunk_ids: Sequence[str]) -> None:
        """Clear intents once their chunks are committed or removed from the vector store."""
        with self._pool.connection() as conn, conn.transaction():
            _forget(conn, library, chunk_ids)

    # Keyword search

    def lexical(self, library: str) -> PostgresLexical:
        """BM25 over the library's chunks (title and text), brought up to date."""
        with self._lock:
            index = self._lexical.get(library)
            if index is None:
                index = self._lexical[library] = PostgresLexical(
                    self, library, self.cache / _folder_name(library)
                )
        index.refresh()
        return index

    def changes(
        self, library: str, since: tuple[str, int] | None
    ) -> tuple[tuple[str, int], list[str] | None, list[tuple[str, str, list[str]]]]:
        """What a keyword index at `since` (library uid, generation) must apply to reach the
        current generation, read in one snapshot: ((uid, generation), removed chunk ids, added
        (chunk id, article id, terms)). Removed is None when the index must be rebuilt from
        the added chunks alone (another library of the same name, or an index too old)."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT uid, generation FROM libraries WHERE name = %s", (library,)
            ).fetchone()
            if row is not None and since == (str(row[0]), int(row[1])):
                return since, [], []
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                row = conn.execute(
                    "SELECT uid, generation, pruned FROM libraries WHERE name = %s", (library,)
                ).fetchone()
                if row is None:
                    return ("", 0), None, []
                uid, generation, pruned = str(row[0]), int(row[1]), int(row[2])
                current = (uid, generation)
                if since == current:
                    return current, [], []
                full = since is None or since[0] != uid or not pruned <= since[1] <= generation
                after = -1 if full or since is None else since[1]
                removed: list[str] | None = None
                if not full:
                    removed = [
                        str(r[0])
                        for r in conn.execute(
                            "SELECT chunk_id FROM removed WHERE library = %s AND generation > %s",
                            (library, after),
                        )
                    ]
                added: list[tuple[str, str, list[str]]] = []
                with conn.cursor(name=f"chunks_{secrets.token_hex(4)}") as cursor:
                    cursor.itersize = 2000
                    cursor.execute(
                        "SELECT c.id, c.article_id, a.title, c.text FROM chunks c "
                        "JOIN articles a ON a.library = c.library AND a.id = c.article_id "
                        "WHERE c.library = %s AND c.generation > %s",
                        (library, after),
                    )
                    for chunk_id, article_id, title, text in cursor:
                        added.append((str(chunk_id), str(article_id), terms(f"{title}\n{text}")))
        return current, removed, added


class PostgresLexical:
    """This process's BM25 index of one library, updated from the catalog's changes before
    each search; thread-safe."""

    SAVE_AFTER = 2000  # chunk changes applied since the last snapshot before saving another

    def __init__(self, catalog: PostgresCatalog, library: str, folder: Path) -> None:
        self.catalog = catalog
        self.library = library
        self.folder = folder
        self.index = Bm25Index()
        self.version: tuple[str, int] | None = None
        self.unsaved = 0
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Bring the index to the library's current generation."""
        with self._lock:
            if self.version is None:
                self._load()
            current, removed, added = self.catalog.changes(self.library, self.version)
            if current == self.version:
                return
            if removed is None:
                self.index = Bm25Index()
                self.unsaved = len(added) + self.SAVE_AFTER
            for chunk_id in removed or []:
                self.index.remove(chunk_id)
            for chunk_id, article_id, words in added:
                self.index.add(chunk_id, article_id, words)
            self.version = current
            self.unsaved += len(added) + len(removed or [])
            if self.unsaved >= self.SAVE_AFTER and current[0]:
                self._save()

    def search(
        self, query: str, k: int, allowed: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """The k best (chunk id, BM25 score) pairs, best first; `allowed`: article ids."""
        self.refresh()
        with self._lock:
            return self.index.search(query, k, allowed)

    def idf(self, term: str) -> float:
        """Inverse document frequency of an index term over the library's chunks."""
        with self._lock:
            return self.index.idf(term)

    # Snapshots: <folder>/<uid>-<generation>/, written to a staging folder and renamed.

    def _snapshots(self, uid: str | None = None) -> list[tuple[int, Path]]:
        """(generation, folder) of the snapshots of library `uid` (None: of any), newest
        first."""
        found = []
        for path in self.folder.glob("*-*"):
            owner, _, generation = path.name.rpartition("-")
            if path.name.startswith(".") or not generation.isdigit() or not owner:
                continue
            if uid is None or owner == uid:
                found.append((int(generation), path))
        return sorted(found, reverse=True)

    def _load(self) -> None:
        """Start from the newest readable snapshot of this library (same uid, not ahead of the
        catalog), if there is one; a vanished or damaged one is skipped."""
        rows = self.catalog._rows(
            "SELECT uid, generation FROM libraries WHERE name = %s", (self.library,)
        )
        if not rows:
            return
        uid, generation = str(rows[0][0]), int(rows[0][1])
        for saved, path in self._snapshots(uid):
            if saved > generation:
                continue
            try:
                index, info = Bm25Index.load(path)
                version = (str(info["uid"]), int(str(info["generation"])))
            except (OSError, ValueError, KeyError):
                continue
            self.index, self.version, self.unsaved = index, version, 0
            return

    def _save(self) -> None:
        """Write a snapshot (staging folder, then an atomic rename) and drop older ones."""
        assert self.version is not None
        uid, generation = self.version
        target = self.folder / f"{uid}-{generation:012d}"
        staging = self.folder / f".tmp-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            staging.mkdir(parents=True)
            self.index.save(staging, {"uid": uid, "generation": generation})
            staging.rename(target)
        except OSError:  # another process saved this generation, or the disk is full
            shutil.rmtree(staging, ignore_errors=True)
            return
        self.unsaved = 0
        keep = {path for _, path in self._snapshots(uid)[:2]}
        for _, path in self._snapshots():
            if path not in keep:  # older ones, and those of a library of the same name dropped
                shutil.rmtree(path, ignore_errors=True)


# Statements run inside a caller's transaction


def _get(
    conn: Connection, library: str, article_id: str, *, light: bool = False
) -> StoredArticle | None:
    row = conn.execute(
        f"SELECT {_LIGHT if light else _SELECT} FROM articles WHERE library = %s AND id = %s",
        (library, article_id),
    ).fetchone()
    return stored_article(row) if row else None


def _twin(
    conn: Connection, library: str, content_hash: str, exclude: set[str | None]
) -> StoredArticle | None:
    rows = conn.execute(
        f"SELECT {_LIGHT} FROM articles WHERE library = %s AND content_hash = %s",
        (library, content_hash),
    ).fetchall()
    for row in rows:
        stored = stored_article(row)
        if stored.article.id not in exclude:
            return stored
    return None


def _insert(
    conn: Connection,
    library: str,
    article: Article,
    chunks: Sequence[Chunk],
    chunker: str,
    generation: int,
    vectors: Sequence[bytes] = (),
) -> None:
    values = {
        k: v.replace("\x00", "") if isinstance(v, str) else v
        for k, v in article_row(article, chunker, [c.id for c in chunks]).items()
    }
    conn.execute(
        f"INSERT INTO articles (library, {_SELECT}) VALUES (%(library)s, {_INSERT})",
        {"library": library, **values},
    )
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO chunks (library, id, article_id, idx, start, stop, n_tokens, text, "
            "generation, vector) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    library,
                    c.id,
                    article.id,
                    c.index,
                    c.start,
                    c.end,
                    c.n_tokens,
                    c.text.replace("\x00", ""),
                    generation,
                    vector,
                )
                for c, vector in zip(chunks, vector_column(chunks, vectors), strict=True)
            ],
        )
    conn.execute(
        "UPDATE libraries SET n_articles = n_articles + 1, n_chunks = n_chunks + %s "
        "WHERE name = %s",
        (len(chunks), library),
    )


def _remove(conn: Connection, library: str, article_id: str, generation: int) -> list[str]:
    """Delete an article's rows (article, chunks); its chunk ids, logged as removed."""
    removed = [
        str(r[0])
        for r in conn.execute(
            "DELETE FROM chunks WHERE library = %s AND article_id = %s RETURNING id",
            (library, article_id),
        ).fetchall()
    ]
    gone = conn.execute(
        "DELETE FROM articles WHERE library = %s AND id = %s", (library, article_id)
    ).rowcount
    if removed:
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO removed (library, generation, chunk_id) VALUES (%s, %s, %s)",
                [(library, generation, chunk_id) for chunk_id in removed],
            )
    if gone or removed:
        conn.execute(
            "UPDATE libraries SET n_articles = n_articles - %s, n_chunks = n_chunks - %s "
            "WHERE name = %s",
            (max(gone, 0), len(removed), library),
        )
    return removed


def _intend(conn: Connection, library: str, chunk_ids: Sequence[str]) -> None:
    if chunk_ids:
        conn.execute(
            "INSERT INTO intents (library, chunk_id) SELECT %s, unnest(%s::text[]) "
            "ON CONFLICT DO NOTHING",
            (library, list(chunk_ids)),
        )


def _forget(conn: Connection, library: str, chunk_ids: Sequence[str]) -> None:
    if chunk_ids:
        conn.execute(
            "DELETE FROM intents WHERE library = %s AND chunk_id = ANY(%s)",
            (library, list(chunk_ids)),
        )


def _folder_name(library: str) -> str:
    """A folder name for a library's keyword snapshots."""
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", library):
        return library
    return hashlib.sha256(library.encode()).hexdigest()[:16]


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


def _library(row: Sequence[object]) -> LibraryRow:
    created = row[3]
    assert isinstance(created, dt.datetime)
    return LibraryRow(
        name=str(row[0]),
        embedder=str(row[1]),
        dim=int(str(row[2])),
        created_at=created,
        n_articles=int(str(row[4])),
        n_chunks=int(str(row[5])),
    )
