"""The typed Python API. The CLI and the UI call this and nothing below it.

>>> from assistant import Assistant
>>> report = Assistant().ingest("article.html")            # doctest: +SKIP
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from assistant.answer.answerer import Answerer
from assistant.answer.extractive import ExtractiveEngine
from assistant.config import Settings, check_library_name
from assistant.embeddings import Embedder, OnnxEmbedder, OpenAIEmbedder
from assistant.errors import ConfigError, NotFoundError
from assistant.ingest.loaders import load_text
from assistant.llm import LLM, OpenAIChat
from assistant.models import Answer, Article, Chunk, IngestReport, LibraryInfo, Summary, Turn
from assistant.retrieve.hybrid import Filters, Mode
from assistant.store.catalog import Catalog
from assistant.store.lexical import LexicalIndex
from assistant.store.library import IngestOptions, Library, Progress
from assistant.store.vectors import ChromaStore, VectorStore, chroma_client
from assistant.summarize.summarizer import Format, Length, Summarizer
from assistant.tokens import Tokenizer, default_tokenizer

EngineName = Literal["auto", "extractive", "openai"]
DEFAULT_CHAT_MODEL = "gpt-4o-mini"
SAMPLES_DIR = Path(__file__).parent / "samples"


def samples_dir() -> Path:
    """The folder of sample articles bundled with the package."""
    return SAMPLES_DIR


class Assistant:
    """Ingest articles into libraries, list and remove them; later: ask and summarize.

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
        if settings is None:
            settings = Settings(**overrides)
        elif overrides:
            settings = Settings(**{**settings.model_dump(), **overrides})
        self.settings = settings
        self._embedder = embedder
        self._tokenizer = tokenizer
        self._llm = llm
        self._llms: dict[str, LLM] = {}
        self._catalog: Catalog | None = None
        self._client: Any = None
        self._libraries: dict[str, Library] = {}
        self._lock = threading.RLock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Assistant:
        """An assistant built from explicit settings."""
        return cls(settings)

    # Parts, built once on first use

    @property
    def catalog(self) -> Catalog:
        with self._lock:
            if self._catalog is None:
                self._catalog = Catalog(self.settings.home / "catalog.sqlite3")
            return self._catalog

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = build_embedder(self.settings)
            return self._embedder

    @property
    def tokenizer(self) -> Tokenizer:
        if self._tokenizer is None:
            self._tokenizer = default_tokenizer()
        return self._tokenizer

    def _store(self, name: str) -> VectorStore:
        with self._lock:
            if self._client is None:
                self._client = chroma_client(self.settings.home, self.settings.chroma_url)
            return ChromaStore(self._client, name)

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
                    lexical=LexicalIndex(self.settings.home / "bm25" / name),
                    chunk_tokens=self.settings.chunk_tokens,
                    chunk_overlap=self.settings.chunk_overlap,
                    max_article_chars=self.settings.max_article_chars,
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
    ) -> IngestReport:
        """Ingest files, folders and http(s) URLs. Bad sources are reported, never raised.

        >>> Assistant().ingest("news/", include=["*.html"]).counts      # doctest: +SKIP
        {'added': 12, 'updated': 0, 'unchanged': 0, 'duplicate': 1, 'failed': 0}
        """
        options = IngestOptions(
            include=tuple(include),
            exclude=tuple(exclude),
            fetch_timeout=self.settings.fetch_timeout,
            fetch_max_bytes=self.settings.fetch_max_bytes,
            max_file_bytes=self.settings.max_file_bytes,
        )
        return self.library(library).ingest(list(inputs), options, progress)

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

    def engine_name(self, engine: EngineName | None = None) -> Literal["extractive", "openai"]:
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
        """The chat model (built on first use from the OPENAI_* settings)."""
        with self._lock:
            if self._llm is None:
                self._llm = OpenAIChat(
                    openai_client(self.settings),
                    self.settings.chat_model or DEFAULT_CHAT_MODEL,
                    max_tokens=self.settings.answer_tokens,
                )
            return self._llm

    def chat_llm(self, model: str | None = None) -> LLM:
        """The chat model called `model` on the configured endpoint (the default one if None)."""
        default = self.llm
        if not model or model == default.model:
            return default
        with self._lock:
            if model not in self._llms:
                self._llms[model] = OpenAIChat(
                    openai_client(self.settings), model, max_tokens=self.settings.answer_tokens
                )
            return self._llms[model]

    def answerer(
        self,
        library: str | None = None,
        engine: EngineName | None = None,
        model: str | None = None,
    ) -> Answerer:
        """The question answerer for a library and engine (and LLM model, for 'openai')."""
        name = self.engine_name(engine)
        lib = self.library(library, must_exist=True)
        return Answerer(
            library=lib,
            extractive=ExtractiveEngine(lib.embedder),
            tokenizer=self.tokenizer,
            llm=self.chat_llm(model) if name == "openai" else None,
            context_tokens=self.settings.context_tokens,
            answer_tokens=self.settings.answer_tokens,
            fallback=self.settings.llm_fallback,
        )

    def ask(
        self,
        question: str,
        *,
        library: str | None = None,
        k: int | None = None,
        engine: EngineName | None = None,
        filters: Filters | None = None,
        mode: Mode = "hybrid",
        mmr_lambda: float | None = None,
    ) -> Answer:
        """Answer a question from the library's articles, with checked citations.

        >>> print(Assistant().ask("How many missiles did Russia launch?").text)  # doctest: +SKIP
        Russia attacked with 71 missiles, as well as 450 drones, the Ukrainian air force said. [1]
        """
        return self.answerer(library, engine).ask(
            question, k=k or self.settings.top_k, filters=filters, mode=mode, mmr_lambda=mmr_lambda
        )

    def ask_stream(
        self,
        question: str,
        *,
        library: str | None = None,
        k: int | None = None,
        engine: EngineName | None = None,
        filters: Filters | None = None,
        mode: Mode = "hybrid",
        mmr_lambda: float | None = None,
    ) -> Iterator[str | Answer]:
        """Like `ask`, but yields text as it is produced, then the final Answer."""
        return self.answerer(library, engine).stream(
            question, k=k or self.settings.top_k, filters=filters, mode=mode, mmr_lambda=mmr_lambda
        )

    def chat_stream(
        self,
        message: str,
        history: Sequence[Turn] = (),
        *,
        library: str | None = None,
        k: int | None = None,
        engine: EngineName | None = None,
        model: str | None = None,
        filters: Filters | None = None,
        mode: Mode = "hybrid",
        mmr_lambda: float | None = None,
    ) -> Iterator[str | Answer]:
        """Like `ask_stream`, but a follow-up is read in the context of `history`.

        >>> a = Assistant()                                            # doctest: +SKIP
        >>> turns = [Turn.of(a.ask("How many missiles did Russia launch?"))]  # doctest: +SKIP
        >>> *_, answer = a.chat_stream("And how many drones?", turns)  # doctest: +SKIP
        >>> answer.standalone_question                                 # doctest: +SKIP
        'How many missiles did Russia launch? And how many drones?'
        """
        from assistant.answer.chat import chat_stream

        return chat_stream(
            self.answerer(library, engine, model),
            message,
            history,
            k=k or self.settings.top_k,
            filters=filters,
            mode=mode,
            mmr_lambda=mmr_lambda,
        )

    # Summaries

    def summarizer(
        self,
        library: str | None = None,
        engine: EngineName | None = None,
        model: str | None = None,
    ) -> Summarizer:
        """The summarizer for a library and engine (and LLM model, for 'openai')."""
        name = self.engine_name(engine)
        return Summarizer(
            library=self.library(library, must_exist=True),
            tokenizer=self.tokenizer,
            llm=self.chat_llm(model) if name == "openai" else None,
            context_tokens=self.settings.context_tokens,
            answer_tokens=self.settings.answer_tokens,
        )

    def summarize(
        self,
        article_id: str | None = None,
        *,
        article_ids: Sequence[str] | None = None,
        all: bool = False,
        query: str | None = None,
        library: str | None = None,
        length: Length = "medium",
        format: Format = "paragraph",
        engine: EngineName | None = None,
        model: str | None = None,
    ) -> Summary:
        """Summarise one article, several, every article (`all=True`) or a topic (`query`).

        Ids may be unique prefixes. Every sentence cites its article [n]; offline the sentences
        are quoted from the articles, with an LLM they are checked against them.

        >>> print(Assistant().summarize("0144609", length="short").text)  # doctest: +SKIP
        Russia launched its biggest drone and missile attack this year on Ukraine ... [1]
        """
        ids = [article_id] if article_id else []
        return self.summarizer(library, engine, model).summarize(
            [*ids, *(article_ids or [])], all=all, query=query, length=length, format=format
        )

    def summarize_stream(
        self,
        article_id: str | None = None,
        *,
        article_ids: Sequence[str] | None = None,
        all: bool = False,
        query: str | None = None,
        library: str | None = None,
        length: Length = "medium",
        format: Format = "paragraph",
        engine: EngineName | None = None,
        model: str | None = None,
    ) -> Iterator[str | Summary]:
        """Like `summarize`, but yields text as it is produced, then the final Summary."""
        ids = [article_id] if article_id else []
        return self.summarizer(library, engine, model).stream(
            [*ids, *(article_ids or [])], all=all, query=query, length=length, format=format
        )

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


