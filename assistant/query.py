"""One request shape: every option of a question or a summary, declared once.

`Query` carries what `Assistant.ask`, `assistant ask` and the web UI accept; `SummaryRequest`
the same for summaries. Each field's description is its help text; `cli` in its extra data
names its command-line flag, so the CLI's options are generated from these models.

>>> Query(k=8, engine="extractive").k
8
>>> Query(mmr=0.7).postprocessors()
['when', 'mmr']
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Self, TypedDict

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import InputError
from assistant.models import Article, Turn

MAX_QUESTION_CHARS = 2000

Length = Literal["short", "medium", "long"]
Format = Literal["paragraph", "bullets"]


def check_question(question: str) -> str:
    """The question, stripped; an InputError when it is empty or too long."""
    text = question.strip() if isinstance(question, str) else ""
    if not text:
        raise InputError("the question is empty: type a question about your articles")
    if len(text) > MAX_QUESTION_CHARS:
        raise InputError(
            f"the question is {len(text):,} characters long; the limit is "
            f"{MAX_QUESTION_CHARS:,}. Ask a shorter question"
        )
    return text


def option(
    default: Any,
    help: str,
    *,
    flag: str | None = None,
    aliases: tuple[str, ...] = (),
    metavar: str | None = None,
    choices: str | None = None,
    positional: bool = False,
    **constraints: Any,
) -> Any:
    """A model field that is also a command-line option (flag defaults to --field-name).

    `choices` names a registry ("engines", "retrievers", "postprocessors", "summarizers") whose
    names the CLI offers; `positional` makes it an argument instead of a flag.
    """
    cli: dict[str, Any] = {"aliases": list(aliases), "positional": positional}
    if flag:
        cli["flag"] = flag
    if metavar:
        cli["metavar"] = metavar
    if choices:
        cli["choices"] = choices
    return Field(default, description=help, json_schema_extra={"cli": cli}, **constraints)


class Filters(BaseModel):
    """Restrict retrieval to some articles. Every given field must match."""

    model_config = ConfigDict(extra="forbid")

    article_ids: list[str] | None = option(
        None,
        "only this article (id or unique prefix; repeat for several)",
        flag="--article",
        metavar="ID",
    )
    source: str | None = option(None, "only articles whose source or URL contains this")
    title: str | None = option(None, "only articles whose title contains this (any case)")
    date_from: dt.date | None = option(
        None, "only articles dated on or after this day", flag="--since", metavar="YYYY-MM-DD"
    )
    date_to: dt.date | None = option(
        None, "only articles dated on or before this day", flag="--until", metavar="YYYY-MM-DD"
    )

    def active(self) -> bool:
        """True when any filter is set."""
        return any(v is not None for v in self.model_dump().values())

    def matches(self, article: Article) -> bool:
        """Whether an article passes every filter."""
        if self.article_ids is not None and article.id not in self.article_ids:
            return False
        if self.source and self.source.lower() not in (
            f"{article.source} {article.url or ''}".lower()
        ):
            return False
        if self.title and self.title.lower() not in article.title.lower():
            return False
        if self.date_from and (article.date is None or article.date < self.date_from):
            return False
        return not (self.date_to and (article.date is None or article.date > self.date_to))


def describe(error: ValidationError) -> str:
    """A validation error as one line a user can act on."""
    problems = []
    for e in error.errors():
        where = ".".join(str(p) for p in e["loc"]) or "value"
        if e["type"] == "extra_forbidden":
            problems.append(f"unknown option {where!r}")
        else:
            problems.append(f"{where}: {e['msg']}")
    return "; ".join(problems)


class Options(BaseModel):
    """What every request shares: which library, which engine, which LLM model."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def build(cls, values: dict[str, Any]) -> Self:
        """The request from user-given values; an InputError saying what is wrong otherwise."""
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            raise InputError(describe(error)) from error

    library: str | None = option(
        None, "library name (default: $ASSISTANT_LIBRARY)", aliases=("-l",), metavar="NAME"
    )
    engine: str | None = option(
        None,
        "'auto' (default: the LLM when OPENAI_API_KEY or OPENAI_BASE_URL is set, else "
        "extractive) or an engine's name",
        choices="engines",
    )
    model: str | None = option(
        None, "LLM model for the openai engine (default: $ASSISTANT_CHAT_MODEL)", metavar="NAME"
    )


