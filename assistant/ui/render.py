"""Answers, summaries, sources, reports and errors as the page shows them: Markdown or HTML.

Pure functions of values, no gradio. Every text that comes from an article, a user or an error
is escaped before it reaches HTML or Markdown, so a title like `<img src=x onerror=...>` shows
as text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

from assistant.errors import AssistantError
from assistant.models import (
    NO_ANSWER,
    Answer,
    Article,
    Briefing,
    Citation,
    Flag,
    FlagKind,
    IngestReport,
    Source,
    Story,
    Summary,
)

Reply = Answer | Summary
"""What the chat shows from the assistant: an answer or a summary, each with its citations."""

CURSOR = " ▌"
KEY_MASK = "[API key hidden]"
THINKING = "_Searching the articles…_"
SUMMARIZING = "_Summarizing the articles…_"
BRIEFING = "_Grouping the articles into stories and writing the briefing…_"
TOPIC_HINT = (
    "ℹ Nothing to summarize yet: type a topic in the box and press **Summarize**. (With the "
    "box empty, **Summarize** covers the articles that the last answer cites.)"
)
FLAG_SIGNS = {
    FlagKind.CONTRADICTED: ("✗", "contradicted by the source it cites (point at it for why)"),
    FlagKind.NOT_FOUND: ("?", "not found in the source it cites"),
    FlagKind.UNCITED: ("⚠", "cites no source"),
    FlagKind.INVALID_CITATION: ("✗", "cites a source number that does not exist"),
}
CHECKED = frozenset({FlagKind.CONTRADICTED, FlagKind.NOT_FOUND})
"""Flags the claim checker raises: shown in colour, the reason on hover."""
REPORT_HEADERS = ["status", "id", "title / source", "chunks", "reason"]
ARTICLE_HEADERS = ["id", "title", "source", "date", "chunks"]
STORY_HEADERS = ["id", "articles", "dates", "outlets", "title"]
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
_BULLET = re.compile(r"^\\- ", re.MULTILINE)  # a summary's "- " bullet, once escaped


# Escaping


def escape_html(text: object) -> str:
    """Text made safe inside HTML, attributes included."""
    return html.escape(str(text), quote=True)


def escape_md(text: object) -> str:
    """Text shown literally by a Markdown component: no HTML, no Markdown syntax."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))


def literal_md(text: str) -> str:
    """Text shown literally by a Markdown component, but for its '- ' bullets."""
    return _BULLET.sub("- ", escape_md(text))


def code_md(text: object) -> str:
    """Text as a Markdown code span (shown literally; backticks inside become quotes)."""
    return "`" + str(text).replace("`", "'").replace("\n", " ") + "`"


def chat_text(text: str) -> str:
    """Answer text for a chat bubble: no HTML tags, otherwise left as written so that
    copying a message gives the answer as it reads."""
    return text.replace("<", "&lt;")


def hide_key(text: str, key: str | None) -> str:
    """`text` with the API key masked: an endpoint may repeat the key in its error message."""
    return text.replace(key, KEY_MASK) if key and len(key) >= 8 else text


# Replies as chat messages


def flag_spans(reply: Reply) -> list[tuple[int, int, Flag]]:
    """Where each flagged sentence lies in the reply's text: (start, end, flag), in order,
    none overlapping; a flag whose sentence cannot be found is left out."""
    text = reply.text
    spans: list[tuple[int, int, Flag]] = []
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
        spans.append((start, start + len(needle), flag))
        cursor = start + len(needle)
    return sorted(spans, key=lambda span: span[0])


def flagged_text(reply: Reply, escape: Callable[[str], str] = chat_text) -> str:
    """The reply's text with each flagged sentence marked: '⚠ *sentence*'; a sentence the
    claim checker contradicted (or could not find) in red (or amber), its reason on hover.
    The text between the marks is passed through `escape`."""
    text = reply.text
    out: list[str] = []
    last = 0
    for start, end, flag in flag_spans(reply):
        out.append(escape(text[last:start]))
        sign = FLAG_SIGNS[flag.kind][0]
        if flag.kind in CHECKED:
            out.append(
                f'<span class="aa-claim aa-{flag.kind.value}" title="{escape_html(flag.detail)}">'
                f"{sign} {escape(text[start:end])}</span>"
            )
        else:
            out.append(f"{sign} *{escape(text[start:end])}*")
        last = end
    out.append(escape(text[last:]))
    return "".join(out)