def check_library(name: str) -> str:
    """The name, or a ConfigError saying what a valid name looks like."""
    try:
        return check_library_name(name)
    except ValueError as error:
        raise ConfigError(str(error)) from error


def build_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for."""
    choice = settings.embedder.strip()
    if choice == "local-minilm":
        if settings.model_dir is not None:
            return OnnxEmbedder.from_dir(settings.model_dir, batch_size=settings.embed_batch_size)
        return OnnxEmbedder.bundled(batch_size=settings.embed_batch_size)
    if choice.startswith("openai:"):
        model = choice.split(":", 1)[1] or "text-embedding-3-small"
        return OpenAIEmbedder(openai_client(settings), model=model)
    raise ConfigError(
        f"ASSISTANT_EMBEDDER={choice!r} is not known: use 'local-minilm' or 'openai:MODEL' "
        "(e.g. openai:text-embedding-3-small)"
    )


def openai_client(settings: Settings) -> Any:
    """An `openai.OpenAI` client for the configured endpoint."""
    if not settings.openai_api_key and not settings.openai_base_url:
        raise ConfigError(
            "an OpenAI-compatible endpoint is needed: set OPENAI_API_KEY, or OPENAI_BASE_URL "
            "for a local server (Ollama, vLLM, llama.cpp)"
        )
    import openai

    return openai.OpenAI(
        api_key=settings.openai_api_key or "not-needed",
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_retries,
    )
