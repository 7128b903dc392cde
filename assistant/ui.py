"""The web UI: chat with the articles, manage the library, see the settings. The only gradio import.

`WebUI(assistant)` holds the callbacks; they are plain functions of values that call the
`Assistant` API (tests call them directly). `WebUI.build()` lays them out; `serve()` launches
the app offline: no analytics or update checks, fonts served locally, 127.0.0.1 unless told.
Every text that comes from an article, a user or an error is escaped before it reaches HTML
or Markdown, so a title like `<img src=x onerror=...>` shows as text.
"""

from __future__ import annotations

import os

# Before gradio is imported: no telemetry, no update checks, no hub look-ups.
OFFLINE_ENV = {
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_OFFLINE": "1",
    "DO_NOT_TRACK": "1",
    "GRADIO_SSR_MODE": "False",
    "GRADIO_MCP_SERVER": "False",
}
os.environ.update(OFFLINE_ENV)

import html  # noqa: E402
import logging  # noqa: E402
import re  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable, Iterator, Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import gradio as gr  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse  # noqa: E402
from starlette.types import ASGIApp, Receive, Scope, Send  # noqa: E402

from assistant.api import Assistant  # noqa: E402
from assistant.errors import AssistantError, ConfigError  # noqa: E402
from assistant.ingest.loaders import SUPPORTED_EXTENSIONS  # noqa: E402
from assistant.llm import DEFAULT_CHAT_MODEL  # noqa: E402
from assistant.models import (  # noqa: E402
    NO_ANSWER,
    Answer,
    Article,
    Citation,
    FlagKind,
    IngestReport,
    Source,
    Summary,
    Turn,
)
from assistant.query import Format, Length, Query, SummaryRequest  # noqa: E402

log = logging.getLogger(__name__)

Message = dict[str, Any]
"""A Chatbot message: {"role": "user" | "assistant", "content": str | list}."""
Reply = Answer | Summary
"""What the chat shows from the assistant: an answer or a summary, each with its citations."""
ChatUpdate = tuple[list[Message], list[Turn], list[Reply | None], str, str]
"""What a chat callback shows: (chat, turns, replies, sources panel, input box)."""

ENGINES: list[str] = ["auto", "extractive", "openai"]
ENDPOINT_DEFAULT = "https://api.openai.com/v1"
CURSOR = " ▌"
KEY_MASK = "[API key hidden]"
THINKING = "_Searching the articles…_"
SUMMARIZING = "_Summarizing the articles…_"
LENGTHS: list[Length] = ["short", "medium", "long"]
FORMATS: list[Format] = ["paragraph", "bullets"]
TOPIC_HINT = (
    "ℹ Nothing to summarize yet: type a topic in the box and press **Summarize**. (With the "
    "box empty, **Summarize** covers the articles that the last answer cites.)"
)
FLAG_SIGNS = {
    FlagKind.WEAK_SUPPORT: ("⚠", "weakly supported by the passage it cites"),
    FlagKind.UNCITED: ("⚠", "cites no source"),
    FlagKind.INVALID_CITATION: ("✗", "cites a source number that does not exist"),
}
REPORT_HEADERS = ["status", "id", "title / source", "chunks", "reason"]
ARTICLE_HEADERS = ["id", "title", "source", "date", "chunks"]
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
_BULLET = re.compile(r"^\\- ", re.MULTILINE)  # a summary's "- " bullet, once escaped

CSS = """
#chat .bot blockquote { border-left: 4px solid #9ca3af; color: #4b5563; font-style: italic;
  margin: 0; padding: 0.2em 0.8em; }
#chat .bot em { background: #fef3c7; font-style: normal; border-bottom: 2px dotted #d97706; }
#summary em { background: #fef3c7; font-style: normal; border-bottom: 2px dotted #d97706; }
.aa-sources { font-size: 0.95em; }
.aa-sources .aa-question { color: #6b7280; margin-bottom: 0.5em; }
.aa-source { border: 1px solid #e5e7eb; border-radius: 8px; padding: 0.4em 0.7em;
  margin-bottom: 0.5em; }
.aa-source summary { cursor: pointer; font-weight: 600; }
.aa-source .aa-num { color: #2563eb; }
.aa-source .aa-date, .aa-source .aa-where { color: #6b7280; font-weight: normal;
  font-size: 0.9em; }
.aa-where { word-break: break-all; margin: 0.3em 0; }
.aa-passage { white-space: pre-wrap; margin: 0.4em 0 0 0; padding-left: 0.7em;
  border-left: 3px solid #e5e7eb; }
.aa-passage mark { background: #fde68a; padding: 0 2px; }
.aa-note { border-radius: 8px; padding: 0.5em 0.7em; margin-bottom: 0.6em; }
.aa-abstain { background: #f3f4f6; color: #374151; }
.aa-warn { background: #fef3c7; color: #78350f; }
.aa-flags li { margin-bottom: 0.3em; }
.aa-retrieved { color: #6b7280; }
"""


# Escaping


def escape_html(text: object) -> str:
    """Text made safe inside HTML, attributes included."""
    return html.escape(str(text), quote=True)


