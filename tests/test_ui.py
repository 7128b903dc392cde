"""The web UI's callbacks as plain functions, over real parts: chromadb on disk, the real ONNX
embedder on the samples, and the OpenAI-compatible test server on 127.0.0.1 for the LLM path.
The browser tests (test_ui_browser.py) drive the same callbacks through gradio."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from openai_server import Error, OpenAIServer, Reply

from assistant.answer.engines import ENGINES
from assistant.api import Assistant
from assistant.cli import main
from assistant.config import Settings
from assistant.embeddings import OnnxEmbedder
from assistant.llm import OpenAIChat
from assistant.models import NO_ANSWER, Answer, Summary, Turn
from assistant.ui import (
    CURSOR,
    SUMMARIZING,
    THINKING,
    TOPIC_HINT,
    Message,
    WebUI,
    build,
    escape_html,
    escape_md,
    parse_urls,
    sources_html,
    theme,
)

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def samples_home(tmp_path_factory: pytest.TempPathFactory, onnx_embedder: OnnxEmbedder) -> Path:
    home = tmp_path_factory.mktemp("ui-samples")
    settings = Settings(home=home, _env_file=None)  # type: ignore[call-arg]
    assert Assistant(settings, embedder=onnx_embedder).ingest_samples().ok
    return home


@pytest.fixture
def ui(samples_home: Path, onnx_embedder: OnnxEmbedder) -> WebUI:
    settings = Settings(home=samples_home, _env_file=None)  # type: ignore[call-arg]
    return WebUI(Assistant(settings, embedder=onnx_embedder))


@pytest.fixture
def fresh_ui(settings: Settings, onnx_embedder: OnnxEmbedder) -> WebUI:
    """An assistant whose library does not exist yet (its own data directory)."""
    return WebUI(Assistant(settings, embedder=onnx_embedder))


RUSSIA = "Russia launches year's biggest attack on Ukraine ahead of fresh peace talks"


def ask(ui: WebUI, message: str, turns: list[Turn] | None = None, **kw: object) -> list[tuple]:  # type: ignore[type-arg]
    return list(ui.respond(message, [], turns or [], [], **kw))  # type: ignore[arg-type]


def article_id(ui: WebUI, title: str) -> str:
    return next(a.id for a in ui.assistant.articles() if a.title == title)


# Chat


def test_an_answer_streams_into_the_chat_with_its_sources(ui: WebUI) -> None:
    steps = ask(ui, "How many missiles did Russia launch?")
    first_chat, *_ = steps[0]
    assert first_chat == [
        {"role": "user", "content": "How many missiles did Russia launch?"},
        {"role": "assistant", "content": THINKING},
    ]
    chat, turns, answers, panel, box = steps[-1]
    assert box == ""
    reply = chat[-1]["content"]
    assert "71 missiles" in reply and "[1]" in reply and CURSOR not in reply
    assert turns == [Turn.of(answers[0])] and answers[0].citations
    assert "<mark>Russia attacked with 71 missiles, as well as 450 drones" in panel
    assert "Russia launches year&#x27;s biggest attack on Ukraine" in panel
    assert "russia-ukraine-strikes.txt" in panel


def test_a_follow_up_is_read_in_context(ui: WebUI) -> None:
    *_, (chat, turns, answers, _, _) = ask(ui, "How many missiles did Russia launch?")
    *_, (chat, turns, answers, panel, _) = list(
        ui.respond("And how many drones?", chat, turns, answers)
    )
    assert len(chat) == 4 and len(turns) == 2
    assert "450" in chat[-1]["content"]
    assert answers[-1].standalone_question == (
        "How many missiles did Russia launch? And how many drones?"
    )
    assert "read as “How many missiles did Russia launch? And how many drones?”" in panel


def test_an_abstention_is_a_note_not_an_error(ui: WebUI) -> None:
    *_, (chat, turns, answers, panel, _) = ask(ui, "Who won the 2018 FIFA World Cup?")
    reply = chat[-1]["content"]
    assert reply.startswith("> ℹ **No answer found.**") and NO_ANSWER in reply
    assert "Could not answer" not in reply
    assert answers[-1].abstained and len(turns) == 1
    assert "aa-abstain" in panel


def test_an_assistant_error_is_a_friendly_message_in_the_chat(fresh_ui: WebUI) -> None:
    *_, (chat, turns, answers, _, _) = ask(fresh_ui, "How many missiles did Russia launch?")
    reply = chat[-1]["content"]
    assert reply.startswith("✗ **Could not answer:** library 'default' does not exist")
    assert "Traceback" not in reply
    assert turns == [] and answers == [None]


def test_the_openai_engine_without_an_llm_says_how_to_connect_one(ui: WebUI) -> None:
    *_, (chat, _, _, _, _) = ask(ui, "How many missiles?", engine="openai")
    assert "OPENAI\\_API\\_KEY" in chat[-1]["content"]  # escaped for Markdown


def test_html_typed_into_the_chat_is_shown_as_text(ui: WebUI) -> None:
    chat, *_ = ask(ui, XSS)[0]
    assert chat[0]["content"] == "&lt;img src=x onerror=alert(1)>"


def test_an_empty_message_changes_nothing(ui: WebUI) -> None:
    assert ask(ui, "   ") == [([], [], [], sources_html(None), "")]


def test_new_chat_and_selecting_an_earlier_answer(ui: WebUI) -> None:
    *_, (chat, turns, answers, _, _) = ask(ui, "How many missiles did Russia launch?")
    *_, (chat, turns, answers, _, _) = list(
        ui.respond("How tall is the Motherland monument?", chat, turns, answers)
    )
    assert "71 missiles" in ui.select_answer(answers, 1)
    assert "62 metres" in ui.select_answer(answers, 3)
    assert ui.select_answer(answers, 99) == sources_html(answers[-1])
    assert ui.new_chat() == ([], [], [], sources_html(None), "")


# Summaries in the chat


def test_a_topic_typed_in_the_box_is_summarized_into_the_chat(ui: WebUI) -> None:
    given: tuple[list[Message], list[Turn], list[Answer | Summary | None]] = (
        [{"role": "user", "content": "earlier"}, {"role": "assistant", "content": "✗ failed"}],
        [],
        [None],
    )
    steps = list(ui.summarize_chat("  Russian drone attacks ", *given))
    first_chat, *_ = steps[0]
    assert first_chat[2:] == [
        {"role": "user", "content": "Summarize: Russian drone attacks"},
        {"role": "assistant", "content": SUMMARIZING},
    ]
    chat, turns, answers, panel, box = steps[-1]
    assert box == ""
    summary = answers[-1]
    assert isinstance(summary, Summary) and summary.query == "Russian drone attacks"
    assert chat[-1]["content"] == summary.text and "[1]" in summary.text
    assert CURSOR not in chat[-1]["content"]
    assert "Russia attacked with 71 missiles, as well as 450 drones" in summary.text
    assert "Sources for the summary of “Russian drone attacks”" in panel
    for citation in summary.citations:  # every quoted sentence highlighted in its article
        assert f"<mark>{escape_html(citation.quote)}</mark>" in panel
    # The summary is a turn of the conversation, about its topic.
    assert turns == [
        Turn(
            question="Summarize: Russian drone attacks",
            answer=summary.text,
            standalone_question="Russian drone attacks",
        )
    ]
    assert len(chat) == 4 and answers == [None, summary]
    # The lists given (the session's state) are not changed in place.
    assert given == (
        [{"role": "user", "content": "earlier"}, {"role": "assistant", "content": "✗ failed"}],
        [],
        [None],
    )


def test_an_empty_box_summarizes_the_articles_the_last_answer_cites(ui: WebUI) -> None:
    *_, (chat, turns, answers, _, _) = ask(ui, "How many missiles did Russia launch?")
    cited = {c.article_id for c in answers[-1].citations}
    *_, (chat, turns, answers, panel, _) = list(ui.summarize_chat("", chat, turns, answers))
    summary = answers[-1]
    assert isinstance(summary, Summary)
    assert chat[-2] == {"role": "user", "content": "Summarize the article cited above"}
    assert set(summary.article_ids) == cited == {article_id(ui, RUSSIA)}
    assert summary.query is None and "[1]" in chat[-1]["content"]
    assert f"Sources for the summary of “{escape_html(RUSSIA)}”" in panel
    assert all(f"<mark>{escape_html(c.quote)}</mark>" in panel for c in summary.citations)
    # Clicking the answer or the summary brings back its own sources.
    assert "Sources for “How many missiles did Russia launch?”" in ui.select_answer(answers, 1)
    assert ui.select_answer(answers, 3) == panel
    # A follow-up is read in the light of the question whose answer cited the article.
    *_, (chat, turns, answers, panel, _) = list(
        ui.respond("And how many drones?", chat, turns, answers)
    )
    assert "450" in chat[-1]["content"]
    assert answers[-1].standalone_question == (
        "How many missiles did Russia launch? And how many drones?"
    )


def test_summarize_with_nothing_to_summarize_asks_for_a_topic(ui: WebUI) -> None:
    assert list(ui.summarize_chat("  ", [], [], [])) == [
        (
            [
                {"role": "user", "content": "Summarize"},
                {"role": "assistant", "content": TOPIC_HINT},
            ],
            [],
            [None],
            sources_html(None),
            "",
        )
    ]
    # An answer that cites nothing (an abstention) leaves nothing to summarize either.
    *_, (chat, turns, answers, _, _) = ask(ui, "Who won the 2018 FIFA World Cup?")
    *_, (chat, turns_after, answers, _, _) = list(ui.summarize_chat("", chat, turns, answers))
    assert chat[-1]["content"] == TOPIC_HINT and turns_after == turns and answers[-1] is None


def test_a_summary_that_cannot_be_made_is_a_friendly_message_in_the_chat(
    ui: WebUI, fresh_ui: WebUI
) -> None:
    *_, (chat, turns, answers, _, _) = list(ui.summarize_chat("zzqx flibber", [], [], []))
    assert chat[-1]["content"].startswith(
        "✗ **Could not summarize:** nothing in library 'default' matches 'zzqx flibber'"
    )
    assert turns == [] and answers == [None]
    *_, (chat, _, _, _, _) = list(fresh_ui.summarize_chat("ferries", [], [], []))
    assert "library 'default' does not exist" in chat[-1]["content"]
    *_, (chat, _, _, _, _) = list(ui.summarize_chat("drones", [], [], [], engine="openai"))
    assert "OPENAI\\_API\\_KEY" in chat[-1]["content"]
    *_, (chat, _, _, _, _) = list(ui.summarize_chat("x" * 1200, [], [], []))
    assert chat[-1]["content"].startswith("✗ **Could not summarize:** ")


@pytest.fixture
def llm_ui(
    samples_home: Path, onnx_embedder: OnnxEmbedder, openai_server: OpenAIServer
) -> Iterator[WebUI]:
    settings = Settings(home=samples_home, _env_file=None)  # type: ignore[call-arg]
    client = openai.OpenAI(base_url=openai_server.base_url, api_key="k", max_retries=0)
    llm = OpenAIChat(client, "test-model")
    yield WebUI(Assistant(settings, embedder=onnx_embedder, llm=llm))


def test_llm_text_streams_and_flagged_sentences_are_marked(
    llm_ui: WebUI, openai_server: OpenAIServer
) -> None:
    openai_server.script(
        Reply("Russia attacked with 71 missiles [1]. It was the largest attack in all of history.")
    )
    steps = ask(llm_ui, "How many missiles did Russia launch?")
    partial = [s[0][-1]["content"] for s in steps[1:-1]]
    assert len(partial) > 3 and all(p.endswith(CURSOR) for p in partial)
    assert partial[0] != partial[-1]
    reply = steps[-1][0][-1]["content"]
    assert reply.startswith("Russia attacked with 71 missiles [1]. ⚠ *It was the largest")
    assert "Check the marked sentences: ⚠ cites no source." in reply
    panel = steps[-1][3]
    assert "aa-flag-uncited" in panel and "<mark>Russia attacked with 71 missiles" in panel


def test_an_llm_summary_streams_into_the_chat_with_the_model_chosen(
    samples_home: Path, onnx_embedder: OnnxEmbedder, openai_server: OpenAIServer
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        home=samples_home, openai_base_url=openai_server.base_url, llm_retries=0, _env_file=None
    )
    ui = WebUI(Assistant(settings, embedder=onnx_embedder))
    openai_server.script(
        Reply("Russia attacked with 71 missiles and 450 drones [1]. Peace is near, some say.")
    )
    steps = list(ui.summarize_chat("Russian drone attacks", [], [], [], model="m2"))
    partial = [s[0][-1]["content"] for s in steps[1:-1]]
    assert len(partial) > 3 and all(p.endswith(CURSOR) for p in partial)
    chat, _, answers, panel, _ = steps[-1]
    assert chat[-1]["content"].startswith(
        "Russia attacked with 71 missiles and 450 drones [1]. ⚠ *Peace is near, some say.*"
    )
    assert "Check the marked sentences: ⚠ cites no source." in chat[-1]["content"]
    assert answers[-1].engine == "openai" and answers[-1].model == "m2"
    assert [r.body["model"] for r in openai_server.requests if r.body] == ["m2"]
    assert "aa-flag-uncited" in panel and "<mark>Russia attacked with 71 missiles" in panel

    openai_server.script(Error(500))
    *_, (chat, _, answers, _, _) = list(ui.summarize_chat("Russian drone attacks", [], [], []))
    assert chat[-1]["content"].startswith("✗ **Could not summarize:** ")
    assert answers == [None]


# The look (the rendering itself: test_ui_render.py)


def test_the_theme_loads_no_font_from_the_internet() -> None:
    css = theme()._get_theme_css()
    assert "fonts.googleapis" not in css and "url(http" not in css and "url('http" not in css
    assert theme()._stylesheets == []
    assert "static/fonts/SourceSansPro" in css


# Library


def test_urls_only_http(tmp_path: Path) -> None:
    urls, rejected = parse_urls(
        "https://a.example/x\n\n  /etc/passwd \nfile:///etc/hosts\nhttp://b"
    )
    assert urls == ["https://a.example/x", "http://b"]
    assert rejected == ["/etc/passwd", "file:///etc/hosts"]


def test_upload_open_and_delete(fresh_ui: WebUI, tmp_path: Path) -> None:
    page = tmp_path / "evil.html"
    page.write_text(
        f"<html><head><title>{XSS.replace('<', '&lt;')} Harbour</title></head><body>"
        "<p>The harbour of Tallinn froze over in January, a local paper reported. Ferries "
        "were delayed for three days while icebreakers cleared the channel.</p></body></html>"
    )
    summary, report, rows, picker = fresh_ui.ingest([str(page)], "/etc/passwd\n", None)
    assert summary.startswith("✓ 1 added") and "Skipped 1 line(s)" in summary
    assert "/etc/passwd" in summary  # named, not read
    assert report[0][0] == "added" and report[0][2] == f"{XSS} Harbour"
    article_id = report[0][1]
    assert [r[0] for r in rows] == [article_id]
    assert picker["choices"] == [(f"{XSS} Harbour ({article_id[:7]})", article_id)]
    heading, text = fresh_ui.open_article(article_id, None)
    assert heading.startswith("### &lt;img src=x onerror=alert\\(1\\)&gt; Harbour")
    assert "Tallinn froze over" in text
    message, rows, picker, heading, text = fresh_ui.delete_article(article_id, None)
    assert message.startswith("✓ Removed") and rows == [] and picker["choices"] == []
    assert (heading, text) == ("", "")


def test_summarize_an_article(ui: WebUI) -> None:
    steps = list(ui.summarize_article(article_id(ui, RUSSIA), None, "short", "paragraph"))
    assert steps[0] == (SUMMARIZING, "")
    text, panel = steps[-1]
    summary = ui.assistant.summarize(article_id(ui, RUSSIA), length="short")
    assert len(summary.sentences) == 3
    assert text == escape_md(summary.text) and "\\[1\\]" in text  # Markdown for "[1]"
    assert f"Sources for the summary of “{escape_html(RUSSIA)}”" in panel
    assert panel.count("<mark>") == 3
    for sentence in summary.sentences:
        assert f"<mark>{escape_html(sentence.text)}</mark>" in panel
    assert "russia-ukraine-strikes.txt" in panel


def test_summarize_an_article_as_bullets(ui: WebUI) -> None:
    *_, (text, panel) = ui.summarize_article(article_id(ui, RUSSIA), None, "long", "bullets")
    lines = text.splitlines()
    assert len(lines) == 8 and all(
        line.startswith("- ") and line.endswith("\\[1\\]") for line in lines
    )
    assert panel.count("<mark>") == 8


def test_summarize_needs_an_article_and_explains_failures(ui: WebUI, fresh_ui: WebUI) -> None:
    assert list(ui.summarize_article(None, None)) == [("Pick an article first.", "")]
    *_, (text, panel) = ui.summarize_article("zzzz", None)
    assert text.startswith("✗ **Could not summarize:** no article 'zzzz'") and panel == ""
    *_, (text, _) = fresh_ui.summarize_article("0144609", None)
    assert "library 'default' does not exist" in text
    *_, (text, _) = ui.summarize_article(article_id(ui, RUSSIA), None, engine="openai")
    assert "OPENAI\\_API\\_KEY" in text
    *_, (text, _) = ui.summarize_article(article_id(ui, RUSSIA), None, "huge")  # type: ignore[arg-type]
    assert text.startswith("✗ **Could not summarize:** length: Input should be 'short'")


def test_ingest_with_nothing_to_do(fresh_ui: WebUI) -> None:
    summary, report, rows, _ = fresh_ui.ingest(None, "", None)
    assert summary == "Choose files to upload or paste URLs first." and report == rows == []


def test_a_failed_source_is_reported_not_raised(fresh_ui: WebUI, tmp_path: Path) -> None:
    binary = tmp_path / "photo.txt"
    binary.write_bytes(bytes(range(256)) * 10)
    summary, report, _, _ = fresh_ui.ingest([str(binary)], None, None)
    assert summary.startswith("⚠ ") and "FAILED" in summary
    assert "table below" in summary and "above" not in summary
    assert report[0][0] == "failed" and report[0][4]


def test_listing_a_missing_library_explains(fresh_ui: WebUI) -> None:
    rows, picker, count = fresh_ui.list_articles("nothing-here")
    assert rows == [] and picker["choices"] == [] and "does not exist" in count


def test_open_and_delete_need_an_article(ui: WebUI) -> None:
    assert ui.open_article(None, None) == ("Pick an article first.", "")
    assert ui.open_article("zzzz", None)[0].startswith("✗ ")
    assert ui.delete_article("", None)[0] == "Pick an article first."


def test_articles_and_libraries(ui: WebUI) -> None:
    rows, picker, count = ui.list_articles(None)
    assert count == "4 articles" and len(rows) == len(picker["choices"]) == 4
    assert ui.library_choices() == {
        "__type__": "update",
        "choices": ["default"],
        "value": "default",
    }
    assert ui.library_choices("new-one")["choices"] == ["default", "new-one"]


# Settings and status


def test_status_without_an_llm_says_the_extractive_engine_answers(ui: WebUI) -> None:
    text = ui.status()
    assert "No LLM is connected" in text and "extractive engine" in text
    assert "`OPENAI_API_KEY`" in text and "`http://localhost:11434/v1`" in text
    assert "no LLM is connected" in ui.status("openai")


def test_status_with_an_llm(samples_home: Path, onnx_embedder: OnnxEmbedder) -> None:
    settings = Settings(  # type: ignore[call-arg]
        home=samples_home, openai_base_url="http://127.0.0.1:9/v1", _env_file=None
    )
    ui = WebUI(Assistant(settings, embedder=onnx_embedder))
    assert ui.status().startswith(
        "**LLM connected:** model `gpt-4o-mini` at `http://127.0.0.1:9/v1`"
    )
    assert "choose *auto* or *openai*" in ui.status("extractive")
    assert "`my-model`" in ui.status("auto", "my-model")
    assert "`it's 'odd'`" in ui.status("auto", "it's `odd`")


def test_the_app_builds(ui: WebUI) -> None:
    demo = build(ui)
    config = str(demo.get_config_file())
    assert "googleapis" not in config
    assert "Article assistant" in config
    # The engines offered in the Settings tab are the registry's.
    (engine,) = [
        c for c in demo.get_config_file()["components"] if c["props"].get("elem_id") == "engine"
    ]
    assert [value for _, value in engine["props"]["choices"]] == ["auto", *ENGINES.names()]
    assert {"extractive", "openai"} <= set(ENGINES.names())


# The `assistant ui` command


def test_ui_auth_needs_user_and_password(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ui", "--auth", "nopassword", "--no-samples"]) == 1
    assert capsys.readouterr().err == ("error: --auth takes USER:PASS, e.g. --auth reader:s3cret\n")


def test_ui_on_a_busy_port_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))  # serve() sets it
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["ui", "--port", str(port), "--no-samples"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot listen on 127.0.0.1:{port}") and "--port" in err
    assert "Traceback" not in err


def test_ui_refuses_a_bad_library_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ui", "--library", "../x", "--no-samples"]) == 1
    assert "library name '../x' is not valid" in capsys.readouterr().err


def test_the_server_itself_connects_nowhere_but_loopback(
    ui: WebUI, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import httpx

    from assistant.ui import serve

    tried: list[object] = []
    guarded = socket.socket.connect

    def recording(sock: socket.socket, address: object) -> None:
        tried.append(address)
        guarded(sock, address)

    monkeypatch.setattr(socket.socket, "connect", recording)
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    demo = serve(ui.assistant, port=port, block=False)
    try:
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(base + "/", timeout=10).status_code == 200
        config = httpx.get(base + "/config", timeout=10).text
        assert "googleapis" not in config and '"footer_links":[]' in config.replace(" ", "")
    finally:
        demo.close()
    hosts = {a[0] if isinstance(a, tuple) else a for a in tried}
    assert hosts and hosts <= {"127.0.0.1", "localhost", "::1"}, tried


# Stories and the Brief button


def test_stories_and_brief(fake_assistant: Assistant, tmp_path: Path) -> None:
    from test_briefing import FINAL, QUAKE_ONE, QUAKE_TWO, ingest

    ingest(fake_assistant, tmp_path, QUAKE_ONE, QUAKE_TWO, {**FINAL, "title": XSS})
    ui = WebUI(fake_assistant)
    rows, picker, count = ui.list_stories(None, "")
    assert [row[:2] for row in rows] == [[rows[0][0], 2]] and "1 story of two" in count
    assert picker["choices"][0][1] == rows[0][0]
    text, panel = ui.brief(rows[0][0], None, "", "extractive", "")
    assert text.startswith("### Earthquake shakes Valparaiso")
    assert "What happened: " in text and "Who said what:" in text
    assert "Sources differ: 12 people \\[1\\] vs 21 people \\[2\\]" in text
    assert panel.count('class="aa-story"') == 1 and 'data-number="2"' in panel

    text, panel = ui.brief(None, None, "", "", "")  # no story picked: the largest ones
    assert text.count("### ") == 2 and XSS not in text and XSS not in panel
    assert escape_html(XSS) in panel

    text, panel = ui.brief(None, None, "2030-01-01", "", "")
    assert text.startswith("✗ **Could not brief:**") and panel == ""
    rows, _, count = ui.list_stories(None, "2026-13-01")
    assert rows == [] and count.startswith("✗")
