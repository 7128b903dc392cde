"""Data that crosses module boundaries. Models hold data and validation, never I/O."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator


def sha256_hex(*parts: str) -> str:
    """Hex sha256 of the parts joined by NUL, so ('ab', 'c') and ('a', 'bc') differ."""
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


MAX_ID_CHARS = 64
_NOT_IN_ID = re.compile(r"[^a-z0-9/._-]+")


def slug(text: str) -> str:
    """Lowercase ASCII letters, digits, '/', '.', '_' and '-'; long ones end in a short hash.

    >>> slug("Samples/Russia Ukraine: strikes!")
    'samples/russia-ukraine-strikes'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = _NOT_IN_ID.sub("-", ascii_text.lower())
    parts = [re.sub(r"-{2,}", "-", p).strip("-.") for p in cleaned.split("/")]
    out = "/".join(p for p in parts if p) or "article"
    if len(out) > MAX_ID_CHARS:
        out = out[: MAX_ID_CHARS - 7].rstrip("-./") + "-" + sha256_hex(text)[:6]
    return out


DateSource = Literal["metadata", "text", "feed", "url", "ingested"]
"""Where an article's publication date came from (assistant/ingest/dates.py has the rules)."""
DATE_SOURCES: tuple[DateSource, ...] = ("metadata", "text", "feed", "url", "ingested")


class Document(BaseModel):
    """What a loader read: text plus whatever metadata the source carried. Not yet cleaned."""

    model_config = ConfigDict(frozen=True)

    source: str = Field(description="identity of the source: absolute path, URL, or path#item")
    text: str
    format: str = Field(description="txt, md, html, json, jsonl, pdf or text")
    title: str | None = None
    url: str | None = None
    date: dt.date | None = None
    date_source: DateSource | None = Field(
        None, description="where `date` came from (a loader sets 'metadata'); None: no date yet"
    )
    feed_date: dt.date | None = Field(
        None, description="the date a feed or news sitemap listed the item under (a fallback)"
    )
    author: str | None = None
    raw_hash: str = Field("", description="sha256 of the raw bytes the text came from")

    @model_validator(mode="before")
    @classmethod
    def _dated_by_metadata(cls, data: Any) -> Any:
        """A date a loader found without saying where is the source's own metadata."""
        if isinstance(data, dict) and data.get("date") and not data.get("date_source"):
            return {**data, "date_source": "metadata"}
        return data


class Article(BaseModel):
    """A cleaned article, as the library keeps it."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(
        description="short and readable: from the canonical URL, or from the path relative to "
        "the ingested folder ('samples/russia-ukraine-strikes'); stable across machines"
    )
    source: str
    title: str
    text: str = Field(description="cleaned text; chunk and citation offsets point into it")
    origin: str = Field("", description="the file or URL it was read from")
    format: str = "text"
    url: str | None = None
    date: dt.date | None = None
    date_source: DateSource | None = Field(
        None,
        description="metadata, text, feed, url or ingested (see assistant/ingest/dates.py); "
        "None for articles ingested before dates were tracked",
    )
    author: str | None = None
    credits: list[str] = Field(default_factory=list, description="e.g. agencies in 'Source(s):'")
    content_hash: str = Field(description="sha256 of the cleaned text")
    raw_hash: str = ""
    ingested_at: dt.datetime | None = None
    n_chunks: int = 0

    @staticmethod
    def id_for(source: str, url: str | None = None) -> str:
        """The article id: from the canonical URL when there is one, else from the source.

        >>> Article.id_for("samples/russia-ukraine-strikes.txt")
        'samples/russia-ukraine-strikes'
        >>> Article.id_for("news.jsonl#3"), Article.id_for("x.html", "https://www.bbc.co.uk/news/a-1")
        ('news/3', 'bbc.co.uk/news/a-1')
        """
        if url and url.lower().startswith(("http://", "https://")):
            parts = urlsplit(url)
            host = parts.netloc.lower().removeprefix("www.")
            path = re.sub(r"\.(s?html?|php|aspx?)$", "", parts.path.rstrip("/"))
            query = f"-{sha256_hex(parts.query)[:6]}" if parts.query else ""
            return slug(f"{host}{path}{query}")
        if source.startswith(("http://", "https://")):
            return Article.id_for(source, source)
        name, _, item = source.partition("#")
        name = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name)
        return slug(f"{name}/{item}" if item else name)


class Chunk(BaseModel):
    """A token-sized span of an article; text == article.text[start:end]."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="sha256(content_hash, chunker, index): stable across runs")
    article_id: str
    index: int = Field(ge=0)
    text: str
    start: int = Field(ge=0, description="character offset in the cleaned article")
    end: int = Field(ge=0)
    n_tokens: int = Field(ge=0)