def escape_md(text: object) -> str:
    """Text shown literally by a Markdown component: no HTML, no Markdown syntax."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))


def code_md(text: object) -> str:
    """Text as a Markdown code span (shown literally; backticks inside become quotes)."""
    return "`" + str(text).replace("`", "'").replace("\n", " ") + "`"


def chat_text(text: str) -> str:
    """Answer text for a chat bubble: no HTML tags, otherwise left as written so that
    copying a message gives the answer as it reads."""
    return text.replace("<", "&lt;")


# Answers as chat messages


def flagged_text(reply: Reply, escape: Callable[[str], str] = chat_text) -> str:
    """The reply's text with each flagged sentence marked: '⚠ *sentence*'; the text between
    the marks passed through `escape`."""
    text = reply.text
    spans: list[tuple[int, int, FlagKind]] = []
    cursor = 0
    for flag in sorted(reply.flags, key=lambda f: f.sentence):
        if flag.kind not in FLAG_SIGNS:
            continue
        needle = flag.text.strip()
        start = text.find(needle, cursor)
        if start < 0:
            start = text.find(needle)
        if start < 0 or any(a < start + len(needle) and start < b for a, b, _ in spans):
            continue
        spans.append((start, start + len(needle), flag.kind))
        cursor = start + len(needle)
    out: list[str] = []
    last = 0
    for start, end, kind in sorted(spans):
        out.append(escape(text[last:start]))
        out.append(f"{FLAG_SIGNS[kind][0]} *{escape(text[start:end])}*")
        last = end
    out.append(escape(text[last:]))
    return "".join(out)


def flag_notes(reply: Reply) -> list[str]:
    """The lines under a flagged reply: the legend of its marks, and a warning when it cites
    no valid source."""
    kinds = {f.kind for f in reply.flags}
    legend = [f"{sign} {meaning}" for kind, (sign, meaning) in FLAG_SIGNS.items() if kind in kinds]
    notes = ["Check the marked sentences: " + " · ".join(legend) + "."] if legend else []
    if FlagKind.NO_VALID_CITATION in kinds:
        what = "answer" if isinstance(reply, Answer) else "summary"
        notes.append(f"⚠ *This {what} cites no source: check it against the articles.*")
    return notes


def answer_markdown(answer: Answer) -> str:
    """The chat bubble of a finished answer: abstentions as a quoted note, flagged sentences
    marked with a legend, an LLM fallback said out loud."""
    parts: list[str] = []
    if answer.abstained:
        searched = len(answer.sources)
        parts.append(
            f"> ℹ **No answer found.** {chat_text(NO_ANSWER)} (Searched {searched} "
            f"passage{'s' if searched != 1 else ''}; try other words, or add articles in the "
            "Library tab.)"
        )
    else:
        parts.append(flagged_text(answer))
        parts.extend(flag_notes(answer))
    if answer.fallback:
        parts.append(f"> ⚠ {chat_text(answer.fallback)}")
    return "\n\n".join(parts)


def summary_markdown(summary: Summary, *, strict: bool = False) -> str:
    """A summary with its [n] markers and flagged sentences marked, as the chat shows it; with
    `strict`, Markdown in the quoted text is shown literally too (but its bullets)."""
    text = flagged_text(summary, literal_md if strict else chat_text)
    return "\n\n".join([text, *flag_notes(summary)])


def literal_md(text: str) -> str:
    """Text shown literally by a Markdown component, but for its '- ' bullets."""
    return _BULLET.sub("- ", escape_md(text))


def hide_key(text: str, key: str | None) -> str:
    """`text` with the API key masked: an endpoint may repeat the key in its error message."""
    return text.replace(key, KEY_MASK) if key and len(key) >= 8 else text


def error_markdown(error: BaseException, key: str | None = None, doing: str = "answer") -> str:
    """A chat bubble for a failure: the AssistantError's message (the API key masked), or a
    short bug notice."""
    if isinstance(error, AssistantError):
        return f"✗ **Could not {doing}:** {escape_md(hide_key(str(error), key))}"
    return (
        f"✗ **Something went wrong** ({escape_md(type(error).__name__)}). "
        "This is a bug; the details are in the server log."
    )


# The sources panel


def _marked(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """HTML of `text` with each (start, end) span wrapped in <mark>."""
    out: list[str] = []
    last = 0
    for start, end in sorted(set(spans)):
        if start < last or end > len(text) or start >= end:
            continue
        out.append(escape_html(text[last:start]))
        out.append(f"<mark>{escape_html(text[start:end])}</mark>")
        last = end
    out.append(escape_html(text[last:]))
    return "".join(out)


def quote_spans(source: Source, citations: Sequence[Citation]) -> list[tuple[int, int]]:
    """Where each cited quote lies in the source's chunk text (offsets from the chunk start)."""
    chunk = source.hit.chunk
    spans = []
    for citation in citations:
        start, end = citation.start - chunk.start, citation.end - chunk.start
        if chunk.text[max(start, 0) : end] != citation.quote:
            start = chunk.text.find(citation.quote)
            end = start + len(citation.quote)
        if start >= 0:
            spans.append((start, end))
    return spans


def _where(source: Source) -> str:
    if source.url and source.url.lower().startswith(("http://", "https://")):
        url = escape_html(source.url)
        return f'<a href="{url}" target="_blank" rel="noopener noreferrer">{url}</a>'
    return f"<code>{escape_html(source.url or source.source)}</code>"


def source_html(source: Source, citations: Sequence[Citation]) -> str:
    """One cited source: number, title, date, link or path, and its passage with the quotes."""
    date = f' <span class="aa-date">{source.date.isoformat()}</span>' if source.date else ""
    passage = _marked(source.hit.chunk.text, quote_spans(source, citations))
    return (
        f'<details class="aa-source" data-number="{source.number}">'
        f'<summary><span class="aa-num">[{source.number}]</span> '
        f'<span class="aa-title">{escape_html(source.title)}</span>{date}</summary>'
        f'<div class="aa-where">{_where(source)}</div>'
        f'<blockquote class="aa-passage">{passage}</blockquote></details>'
    )


