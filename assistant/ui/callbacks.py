"""The web UI's event handlers: plain methods of values, which call the `Assistant` API and show
the result with `render`. Tests call them directly; `layout` wires them to the page.

Every request is built through the one request shape (`Query.build`, `SummaryRequest.build`)
from the Settings tab's values, where an empty value means the configured default.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import gradio as gr

from assistant.api import Assistant
from assistant.errors import AssistantError
from assistant.ingest.loaders import SUPPORTED_EXTENSIONS
from assistant.llm import DEFAULT_CHAT_MODEL
from assistant.models import Answer, Summary, Turn
from assistant.query import BriefRequest, Format, Length, Query, SummaryRequest
from assistant.ui.render import (
    CURSOR,
    SUMMARIZING,
    THINKING,
    TOPIC_HINT,
    Reply,
    answer_markdown,
    article_choices,
    article_count,
    article_heading,
    article_rows,
    briefing_markdown,
    briefing_sources_html,
    chat_text,
    error_markdown,
    escape_md,
    hide_key,
    ingest_markdown,
    literal_md,
    rejected_note,
    report_rows,
    sources_html,
    status_markdown,
    story_choices,
    story_count,
    story_rows,
    summary_markdown,
    upload_note,
)

log = logging.getLogger(__name__)

Message = dict[str, Any]
"""A Chatbot message: {"role": "user" | "assistant", "content": str | list}."""
ChatUpdate = tuple[list[Message], list[Turn], list[Reply | None], str, str]
"""What a chat callback shows: (chat, turns, replies, sources panel, input box)."""
Listing = tuple[list[list[object]], dict[str, Any], str]
"""A library's articles as the page shows them: (table rows, picker update, count line)."""

ENDPOINT_DEFAULT = "https://api.openai.com/v1"
PICK_FIRST = "Pick an article first."
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


def parse_urls(text: str | None) -> tuple[list[str], list[str]]:
    """The http(s) URLs in a box of lines, and the lines that are not URLs. Only URLs are
    taken: a web user must not make the server read its own files by typing a path."""
    urls: list[str] = []
    rejected: list[str] = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        if _URL.match(line):
            urls.append(line)
        else:
            rejected.append(line)
    return urls, rejected


def request_options(
    library: str | None, engine: str | None, model: str | None
) -> dict[str, str | None]:
    """The options every request shares, from the Settings tab ('' or None: the default)."""
    return {
        "library": library or None,
        "engine": engine or None,
        "model": (model or "").strip() or None,
    }


def chat_summary_target(
    topic: str, turns: Sequence[Turn], replies: Sequence[Reply | None]
) -> tuple[str, list[str], str | None]:
    """What the chat's Summarize covers: (the user's message it shows, the ids of the articles
    the last reply cites when no topic is given, what a follow-up is read in the light of)."""
    if topic:
        return f"Summarize: {topic}", [], topic
    last = next((r for r in reversed(replies) if r is not None), None)
    article_ids = list(dict.fromkeys(c.article_id for c in last.citations)) if last else []
    asked = (
        f"Summarize the {len(article_ids)} articles cited above"
        if len(article_ids) > 1
        else "Summarize the article cited above"
    )
    # A follow-up after the summary is read in the light of its topic (offline: retrieved
    # together with it), or of the question whose answer cited the articles.
    about = (turns[-1].standalone_question or turns[-1].question) if turns else None
    return asked, article_ids, about