def flag_notes(reply: Reply) -> list[str]:
    """The lines under a flagged reply: the legend of its marks, and a warning when it cites
    no valid source."""
    kinds = {f.kind for f in reply.flags}
    legend = [f"{sign} {meaning}" for kind, (sign, meaning) in FLAG_SIGNS.items() if kind in kinds]
    notes = ["Check the marked sentences: " + " · ".join(legend) + "."] if legend else []
    unknown = [f for f in reply.flags if f.kind is FlagKind.UNKNOWN_CITATION]
    if unknown:
        notes.append(f"⚠ *Citation markers that could not be read: {chat_text(unknown[0].text)}*")
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
    if answer.window is not None:
        parts.append(f"> 🗓 Dates: {chat_text(answer.window.describe())}")
    if answer.fallback:
        parts.append(f"> ⚠ {chat_text(answer.fallback)}")
    if answer.verification:
        parts.append(f"> ⚠ {chat_text(answer.verification)}")
    if answer.draft:
        parts.append(
            "<details><summary>Show unverified draft</summary>\n\n"
            f"{chat_text(answer.draft)}\n\n</details>"
        )
    return "\n\n".join(parts)


def summary_markdown(summary: Summary, *, strict: bool = False) -> str:
    """A summary with its [n] markers and flagged sentences marked, as the chat shows it; with
    `strict`, Markdown in the quoted text is shown literally too (but its bullets)."""
    text = flagged_text(summary, literal_md if strict else chat_text)
    return "\n\n".join([text, *flag_notes(summary)])


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
    parts.extend(
        source_html(s, by_number[s.number]) for s in reply.sources if s.number in by_number
    )
    parts.extend(_flags_html(reply))
    others = [s for s in reply.sources if s.number not in by_number]
    parts.extend(_uncited_html(others, uncited))
    parts.append("</div>")
    return "".join(parts)


def confidence_text(confidence: float) -> str:
    """How sure the engine is, in words a reader takes at face value.

    >>> confidence_text(0.834)
    'Confidence 83%: the chance this answer is right, as measured on questions like these'
    """
    return (
        f"Confidence {confidence:.0%}: the chance this answer is right, as measured on "
        "questions like these"
    )


def _answer_heading(answer: Answer) -> list[str]:
    """The question (and how it was read), the LLM fallback note and the abstention note."""
    parts = [f'<div class="aa-question">Sources for “{escape_html(answer.question)}”']
    if answer.standalone_question:
        parts.append(f" (read as “{escape_html(answer.standalone_question)}”)")
    parts.append("</div>")
    if answer.window is not None:
        parts.append(f'<div class="aa-note">Dates: {escape_html(answer.window.describe())}</div>')
    if answer.fallback:
        parts.append(f'<div class="aa-note aa-warn">{escape_html(answer.fallback)}</div>')
    if answer.confidence is not None:
        parts.append(
            f'<div class="aa-note aa-confidence">{confidence_text(answer.confidence)}</div>'
        )
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


def _flags_html(reply: Reply) -> list[str]:
    """The list of flagged sentences, each with what is wrong with it; nothing when none is."""
    flags = [f for f in reply.flags if f.kind in FLAG_SIGNS or f.kind is FlagKind.NO_VALID_CITATION]
    if not flags:
        return []
    parts = ['<ul class="aa-flags">']
    for flag in flags:
        sign, meaning = FLAG_SIGNS.get(flag.kind, ("⚠", "cites no valid source"))
        detail = f" ({escape_html(flag.detail)})" if flag.detail else ""
        parts.append(
            f'<li class="aa-flag aa-flag-{flag.kind.value}">{sign} {meaning}: '
            f"“{escape_html(flag.text)}”{detail}</li>"
        )
    parts.append("</ul>")
    return parts


def _uncited_html(sources: Sequence[Source], what: str) -> list[str]:
    """The sources looked at but not cited, folded away; nothing when there are none."""
    if not sources:
        return []
    parts = [
        f'<details class="aa-retrieved"><summary>{len(sources)} more {what}, '
        "not cited</summary><ul>"
    ]
    for source in sources:
        parts.append(
            f"<li>[{source.number}] {escape_html(source.title)} — "
            f"{escape_html(source.hit.chunk.text[:160])}…</li>"
        )
    parts.append("</ul></details>")
    return parts


# The library


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


def ingest_markdown(report: IngestReport) -> str:
    """The ingest's line with ✓ when every source went in, ⚠ when some failed."""
    return f"{'✓' if report.ok else '⚠'} {escape_md(ingest_line(report))}"


def rejected_note(rejected: Sequence[str]) -> str:
    """The note naming (the first few of) the pasted lines that are not http(s) URLs."""
    shown = ", ".join(code_md(line[:60]) for line in rejected[:3])
    return f"Skipped {len(rejected)} line(s) that are not http(s) URLs: {shown}."


def article_rows(articles: Sequence[Article]) -> list[list[object]]:
    """id, title, source, date, chunks for each article."""
    return [
        [a.id, a.title, a.url or a.source, a.date.isoformat() if a.date else "", a.n_chunks]
        for a in articles
    ]


