"""The typed Python API: `Assistant` is the one place that wires the parts together.

The CLI and the UI call this and nothing below it.

>>> from assistant import Assistant
>>> answer = Assistant().ask("How many missiles did Russia launch?")
>>> print(answer.text)  # doctest: +ELLIPSIS
71 missiles — "Russia attacked with 71 missiles, as well as 450 drones, ..." [1] ...
>>> answer.short_answer, answer.confidence > 0.2
('71', True)
"""

from __future__ import annotations

import datetime as dt
import gc
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Unpack

from pydantic import ValidationError

from assistant.answer.answerer import Answerer
from assistant.answer.engines import ENGINES
from assistant.answer.judge import ClaimJudge
from assistant.config import Settings, check_library_name
from assistant.embeddings import Embedder, build_embedder
from assistant.errors import ConfigError, NotFoundError
from assistant.ingest.loaders import load_text
from assistant.llm import CHAT_PROVIDERS, DEFAULT_CHAT_MODEL, LLM
from assistant.logs import configure_logging
from assistant.models import (
    Answer,
    Article,
    Briefing,
    Chunk,
    IngestReport,
    LibraryInfo,
    PollReport,
    Story,
    Summary,
    Turn,
)
from assistant.parts import Parts
from assistant.query import (
    BriefOptions,
    BriefRequest,
    Query,
    QueryOptions,
    SummaryOptions,
    SummaryRequest,
    describe,
)
from assistant.registry import load_plugins
from assistant.retrieve.pipeline import Retrieval
from assistant.store.catalog import Catalog
from assistant.store.feed_state import FeedState
from assistant.store.library import IngestOptions, Library, Progress
from assistant.store.shared import open_store
from assistant.store.sqlite_catalog import SqliteCatalog
from assistant.store.transfer import (
    Manifest,
    check_embedder,
    export_library,
    import_library,
    read_manifest,
)
from assistant.store.vectors import VectorStore
from assistant.summarize.briefing import Briefer, LeadWriter, QuotedLead, WrittenLead
from assistant.summarize.stories import choose_stories, library_stories
from assistant.summarize.summarizer import SUMMARIZERS, Summarizer
from assistant.tokens import LazyTokenizer, Tokenizer
from assistant.watch import Watcher

SAMPLES_DIR = Path(__file__).parent / "samples"


def samples_dir() -> Path:
    """The folder of sample articles bundled with the package."""
    return SAMPLES_DIR