class Query(Options):
    """How to answer one question: retrieval, engine, filters, follow-up history."""

    k: int | None = option(
        None, "sources to retrieve (default: $ASSISTANT_TOP_K)", metavar="N", gt=0, le=100
    )
    retriever: str = option(
        "hybrid",
        "how chunks are found: hybrid (dense + BM25, default), dense, lexical, rrf",
        aliases=("--mode",),
        choices="retrievers",
    )
    postprocess: list[str] = option(
        [],
        "post-processor applied to the retrieved chunks, in order (repeat for several)",
        metavar="NAME",
        choices="postprocessors",
    )
    mmr: float | None = option(
        None,
        "diversify sources by maximal marginal relevance (0..1; 1 = relevance only)",
        metavar="LAMBDA",
        ge=0.0,
        le=1.0,
    )
    recency: float | None = option(
        None, "favour newer articles: a source's score halves every DAYS days", metavar="DAYS", gt=0
    )
    min_confidence: float | None = option(
        None,
        "abstain below this confidence (0..1; default: $ASSISTANT_MIN_CONFIDENCE, else the "
        "engine's own threshold)",
        metavar="P",
        ge=0.0,
        le=1.0,
    )
    unverified: Literal["replace", "refuse", "flag"] | None = option(
        None,
        "an LLM reply with no valid citation or a contradicted claim: replace it by the offline "
        "answer, refuse, or show it flagged (default: $ASSISTANT_UNVERIFIED, else replace)",
    )
    when: Literal["auto", "off"] = option(
        "auto",
        "read time in the question ('latest', 'this week', 'since Monday', 'before the talks') "
        "as a date window on retrieval (auto), or ignore it (off)",
    )
    now: dt.date | None = option(
        None,
        "the day 'today' and 'this week' are read against (default: the library's newest "
        "article date, never after today)",
        metavar="YYYY-MM-DD",
    )
    filters: Filters = Field(default_factory=Filters, description="which articles may answer")
    history: list[Turn] = Field(
        default_factory=list, description="earlier turns: a follow-up is read in their context"
    )

    def postprocessors(self) -> list[str]:
        """Post-processor names to run, in order: `when` (unless off), the explicit ones, then
        mmr and recency."""
        names = list(self.postprocess)
        if self.when == "auto" and "when" not in names:
            names.insert(0, "when")
        if self.mmr is not None and "mmr" not in names:
            names.append("mmr")
        if self.recency is not None and "recency" not in names:
            names.append("recency")
        return names


class SummaryRequest(Options):
    """What to summarise and how: articles (ids, or all) or a topic; length and format."""

    article_ids: list[str] = option(
        [], "article id or unique prefix", positional=True, metavar="ARTICLE_ID"
    )
    all: bool = option(False, "every article of the library")
    topic: str | None = option(
        None, "summarise what the library says about a topic", aliases=("--query", "-q")
    )
    length: Length = option(
        "medium", "short / medium / long: 3 / 5 / 8 sentences for one article, 1 / 2 / 4 each"
    )
    format: Format = option("paragraph", "paragraph or bullets")


class BriefRequest(Options):
    """Which stories a briefing covers: one story, or the largest ones (since a day)."""

    since: dt.date | None = option(
        None, "only articles dated on or after this day", metavar="YYYY-MM-DD"
    )
    story: str | None = option(
        None,
        "brief only this story: its id from `assistant stories`, or the id of one of its articles",
        metavar="ID",
    )
    limit: int = option(
        5, "brief the N largest stories (when no --story)", metavar="N", gt=0, le=50
    )


class QueryOptions(TypedDict, total=False):
    """`Query`'s fields as keyword arguments (for typed `ask(question, **options)`)."""

    library: str | None
    engine: str | None
    model: str | None
    k: int | None
    retriever: str
    postprocess: list[str]
    mmr: float | None
    recency: float | None
    min_confidence: float | None
    unverified: Literal["replace", "refuse", "flag"] | None
    when: Literal["auto", "off"]
    now: dt.date | None
    filters: Filters | dict[str, Any]
    history: list[Turn]


class SummaryOptions(TypedDict, total=False):
    """`SummaryRequest`'s fields as keyword arguments (for typed `summarize(**options)`)."""

    library: str | None
    engine: str | None
    model: str | None
    article_ids: list[str]
    all: bool
    topic: str | None
    length: Length
    format: Format


class BriefOptions(TypedDict, total=False):
    """`BriefRequest`'s fields as keyword arguments (for typed `brief(**options)`)."""

    library: str | None
    engine: str | None
    model: str | None
    since: dt.date | None
    story: str | None
    limit: int