def stream_reply(
    asked: str,
    start: Callable[[], Iterator[str | Answer] | Iterator[str | Summary]],
    chat: list[Message],
    turns: list[Turn],
    answers: list[Reply | None],
    *,
    placeholder: str,
    key: str | None,
    doing: str = "answer",
    about: str | None = None,
) -> Iterator[ChatUpdate]:
    """Show `asked` as the user's message and stream the reply that `start()` produces
    under it; then the finished reply, its sources, and the turn it adds to the history
    (a summary's turn is about `about`). A failure becomes a message in the chat; the API
    `key` is masked in what is shown."""
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
        content = failure_markdown(error, key, doing, f"replying to {asked!r}")
        chat[-1] = {"role": "assistant", "content": content}
        yield chat, turns, answers + [None], panel, ""
        return
    assert reply is not None
    if isinstance(reply, Answer):
        reply = key_hidden(reply, key)
        chat[-1] = {"role": "assistant", "content": answer_markdown(reply)}
        turn = Turn.of(reply)
    else:
        chat[-1] = {"role": "assistant", "content": summary_markdown(reply)}
        turn = Turn(question=asked, answer=reply.text, standalone_question=about)
    yield chat, turns + [turn], answers + [reply], sources_html(reply), ""


def failure_markdown(error: Exception, key: str | None, doing: str, context: str) -> str:
    """The message shown for a failure (the API key masked); a bug is also logged, with
    `context` saying what failed."""
    if not isinstance(error, AssistantError):
        log.exception("%s failed", context)
    return error_markdown(error, key, doing)


def key_hidden(answer: Answer, key: str | None) -> Answer:
    """The answer with the API key masked in its LLM failure note."""
    if not answer.fallback:
        return answer
    return answer.model_copy(update={"fallback": hide_key(answer.fallback, key)})