class Hit(BaseModel):
    """A chunk found for a query, with its score (higher is better)."""

    model_config = ConfigDict(frozen=True)

    chunk: Chunk
    score: float
    dense: float | None = Field(None, description="cosine similarity to the question")
    lexical: float | None = Field(None, description="BM25 score")


class IngestStatus(StrEnum):
    """What ingesting one source did."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"
    FAILED = "failed"


class IngestItem(BaseModel):
    """The outcome for one source (a file, URL, or one object of a JSON file)."""

    source: str
    status: IngestStatus
    article_id: str | None = None
    title: str | None = None
    n_chunks: int = 0
    reason: str | None = Field(None, description="why it failed, or what it duplicates")


class IngestReport(BaseModel):
    """The outcome of one ingest call."""

    library: str
    items: list[IngestItem] = Field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: IngestStatus | str) -> int:
        """How many items ended with this status ('added', 'failed', ...)."""
        wanted = IngestStatus(status)
        return sum(1 for item in self.items if item.status == wanted)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def counts(self) -> dict[str, int]:
        """Items per status, every status present."""
        return {status.value: self.count(status) for status in IngestStatus}

    @property
    def failed(self) -> list[IngestItem]:
        """The items that failed."""
        return [item for item in self.items if item.status is IngestStatus.FAILED]

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed

    def summary(self) -> str:
        """One line: the counts, and whether anything failed."""
        parts = [f"{n} {name}" for name, n in self.counts.items() if n]
        text = ", ".join(parts) if parts else "nothing to ingest"
        if self.failed:
            text += f" -- {len(self.failed)} source(s) FAILED, see reasons above"
        return f"{text} ({self.seconds:.1f}s)"


class FeedPoll(BaseModel):
    """What polling one feed did."""

    url: str
    status: Literal["fetched", "not_modified", "failed", "disallowed"]
    reason: str | None = Field(None, description="why it failed or was not fetched")
    title: str | None = None
    n_items: int = Field(0, description="items the feed lists (each once)")
    known: int = Field(0, description="items ingested before and unchanged: not fetched again")
    problems: list[str] = Field(default_factory=list, description="entries of the feed skipped")
    report: IngestReport | None = Field(None, description="the items fetched and ingested")

    def count(self, status: IngestStatus | str) -> int:
        """Items of this feed with this ingest status."""
        return self.report.count(status) if self.report is not None else 0

    def summary(self) -> str:
        """One line, e.g. 'https://e.com/feed.xml: 12 items, 2 added, 10 known'."""
        if self.status == "not_modified":
            return f"{self.url}: not modified"
        if self.status != "fetched":
            return f"{self.url}: {self.status.replace('_', ' ')}: {self.reason}"
        parts = [f"{self.n_items} items"]
        for status in IngestStatus:
            if self.count(status):
                parts.append(f"{self.count(status)} {status.value}")
        if self.known:
            parts.append(f"{self.known} known")
        return f"{self.url}: " + ", ".join(parts)


class PollReport(BaseModel):
    """One poll of `assistant watch` over its feeds."""

    library: str
    number: int = Field(1, description="1 for the first poll of a watch, then 2, 3, ...")
    started_at: dt.datetime
    feeds: list[FeedPoll] = Field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: IngestStatus | str) -> int:
        """Items with this ingest status, over every feed."""
        return sum(feed.count(status) for feed in self.feeds)

    @property
    def failed(self) -> list[str]:
        """Every failure as 'source: reason' (feeds that failed, then items)."""
        out = [f"{f.url}: {f.reason}" for f in self.feeds if f.status in ("failed", "disallowed")]
        for feed in self.feeds:
            out += [f"{feed.url}: {problem}" for problem in feed.problems]
            if feed.report is not None:
                out += [f"{i.source}: {i.reason}" for i in feed.report.failed]
        return out

    def summary(self) -> str:
        """One line for the poll: feeds, items added/updated/failed, known, time."""
        stamp = self.started_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        not_modified = sum(1 for f in self.feeds if f.status == "not_modified")
        feeds = f"{len(self.feeds)} feed(s)" + (
            f" ({not_modified} not modified)" if not_modified else ""
        )
        counts = ", ".join(
            f"{self.count(s)} {s.value}"
            for s in (IngestStatus.ADDED, IngestStatus.UPDATED, IngestStatus.UNCHANGED)
        )
        known = sum(f.known for f in self.feeds)
        failed = len(self.failed)
        text = f"poll {self.number} at {stamp}: {feeds}; {counts}, {known} known"
        if failed:
            text += f", {failed} FAILED"
        return f"{text} ({self.seconds:.1f}s)"


class LibraryInfo(BaseModel):
    """A library and what built it."""

    name: str
    embedder: str
    dim: int
    n_articles: int = 0
    n_chunks: int = 0
    created_at: dt.datetime | None = None


class TimeWindow(BaseModel):
    """The dates a question's time expression asks for ("since Monday", "latest", "before the
    talks"), as read by assistant/retrieve/when.py and applied by retrieval."""

    model_config = ConfigDict(frozen=True)

    phrase: str = Field(description="the words of the question it was read from")
    date_from: dt.date | None = Field(None, description="first publication day allowed")
    date_to: dt.date | None = Field(None, description="last publication day allowed")
    newest_first: bool = Field(False, description="'latest', 'most recent': newer sources lead")
    event: str | None = Field(
        None, description="'the talks' in 'before the talks': dated by the library's articles"
    )
    relation: Literal["before", "after", "since", "until"] | None = Field(
        None, description="how the window relates to the event"
    )
    now: dt.date | None = Field(None, description="the day 'today' and 'this week' were read at")
    strict: bool = Field(
        True,
        description="False for a month or longer ('in January', 'last year'): sources of the "
        "period come first, others may follow (events of January are reported in February too)",
    )
    applied: bool = Field(
        True, description="False when an explicit date filter won or the event had no date"
    )
    note: str | None = Field(None, description="why it was not applied, or what it found")

    def span(self) -> str:
        """The dates as text: '2026-02-02 to 2026-02-05', '2026-02-02 onwards', 'until ...'."""
        a, b = self.date_from, self.date_to
        if a and b:
            return a.isoformat() if a == b else f"{a.isoformat()} to {b.isoformat()}"
        if a:
            return f"{a.isoformat()} onwards"
        if b:
            return f"until {b.isoformat()}"
        return "newest first" if self.newest_first else "any date"

    def restricts(self) -> bool:
        """True when it limits publication dates (not only their order)."""
        return self.date_from is not None or self.date_to is not None

    def describe(self) -> str:
        """One line for people, e.g. 'since Monday: 2026-02-02 onwards (newest first)'."""
        text = f"{self.phrase!r}: {self.span()}"
        if self.restricts() and not self.strict:
            text += " first"
        if self.newest_first and self.restricts():
            text += ", newest first"
        if not self.applied:
            text += " -- not applied"
        if self.note:
            text += f" ({self.note})"
        return text


