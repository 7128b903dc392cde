"""A library: the catalog rows, vector-store chunks and embedder of one named collection.

Ingest is load -> clean -> dedupe -> chunk -> embed -> store, streamed: every FLUSH_CHUNKS
chunks are embedded and committed, so memory stays flat and a kill loses at most two flushes.
A flush is embedded in a worker thread while this thread writes the flush before it and reads
the sources of the next (the model releases the GIL, so the writes run beside it; on two cores
they still take CPU from it). An article that needs what an unwritten flush holds (the same id
or text) first waits for that flush to be written. A write holds the library's
writer lock (one writer at a time across threads, processes and, in server mode, machines):
it records the chunk ids as intents,
writes the vectors, commits the catalog rows (the commit point, where duplicates are decided
again against what other writers committed meanwhile), and removes the chunks no article owns
any more. `reconcile` removes only what a writer that died inside that section left: the
intents still recorded, minus what an article owns.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path

from assistant.embeddings import Embedder, Vectors
from assistant.errors import ConfigError, NotFoundError
from assistant.ingest.chunking import chunk_article, chunker_signature
from assistant.ingest.cleaning import clean_text, derive_title
from assistant.ingest.dates import choose_date
from assistant.ingest.loaders import MAX_FEED_ITEMS, LoadResult, count_inputs, iter_load
from assistant.models import (
    Article,
    Chunk,
    Document,
    IngestItem,
    IngestReport,
    IngestStatus,
    sha256_hex,
)
from assistant.store.catalog import (
    ArticleFilter,
    Catalog,
    Lexical,
    Matching,
    Pending,
    StoredArticle,
    packed_by,
)
from assistant.store.exact import ExactIndex
from assistant.store.vectors import VectorStore
from assistant.tokens import Tokenizer

Progress = Callable[[int, int, str], None]
"""progress(done, total, label): called as sources finish."""

FLUSH_CHUNKS = 256  # embed and commit in groups of about this many chunks
EDGE_CHUNKS = 64  # an ingest's first and last flush: embedding starts soon, little write waits
CACHED_FILTERS = 8  # article filters whose result a library keeps (per process)
WIDE = 5000  # a date window passing more articles is not listed (see `Matching`)
_LEGACY_ID = re.compile(r"[0-9a-f]{16}")  # ids before readable ids were sha256(source)[:16]


@dataclass
class _Pending:
    article: Article
    chunks: list[Chunk]
    previous: StoredArticle | None


class _Embedding:
    """One flush's chunks, embedded in a worker thread (a daemon: an interrupted ingest does
    not wait for it)."""

    def __init__(self, embedder: Embedder, pending: list[_Pending]) -> None:
        self.pending = pending
        self.ids = {p.article.id for p in pending}
        self.hashes = {p.article.content_hash for p in pending}
        self._texts = [c.text for p in pending for c in p.chunks]
        self._embedder = embedder
        self._vectors: Vectors | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="embed", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            if self._texts:
                self._vectors = self._embedder.embed(self._texts)
        except BaseException as error:  # re-raised in the ingesting thread by `vectors`
            self._error = error

    def vectors(self) -> Vectors | None:
        """The vectors in chunk order (None when the flush has no chunks)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._vectors


@dataclass
class _Batch:
    pending: list[_Pending] = field(default_factory=list)
    by_hash: dict[str, Article] = field(default_factory=dict)
    embedding: _Embedding | None = None
    """The flush before this one: being embedded, not yet written."""
    flushes: int = 0

    @property
    def n_chunks(self) -> int:
        return sum(len(p.chunks) for p in self.pending)

    def waits_on(self, article_id: str | None = None, content_hash: str | None = None) -> bool:
        """True when the unwritten flush holds this article id or text."""
        e = self.embedding
        return e is not None and (article_id in e.ids or content_hash in e.hashes)


@dataclass(frozen=True)
class IngestOptions:
    """How sources are found and read."""

    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    fetch_timeout: float = 20.0
    fetch_max_bytes: int = 10_000_000
    max_file_bytes: int = 100_000_000
    names: Mapping[str, str] = field(default_factory=dict)
    """A file input (as given) -> the name it is stored under."""
    host_delay: float = 0.0
    """Seconds between two requests to one host (feed items, sitemaps)."""
    robots: bool = True
    """Fetch feed items only where the site's robots.txt allows."""
    max_feed_items: int = MAX_FEED_ITEMS


@dataclass(frozen=True)
class ConsistencyReport:
    """What `reconcile` found and repaired."""

    orphan_chunks: int
    broken_articles: int

    @property
    def clean(self) -> bool:
        return self.orphan_chunks == 0 and self.broken_articles == 0