class WebUI:
    """The callbacks of the web UI over one Assistant (`layout.build` lays them out)."""

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

        def start() -> Iterator[str | Answer]:
            options = request_options(library, engine, model)
            query = Query.build({**options, "k": int(k) if k else None, "history": turns})
            return self.assistant.ask_stream(message, query)

        key = self.settings.openai_api_key
        yield from stream_reply(message, start, chat, turns, answers, placeholder=THINKING, key=key)

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
        asked, article_ids, about = chat_summary_target(topic, turns, answers)
        if not topic and not article_ids:
            chat += [
                {"role": "user", "content": "Summarize"},
                {"role": "assistant", "content": TOPIC_HINT},
            ]
            yield chat, turns, answers + [None], sources_html(None), ""
            return

        def start() -> Iterator[str | Summary]:
            request = SummaryRequest.build(
                {
                    **request_options(library, engine, model),
                    "article_ids": article_ids,
                    "topic": topic or None,
                    "length": length or "medium",
                    "format": format or "paragraph",
                }
            )
            return self.assistant.summarize_stream(request=request)

        yield from stream_reply(
            asked,
            start,
            chat,
            turns,
            answers,
            placeholder=SUMMARIZING,
            key=self.settings.openai_api_key,
            doing="summarize",
            about=about,
        )

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
        progress: Callable[..., object] | None = None,
    ) -> tuple[str, list[list[object]], list[list[object]], dict[str, Any]]:
        """Ingest uploaded files and pasted URLs: (summary, report rows, articles, picker)."""
        paths = [str(f) for f in files or []]
        links, rejected = parse_urls(urls)
        notes = [rejected_note(rejected)] if rejected else []
        if not paths and not links:
            notes.insert(0, "Choose files to upload or paste URLs first.")
            return " ".join(notes), [], *self.list_articles(library)[:2]

        def report_progress(done: int, total: int, label: str) -> None:
            if progress is not None:
                progress((done, total), desc=f"Ingesting {os.path.basename(label)}")

        try:
            report = self.assistant.ingest(
                *paths,
                *links,
                library=library or None,
                progress=report_progress,
                names={path: f"uploads/{os.path.basename(path)}" for path in paths},
            )
        except AssistantError as error:
            return f"✗ {escape_md(error)}", [], *self.list_articles(library)[:2]
        rows, picker, _ = self.list_articles(library)
        return " ".join([ingest_markdown(report), *notes]), report_rows(report), rows, picker

    def list_articles(self, library: str | None) -> Listing:
        """The library's articles: (table rows, picker update, count line)."""
        try:
            articles = self.assistant.articles(library or None)
        except AssistantError as error:
            return [], gr.update(choices=[], value=None), escape_md(error)
        picker = gr.update(choices=article_choices(articles), value=None)
        return article_rows(articles), picker, article_count(len(articles))

    def open_article(self, article_id: str | None, library: str | None) -> tuple[str, str]:
        """An article's heading (title, id, source, date) and cleaned text."""
        if not article_id:
            return PICK_FIRST, ""
        try:
            article = self.assistant.article(article_id, library or None)
        except AssistantError as error:
            return f"✗ {escape_md(error)}", ""
        return article_heading(article), article.text

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
            yield PICK_FIRST, ""
            return
        yield SUMMARIZING, ""
        text = ""
        summary: Summary | None = None
        try:
            request = SummaryRequest.build(
                {
                    **request_options(library, engine, model),
                    "article_ids": [article_id],
                    "length": length or "medium",
                    "format": format or "paragraph",
                }
            )
            for part in self.assistant.summarize_stream(request=request):
                if isinstance(part, Summary):
                    summary = part
                else:
                    text += part
                    yield literal_md(text) + CURSOR, ""
        except Exception as error:  # shown on the page; a non-AssistantError is also logged
            key = self.settings.openai_api_key
            yield failure_markdown(error, key, "summarize", f"summarizing {article_id!r}"), ""
            return
        assert summary is not None
        yield summary_markdown(summary, strict=True), sources_html(summary)

    def delete_article(
        self, article_id: str | None, library: str | None
    ) -> tuple[str, list[list[object]], dict[str, Any], str, str]:
        """Remove an article: (message, table rows, picker update, cleared heading and text)."""
        if not article_id:
            message = PICK_FIRST
        else:
            try:
                article = self.assistant.delete(article_id, library or None)
                message = f"✓ Removed {escape_md(article.title)} ({article.n_chunks} chunks)."
            except AssistantError as error:
                message = f"✗ {escape_md(error)}"
        rows, picker, _ = self.list_articles(library)
        return message, rows, picker, "", ""

    # Stories

    def list_stories(self, library: str | None, since: str | None = None) -> Listing:
        """The library's stories of two or more articles: (table rows, picker update, count
        line); `since` ('YYYY-MM-DD' or empty) keeps the articles dated on or after it."""
        try:
            request = BriefRequest.build(
                {"library": library or None, "since": (since or "").strip() or None}
            )
            stories = self.assistant.stories(since=request.since, library=request.library)
        except AssistantError as error:
            return [], gr.update(choices=[], value=None), f"✗ {escape_md(error)}"
        shown = [s for s in stories if s.size > 1]
        picker = gr.update(choices=story_choices(shown), value=None)
        return story_rows(shown), picker, story_count(len(shown), len(stories))

    def brief(
        self,
        story_id: str | None,
        library: str | None,
        since: str | None = None,
        engine: str | None = None,
        model: str | None = None,
    ) -> tuple[str, str]:
        """A cited briefing of the picked story, or of the largest stories when none is picked:
        (the briefing as Markdown, the panel of each story's sources)."""
        try:
            request = BriefRequest.build(
                {
                    **request_options(library, engine, model),
                    "since": (since or "").strip() or None,
                    "story": story_id or None,
                }
            )
            briefing = self.assistant.brief(request)
        except Exception as error:  # shown on the page; a non-AssistantError is also logged
            key = self.settings.openai_api_key
            return failure_markdown(error, key, "brief", f"briefing {story_id!r}"), ""
        return briefing_markdown(briefing), briefing_sources_html(briefing)

    def upload_note(self) -> str:
        """What the upload box accepts."""
        return upload_note(self.settings.max_upload_mb, SUPPORTED_EXTENSIONS)

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
        return status_markdown(
            name,
            llm_configured=self.assistant.engine_name("auto") == "openai",
            model=(model or "").strip() or self.settings.chat_model or DEFAULT_CHAT_MODEL,
            endpoint=self.settings.openai_base_url or ENDPOINT_DEFAULT,
        )