class Superseded(BaseModel):
    """Two cited sources that give different values for one fact: the newer one leads."""

    model_config = ConfigDict(frozen=True)

    newer: int = Field(description="the [n] of the newer source, whose value leads")
    newer_date: dt.date
    newer_value: str = Field(description="e.g. '71', as written")
    older: int = Field(description="the [n] of the older source, shown as earlier")
    older_date: dt.date
    older_value: str
    older_quote: str = Field(description="the older source's sentence, verbatim")


NO_ANSWER = "The articles do not contain the answer to this question."


class Citation(BaseModel):
    """One [n] marker in an answer, resolved to the sentence that supports it."""

    model_config = ConfigDict(frozen=True)

    number: int = Field(description="the n of [n]")
    article_id: str
    title: str
    source: str
    url: str | None = None
    date: dt.date | None = None
    chunk_id: str
    quote: str = Field(description="the supporting sentence, verbatim from the article")
    start: int = Field(description="offset of the quote in the cleaned article text")
    end: int
    support: float = Field(description="0..1: how well the quote supports the claim")
    sentence: int = Field(0, description="index of the answer sentence that carries the marker")
    verdict: Literal["supported", "contradicted", "not_found"] = Field(
        "supported",
        description="the claim checker's verdict on the answer sentence against this source",
    )
    reason: str = Field("", description="why, e.g. '17 is not in [1], which says 71'")
    dates: dict[str, dt.date] = Field(
        default_factory=dict,
        description="relative dates in the quote and the day they meant when it was published, "
        "e.g. {'on Tuesday': 2026-02-03}",
    )


