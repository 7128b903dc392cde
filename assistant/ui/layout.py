"""The page: Chat, Library and Settings tabs built with gradio, each event wired to a callback
of `WebUI`, and the look (theme with local fonts, CSS for the rendered sources)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from assistant.answer.engines import ENGINES
from assistant.ingest.loaders import SUPPORTED_EXTENSIONS
from assistant.llm import DEFAULT_CHAT_MODEL
from assistant.query import Format, Length
from assistant.ui.callbacks import WebUI
from assistant.ui.render import (
    ARTICLE_HEADERS,
    REPORT_HEADERS,
    STORY_HEADERS,
    Reply,
    sources_html,
)

LENGTHS: list[Length] = ["short", "medium", "long"]
FORMATS: list[Format] = ["paragraph", "bullets"]
PRIVATE: dict[str, Any] = {"api_visibility": "private"}  # the UI's events are not a public API
CONFIRM_DELETE = (
    "(id, library) => [id && confirm('Delete this article from the library?') ? id : '', library]"
)
CSS = """
#chat .bot blockquote { border-left: 4px solid #9ca3af; color: #4b5563; font-style: italic;
  margin: 0; padding: 0.2em 0.8em; }
#chat .bot em { background: #fef3c7; font-style: normal; border-bottom: 2px dotted #d97706; }
#summary em, #briefing em { background: #fef3c7; font-style: normal;
  border-bottom: 2px dotted #d97706; }
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
.aa-claim { cursor: help; border-bottom: 1px dotted currentColor; }
.aa-contradicted { color: #b91c1c; }
.aa-not_found { color: #92400e; }
.aa-flags li { margin-bottom: 0.3em; }
.aa-retrieved { color: #6b7280; }
"""


def theme() -> gr.themes.Base:
    """The default look with fonts served by the app itself (nothing from a font CDN)."""
    return gr.themes.Default(
        font=[gr.themes.LocalFont("Source Sans Pro"), "ui-sans-serif", "system-ui", "sans-serif"],
        font_mono=[gr.themes.LocalFont("IBM Plex Mono"), "ui-monospace", "Consolas", "monospace"],
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

    def outputs(self) -> list[Any]:
        """What every chat callback updates (its ChatUpdate)."""
        return [self.chatbot, self.turns, self.answers, self.panel, self.box]


@dataclass
class _UploadParts:
    files: gr.File
    urls: gr.Textbox
    ingest: gr.Button
    summary: gr.Markdown
    report: gr.Dataframe


@dataclass
class _ArticleParts:
    count: gr.Markdown
    table: gr.Dataframe
    pick: gr.Dropdown
    open: gr.Button
    summarize: gr.Button
    delete: gr.Button
    refresh: gr.Button

    def listing(self) -> list[Any]:
        """What `WebUI.list_articles` updates."""
        return [self.table, self.pick, self.count]


@dataclass
class _ReaderParts:
    length: gr.Radio
    form: gr.Radio
    message: gr.Markdown
    summary_text: gr.Markdown
    summary_sources: gr.HTML
    heading: gr.Markdown
    text: gr.Textbox


@dataclass
class _StoryParts:
    since: gr.Textbox
    show: gr.Button
    count: gr.Markdown
    table: gr.Dataframe
    pick: gr.Dropdown
    brief: gr.Button
    text: gr.Markdown
    sources: gr.HTML

    def listing(self) -> list[Any]:
        """What `WebUI.list_stories` updates."""
        return [self.table, self.pick, self.count]


@dataclass
class _SettingsParts:
    engine: gr.Radio
    model: gr.Textbox
    top_k: gr.Slider
    library: gr.Dropdown
    status: gr.Markdown


def build(ui: WebUI) -> gr.Blocks:
    """The Blocks app: Chat, Library and Settings tabs, wired to the callbacks of `ui`."""
    demo = gr.Blocks(title="Article assistant", analytics_enabled=False)
    with demo:
        gr.Markdown(
            "## Article assistant\nAsk about your articles; every claim cites its sentence."
        )
        with gr.Tabs():
            with gr.Tab("Chat", id="chat-tab"):
                chat = _chat_tab(ui)
            with gr.Tab("Library", id="library-tab"):
                gr.Markdown(ui.upload_note(), elem_id="upload-note")
                upload = _upload_section()
                gr.Markdown("### Articles")
                articles = _articles_section()
                reader = _reader_section()
                gr.Markdown("### Stories")
                stories = _stories_section()
            with gr.Tab("Settings", id="settings-tab"):
                settings = _settings_tab(ui)
        _wire_chat(ui, chat, settings)
        _wire_upload(ui, upload, articles, settings)
        _wire_articles(ui, articles, reader, settings)
        _wire_stories(ui, stories, settings)
        _wire_settings(ui, settings, chat, articles)
        demo.load(ui.library_choices, [settings.library], [settings.library], **PRIVATE)
        demo.load(ui.list_articles, [settings.library], articles.listing(), **PRIVATE)
    return demo


# The tabs


def _chat_tab(ui: WebUI) -> _ChatParts:
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
            status = gr.Markdown(ui.status(), elem_id="chat-status")
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


def _upload_section() -> _UploadParts:
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
    return _UploadParts(files=files, urls=urls, ingest=ingest, summary=summary, report=report)


def _articles_section() -> _ArticleParts:
    count = gr.Markdown(elem_id="article-count")
    table = gr.Dataframe(
        headers=ARTICLE_HEADERS, interactive=False, wrap=True, elem_id="articles", label="Articles"
    )
    with gr.Row():
        pick = gr.Dropdown(label="Article", choices=[], elem_id="pick", scale=4)
        open_ = gr.Button("Open", elem_id="open", scale=1)
        summarize = gr.Button("Summarize", elem_id="summarize", scale=1)
        delete = gr.Button("Delete", variant="stop", elem_id="delete", scale=1)
        refresh = gr.Button("Refresh", elem_id="refresh", scale=1)
    return _ArticleParts(
        count=count,
        table=table,
        pick=pick,
        open=open_,
        summarize=summarize,
        delete=delete,
        refresh=refresh,
    )


def _reader_section() -> _ReaderParts:
    """The picked article: summary options, its summary with sources, and its text."""
    with gr.Row():
        length = gr.Radio(LENGTHS, value="medium", label="Summary length", elem_id="summary-length")
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
    return _ReaderParts(
        length=length,
        form=form,
        message=message,
        summary_text=summary_text,
        summary_sources=summary_sources,
        heading=heading,
        text=text,
    )


def _stories_section() -> _StoryParts:
    """The library by story: articles about one event grouped, and a cited briefing."""
    with gr.Row():
        since = gr.Textbox(
            label="Articles since (YYYY-MM-DD, empty for all)",
            elem_id="stories-since",
            scale=2,
            max_length=10,
        )
        show = gr.Button("Show stories", elem_id="show-stories", scale=1)
    count = gr.Markdown(elem_id="story-count")
    table = gr.Dataframe(
        headers=STORY_HEADERS, interactive=False, wrap=True, elem_id="stories", label="Stories"
    )
    with gr.Row():
        pick = gr.Dropdown(label="Story", choices=[], elem_id="pick-story", scale=4)
        brief = gr.Button("Brief", variant="primary", elem_id="brief", scale=1)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            text = gr.Markdown(elem_id="briefing", latex_delimiters=[])
        with gr.Column(scale=2):
            sources = gr.HTML(elem_id="briefing-sources")
    return _StoryParts(
        since=since,
        show=show,
        count=count,
        table=table,
        pick=pick,
        brief=brief,
        text=text,
        sources=sources,
    )


def _settings_tab(ui: WebUI) -> _SettingsParts:
    settings = ui.settings
    engine = gr.Radio(
        ["auto", *ENGINES.names()], value=settings.engine, label="Answer engine", elem_id="engine"
    )
    model = gr.Textbox(
        value=settings.chat_model or DEFAULT_CHAT_MODEL,
        label="LLM model (for the openai engine)",
        elem_id="model",
    )
    top_k = gr.Slider(
        1, 20, value=settings.top_k, step=1, label="Passages to retrieve (top-k)", elem_id="top-k"
    )
    library = gr.Dropdown(
        choices=[settings.library],
        value=settings.library,
        allow_custom_value=True,
        label="Library (type a new name to start one)",
        elem_id="library",
    )
    status = gr.Markdown(ui.status(), elem_id="status")
    return _SettingsParts(engine=engine, model=model, top_k=top_k, library=library, status=status)


# The events


def _event_index(event: gr.SelectData) -> int | None:
    """The row (or message) a select event points at."""
    index = event.index[0] if isinstance(event.index, list | tuple) else event.index
    return index if isinstance(index, int) else None


def _wire_chat(ui: WebUI, chat: _ChatParts, settings: _SettingsParts) -> None:
    outputs = chat.outputs()
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
        trigger(ui.respond, inputs, outputs, concurrency_limit=4, **PRIVATE)
    chat.summarize.click(ui.summarize_chat, inputs[:-1], outputs, concurrency_limit=2, **PRIVATE)
    chat.new.click(ui.new_chat, None, outputs, **PRIVATE)
    chat.chatbot.clear(ui.new_chat, None, outputs, **PRIVATE)  # its trash-can button

    def on_select(answers: list[Reply | None], event: gr.SelectData) -> str:
        return ui.select_answer(answers, _event_index(event))

    chat.chatbot.select(on_select, [chat.answers], [chat.panel], **PRIVATE)


def _wire_upload(
    ui: WebUI, upload: _UploadParts, articles: _ArticleParts, settings: _SettingsParts
) -> None:
    def run_ingest(
        files: list[str] | None,
        urls: str | None,
        library: str | None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (gradio injects it)
    ) -> tuple[str, list[list[object]], list[list[object]], dict[str, Any]]:
        return ui.ingest(files, urls, library, progress)

    upload.ingest.click(
        run_ingest,
        [upload.files, upload.urls, settings.library],
        [upload.summary, upload.report, articles.table, articles.pick],
        concurrency_id="library-write",
        concurrency_limit=1,
        **PRIVATE,
    ).then(lambda: (None, ""), None, [upload.files, upload.urls], **PRIVATE).then(
        ui.list_articles, [settings.library], articles.listing(), **PRIVATE
    )


def _wire_articles(
    ui: WebUI, articles: _ArticleParts, reader: _ReaderParts, settings: _SettingsParts
) -> None:
    picked = [articles.pick, settings.library]
    shown = [reader.heading, reader.text]
    articles.refresh.click(ui.list_articles, [settings.library], articles.listing(), **PRIVATE)
    articles.summarize.click(
        ui.summarize_article,
        [*picked, reader.length, reader.form, settings.engine, settings.model],
        [reader.summary_text, reader.summary_sources],
        concurrency_limit=2,
        **PRIVATE,
    )
    # Another article (or none) picked: the summary shown is no longer its.
    articles.pick.change(
        lambda: ("", ""), None, [reader.summary_text, reader.summary_sources], **PRIVATE
    )
    for trigger in (articles.open.click, articles.pick.input):
        trigger(ui.open_article, picked, shown, **PRIVATE)
    articles.delete.click(
        ui.delete_article,
        picked,
        [reader.message, articles.table, articles.pick, *shown],
        js=CONFIRM_DELETE,
        concurrency_id="library-write",
        concurrency_limit=1,
        **PRIVATE,
    ).then(ui.list_articles, [settings.library], articles.listing(), **PRIVATE)

    def on_row(library: str | None, event: gr.SelectData) -> tuple[Any, str, str]:
        row = _event_index(event)
        rows, _, _ = ui.list_articles(library)
        if row is None or not 0 <= row < len(rows):
            return gr.skip(), "", ""
        article_id = str(rows[row][0])
        return (article_id, *ui.open_article(article_id, library))

    articles.table.select(on_row, [settings.library], [articles.pick, *shown], **PRIVATE)


def _wire_stories(ui: WebUI, stories: _StoryParts, settings: _SettingsParts) -> None:
    listed = [settings.library, stories.since]
    for trigger in (stories.show.click, stories.since.submit):
        trigger(ui.list_stories, listed, stories.listing(), **PRIVATE)
    stories.brief.click(
        ui.brief,
        [stories.pick, settings.library, stories.since, settings.engine, settings.model],
        [stories.text, stories.sources],
        concurrency_limit=2,
        **PRIVATE,
    )
    settings.library.change(
        lambda: ([], gr.update(choices=[], value=None), "", "", ""),
        None,
        [*stories.listing(), stories.text, stories.sources],
        **PRIVATE,
    )

    def on_row(library: str | None, since: str | None, event: gr.SelectData) -> Any:
        row = _event_index(event)
        rows, _, _ = ui.list_stories(library, since)
        if row is None or not 0 <= row < len(rows):
            return gr.skip()
        return str(rows[row][0])

    stories.table.select(on_row, listed, [stories.pick], **PRIVATE)


def _wire_settings(
    ui: WebUI, settings: _SettingsParts, chat: _ChatParts, articles: _ArticleParts
) -> None:
    settings.library.change(ui.list_articles, [settings.library], articles.listing(), **PRIVATE)
    settings.library.change(ui.new_chat, None, chat.outputs(), **PRIVATE)
    for control in (settings.engine, settings.model):
        for status in (settings.status, chat.status):
            control.change(ui.status, [settings.engine, settings.model], [status], **PRIVATE)