def sources_html(reply: Reply | None) -> str:
    """The sources panel for an answer or a summary: each cited source (click to open its
    passage with the quoted sentences highlighted), the flags, and the sources not cited."""
    if reply is None:
        return (
            '<div class="aa-sources"><p class="aa-question">Sources appear here: each '
            "cited article with the quoted sentence highlighted in its passage.</p></div>"
        )
    parts = ['<div class="aa-sources">']
    if isinstance(reply, Answer):
        parts.extend(_answer_heading(reply))
        uncited = "passage(s) retrieved"
    else:
        parts.append(f'<div class="aa-question">Sources for {_summary_subject(reply)}</div>')
        uncited = "source(s) summarized"
    by_number: dict[int, list[Citation]] = {}
    for citation in reply.citations:
        by_number.setdefault(citation.number, []).append(citation)
    cited = [s for s in reply.sources if s.number in by_number]
    for source in cited:
        parts.append(source_html(source, by_number[source.number]))
    flags = [f for f in reply.flags if f.kind in FLAG_SIGNS or f.kind is FlagKind.NO_VALID_CITATION]
    if flags:
        parts.append('<ul class="aa-flags">')
        for flag in flags:
            sign, meaning = FLAG_SIGNS.get(flag.kind, ("⚠", "cites no valid source"))
            detail = f" ({escape_html(flag.detail)})" if flag.detail else ""
            parts.append(
                f'<li class="aa-flag aa-flag-{flag.kind.value}">{sign} {meaning}: '
                f"“{escape_html(flag.text)}”{detail}</li>"
            )
        parts.append("</ul>")
    others = [s for s in reply.sources if s.number not in by_number]
    if others:
        parts.append(
            f'<details class="aa-retrieved"><summary>{len(others)} more {uncited}, '
            "not cited</summary><ul>"
        )
        for source in others:
            parts.append(
                f"<li>[{source.number}] {escape_html(source.title)} — "
                f"{escape_html(source.hit.chunk.text[:160])}…</li>"
            )
        parts.append("</ul></details>")
    parts.append("</div>")
    return "".join(parts)


def _answer_heading(answer: Answer) -> list[str]:
    """The question (and how it was read), the LLM fallback note and the abstention note."""
    parts = [f'<div class="aa-question">Sources for “{escape_html(answer.question)}”']
    if answer.standalone_question:
        parts.append(f" (read as “{escape_html(answer.standalone_question)}”)")
    parts.append("</div>")
    if answer.fallback:
        parts.append(f'<div class="aa-note aa-warn">{escape_html(answer.fallback)}</div>')
    if answer.abstained:
        parts.append(
            '<div class="aa-note aa-abstain">No answer: none of the '
            f"{len(answer.sources)} passages retrieved answers the question.</div>"
        )
    return parts


def _summary_subject(summary: Summary) -> str:
    """What a summary covers, as HTML: its topic, its one article's title, or a count."""
    if summary.query:
        return f"the summary of “{escape_html(summary.query)}”"
    if len(summary.sources) == 1:
        return f"the summary of “{escape_html(summary.sources[0].title)}”"
    return f"the summary of {len(summary.sources)} articles"


# Tables


def report_rows(report: IngestReport) -> list[list[object]]:
    """One row per source an ingest looked at, as the CLI's table shows it."""
    return [
        [
            item.status.value,
            item.article_id or "",
            item.title or item.source,
            item.n_chunks,
            item.reason or "",
        ]
        for item in report.items
    ]


def ingest_line(report: IngestReport) -> str:
    """The ingest's counts in one line, pointing at the table below it for the reasons."""
    counts = ", ".join(f"{n} {name}" for name, n in report.counts.items() if n)
    line = counts or "nothing to ingest"
    if report.failed:
        line += f" — {len(report.failed)} source(s) FAILED: the table below says why"
    return f"{line} ({report.seconds:.1f}s)"


def article_rows(articles: Sequence[Article]) -> list[list[object]]:
    """id, title, source, date, chunks for each article."""
    return [
        [a.id, a.title, a.url or a.source, a.date.isoformat() if a.date else "", a.n_chunks]
        for a in articles
    ]


def article_choices(articles: Sequence[Article]) -> list[tuple[str, str]]:
    """(label, id) pairs for the article picker."""
    return [(f"{a.title} ({a.id[:7]})", a.id) for a in articles]


def parse_urls(text: str | None) -> tuple[list[str], list[str]]:
    """The http(s) URLs in a box of lines, and the lines that are not URLs. Only URLs are
    taken: a web user must not make the server read its own files by typing a path."""
    urls: list[str] = []
    rejected: list[str] = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        if re.match(r"^https?://\S+$", line, re.IGNORECASE):
            urls.append(line)
        else:
            rejected.append(line)
    return urls, rejected


# Callbacks