class FlagKind(StrEnum):
    """Why an answer sentence deserves a second look."""

    UNCITED = "uncited"
    CONTRADICTED = "contradicted"
    NOT_FOUND = "not_found"
    INVALID_CITATION = "invalid_citation"
    UNKNOWN_CITATION = "unknown_citation"
    NO_VALID_CITATION = "no_valid_citation"


class Flag(BaseModel):
    """A problem found when checking an answer's citations."""

    kind: FlagKind
    sentence: int = Field(description="index of the answer sentence")
    text: str
    detail: str = ""


class Usage(BaseModel):
    """Tokens an LLM call used (when the endpoint reports them)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Source(BaseModel):
    """A numbered source shown to the answer engine: the hit plus its article's metadata."""

    model_config = ConfigDict(frozen=True)

    number: int
    hit: Hit
    title: str
    source: str
    url: str | None = None
    date: dt.date | None = None


class Answer(BaseModel):
    """An answer with checked citations, or an abstention."""

    question: str
    text: str
    abstained: bool = False
    citations: list[Citation] = Field(default_factory=list)
    invalid_citations: list[int] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    engine: str
    model: str | None = None
    short_answer: str | None = Field(
        None, description="the asked-for span (number, name, date, ...) quoted from a source"
    )
    confidence: float | None = Field(
        None, description="probability that the answer is right (calibrated), when known"
    )
    timings: dict[str, float] = Field(default_factory=dict, description="seconds per stage")
    usage: Usage | None = None
    standalone_question: str | None = Field(None, description="the question as retrieved")
    fallback: str | None = Field(
        None, description="why the LLM failed and the offline extractive engine answered instead"
    )
    verification: str | None = Field(
        None, description="what the claim check changed: sentences dropped, or the reply replaced"
    )
    draft: str | None = Field(
        None, description="the engine's own reply when the check changed or replaced it"
    )
    window: TimeWindow | None = Field(
        None, description="the dates the question's time expression restricted retrieval to"
    )
    as_of: dt.date | None = Field(
        None, description="the date of the source the changing figures come from ('as of')"
    )
    superseded: list[Superseded] = Field(
        default_factory=list, description="older values of the same fact, shown as earlier"
    )

    @property
    def hits(self) -> list[Hit]:
        """The retrieved chunks with their scores, in source order."""
        return [s.hit for s in self.sources]

    def __str__(self) -> str:
        return self.text


