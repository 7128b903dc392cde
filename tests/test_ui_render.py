"""The pure rendering of answers, summaries, sources, reports and status (assistant/ui/render.py):
values in, Markdown or HTML out, every outside text escaped."""

from __future__ import annotations

import datetime as dt

from assistant.models import (
    Answer,
    Chunk,
    Citation,
    Flag,
    FlagKind,
    Hit,
    IngestItem,
    IngestReport,
    IngestStatus,
    Source,
    Summary,
    TimeWindow,
)
from assistant.ui.render import (
    answer_markdown,
    error_markdown,
    escape_html,
    escape_md,
    flagged_text,
    ingest_line,
    quote_spans,
    sources_html,
    status_markdown,
    summary_markdown,
)

XSS = "<img src=x onerror=alert(1)>"


def source(title: str = "Title", text: str = "First one. Second one.", start: int = 100) -> Source:
    chunk = Chunk(
        id="c1", article_id="a1", index=0, text=text, start=start, end=start + len(text), n_tokens=5
    )
    return Source(
        number=1,
        hit=Hit(chunk=chunk, score=1.0),
        title=title,
        source="/data/a.txt",
        url=None,
        date=dt.date(2026, 2, 3),
    )


def citation(quote: str, start: int, number: int = 1) -> Citation:
    return Citation(
        number=number,
        article_id="a1",
        title="Title",
        source="/data/a.txt",
        chunk_id="c1",
        quote=quote,
        start=start,
        end=start + len(quote),
        support=1.0,
    )


def test_html_in_titles_and_quotes_is_escaped() -> None:
    src = source(title=XSS, text=f"Before. {XSS} said so. After.")
    answer = Answer(
        question=XSS,
        text=f"{XSS} said so [1].",
        citations=[citation(f"{XSS} said so.", 100 + len("Before. "))],
        sources=[src],
        engine="extractive",
    )
    panel = sources_html(answer)
    assert "<img" not in panel
    assert "<mark>&lt;img src=x onerror=alert(1)&gt; said so.</mark>" in panel
    assert "&lt;img src=x onerror=alert(1)&gt;</span>" in panel  # the title
    assert "<img" not in answer_markdown(answer)
    assert "<img" not in escape_md(XSS) and "\\[" in escape_md("[x](javascript:alert(1))")


def test_html_and_markdown_in_a_summary_are_shown_as_text() -> None:
    src = source(title=XSS, text=f"Before. {XSS} said *so* [2]. After.")
    quote = f"{XSS} said *so* [2]."
    summary = Summary(
        text=f"- {XSS} said *so* (2). [1]\n- After. [1]",
        citations=[citation(quote, 100 + len("Before. "))],
        sources=[src],
        engine="extractive",
        format="bullets",
    )
    page = summary_markdown(summary, strict=True)
    assert page.startswith(
        "- &lt;img src=x onerror=alert\\(1\\)&gt; said \\*so\\* \\(2\\)\\. \\[1\\]"
    )
    assert page.endswith("\n- After\\. \\[1\\]")
    assert "<img" not in summary_markdown(summary)  # the chat's way: no tags, [n] as typed
    panel = sources_html(summary)
    assert "<img" not in panel and f"the summary of “{escape_html(XSS)}”" in panel
    assert f"<mark>{escape_html(quote)}</mark>" in panel


def test_only_http_links_become_links() -> None:
    web = source().model_copy(update={"url": 'https://example.com/a?b=1&c="2"'})
    bad = source().model_copy(update={"url": "javascript:alert(1)"})
    answer = Answer(question="q", text="First one [1].", engine="x", sources=[web])
    answer.citations = [citation("First one.", 100)]
    assert 'href="https://example.com/a?b=1&amp;c=&quot;2&quot;"' in sources_html(answer)
    answer.sources = [bad]
    assert "href" not in sources_html(answer) and "<code>javascript:alert(1)</code>" in (
        sources_html(answer)
    )