class Assistant:
    """Ingest articles into libraries; ask, chat and summarize with citations.

    `Assistant()` reads settings from the environment and `.env`; keyword arguments override
    them, e.g. `Assistant(home="/tmp/lib", library="news")`. Nothing heavy is loaded until used.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        tokenizer: Tokenizer | None = None,
        llm: LLM | None = None,
        **overrides: Any,
    ) -> None:
        try:
            if settings is None:
                settings = Settings(**overrides)
            elif overrides:
                settings = Settings(**{**settings.model_dump(), **overrides})
        except ValidationError as error:
            raise ConfigError(f"invalid settings: {describe(error)}") from error
        self.settings = settings
        configure_logging(settings.log_level, secret=settings.openai_api_key)
        load_plugins(settings.plugins)
        self._embedder = embedder
        self._tokenizer = tokenizer
        self._llm = llm
        self._llms: dict[str, LLM] = {}
        self._catalog: Catalog | None = None
        self._feed_state: FeedState | None = None
        self._libraries: dict[str, Library] = {}
        self._lock = threading.RLock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Assistant:
        """An assistant built from explicit settings."""
        return cls(settings)

    # Parts, built once on first use

    @property
    def catalog(self) -> Catalog:
        """The article catalog: PostgreSQL in server mode, else SQLite under ASSISTANT_HOME."""
        with self._lock:
            if self._catalog is None:
                check_server_mode(self.settings)
                if self.settings.database_url:
                    from assistant.store.postgres_catalog import PostgresCatalog

                    self._catalog = PostgresCatalog(
                        self.settings.database_url, self.settings.home / "bm25-cache"
                    )
                else:
                    self._catalog = SqliteCatalog(self.settings.home / "catalog.sqlite3")
            return self._catalog

    @property
    def feed_state(self) -> FeedState:
        """What `watch` remembers between polls (ASSISTANT_HOME/feeds.sqlite3)."""
        with self._lock:
            if self._feed_state is None:
                self._feed_state = FeedState(self.settings.home / "feeds.sqlite3")
            return self._feed_state

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = build_embedder(self.settings)
            return self._embedder

    @property
    def tokenizer(self) -> Tokenizer:
        if self._tokenizer is None:
            self._tokenizer = LazyTokenizer()
        return self._tokenizer

    def _store(self, name: str) -> VectorStore:
        check_server_mode(self.settings)
        return open_store(self.settings.home, name, self.settings.chroma_url)

    def library(self, name: str | None = None, *, must_exist: bool = False) -> Library:
        """A library by name (the configured one by default), created on first ingest."""
        name = check_library(name or self.settings.library)
        with self._lock:
            if name not in self._libraries:
                if must_exist and self.catalog.library(name) is None:
                    known = ", ".join(r.name for r in self.catalog.libraries()) or "none yet"
                    raise NotFoundError(
                        f"library {name!r} does not exist (libraries: {known}); "
                        "create it with `assistant ingest PATH --library NAME`"
                    )
                self._libraries[name] = Library(
                    name,
                    catalog=self.catalog,
                    store=self._store(name),
                    embedder=self.embedder,
                    tokenizer=self.tokenizer,
                    chunk_tokens=self.settings.chunk_tokens,
                    chunk_overlap=self.settings.chunk_overlap,
                    flush_chunks=self.settings.flush_chunks,
                    max_article_chars=self.settings.max_article_chars,
                    exact_search_chunks=self.settings.exact_search_chunks,
                )
            return self._libraries[name]

    # Ingest

    def ingest(
        self,
        *inputs: str | Path,
        library: str | None = None,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        progress: Progress | None = None,
        names: Mapping[str, str] | None = None,
    ) -> IngestReport:
        """Ingest files, folders, http(s) URLs and feeds (RSS, Atom, sitemaps, URL lists: each
        item's page is fetched). Bad sources are reported, never raised.

        >>> Assistant().ingest(samples_dir(), include=["*.html", "*.md"]).counts
        {'added': 0, 'updated': 0, 'unchanged': 2, 'duplicate': 0, 'failed': 0}
        """
        options = IngestOptions(
            include=tuple(include),
            exclude=tuple(exclude),
            fetch_timeout=self.settings.fetch_timeout,
            fetch_max_bytes=self.settings.fetch_max_bytes,
            max_file_bytes=self.settings.max_file_bytes,
            names=dict(names or {}),
            host_delay=self.settings.host_delay,
            robots=self.settings.robots,
            max_feed_items=self.settings.feed_max_items,
        )
        return self.library(library).ingest(list(inputs), options, progress)

    def watcher(self, library: str | None = None) -> Watcher:
        """What polls feeds into a library (see `watch`)."""
        return Watcher(
            self.library(library),
            self.feed_state,
            fetch_timeout=self.settings.fetch_timeout,
            fetch_max_bytes=self.settings.fetch_max_bytes,
            host_delay=self.settings.host_delay,
            robots=self.settings.robots,
            max_items=self.settings.feed_max_items,
        )

    def poll(
        self,
        *feeds: str,
        library: str | None = None,
        progress: Progress | None = None,
        number: int = 1,
    ) -> PollReport:
        """Poll feed URLs once: conditional GETs, robots.txt, and only new or changed items
        fetched and ingested. `PollReport.summary()` is its one line, e.g. 'poll 1 at
        2026-02-03 16:56:01Z: 1 feed(s); 3 added, 0 updated, 0 unchanged, 9 known (1.8s)'."""
        return self.watcher(library).poll(feeds, number=number, progress=progress)

    def watch(
        self,
        *feeds: str,
        library: str | None = None,
        every: float = 1800.0,
        once: bool = False,
        on_poll: Callable[[PollReport], None] | None = None,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
    ) -> int:
        """Poll feeds every `every` seconds (from the start of one poll to the next) until
        `stop` is set or Ctrl-C (KeyboardInterrupt, raised to the caller); `once`: one poll.
        Returns how many polls ran."""
        watcher = self.watcher(library)
        number = 0
        while True:
            number += 1
            started = time.monotonic()
            report = watcher.poll(feeds, number=number, progress=progress)
            if on_poll is not None:
                on_poll(report)
            if once or (stop is not None and stop.is_set()):
                return number
            pause = max(0.0, every - (time.monotonic() - started))
            if stop is not None:
                if stop.wait(pause):
                    return number
            else:
                time.sleep(pause)

    def ingest_text(
        self,
        text: str,
        *,
        title: str | None = None,
        source: str | None = None,
        url: str | None = None,
        library: str | None = None,
    ) -> IngestReport:
        """Ingest an article given as a string."""
        document = load_text(text, title=title, source=source, url=url)
        return self.library(library).ingest_documents([document])

    def ingest_samples(self, library: str | None = None) -> IngestReport:
        """Ingest the sample articles bundled with the package."""
        return self.ingest(samples_dir(), library=library)

    # Articles

    def articles(self, library: str | None = None) -> list[Article]:
        """The articles of a library (text omitted)."""
        return self.library(library, must_exist=True).articles()

    def article(self, article_id: str, library: str | None = None) -> Article:
        """One article with its full cleaned text; `article_id` may be a unique prefix."""
        return self.library(library, must_exist=True).article(article_id)

    def chunks(self, article_id: str, library: str | None = None) -> list[Chunk]:
        """An article's chunks, in order."""
        return self.library(library, must_exist=True).chunks(article_id)

    def delete(self, article_id: str, library: str | None = None) -> Article:
        """Remove an article and its chunks."""
        return self.library(library, must_exist=True).delete(article_id)

    # Questions

    def engine_name(self, engine: str | None = None) -> str:
        """Which engine answers: 'auto' means the LLM when one is configured, else extractive."""
        choice = engine or self.settings.engine
        if choice == "auto":
            configured = self._llm is not None or bool(
                self.settings.openai_api_key or self.settings.openai_base_url
            )
            return "openai" if configured else "extractive"
        return choice

    @property
    def llm(self) -> LLM:
        """The default chat model (built on first use from the OPENAI_* settings)."""
        return self.chat_llm(None)

    def chat_llm(self, model: str | None = None) -> LLM:
        """The chat model called `model` on the configured endpoint (the default one if None)."""
        with self._lock:
            if self._llm is None:
                self._llm = self._provider(self.settings.chat_model or DEFAULT_CHAT_MODEL)
            if not model or model == self._llm.model:
                return self._llm
            if model not in self._llms:
                self._llms[model] = self._provider(model)
            return self._llms[model]

    def _provider(self, model: str) -> LLM:
        return CHAT_PROVIDERS.get(self.settings.chat_provider)(self.settings, model)

    def parts(self, library: str | None = None, model: str | None = None) -> Parts:
        """What a pluggable part is built from, for one library and chat model."""
        return Parts(
            library=self.library(library, must_exist=True),
            settings=self.settings,
            tokenizer=self.tokenizer,
            chat=lambda: self.chat_llm(model),
        )

    def answerer(self, query: Query | None = None) -> Answerer:
        """The question answerer a query asks for: its library, retriever and engine."""
        query = query or Query()
        parts = self.parts(query.library, query.model)
        name = self.engine_name(query.engine)
        offline = ENGINES.get("extractive")(parts) if name != "extractive" else None
        fallback = offline if self.settings.llm_fallback else None
        return Answerer(
            library=parts.library,
            retrieval=Retrieval(parts, query.retriever, query.postprocessors()),
            engine=ENGINES.get(name)(parts),
            engine_name=name,
            fallback=fallback,
            top_k=self.settings.top_k,
            offline=offline,
            unverified=self.settings.unverified,
            judge=ClaimJudge(parts.chat())
            if name == "openai" and self.settings.claim_judge
            else None,
        )

    def ask(
        self, question: str, query: Query | None = None, **options: Unpack[QueryOptions]
    ) -> Answer:
        """Answer a question from the library's articles, with checked citations.

        Options are `Query`'s fields (library, k, engine, model, retriever, filters, ...).

        >>> answer = Assistant().ask("How many missiles did Russia launch?", k=4)
        >>> "71 missiles" in answer.text, answer.citations[0].article_id
        (True, 'samples/russia-ukraine-strikes')
        """
        query = _query(query, options)
        return self.answerer(query).ask(question, query)

    def ask_stream(
        self, question: str, query: Query | None = None, **options: Unpack[QueryOptions]
    ) -> Iterator[str | Answer]:
        """Like `ask`, but yields text as it is produced, then the final Answer."""
        query = _query(query, options)
        return self.answerer(query).stream(question, query)

    def chat(self, query: Query | None = None, **options: Unpack[QueryOptions]) -> Chat:
        """A conversation: each question is read in the context of the earlier ones.

        >>> chat = Assistant().chat()
        >>> chat.ask("How many missiles did Russia launch?").abstained
        False
        >>> chat.ask("And how many drones?").standalone_question
        'How many missiles did Russia launch? And how many drones?'
        """
        return Chat(self, _query(query, options))

    # Summaries

    def summarizer(self, request: SummaryRequest | None = None) -> Summarizer:
        """The summarizer a request asks for: its library and engine."""
        request = request or SummaryRequest()
        parts = self.parts(request.library, request.model)
        name = self.engine_name(request.engine)
        return Summarizer(
            library=parts.library,
            retrieval=Retrieval(parts, "hybrid"),
            engine=SUMMARIZERS.get(name)(parts),
            engine_name=name,
        )

    def summarize(
        self,
        *ids: str,
        request: SummaryRequest | None = None,
        **options: Unpack[SummaryOptions],
    ) -> Summary:
        """Summarise articles (ids or unique prefixes; `all=True` for every one) or a `topic`.

        Every sentence cites its article [n]; offline the sentences are quoted from the
        articles, with an LLM they are checked against them.

        >>> summary = Assistant().summarize("samples/russia-ukraine-strikes", length="short")
        >>> len(summary.sentences), summary.citations[0].article_id
        (3, 'samples/russia-ukraine-strikes')
        """
        request = _summary_request(request, ids, options)
        return self.summarizer(request).summarize(request)

    def summarize_stream(
        self,
        *ids: str,
        request: SummaryRequest | None = None,
        **options: Unpack[SummaryOptions],
    ) -> Iterator[str | Summary]:
        """Like `summarize`, but yields text as it is produced, then the final Summary."""
        request = _summary_request(request, ids, options)
        return self.summarizer(request).stream(request)

    # Stories and briefings

    def stories(self, since: dt.date | None = None, library: str | None = None) -> list[Story]:
        """The library's articles grouped by event (near-duplicates, rewrites, follow-ups),
        newest story first; `since` keeps the articles dated on or after that day.

        >>> [s.size for s in Assistant().stories()]
        [1, 1, 1, 1]
        """
        return library_stories(self.library(library, must_exist=True), since)

    def briefer(self, request: BriefRequest | None = None) -> Briefer:
        """The briefer a request asks for: its library, and who writes "what happened"."""
        request = request or BriefRequest()
        parts = self.parts(request.library, request.model)
        name = self.engine_name(request.engine)
        writer: LeadWriter
        if name == "extractive":
            writer = QuotedLead(parts.library)
        elif name == "openai":
            writer = WrittenLead(parts)
        else:
            raise ConfigError(
                f"briefings are written by the 'extractive' or 'openai' engine, not {name!r}"
            )
        return Briefer(parts.library, writer)

    def brief(
        self, request: BriefRequest | None = None, **options: Unpack[BriefOptions]
    ) -> Briefing:
        """A cited briefing of the largest stories (or of one story): what happened, who said
        what, and a "Sources differ" line where the articles give different numbers, dates or
        names for the same fact, both sides cited.

        >>> briefing = Assistant().brief(limit=1)
        >>> briefing.stories[0].summary.text.startswith("What happened:")
        True
        """
        values: dict[str, Any] = dict(request.model_dump(exclude_unset=True)) if request else {}
        request = BriefRequest.build({**values, **options})
        started = time.perf_counter()
        library = self.library(request.library, must_exist=True)
        if library.stats()[0] == 0:
            raise NotFoundError(
                f"library {library.name!r} is empty: add articles first with "
                "`assistant ingest PATH|URL`"
            )
        stories = library_stories(library, request.since)
        if not stories:
            raise NotFoundError(
                f"no article of library {library.name!r} is dated on or after {request.since}"
            )
        chosen = choose_stories(stories, request.limit, request.story, library.resolve)
        briefer = self.briefer(request)
        grouped = time.perf_counter() - started
        sections = [briefer.section(story) for story in chosen]
        return Briefing(
            stories=sections,
            engine=briefer.writer.name,
            model=sections[0].summary.model if sections else None,
            since=request.since,
            n_stories=len(stories),
            timings={
                "stories": round(grouped, 4),
                "total": round(time.perf_counter() - started, 4),
            },
        )

    def warm_up(self, library: str | None = None, *, freeze: bool = False) -> tuple[int, int]:
        """Load what the first question would: the embedder, the vector index (and the exact
        search's copy of a small library's vectors), the keyword index; (articles, chunks) of
        the library.

        `freeze`, for a process that keeps running (`assistant serve` and `assistant ui` set
        it): then move every object loaded so far out of the garbage collector's full passes
        (`gc.freeze`). With chromadb, pydantic and gradio loaded a full pass takes about 45 ms
        and lands on whichever question is running; frozen objects are never collected, so
        call it after loading, not in a loop."""
        lib = self.library(library, must_exist=True)
        vector = lib.embedder.embed(["warm up"])[0]
        lib.store.query(vector, 1)  # `serve` owns the store for the other processes
        lib.exact.nearest(vector, 1)
        lib.lexical().search("warm up", 1)
        if freeze:
            gc.collect()  # what is garbage now should not become permanent
            gc.freeze()
        return lib.stats()

    def export_library(self, name: str, folder: str | Path) -> Manifest:
        """Write a library's articles, chunks and vectors to a new folder (see
        assistant/store/transfer.py); `import_library` reads it into any setup."""
        return export_library(self.library(name, must_exist=True), Path(folder))

    def import_library(self, folder: str | Path, name: str | None = None) -> Manifest:
        """Read an exported library into this setup (embedded or server) without embedding
        again, as `name` (default: its exported name); the library must be new or empty, and
        this setup's embedder the one that made the vectors."""
        manifest = read_manifest(Path(folder))
        check_embedder(manifest, self.embedder.name)
        library = self.library(name or manifest.library)
        return import_library(Path(folder), library, self.settings.flush_chunks)

    def libraries(self) -> list[LibraryInfo]:
        """Every library under ASSISTANT_HOME with its size and embedder."""
        out = []
        for row in self.catalog.libraries():
            n_articles, n_chunks = self.catalog.count(row.name)
            out.append(
                LibraryInfo(
                    name=row.name,
                    embedder=row.embedder,
                    dim=row.dim,
                    n_articles=n_articles,
                    n_chunks=n_chunks,
                    created_at=row.created_at,
                )
            )
        return out


class Chat:
    """A conversation over one library: `ask` reads each question after the earlier turns."""

    def __init__(self, assistant: Assistant, query: Query) -> None:
        self.assistant = assistant
        self.query = query
        self.history: list[Turn] = list(query.history)

    def stream(self, question: str, **options: Unpack[QueryOptions]) -> Iterator[str | Answer]:
        """Text as it is produced, then the Answer; the turn joins the history."""
        query = self.query.model_copy(update={**options, "history": list(self.history)})
        for part in self.assistant.ask_stream(question, query):
            if isinstance(part, Answer):
                self.history.append(Turn.of(part))
            yield part

    def ask(self, question: str, **options: Unpack[QueryOptions]) -> Answer:
        """The answer to a question read in the context of this conversation."""
        final: Answer | None = None
        for part in self.stream(question, **options):
            if isinstance(part, Answer):
                final = part
        assert final is not None
        return final

    def reset(self) -> None:
        """Forget the conversation so far."""
        self.history.clear()


def _query(query: Query | None, options: Mapping[str, Any]) -> Query:
    """The query with the options applied (validated: a typo is a clear error)."""
    base = query or Query()
    if not options:
        return base
    return Query.build({**base.model_dump(exclude_unset=True), **options})


def _summary_request(
    request: SummaryRequest | None, article_ids: Sequence[str], options: Mapping[str, Any]
) -> SummaryRequest:
    values: dict[str, Any] = dict(request.model_dump(exclude_unset=True)) if request else {}
    values.update(options)
    if article_ids:
        values["article_ids"] = [*values.get("article_ids", []), *article_ids]
    return SummaryRequest.build(values)


def check_server_mode(settings: Settings) -> None:
    """Server mode shares both the catalog and the vectors, or neither: a ConfigError if only
    one of ASSISTANT_DATABASE_URL and ASSISTANT_CHROMA_URL is set."""
    if bool(settings.database_url) == bool(settings.chroma_url):
        return
    have, missing, example = (
        ("ASSISTANT_DATABASE_URL", "ASSISTANT_CHROMA_URL", "http://host:8000")
        if settings.database_url
        else ("ASSISTANT_CHROMA_URL", "ASSISTANT_DATABASE_URL", "postgresql://user@host/db")
    )
    raise ConfigError(
        f"{have} is set but {missing} is not: machines that share a library must share both "
        f"the catalog (PostgreSQL) and the vectors (a Chroma server). Set {missing} (e.g. "
        f"{example}), or unset {have} to keep everything under ASSISTANT_HOME"
    )


def check_library(name: str) -> str:
    """The name, or a ConfigError saying what a valid name looks like."""
    try:
        return check_library_name(name)
    except ValueError as error:
        raise ConfigError(str(error)) from error