class WebUI:
    """The callbacks of the web UI over one Assistant; `build()` lays them out."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.settings = assistant.settings

    # Chat

    def respond(
        self,
        message: str,
        chat: list[Message] | None,
        turns: list[Turn] | None,
        answers: list[Reply | None] | None,
        library: str | None = None,
        engine: str | None = None,
        model: str | None = None,
        k: float | None = None,
    ) -> Iterator[ChatUpdate]:
        """Stream an answer into the chat: (chat, turns, answers, sources panel, input box)."""
        chat, turns, answers = list(chat or []), list(turns or []), list(answers or [])
        message = (message or "").strip()
        if not message:
            yield chat, turns, answers, sources_html(answers[-1] if answers else None), ""
            return
        yield from self._stream_reply(
            message,
            lambda: self.assistant.ask_stream(
                message,
                Query.build(
                    {
                        "library": library or None,
                        "engine": engine or None,
                        "model": (model or "").strip() or None,
                        "k": int(k) if k else None,
                        "history": turns,
                    }
                ),
            ),
            chat,
            turns,
            answers,
            placeholder=THINKING,
        )

    def summarize_chat(
        self,
        message: str,
        chat: list[Message] | None,
        turns: list[Turn] | None,
        answers: list[Reply | None] | None,
        library: str | None = None,
        engine: str | None = None,
        model: str | None = None,
        length: Length = "medium",
        format: Format = "paragraph",
    ) -> Iterator[ChatUpdate]:
        """Stream a summary into the chat, as an answer is: of the topic typed in the box, or
        with the box empty of the articles the last reply cites."""
        chat, turns, answers = list(chat or []), list(turns or []), list(answers or [])
        topic = (message or "").strip()
        article_ids: list[str] = []
        if topic:
            asked = f"Summarize: {topic}"
        else:
            last = next((a for a in reversed(answers) if a is not None), None)
            article_ids = list(dict.fromkeys(c.article_id for c in last.citations)) if last else []
            asked = (
                f"Summarize the {len(article_ids)} articles cited above"
                if len(article_ids) > 1
                else "Summarize the article cited above"
            )
        if not topic and not article_ids:
            chat += [
                {"role": "user", "content": "Summarize"},
                {"role": "assistant", "content": TOPIC_HINT},
            ]
            yield chat, turns, answers + [None], sources_html(None), ""
            return
        # A follow-up after the summary is read in the light of its topic (offline: retrieved
        # together with it), or of the question whose answer cited the articles.
        about = topic or (turns[-1].standalone_question or turns[-1].question if turns else None)
        yield from self._stream_reply(
            asked,
            lambda: self.assistant.summarize_stream(
                request=SummaryRequest.build(
                    {
                        "article_ids": article_ids,
                        "topic": topic or None,
                        "library": library or None,
                        "length": length or "medium",
                        "format": format or "paragraph",
                        "engine": engine or None,
                        "model": (model or "").strip() or None,
                    }
                )
            ),
            chat,
            turns,
            answers,
            placeholder=SUMMARIZING,
            doing="summarize",
            about=about,
        )

    def _stream_reply(
        self,
        asked: str,
        start: Callable[[], Iterator[str | Answer] | Iterator[str | Summary]],
        chat: list[Message],
        turns: list[Turn],
        answers: list[Reply | None],
        *,
        placeholder: str,
        doing: str = "answer",
        about: str | None = None,
    ) -> Iterator[ChatUpdate]:
        """Show `asked` as the user's message and stream the reply that `start()` produces
        under it; then the finished reply, its sources, and the turn it adds to the history
        (a summary's turn is about `about`). A failure becomes a message in the chat."""
        chat += [
            {"role": "user", "content": chat_text(asked)},
            {"role": "assistant", "content": placeholder},
        ]
        panel = sources_html(None)
        yield [*chat], turns, answers, panel, ""
        text = ""
        reply: Reply | None = None
        try:
            for part in start():
                if isinstance(part, str):
                    text += part
                    chat[-1] = {"role": "assistant", "content": chat_text(text) + CURSOR}
                    yield [*chat], turns, answers, panel, ""
                else:
                    reply = part
        except Exception as error:  # shown in the chat; a non-AssistantError is also logged
            if not isinstance(error, AssistantError):
                log.exception("replying to %r failed", asked)
            content = error_markdown(error, self.settings.openai_api_key, doing)
            chat[-1] = {"role": "assistant", "content": content}
            yield chat, turns, answers + [None], panel, ""
            return
        assert reply is not None
        if isinstance(reply, Answer):
            reply = self._key_hidden(reply)
            chat[-1] = {"role": "assistant", "content": answer_markdown(reply)}
            turn = Turn.of(reply)
        else:
            chat[-1] = {"role": "assistant", "content": summary_markdown(reply)}
            turn = Turn(question=asked, answer=reply.text, standalone_question=about)
        yield chat, turns + [turn], answers + [reply], sources_html(reply), ""

    def _key_hidden(self, answer: Answer) -> Answer:
        """The answer with the API key masked in its LLM failure note."""
        if not answer.fallback:
            return answer
        fallback = hide_key(answer.fallback, self.settings.openai_api_key)
        return answer.model_copy(update={"fallback": fallback})

    def new_chat(self) -> ChatUpdate:
        """An empty conversation."""
        return [], [], [], sources_html(None), ""

    def select_answer(self, answers: list[Reply | None] | None, index: int | None) -> str:
        """The sources panel of the reply at chat message `index` (two messages a turn)."""
        answers = answers or []
        if index is None or not 0 <= index // 2 < len(answers):
            return sources_html(answers[-1] if answers else None)
        return sources_html(answers[index // 2])

    # Library

    def ingest(
        self,
        files: Sequence[str] | None,
        urls: str | None,
        library: str | None,
        progress: Any = None,
    ) -> tuple[str, list[list[object]], list[list[object]], dict[str, Any]]:
        """Ingest uploaded files and pasted URLs: (summary, report rows, articles, picker)."""
        paths = [str(f) for f in files or []]
        links, rejected = parse_urls(urls)
        notes = []
        if rejected:
            shown = ", ".join(code_md(r[:60]) for r in rejected[:3])
            notes.append(f"Skipped {len(rejected)} line(s) that are not http(s) URLs: {shown}.")
        if not paths and not links:
            notes.insert(0, "Choose files to upload or paste URLs first.")
            return " ".join(notes), [], *self._articles(library)[:2]

        def report_progress(done: int, total: int, label: str) -> None:
            if progress is not None:
                progress((done, total), desc=f"Ingesting {os.path.basename(label)}")

        try:
            report = self.assistant.ingest(
                *paths, *links, library=library or None, progress=report_progress
            )
        except AssistantError as error:
            return f"✗ {escape_md(error)}", [], *self._articles(library)[:2]
        icon = "✓" if report.ok else "⚠"
        summary = f"{icon} {escape_md(ingest_line(report))}"
        rows, picker, _ = self._articles(library)
        return " ".join([summary, *notes]), report_rows(report), rows, picker

    def _articles(
        self, library: str | None, selected: str | None = None
    ) -> tuple[list[list[object]], dict[str, Any], str]:
        try:
            articles = self.assistant.articles(library or None)
        except AssistantError as error:
            return [], gr.update(choices=[], value=None), f"{escape_md(error)}"
        choices = article_choices(articles)
        value = selected if selected in {c[1] for c in choices} else None
        count = f"{len(articles)} article{'s' if len(articles) != 1 else ''}"
        return article_rows(articles), gr.update(choices=choices, value=value), count

    def list_articles(self, library: str | None) -> tuple[list[list[object]], dict[str, Any], str]:
        """The library's articles: (table rows, picker update, count line)."""
        return self._articles(library)

    def open_article(self, article_id: str | None, library: str | None) -> tuple[str, str]:
        """An article's heading (title, id, source, date) and cleaned text."""
        if not article_id:
            return "Pick an article first.", ""
        try:
            article = self.assistant.article(article_id, library or None)
        except AssistantError as error:
            return f"✗ {escape_md(error)}", ""
        meta = [
            f"id {article.id}",
            f"source {article.url or article.source}",
            f"date {article.date.isoformat()}" if article.date else "",
            f"author {article.author}" if article.author else "",
            f"{article.n_chunks} chunks",
        ]
        heading = f"### {escape_md(article.title)}\n\n" + escape_md(
            " · ".join(m for m in meta if m)
        )
        return heading, article.text

    def summarize_article(
        self,
        article_id: str | None,
        library: str | None,
        length: Length = "medium",
        format: Format = "paragraph",
        engine: str | None = None,
        model: str | None = None,
    ) -> Iterator[tuple[str, str]]:
        """Summarize the picked article, streamed: (the summary as Markdown with its [n]
        markers, the panel of its sources with the quoted sentences highlighted)."""
        if not article_id:
            yield "Pick an article first.", ""
            return
        yield SUMMARIZING, ""
        text = ""
        summary: Summary | None = None
        try:
            for part in self.assistant.summarize_stream(
                request=SummaryRequest.build(
                    {
                        "article_ids": [article_id],
                        "library": library or None,
                        "length": length or "medium",
                        "format": format or "paragraph",
                        "engine": engine or None,
                        "model": (model or "").strip() or None,
                    }
                )
            ):
                if isinstance(part, Summary):
                    summary = part
                else:
                    text += part
                    yield literal_md(text) + CURSOR, ""
        except Exception as error:  # shown on the page; a non-AssistantError is also logged
            if not isinstance(error, AssistantError):
                log.exception("summarizing %r failed", article_id)
            yield error_markdown(error, self.settings.openai_api_key, "summarize"), ""
            return
        assert summary is not None
        yield summary_markdown(summary, strict=True), sources_html(summary)

    def delete_article(
        self, article_id: str | None, library: str | None
    ) -> tuple[str, list[list[object]], dict[str, Any], str, str]:
        """Remove an article: (message, table rows, picker update, cleared heading and text)."""
        if not article_id:
            rows, picker, _ = self._articles(library)
            return "Pick an article first.", rows, picker, "", ""
        try:
            article = self.assistant.delete(article_id, library or None)
            message = f"✓ Removed {escape_md(article.title)} ({article.n_chunks} chunks)."
        except AssistantError as error:
            message = f"✗ {escape_md(error)}"
        rows, picker, _ = self._articles(library)
        return message, rows, picker, "", ""

    # Settings and status

    def library_choices(self, current: str | None = None) -> dict[str, Any]:
        """The library picker: every library under ASSISTANT_HOME, plus the current one."""
        names = [info.name for info in self.assistant.libraries()]
        chosen = current or self.settings.library
        if chosen not in names:
            names.append(chosen)
        return gr.update(choices=sorted(names), value=chosen)

    def status(self, engine: str | None = None, model: str | None = None) -> str:
        """Which engine answers, whether an LLM is connected, and how to connect one."""
        try:
            name = self.assistant.engine_name(engine or None)
        except AssistantError as error:
            return f"✗ {escape_md(error)}"
        configured = self.assistant.engine_name("auto") == "openai"
        endpoint = self.settings.openai_base_url or ENDPOINT_DEFAULT
        model = (model or "").strip() or self.settings.chat_model or DEFAULT_CHAT_MODEL
        how = (
            "To connect one, set `OPENAI_API_KEY` (OpenAI) or `OPENAI_BASE_URL` (any "
            "OpenAI-compatible server, e.g. Ollama at `http://localhost:11434/v1`) and "
            "start `assistant ui` again."
        )
        if name == "openai" and configured:
            return (
                f"**LLM connected:** model {code_md(model)} at {code_md(endpoint)} "
                "writes the answers; every sentence's citation is checked against its source. "
                "If the LLM fails, the offline extractive engine answers and says so."
            )
        if name == "openai":
            return f"✗ The openai engine is chosen but no LLM is connected. {how}"
        if configured:
            return (
                "**Extractive engine** (offline) is answering: it quotes the sentences of your "
                "articles that best answer the question. An LLM is available "
                f"({code_md(model)} at {code_md(endpoint)}): choose *auto* or *openai* "
                "to use it."
            )
        return (
            "**No LLM is connected**, so the offline **extractive engine** is answering: it "
            "quotes the sentences of your articles that best answer the question, each with "
            f"its source. {how}"
        )

    def upload_note(self) -> str:
        """What the upload box accepts."""
        return (
            f"Files up to {self.settings.max_upload_mb} MB: "
            + " ".join(f"`{e}`" for e in SUPPORTED_EXTENSIONS)
            + ". URLs: one `http(s)://` address a line."
        )

    # Layout

    def build(self) -> gr.Blocks:
        """The Blocks app: Chat, Library and Settings tabs, wired to the callbacks."""
        demo = gr.Blocks(title="Article assistant", analytics_enabled=False)
        with demo:
            gr.Markdown(
                "## Article assistant\nAsk about your articles; every claim cites its sentence."
            )
            with gr.Tabs():
                with gr.Tab("Chat", id="chat-tab"):
                    chat = self._chat_tab()
                with gr.Tab("Library", id="library-tab"):
                    lib = self._library_tab()
                with gr.Tab("Settings", id="settings-tab"):
                    settings = self._settings_tab()
            self._wire_chat(chat, settings)
            self._wire_library(lib, settings)
            self._wire_settings(settings, chat, lib)
            demo.load(self.library_choices, [settings.library], [settings.library], **PRIVATE)
            demo.load(
                self.list_articles,
                [settings.library],
                [lib.table, lib.pick, lib.count],
                **PRIVATE,
            )
        return demo

    def _chat_tab(self) -> _ChatParts:
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    elem_id="chat",
                    label="Chat",
                    height=540,
                    buttons=["copy", "copy_all"],
                    latex_delimiters=[],
                    allow_tags=False,
                    feedback_options=None,
                    placeholder="Ask a question about your articles, then follow up. **Summarize** "
                    "covers the topic typed in the box, or the articles the last answer cites.",
                )
                with gr.Row():
                    box = gr.Textbox(
                        elem_id="question",
                        show_label=False,
                        placeholder="e.g. How many missiles did Russia launch?",
                        scale=6,
                        autofocus=True,
                        max_length=2000,
                    )
                    with gr.Column(scale=1, min_width=120):
                        ask = gr.Button("Ask", variant="primary", elem_id="ask")
                        summarize = gr.Button("Summarize", elem_id="chat-summarize")
                new = gr.Button("New chat", elem_id="new-chat", size="sm")
                status = gr.Markdown(self.status(), elem_id="chat-status")
            with gr.Column(scale=2):
                panel = gr.HTML(sources_html(None), elem_id="sources", js_on_load=None)
        return _ChatParts(
            chatbot=chatbot,
            box=box,
            ask=ask,
            summarize=summarize,
            new=new,
            status=status,
            panel=panel,
            turns=gr.State([]),
            answers=gr.State([]),
        )

    def _library_tab(self) -> _LibraryParts:
        gr.Markdown(self.upload_note(), elem_id="upload-note")
        with gr.Row():
            files = gr.File(
                label="Upload articles",
                file_count="multiple",
                file_types=list(SUPPORTED_EXTENSIONS),
                elem_id="upload",
            )
            urls = gr.Textbox(
                label="…or paste URLs, one per line",
                lines=5,
                elem_id="urls",
                placeholder="https://example.com/story.html",
            )
        ingest = gr.Button("Add to library", variant="primary", elem_id="ingest")
        summary = gr.Markdown(elem_id="ingest-summary")
        report = gr.Dataframe(
            headers=REPORT_HEADERS,
            interactive=False,
            wrap=True,
            elem_id="ingest-report",
            label="What happened to each source",
        )
        gr.Markdown("### Articles")
        count = gr.Markdown(elem_id="article-count")
        table = gr.Dataframe(
            headers=ARTICLE_HEADERS,
            interactive=False,
            wrap=True,
            elem_id="articles",
            label="Articles",
        )
        with gr.Row():
            pick = gr.Dropdown(label="Article", choices=[], elem_id="pick", scale=4)
            open_ = gr.Button("Open", elem_id="open", scale=1)
            summarize = gr.Button("Summarize", elem_id="summarize", scale=1)
            delete = gr.Button("Delete", variant="stop", elem_id="delete", scale=1)
            refresh = gr.Button("Refresh", elem_id="refresh", scale=1)
        with gr.Row():
            length = gr.Radio(
                LENGTHS, value="medium", label="Summary length", elem_id="summary-length"
            )
            form = gr.Radio(
                FORMATS, value="paragraph", label="Summary format", elem_id="summary-format"
            )
        message = gr.Markdown(elem_id="library-message")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                summary_text = gr.Markdown(elem_id="summary", latex_delimiters=[])
            with gr.Column(scale=2):
                summary_sources = gr.HTML(elem_id="summary-sources")
        heading = gr.Markdown(elem_id="article-heading")
        text = gr.Textbox(
            label="Cleaned text", lines=14, max_lines=30, interactive=False, elem_id="article-text"
        )
        return _LibraryParts(
            files=files,
            urls=urls,
            ingest=ingest,
            summary=summary,
            report=report,
            count=count,
            table=table,
            pick=pick,
            open=open_,
            summarize=summarize,
            length=length,
            form=form,
            summary_text=summary_text,
            summary_sources=summary_sources,
            delete=delete,
            refresh=refresh,
            message=message,
            heading=heading,
            text=text,
        )

    def _settings_tab(self) -> _SettingsParts:
        settings = self.settings
        engine = gr.Radio(ENGINES, value=settings.engine, label="Answer engine", elem_id="engine")
        model = gr.Textbox(
            value=settings.chat_model or DEFAULT_CHAT_MODEL,
            label="LLM model (for the openai engine)",
            elem_id="model",
        )
        top_k = gr.Slider(
            1,
            20,
            value=settings.top_k,
            step=1,
            label="Passages to retrieve (top-k)",
            elem_id="top-k",
        )
        library = gr.Dropdown(
            choices=[settings.library],
            value=settings.library,
            allow_custom_value=True,
            label="Library (type a new name to start one)",
            elem_id="library",
        )
        status = gr.Markdown(self.status(), elem_id="status")
        return _SettingsParts(
            engine=engine, model=model, top_k=top_k, library=library, status=status
        )

    def _wire_chat(self, chat: _ChatParts, settings: _SettingsParts) -> None:
        outputs = [chat.chatbot, chat.turns, chat.answers, chat.panel, chat.box]
        inputs = [
            chat.box,
            chat.chatbot,
            chat.turns,
            chat.answers,
            settings.library,
            settings.engine,
            settings.model,
            settings.top_k,
        ]
        for trigger in (chat.box.submit, chat.ask.click):
            trigger(self.respond, inputs, outputs, concurrency_limit=4, **PRIVATE)
        chat.summarize.click(
            self.summarize_chat, inputs[:-1], outputs, concurrency_limit=2, **PRIVATE
        )
        chat.new.click(self.new_chat, None, outputs, **PRIVATE)
        chat.chatbot.clear(self.new_chat, None, outputs, **PRIVATE)  # its trash-can button

        def on_select(answers: list[Reply | None], event: gr.SelectData) -> str:
            index = event.index[0] if isinstance(event.index, list | tuple) else event.index
            return self.select_answer(answers, index if isinstance(index, int) else None)

        chat.chatbot.select(on_select, [chat.answers], [chat.panel], **PRIVATE)

    def _wire_library(self, lib: _LibraryParts, settings: _SettingsParts) -> None:
        listing = [lib.table, lib.pick, lib.count]

        def run_ingest(
            files: list[str] | None,
            urls: str | None,
            library: str | None,
            progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects it)
        ) -> tuple[str, list[list[object]], list[list[object]], dict[str, Any]]:
            return self.ingest(files, urls, library, progress)

        lib.ingest.click(
            run_ingest,
            [lib.files, lib.urls, settings.library],
            [lib.summary, lib.report, lib.table, lib.pick],
            concurrency_id="library-write",
            concurrency_limit=1,
            **PRIVATE,
        ).then(lambda: (None, ""), None, [lib.files, lib.urls], **PRIVATE).then(
            self.list_articles, [settings.library], listing, **PRIVATE
        )
        lib.refresh.click(self.list_articles, [settings.library], listing, **PRIVATE)
        lib.summarize.click(
            self.summarize_article,
            [lib.pick, settings.library, lib.length, lib.form, settings.engine, settings.model],
            [lib.summary_text, lib.summary_sources],
            concurrency_limit=2,
            **PRIVATE,
        )
        # Another article (or none) picked: the summary shown is no longer its.
        lib.pick.change(lambda: ("", ""), None, [lib.summary_text, lib.summary_sources], **PRIVATE)
        for trigger in (lib.open.click, lib.pick.input):
            trigger(
                self.open_article, [lib.pick, settings.library], [lib.heading, lib.text], **PRIVATE
            )
        lib.delete.click(
            self.delete_article,
            [lib.pick, settings.library],
            [lib.message, lib.table, lib.pick, lib.heading, lib.text],
            js=CONFIRM_DELETE,
            concurrency_id="library-write",
            concurrency_limit=1,
            **PRIVATE,
        ).then(self.list_articles, [settings.library], listing, **PRIVATE)

        def on_row(library: str | None, event: gr.SelectData) -> tuple[Any, str, str]:
            row = event.index[0] if isinstance(event.index, list | tuple) else event.index
            rows, _, _ = self._articles(library)
            if not isinstance(row, int) or not 0 <= row < len(rows):
                return gr.skip(), "", ""
            article_id = str(rows[row][0])
            return (article_id, *self.open_article(article_id, library))

        lib.table.select(on_row, [settings.library], [lib.pick, lib.heading, lib.text], **PRIVATE)

    def _wire_settings(
        self, settings: _SettingsParts, chat: _ChatParts, lib: _LibraryParts
    ) -> None:
        listing = [lib.table, lib.pick, lib.count]
        chat_outputs = [chat.chatbot, chat.turns, chat.answers, chat.panel, chat.box]
        settings.library.change(self.list_articles, [settings.library], listing, **PRIVATE)
        settings.library.change(self.new_chat, None, chat_outputs, **PRIVATE)
        for control in (settings.engine, settings.model):
            control.change(
                self.status, [settings.engine, settings.model], [settings.status], **PRIVATE
            )
            control.change(self.status, [settings.engine, settings.model], [chat.status], **PRIVATE)


PRIVATE: dict[str, Any] = {"api_visibility": "private"}  # the UI's events are not a public API
CONFIRM_DELETE = (
    "(id, library) => [id && confirm('Delete this article from the library?') ? id : '', library]"
)


@dataclass
class _ChatParts:
    chatbot: gr.Chatbot
    box: gr.Textbox
    ask: gr.Button
    summarize: gr.Button
    new: gr.Button
    status: gr.Markdown
    panel: gr.HTML
    turns: gr.State
    answers: gr.State


@dataclass
class _LibraryParts:
    files: gr.File
    urls: gr.Textbox
    ingest: gr.Button
    summary: gr.Markdown
    report: gr.Dataframe
    count: gr.Markdown
    table: gr.Dataframe
    pick: gr.Dropdown
    open: gr.Button
    summarize: gr.Button
    length: gr.Radio
    form: gr.Radio
    summary_text: gr.Markdown
    summary_sources: gr.HTML
    delete: gr.Button
    refresh: gr.Button
    message: gr.Markdown
    heading: gr.Markdown
    text: gr.Textbox


@dataclass
class _SettingsParts:
    engine: gr.Radio
    model: gr.Textbox
    top_k: gr.Slider
    library: gr.Dropdown
    status: gr.Markdown


def theme() -> gr.themes.Base:
    """The default look with fonts served by the app itself (nothing from a font CDN)."""
    return gr.themes.Default(
        font=[gr.themes.LocalFont("Source Sans Pro"), "ui-sans-serif", "system-ui", "sans-serif"],
        font_mono=[gr.themes.LocalFont("IBM Plex Mono"), "ui-monospace", "Consolas", "monospace"],
    )


def warm_up(assistant: Assistant) -> None:
    """Open the library (chroma, BM25) and load the embedding model while the server starts,
    so that the first question is answered as fast as the next ones."""
    try:
        library = assistant.library(must_exist=True)
        library.embedder.embed(["warm up"])
        library.lexical()
    except AssistantError as error:  # the first question will say what is wrong
        log.info("warm-up skipped: %s", error)


# With --auth, anyone may load the login page and the files it is drawn with; nothing else
# (but the start-up check that gradio's launch() makes on its own server).
LOGIN_PAGE = frozenset(
    {"/", "/login", "/login/", "/theme.css", "/favicon.ico", "/robots.txt", "/manifest.json"}
    | {"/gradio_api/startup-events"}
)
LOGIN_FILES = ("/static/", "/assets/", "/svelte/")


class SignInRequired:
    """ASGI middleware for --auth. Gradio checks the sign-in on its data routes but leaves some
    of its own open (cancel, reset, heartbeat, startup events, app id, openapi.json); this
    answers 401 to every request without a signed-in session but the login page's."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not _open_to_all(scope["path"]) and not _signed_in(scope):
            refusal = JSONResponse({"detail": "Not authenticated"}, status_code=401)
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _open_to_all(path: str) -> bool:
    return path in LOGIN_PAGE or path.startswith(LOGIN_FILES)


def _signed_in(scope: Scope) -> bool:
    """Whether the request carries a session cookie gradio handed out at sign-in (no, when
    gradio keeps its sessions some other way than this gradio version does)."""
    app = scope["app"]  # gradio's App, which keeps the sessions
    tokens, cookie_id = getattr(app, "tokens", None), getattr(app, "cookie_id", None)
    if not isinstance(tokens, dict) or not cookie_id:
        return False
    cookies = Request(scope).cookies
    token = cookies.get(f"access-token-{cookie_id}") or cookies.get(
        f"access-token-unsecure-{cookie_id}"
    )
    return token is not None and token in tokens


def serve(
    assistant: Assistant,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | None = None,
    block: bool = True,
    on_ready: Callable[[str], None] | None = None,
) -> gr.Blocks:
    """Launch the web UI; blocks until Ctrl-C unless `block` is False."""
    os.environ["GRADIO_TEMP_DIR"] = str(assistant.settings.home / "uploads")
    demo = WebUI(assistant).build()
    demo.queue(default_concurrency_limit=2)
    signed_in_only = {"middleware": [Middleware(SignInRequired)]} if auth else None
    try:
        _, url, _ = demo.launch(
            server_name=host,
            server_port=port,
            auth=auth,
            auth_message="Article assistant: sign in with the user and password given to --auth.",
            max_file_size=assistant.settings.max_upload_mb * 1024 * 1024,
            footer_links=[],
            run_history=False,
            enable_monitoring=False,
            ssr_mode=False,
            pwa=False,
            mcp_server=False,
            share=False,
            show_error=False,
            quiet=True,
            prevent_thread_lock=True,
            theme=theme(),
            css=CSS,
            app_kwargs=signed_in_only,
        )
    except OSError as error:
        raise ConfigError(
            f"cannot listen on {host}:{port} ({error}); is another `assistant ui` running? "
            "Pass --port with a free port"
        ) from error
    threading.Thread(target=warm_up, args=(assistant,), name="warm-up", daemon=True).start()
    if on_ready is not None:
        on_ready(url)
    if block:
        try:
            demo.block_thread()
        finally:
            demo.close()
    return demo