class Library:
    """One named library. Build it with `Assistant`; the parts are passed in, not created."""

    def __init__(
        self,
        name: str,
        *,
        catalog: Catalog,
        store: VectorStore,
        embedder: Embedder,
        tokenizer: Tokenizer,
        chunk_tokens: int = 200,
        flush_chunks: int = FLUSH_CHUNKS,
        chunk_overlap: int = 30,
        max_article_chars: int = 2_000_000,
        exact_search_chunks: int = 0,
    ) -> None:
        self.name = name
        self.catalog = catalog
        self.store = store
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.chunk_tokens = chunk_tokens
        self.chunk_overlap = chunk_overlap
        self.max_article_chars = max_article_chars
        self.flush_chunks = flush_chunks
        self.exact = ExactIndex(catalog, name, exact_search_chunks)
        """Dense search over the catalog's vector copies while the library is small."""
        self._filtered: dict[tuple[object, ...], AbstractSet[str]] = {}  # see `filter_articles`
        self._filtered_lock = threading.Lock()
        self._check_embedder()
        self._migrate()

    @functools.cached_property
    def chunker(self) -> str:
        """How this library cuts articles (tokenizer and sizes): read on first ingest, so that
        opening a library to ask does not load the tokenizer."""
        return chunker_signature(self.tokenizer.name, self.chunk_tokens, self.chunk_overlap)

    def _migrate(self) -> None:
        """Give articles of a catalog from before chunk rows their chunks (read from the
        vector store), once."""
        row = self.catalog.library(self.name)
        if row is None or row.n_articles:
            return
        stored = self.catalog.all(self.name)
        if not stored:
            return
        with self.catalog.writer_lock(self.name):
            for item in stored:
                full = self.catalog.get(self.name, item.article.id)
                if full is not None:
                    self.catalog.restore(self.name, full, self.store.get(full.chunk_ids))
            self.catalog.recount(self.name)

    def _check_embedder(self) -> None:
        row = self.catalog.library(self.name)
        if row is None:
            self.catalog.create_library(self.name, self.embedder.name)
        elif row.embedder != self.embedder.name:
            raise ConfigError(
                f"library {self.name!r} was built with embedder {row.embedder!r}, not "
                f"{self.embedder.name!r}: its vectors would not match. Use the same "
                "ASSISTANT_EMBEDDER / ASSISTANT_MODEL_DIR, or ingest into a new library "
                "with --library NAME"
            )

    # Ingest

    def ingest(
        self,
        inputs: Sequence[str | Path],
        options: IngestOptions | None = None,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Ingest files, folders and URLs; one bad source never stops the others."""
        options = options or IngestOptions()
        results = iter_load(
            inputs,
            include=options.include,
            exclude=options.exclude,
            fetch_timeout=options.fetch_timeout,
            fetch_max_bytes=options.fetch_max_bytes,
            max_file_bytes=options.max_file_bytes,
            is_unchanged=self.origin_unchanged,
            names=options.names,
            host_delay=options.host_delay,
            robots=options.robots,
            max_feed_items=options.max_feed_items,
        )
        total = count_inputs(inputs, options.include, options.exclude)
        return self.ingest_results(results, total=total, progress=progress)

    def ingest_results(
        self, results: Iterable[LoadResult], *, total: int = 0, progress: Progress | None = None
    ) -> IngestReport:
        """Ingest what a loader read (from `iter_load`, or feed items loaded one by one)."""
        started = time.perf_counter()
        self.reconcile()
        report = IngestReport(library=self.name)
        batch = _Batch()
        for done, result in enumerate(results, start=1):
            self._take(result, batch, report, progress=progress, done=done - 1, total=total)
            if progress:
                progress(done, max(total, done), result.label)
        self._finish(batch, report)
        report.seconds = time.perf_counter() - started
        return report

    def ingest_documents(self, documents: Iterable[Document]) -> IngestReport:
        """Ingest documents already in memory (e.g. text passed to the API)."""
        started = time.perf_counter()
        self.reconcile()
        report = IngestReport(library=self.name)
        batch = _Batch()
        for document in documents:
            self._prepare(document, batch, report)
            if batch.n_chunks >= self._flush_at(batch):
                self._flush(batch, report)
        self._finish(batch, report)
        report.seconds = time.perf_counter() - started
        return report

    def origin_unchanged(self, origin: str, raw_hash: str) -> bool:
        """True when every article read from `origin` came from these very bytes, chunked
        as this library chunks now: the source need not be parsed again."""
        stored = self.catalog.from_origin(self.name, origin)
        return bool(stored) and all(
            s.article.raw_hash == raw_hash
            and s.chunker == self.chunker
            and not _LEGACY_ID.fullmatch(s.article.id)
            for s in stored
        )

    def _take(
        self,
        result: LoadResult,
        batch: _Batch,
        report: IngestReport,
        *,
        progress: Progress | None = None,
        done: int = 0,
        total: int = 0,
    ) -> None:
        if result.error:
            report.items.append(
                IngestItem(source=result.label, status=IngestStatus.FAILED, reason=result.error)
            )
            return
        if result.unchanged:
            for stored in self.catalog.from_origin(self.name, result.origin):
                report.items.append(_item(stored.article, IngestStatus.UNCHANGED))
            return
        for problem in result.item_errors:
            report.items.append(
                IngestItem(source=result.label, status=IngestStatus.FAILED, reason=problem)
            )
        many = len(result.documents) > 1
        for number, document in enumerate(result.documents, start=1):
            self._prepare(document, batch, report, origin=result.origin)
            if batch.n_chunks >= self._flush_at(batch):
                self._flush(batch, report)
            if progress and many:
                label = f"{result.label} · article {number:,} of {len(result.documents):,}"
                progress(done, max(total, done + 1), label)

    def _prepare(
        self, document: Document, batch: _Batch, report: IngestReport, origin: str = ""
    ) -> None:
        cleaned = clean_text(document.text, title=document.title)
        if not cleaned.text.strip():
            report.items.append(
                IngestItem(
                    source=document.source,
                    status=IngestStatus.FAILED,
                    reason="no article text left after removing boilerplate",
                )
            )
            return
        if len(cleaned.text) > self.max_article_chars:
            report.items.append(
                IngestItem(
                    source=document.source,
                    status=IngestStatus.FAILED,
                    reason=f"article text is {len(cleaned.text):,} characters; the limit is "
                    f"{self.max_article_chars:,} (ASSISTANT_MAX_ARTICLE_CHARS)",
                )
            )
            return
        now = dt.datetime.now(dt.UTC)
        dated = choose_date(
            now=now,
            metadata=document.date if document.date_source in (None, "metadata") else None,
            text=document.text,
            title=document.title,
            feed=document.feed_date,
            url=document.url or (origin if origin.startswith(("http://", "https://")) else None),
        )
        article = Article(
            id=self._id_for(document, origin or document.source, batch, report),
            source=document.source,
            origin=origin or document.source,
            title=(document.title or cleaned.title or derive_title(cleaned.text)).strip(),
            text=cleaned.text,
            format=document.format,
            url=document.url,
            date=dated.date,
            date_source=dated.source,
            author=document.author,
            credits=cleaned.credits,
            content_hash=sha256_hex(cleaned.text),
            raw_hash=document.raw_hash,
            ingested_at=now,
        )
        if batch.waits_on(article.id, article.content_hash):
            self._drain(batch, report)  # the unwritten flush has this id or text
        previous = self.catalog.get(self.name, article.id)
        if previous is None:
            previous = self._legacy(article)
        if (
            previous is not None
            and previous.article.id == article.id
            and previous.article.content_hash == article.content_hash
            and previous.chunker == self.chunker
        ):
            if previous.article.raw_hash != article.raw_hash:  # same text, new bytes: record them
                batch.pending.append(_Pending(article, [], previous))
                return
            report.items.append(_item(previous.article, IngestStatus.UNCHANGED))
            return
        twin = batch.by_hash.get(article.content_hash)
        if twin is None:
            found = self.catalog.find_content(self.name, article.content_hash)
            replaced = previous.article.id if previous is not None else None
            if found is not None and found.article.id not in (article.id, replaced):
                twin = found.article
        if twin is not None and twin.id != article.id:
            report.items.append(
                IngestItem(
                    source=article.source,
                    status=IngestStatus.DUPLICATE,
                    article_id=twin.id,
                    title=twin.title,
                    reason=f"same text as {twin.id} ({twin.source})",
                )
            )
            return
        chunks = chunk_article(article, self.tokenizer, self.chunk_tokens, self.chunk_overlap)
        batch.pending.append(_Pending(article, chunks, previous))
        batch.by_hash[article.content_hash] = article

    def _id_for(self, document: Document, origin: str, batch: _Batch, report: IngestReport) -> str:
        """The article id of a document: from its name (or canonical URL when fetched); when
        another file that still exists already has that id, the id gets a short suffix."""
        fetched = document.source.startswith(("http://", "https://")) or bool(
            document.url and document.source.endswith(f"#{document.url}")
        )
        article_id = Article.id_for(document.source, document.url if fetched else None)
        if batch.waits_on(article_id=article_id):
            self._drain(batch, report)  # the unwritten flush holds this id: whose is it?
        holder = self.catalog.get(self.name, article_id)
        if holder is None or fetched or holder.article.origin == origin:
            return article_id
        other = holder.article.origin
        if other.startswith("/") and Path(other).exists():
            return f"{article_id}-{sha256_hex(origin)[:6]}"
        return article_id

    def _legacy(self, article: Article) -> StoredArticle | None:
        """The same source stored under the old id scheme (a hash), which it replaces."""
        item = article.source.partition("#")[2]
        for stored in self.catalog.from_origin(self.name, article.origin):
            if _LEGACY_ID.fullmatch(stored.article.id) and (
                stored.article.source.partition("#")[2] == item
            ):
                return stored
        return None

    def _flush_at(self, batch: _Batch) -> int:
        """Chunks that make a flush: a call's first is small, so that embedding starts while
        the sources after it are read."""
        return min(EDGE_CHUNKS, self.flush_chunks) if batch.flushes == 0 else self.flush_chunks

    def _finish(self, batch: _Batch, report: IngestReport) -> None:
        """Flush and write what is left. Its last EDGE_CHUNKS or so go in a flush of their own,
        so that most of the rest is written while they are embedded."""
        pending, tail = list(batch.pending), 0
        cut = len(pending)
        while cut > 1 and tail < EDGE_CHUNKS:
            cut -= 1
            tail += len(pending[cut].chunks)
        if batch.n_chunks - tail >= EDGE_CHUNKS:
            batch.pending[:] = pending[:cut]
            self._flush(batch, report)
            batch.pending[:] = pending[cut:]
        self._flush(batch, report)
        self._drain(batch, report)

    def _flush(self, batch: _Batch, report: IngestReport) -> None:
        """Start embedding the batch's chunks, and write the flush before it meanwhile."""
        if not batch.pending:
            return
        batch.flushes += 1
        before = batch.embedding
        vectors = before.vectors() if before is not None else None  # one embedding at a time
        batch.embedding = _Embedding(self.embedder, list(batch.pending))
        batch.pending.clear()
        batch.by_hash.clear()
        if before is not None:
            self._write(before.pending, vectors, report)

    def _drain(self, batch: _Batch, report: IngestReport) -> None:
        """Write the flush being embedded: at the end of an ingest, or before reading what
        it holds."""
        before, batch.embedding = batch.embedding, None
        if before is not None:
            self._write(before.pending, before.vectors(), report)

    def _write(
        self, flushed: list[_Pending], vectors: Vectors | None, report: IngestReport
    ) -> None:
        chunks = [c for p in flushed for c in p.chunks]
        row = self.catalog.library(self.name)
        if row is not None and row.dim == 0 and vectors is not None and len(vectors):
            self.catalog.set_dim(self.name, int(vectors.shape[1]))
        sizes = [len(p.chunks) for p in flushed]
        kept = packed_by(vectors, sizes) if vectors is not None else [[] for _ in sizes]
        pending = [
            Pending(
                article=p.article.model_copy(update={"n_chunks": len(p.chunks)}),
                chunks=p.chunks,
                chunker=self.chunker,
                replaces=p.previous.article.id if p.previous is not None else None,
                vectors=rows,
            )
            for p, rows in zip(flushed, kept, strict=True)
        ]
        with self.catalog.writer_lock(self.name):
            self._reconcile()
            if chunks and vectors is not None:
                self.catalog.intend(self.name, [c.id for c in chunks])
                self.store.add(chunks, vectors)
            committed = self.catalog.commit(self.name, pending)
            stale = sorted({i for c in committed for i in c.stale})
            if stale:
                self.store.delete(stale)
                self.catalog.forget_intents(self.name, stale)
        for p, done in zip(flushed, committed, strict=True):
            if done.status == "duplicate" and done.twin is not None:
                twin = done.twin.article
                report.items.append(
                    IngestItem(
                        source=p.article.source,
                        status=IngestStatus.DUPLICATE,
                        article_id=twin.id,
                        title=twin.title,
                        reason=f"same text as {twin.id} ({twin.source})",
                    )
                )
                continue
            if done.status == "unchanged":
                stored = p.previous.article if p.previous is not None else p.article
                report.items.append(_item(stored, IngestStatus.UNCHANGED))
                continue
            status = IngestStatus.UPDATED if done.status == "updated" else IngestStatus.ADDED
            item = _item(p.article, status)
            report.items.append(item.model_copy(update={"n_chunks": len(p.chunks)}))

    # Reading and removing

    def articles(self) -> list[Article]:
        """Every article (text omitted), newest first."""
        return [s.article for s in self.catalog.all(self.name)]

    def filter_articles(self, where: ArticleFilter) -> AbstractSet[str]:
        """The articles that pass a filter: listed, or, for a date window that passes more than
        WIDE articles, a `Matching` that the searches ask about their candidates. The last few
        filters' results are kept until the library changes (its generation, read first, and
        its counts), so that a chat that keeps one filter does not list them per question."""
        generation = self.catalog.generation(self.name)  # before the ids: never newer than them
        row = self.catalog.library(self.name)
        state = (row.created_at, row.n_articles, row.n_chunks) if row is not None else None
        key = (where.model_dump_json(), generation, state)
        with self._filtered_lock:
            found = self._filtered.get(key)
        if found is None:
            found = self._filter(where)
            with self._filtered_lock:
                self._filtered[key] = found
                while len(self._filtered) > CACHED_FILTERS:
                    del self._filtered[next(iter(self._filtered))]  # the oldest
        return found

    def _filter(self, where: ArticleFilter) -> AbstractSet[str]:
        dates_only = where.article_ids is None and not where.source and not where.title
        # Source and title filters are substring tests of each row: always listed.
        ids = self.catalog.filter_articles(self.name, where, WIDE + 1 if dates_only else None)
        if dates_only and len(ids) > WIDE:
            return Matching(self.catalog, self.name, where)
        return frozenset(ids)

    def resolve(self, article_id: str) -> str:
        """A full article id from an id or a unique prefix of one."""
        if self.catalog.get(self.name, article_id) is not None:
            return article_id
        matches = self.catalog.find_prefix(self.name, article_id) if len(article_id) >= 4 else []
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise NotFoundError(
                f"{article_id!r} matches several articles ({', '.join(matches[:5])}); "
                "type more of the id"
            )
        raise NotFoundError(
            f"no article {article_id!r} in library {self.name!r}; `assistant docs list` shows ids"
        )

    def article(self, article_id: str) -> Article:
        """An article with its full text."""
        stored = self.catalog.get(self.name, self.resolve(article_id))
        assert stored is not None
        return stored.article

    def chunks(self, article_id: str) -> list[Chunk]:
        """An article's chunks, in order."""
        return self.catalog.chunks(self.name, self.resolve(article_id))

    def delete(self, article_id: str) -> Article:
        """Remove an article and its chunks; returns what was removed."""
        stored = self.catalog.get(self.name, self.resolve(article_id))
        assert stored is not None
        with self.catalog.writer_lock(self.name):
            removed = self.catalog.delete(self.name, stored.article.id)
            self.store.delete(removed)
            self.catalog.forget_intents(self.name, removed)
        return stored.article

    def reconcile(self) -> ConsistencyReport:
        """Remove what a writer that died mid-flush left in the vector store."""
        with self.catalog.writer_lock(self.name):
            return self._reconcile()

    def _reconcile(self) -> ConsistencyReport:
        intents = self.catalog.intents(self.name)
        if not intents:
            return ConsistencyReport(orphan_chunks=0, broken_articles=0)
        orphans = sorted(set(intents) - self.catalog.owned(self.name, intents))
        if orphans:
            self.store.delete(orphans)
        self.catalog.forget_intents(self.name, intents)
        return ConsistencyReport(orphan_chunks=len(orphans), broken_articles=0)

    def check(self) -> ConsistencyReport:
        """Compare the whole vector store with the catalog (slow: for tests and repairs)."""
        owned = {i for ids in self.catalog.chunk_ids(self.name).values() for i in ids}
        present = self.store.ids()
        broken = [
            aid for aid, ids in self.catalog.chunk_ids(self.name).items() if not set(ids) <= present
        ]
        return ConsistencyReport(orphan_chunks=len(present - owned), broken_articles=len(broken))

    def lexical(self) -> Lexical:
        """Keyword search (BM25) over the library's chunks."""
        return self.catalog.lexical(self.name)

    def stats(self) -> tuple[int, int]:
        """(articles, chunks)."""
        return self.catalog.count(self.name)


def _item(article: Article, status: IngestStatus) -> IngestItem:
    return IngestItem(
        source=article.source,
        status=status,
        article_id=article.id,
        title=article.title,
        n_chunks=article.n_chunks,
    )