class Turn(BaseModel):
    """One exchange of a conversation, as the next follow-up needs it."""

    model_config = ConfigDict(frozen=True)

    question: str = Field(description="what the user typed")
    answer: str = Field(description="the answer's text, with its [n] markers")
    standalone_question: str | None = Field(
        None, description="the question as answered, when the conversation changed it"
    )

    @classmethod
    def of(cls, answer: Answer) -> Turn:
        """The turn an answer completes."""
        return cls(
            question=answer.question,
            answer=answer.text,
            standalone_question=answer.standalone_question,
        )


class SummarySentence(BaseModel):
    """One sentence of a summary, with the citations its [n] markers resolved to."""

    index: int = Field(description="position in the summary, from 0")
    text: str = Field(description="the sentence as shown, without its [n] markers")
    article_id: str | None = Field(None, description="the article it summarises, when known")
    citations: list[Citation] = Field(default_factory=list)


class Summary(BaseModel):
    """A summary of one or more articles (or of a topic) whose every sentence cites [n]."""

    text: str = Field(description="the summary with its [n] markers")
    sentences: list[SummarySentence] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    invalid_citations: list[int] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    sources: list[Source] = Field(
        default_factory=list, description="[n] -> article (the span of it that was summarised)"
    )
    engine: str
    model: str | None = None
    article_ids: list[str] = Field(default_factory=list)
    query: str | None = Field(None, description="the topic, for a topic summary")
    length: str = "medium"
    format: str = "paragraph"
    timings: dict[str, float] = Field(default_factory=dict, description="seconds per stage")
    usage: Usage | None = None
    llm_calls: int = Field(0, description="LLM requests made (map calls + reduce calls)")

    def __str__(self) -> str:
        return self.text


class Story(BaseModel):
    """Articles about the same event (near-duplicates, rewrites of one wire copy, follow-ups)."""

    id: str = Field(description="short and stable while the story's first article stays")
    title: str = Field(description="the title of its most central article")
    article_ids: list[str] = Field(description="oldest first")
    outlets: list[str] = Field(description="web hosts (or sources) of its articles, most first")
    first_date: dt.date | None = None
    last_date: dt.date | None = None

    @property
    def size(self) -> int:
        """How many articles the story holds."""
        return len(self.article_ids)


class Disagreement(BaseModel):
    """Two articles of a story giving different numbers, dates or names for the same fact."""

    kind: Literal["number", "date", "name"]
    text: str = Field(description="'Sources differ: 71 missiles [1] vs 17 missiles [2]'")
    values: tuple[str, str] = Field(description="what each side says, in the order of `text`")
    citations: list[Citation] = Field(description="the sentence of each side, in order")


class StoryBriefing(BaseModel):
    """One story of a briefing: what happened, who said what, and where the sources differ.

    `summary` is the whole section as a cited summary (its [n] number the story's articles), so
    it shows like any summary; the three parts are also kept apart.
    """

    story: Story
    summary: Summary
    happened: list[SummarySentence] = Field(default_factory=list)
    said: list[SummarySentence] = Field(default_factory=list)
    differences: list[Disagreement] = Field(default_factory=list)


class Briefing(BaseModel):
    """A cited briefing, one section per story."""

    stories: list[StoryBriefing] = Field(default_factory=list)
    engine: str
    model: str | None = None
    since: dt.date | None = None
    n_stories: int = Field(0, description="stories found (the briefing covers the largest ones)")
    timings: dict[str, float] = Field(default_factory=dict, description="seconds per stage")

    @property
    def text(self) -> str:
        """Every section under its story's title."""
        return "\n\n".join(
            f"## {section.story.title}\n\n{section.summary.text}" for section in self.stories
        )

    def __str__(self) -> str:
        return self.text