def article_choices(articles: Sequence[Article]) -> list[tuple[str, str]]:
    """(label, id) pairs for the article picker."""
    return [(f"{a.title} ({a.id[:7]})", a.id) for a in articles]


def article_count(n: int) -> str:
    """'1 article', '4 articles'."""
    return f"{n} article{'s' if n != 1 else ''}"


def article_heading(article: Article) -> str:
    """An opened article's title and its id, source, date, author and size, as Markdown."""
    meta = [
        f"id {article.id}",
        f"source {article.url or article.source}",
        f"date {article.date.isoformat()}" if article.date else "",
        f"author {article.author}" if article.author else "",
        f"{article.n_chunks} chunks",
    ]
    return f"### {escape_md(article.title)}\n\n" + escape_md(" · ".join(m for m in meta if m))


def upload_note(max_mb: int, extensions: Sequence[str]) -> str:
    """What the upload box accepts."""
    return (
        f"Files up to {max_mb} MB: "
        + " ".join(f"`{e}`" for e in extensions)
        + ". URLs: one `http(s)://` address a line."
    )


# Stories and briefings


def story_dates(story: Story) -> str:
    """'2026-01-03' or '2026-01-03 – 2026-01-05' ('' when undated)."""
    first, last = story.first_date, story.last_date
    if first is None or last is None:
        return ""
    return first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"


def story_rows(stories: Sequence[Story]) -> list[list[object]]:
    """id, articles, dates, outlets, title for each story."""
    return [[s.id, s.size, story_dates(s), ", ".join(s.outlets[:3]), s.title] for s in stories]


def story_choices(stories: Sequence[Story]) -> list[tuple[str, str]]:
    """(label, id) pairs for the story picker."""
    return [(f"{s.title} ({s.size} articles, {s.id})", s.id) for s in stories]


def story_count(shown: int, total: int) -> str:
    """'3 stories of two or more articles (of 40 in all)'."""
    return (
        f"{shown} stor{'y' if shown == 1 else 'ies'} of two or more articles "
        f"(of {total} in all). Pick one and press **Brief**, or press it with none picked "
        "for the largest stories."
    )


def briefing_markdown(briefing: Briefing) -> str:
    """The briefing as Markdown: each story's title, its outlets and dates, and its cited
    section (quoted text shown literally, bullets kept)."""
    if not briefing.stories:
        return "No story to brief."
    parts: list[str] = []
    for section in briefing.stories:
        story = section.story
        meta = [
            f"{story.size} article{'s' if story.size != 1 else ''}",
            ", ".join(story.outlets[:3]),
            story_dates(story),
            f"story {story.id}",
        ]
        parts.append(f"### {escape_md(story.title)}")
        parts.append(f"*{escape_md(' · '.join(m for m in meta if m))}*")
        parts.append(summary_markdown(section.summary, strict=True))
    return "\n\n".join(parts)


def briefing_sources_html(briefing: Briefing) -> str:
    """The sources panel of every story of a briefing, one after the other."""
    if not briefing.stories:
        return sources_html(None)
    return "".join(
        f'<div class="aa-story"><h4>{escape_html(section.story.title)}</h4>'
        f"{sources_html(section.summary)}</div>"
        for section in briefing.stories
    )


# Settings


CONNECT_HOW = (
    "To connect one, set `OPENAI_API_KEY` (OpenAI) or `OPENAI_BASE_URL` (any "
    "OpenAI-compatible server, e.g. Ollama at `http://localhost:11434/v1`) and "
    "start `assistant ui` again."
)


def status_markdown(engine: str, *, llm_configured: bool, model: str, endpoint: str) -> str:
    """Which engine answers, whether an LLM is connected, and how to connect one."""
    if engine == "openai" and llm_configured:
        return (
            f"**LLM connected:** model {code_md(model)} at {code_md(endpoint)} "
            "writes the answers; every sentence's citation is checked against its source. "
            "If the LLM fails, the offline extractive engine answers and says so."
        )
    if engine == "openai":
        return f"✗ The openai engine is chosen but no LLM is connected. {CONNECT_HOW}"
    if engine != "extractive":  # an engine added by a plugin
        return f"The {code_md(engine)} engine is answering."
    if llm_configured:
        return (
            "**Extractive engine** (offline) is answering: it quotes the sentences of your "
            "articles that best answer the question. An LLM is available "
            f"({code_md(model)} at {code_md(endpoint)}): choose *auto* or *openai* "
            "to use it."
        )
    return (
        "**No LLM is connected**, so the offline **extractive engine** is answering: it "
        "quotes the sentences of your articles that best answer the question, each with "
        f"its source. {CONNECT_HOW}"
    )