def test_quote_offsets_are_made_relative_to_the_chunk() -> None:
    src = source(text="First one. Second one.", start=100)
    assert quote_spans(src, [citation("Second one.", 111)]) == [(11, 22)]
    # Offsets that do not match the chunk text: the quote is found by its text.
    assert quote_spans(src, [citation("First one.", 5)]) == [(0, 10)]
    assert quote_spans(src, [citation("Not there.", 100)]) == []


def test_flagged_sentences_are_marked_in_place() -> None:
    text = "Russia fired 71 missiles [1]. Nobody knows why. It cites [9]."
    flags = [
        Flag(kind=FlagKind.UNCITED, sentence=1, text="Nobody knows why."),
        Flag(kind=FlagKind.INVALID_CITATION, sentence=2, text="It cites [9].", detail="no [9]"),
        Flag(
            kind=FlagKind.CONTRADICTED,
            sentence=0,
            text="Russia fired 71 missiles [1].",
            detail='71 is not in [1], which says "17"',
        ),
    ]
    answer = Answer(question="q", text=text, flags=flags, engine="openai")
    assert flagged_text(answer) == (
        '<span class="aa-claim aa-contradicted" '
        'title="71 is not in [1], which says &quot;17&quot;">'
        "✗ Russia fired 71 missiles [1].</span> ⚠ *Nobody knows why.* ✗ *It cites [9].*"
    )
    legend = answer_markdown(answer).split("\n\n")[-1]
    assert "contradicted by the source" in legend and "cites no source" in legend
    assert "does not exist" in legend


def test_a_replaced_reply_says_why_and_keeps_the_draft_behind_a_click() -> None:
    answer = Answer(
        question="q",
        text="Russia attacked with 71 missiles [1].",
        engine="extractive",
        verification="the reply was replaced by the offline answer: it cites no valid source",
        draft="The governor of Kharkiv is <b>Putin</b>.",
    )
    markdown = answer_markdown(answer)
    assert "> ⚠ the reply was replaced by the offline answer" in markdown
    assert "<details><summary>Show unverified draft</summary>" in markdown
    assert "is &lt;b>Putin&lt;/b>." in markdown


def test_a_fallback_is_said_out_loud() -> None:
    answer = Answer(
        question="q", text="A [1].", engine="extractive", fallback="LLM down <b> -- offline"
    )
    assert answer_markdown(answer).endswith("> ⚠ LLM down &lt;b> -- offline")


def test_the_time_window_is_shown_with_the_answer() -> None:
    window = TimeWindow(
        phrase="since <b>Monday",
        date_from=dt.date(2026, 2, 2),
        note="reports up to 2026-02-03 included",
    )
    answer = Answer(question="q", text="A [1].", engine="extractive", window=window)
    assert "> 🗓 Dates: 'since &lt;b>Monday': 2026-02-02 onwards (reports up to" in (
        answer_markdown(answer)
    )
    assert "Dates: &#x27;since &lt;b&gt;Monday&#x27;: 2026-02-02 onwards" in sources_html(answer)


def test_a_bug_shows_no_traceback() -> None:
    message = error_markdown(KeyError("secret internals"))
    assert "KeyError" in message and "secret" not in message and "server log" in message


def test_the_ingest_line_points_at_the_table_below() -> None:
    report = IngestReport(
        library="default",
        items=[
            IngestItem(source="a.txt", status=IngestStatus.ADDED),
            IngestItem(source="b.exe", status=IngestStatus.FAILED, reason="unsupported"),
        ],
        seconds=0.25,
    )
    assert ingest_line(report) == (
        "1 added, 1 failed — 1 source(s) FAILED: the table below says why (0.2s)"
    )
    assert ingest_line(IngestReport(library="x")) == "nothing to ingest (0.0s)"


def test_the_status_names_an_engine_added_by_a_plugin() -> None:
    shown = status_markdown("my-engine", llm_configured=True, model="m", endpoint="http://e")
    assert shown == "The `my-engine` engine is answering."
    offline = status_markdown("extractive", llm_configured=False, model="m", endpoint="http://e")
    assert offline.startswith("**No LLM is connected**") and "`OPENAI_API_KEY`" in offline
