"""The web UI in a real browser: headless Chromium (Debian's package) drives `assistant ui`
started by the test on 127.0.0.1 with a fresh ASSISTANT_HOME, the samples ingested at start
and the real local embedder. The LLM, when a test chooses it, is the OpenAI-compatible test
server on 127.0.0.1. Screenshots go to tests/artifacts/ (and docs/screenshot-chat.png when it
is missing or ASSISTANT_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from openai_server import OpenAIServer, Reply
from ui_helpers import ANSWER_TIMEOUT, App, Session, open_browser

ROOT = Path(__file__).resolve().parent.parent
DOCS_SCREENSHOT = ROOT / "docs" / "screenshot-chat.png"
CONTRADICTED_SCREENSHOT = ROOT / "docs" / "screenshot-contradicted.png"
XSS_TITLE = "<img src=x onerror=window.__xss=1> Harbour report"

pytestmark = pytest.mark.slow


# The browser and the app


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with open_browser() as browser:
        yield browser


@pytest.fixture(scope="module")
def llm() -> Iterator[OpenAIServer]:
    with OpenAIServer() as server:
        yield server


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The UI as a new user starts it: no LLM, the samples ingested on start."""
    running = App(tmp_path_factory.mktemp("ui-home"), env={"ASSISTANT_MAX_UPLOAD_MB": "1"}).wait()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def llm_app(tmp_path_factory: pytest.TempPathFactory, llm: OpenAIServer) -> Iterator[App]:
    """The UI with an LLM endpoint configured, but the extractive engine chosen by default."""
    home = tmp_path_factory.mktemp("ui-llm-home")
    env = {"OPENAI_BASE_URL": llm.base_url, "ASSISTANT_ENGINE": "extractive"}
    running = App(home, env=env).wait()
    yield running
    running.stop()


@pytest.fixture
def session(browser: object, app: App) -> Iterator[Session]:
    opened = Session(browser, app)
    yield opened
    assert opened.foreign_requests() == []
    opened.close()


@pytest.fixture
def llm_session(browser: object, llm_app: App) -> Iterator[Session]:
    opened = Session(browser, llm_app)
    yield opened
    assert opened.foreign_requests() == []
    opened.close()


# Chat


def test_ask_see_the_streamed_answer_open_its_source_and_follow_up(session: Session) -> None:
    session.watch_last_answer()
    answer = session.ask("How many missiles did Russia launch?")
    assert "71 missiles" in answer and "[1]" in answer
    status = session.page.locator("#chat-status").inner_text()
    assert "No LLM is connected" in status and "extractive engine" in status
    # Streamed: the bubble showed the search placeholder before the answer replaced it.
    seen = session.seen()
    assert any("Searching the articles" in s for s in seen), seen
    assert seen[-1].strip() == answer.strip()

    page = session.page
    source = page.locator("#sources details.aa-source").first
    assert (
        "Russia launches year's biggest attack on Ukraine" in source.locator("summary").inner_text()
    )
    mark = source.locator("mark").first  # the answer may quote a runner-up sentence too
    assert not mark.is_visible()
    source.locator("summary").click()
    assert mark.is_visible()
    assert "71 missiles" in mark.inner_text()
    assert "russia-ukraine-strikes.txt" in source.locator(".aa-where").inner_text()
    session.screenshot("chat-answer-with-source")
    # The copy button copies the answer as it reads: text and markers, no markup.
    session.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.locator('#chat button[aria-label="Copy message"]').nth(1).click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == answer.strip()
    if not DOCS_SCREENSHOT.exists() or os.environ.get("ASSISTANT_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS_SCREENSHOT))

    follow = session.ask("And how many drones?")
    assert "450" in follow
    assert session.users() == ["How many missiles did Russia launch?", "And how many drones?"]
    assert "read as “How many missiles did Russia launch? And how many drones?”" in (
        page.locator("#sources").inner_text()
    )
    session.screenshot("chat-follow-up")

    # Clicking the first answer brings its sources back; New chat empties everything.
    page.locator('#chat [data-testid="bot"]').first.click()
    page.wait_for_function(
        "() => !document.querySelector('#sources').innerText.includes('read as')"
    )
    page.locator("#new-chat").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 0"
    )
    assert "Sources appear here" in page.locator("#sources").inner_text()
    # A new chat has no history: the same follow-up is now read on its own.
    session.ask("How many missiles did Russia launch?")
    page.locator('#chat button[aria-label="Clear"]').click()  # the chat's trash can
    page.wait_for_function(  # the server has started the new chat once the panel is reset
        "() => document.querySelector('#sources').innerText.includes('Sources appear here')"
    )
    session.ask("And how many drones?")
    assert "read as" not in page.locator("#sources").inner_text()


def test_abstention_and_error_are_shown_as_such(session: Session) -> None:
    answer = session.ask("Who won the 2018 FIFA World Cup?")
    assert "No answer found." in answer
    bubble = session.page.locator('#chat [data-testid="bot"] blockquote').last
    assert bubble.is_visible() and "do not contain the answer" in bubble.inner_text()
    session.tab("Settings")
    session.page.locator("#library input").fill("no-such-library")
    session.page.locator("#library input").press("Enter")
    session.tab("Chat")
    session.page.wait_for_function(  # another library starts a new chat
        "() => document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 0"
    )
    error = session.ask("How many missiles did Russia launch?")
    assert error.startswith("✗ Could not answer: library 'no-such-library' does not exist")
    assert "Traceback" not in session.page.content()
    session.screenshot("chat-abstention-and-error")


def test_two_sessions_chat_at_the_same_time_without_mixing(browser: object, app: App) -> None:
    first, second = Session(browser, app), Session(browser, app)
    try:
        first.submit("How many missiles did Russia launch?")
        second.submit("When does the New START treaty expire?")
        assert "71 missiles" in first.wait_answers(1)
        assert "February" in second.wait_answers(1)
        first.submit("And how many drones?")
        second.submit("Who signed it?")
        assert "450" in first.wait_answers(2)
        assert "Obama" in second.wait_answers(2)
        assert first.users() == ["How many missiles did Russia launch?", "And how many drones?"]
        assert second.users() == ["When does the New START treaty expire?", "Who signed it?"]
        assert not any("START" in b or "Obama" in b for b in first.bots())
        assert "read as “When does the New START treaty expire? Who signed it?”" in (
            second.page.locator("#sources").inner_text()
        )
        first.screenshot("session-a")
        second.screenshot("session-b")
        assert first.foreign_requests() == second.foreign_requests() == []
    finally:
        first.close()
        second.close()


def test_llm_engine_streams_marks_flags_and_condenses_follow_ups(
    llm_session: Session, llm: OpenAIServer
) -> None:
    session = llm_session
    page = session.page
    session.tab("Settings")
    assert "An LLM is available" in page.locator("#status").inner_text()
    page.locator("#engine").get_by_text("openai", exact=True).click()
    page.wait_for_function(
        "() => document.querySelector('#status').innerText.includes('LLM connected')"
    )
    session.tab("Chat")
    llm.script(
        Reply(
            "Russia attacked with 71 missiles, as well as 450 drones, the Ukrainian air force "
            "said [1]. It was the largest attack in all of history."
        )
    )
    session.watch_last_answer()
    answer = session.ask("How many missiles did Russia launch?")
    assert answer.startswith("Russia attacked with 71 missiles")
    partial = [s for s in session.seen() if s.endswith("▌")]
    assert len({*partial}) >= 3, session.seen()  # word by word
    flagged = page.locator('#chat [data-testid="bot"] em').last
    assert flagged.inner_text() == "It was the largest attack in all of history."
    assert "⚠ cites no source" in answer
    assert "cites no source" in page.locator("#sources .aa-flags").inner_text()
    session.screenshot("chat-llm-flagged")

    llm.script(Reply("How many drones did Russia launch?"), Reply("It used 450 drones [1]."))
    before = len(llm.requests)
    follow = session.ask("And the drones?")
    assert "450 drones" in follow
    condense, _ = (r.body for r in llm.requests[before:] if r.body)
    prompt = json.dumps(condense)
    assert "User: How many missiles did Russia launch?" in prompt
    assert "Last message: And the drones?" in prompt
    assert "read as “How many drones did Russia launch?”" in page.locator("#sources").inner_text()


@pytest.fixture(scope="module")
def flag_app(tmp_path_factory: pytest.TempPathFactory, llm: OpenAIServer) -> Iterator[App]:
    """The UI answering with the LLM and showing unverified replies flagged (not replaced)."""
    env = {
        "OPENAI_BASE_URL": llm.base_url,
        "ASSISTANT_ENGINE": "openai",
        "ASSISTANT_UNVERIFIED": "flag",
        "ASSISTANT_CLAIM_JUDGE": "false",
    }
    running = App(tmp_path_factory.mktemp("ui-flag-home"), env=env).wait()
    yield running
    running.stop()


def test_a_contradicted_claim_is_red_with_its_reason_on_hover(
    browser: object, flag_app: App, llm: OpenAIServer
) -> None:
    session = Session(browser, flag_app)
    llm.script(
        Reply(
            "Russia attacked with 17 missiles [1]. Ukraine said it intercepted or destroyed "
            "38 missiles and 412 drones [1]."
        )
    )
    answer = session.ask("How many missiles did Russia launch?")
    assert "✗ Russia attacked with 17 missiles [1]." in answer
    claim = session.page.locator("#chat .aa-contradicted").last
    assert claim.inner_text() == "✗ Russia attacked with 17 missiles [1]."
    assert claim.get_attribute("title") == "17 is not in [1], which says 71"
    assert claim.evaluate("e => getComputedStyle(e).color") == "rgb(185, 28, 28)"
    assert session.page.locator("#chat .aa-contradicted").count() == 1  # the true one is not red
    claim.hover()
    shot = session.screenshot("chat-contradicted-claim")
    if not CONTRADICTED_SCREENSHOT.exists() or os.environ.get("ASSISTANT_UPDATE_SCREENSHOTS"):
        shutil.copyfile(shot, CONTRADICTED_SCREENSHOT)
    assert session.foreign_requests() == []
    session.close()


# Summaries

RUSSIA = "Russia launches year's biggest attack on Ukraine ahead of fresh peace talks"


def test_summarize_an_article_in_the_library_and_a_topic_in_the_chat(session: Session) -> None:
    page = session.page
    session.tab("Library")
    page.locator("#articles").get_by_text(RUSSIA).filter(visible=True).first.click()
    page.wait_for_function(
        "() => document.querySelector('#article-text textarea').value.includes('71 missiles')"
    )
    page.locator("#summary-format").get_by_text("bullets", exact=True).click()
    page.locator("#summarize").click()
    page.wait_for_function(
        """() => {
            const text = document.querySelector('#summary').innerText;
            return text.includes('[1]') && !text.includes('▌')
                && document.querySelector('#summary-sources details.aa-source') !== null;
        }""",
        timeout=ANSWER_TIMEOUT,
    )
    summary = page.locator("#summary")
    assert summary.locator("li").count() == 5  # medium, as bullets
    source = page.locator("#summary-sources details.aa-source").first
    assert RUSSIA in source.locator("summary").inner_text()
    marks = source.locator("mark")
    assert marks.count() == 5 and not marks.first.is_visible()
    source.locator("summary").click()
    assert marks.first.is_visible()
    quoted = marks.first.inner_text()
    assert len(quoted) > 40 and quoted in summary.inner_text()  # the summary quotes it
    session.screenshot("library-summary")

    session.tab("Chat")
    box = page.locator("#question textarea")
    box.fill("Russian drone attacks")
    page.locator("#chat-summarize").click()
    reply = session.wait_answers(1)
    assert "[1]" in reply and "450 drones" in reply
    assert session.users() == ["Summarize: Russian drone attacks"]
    assert box.input_value() == ""
    sources = page.locator("#sources")
    assert "Sources for the summary of “Russian drone attacks”" in sources.inner_text()
    sources.locator("details.aa-source summary").first.click()
    assert sources.locator("mark").first.is_visible()
    # With the box empty, Summarize covers the articles the last answer cites.
    assert "71 missiles" in session.ask("How many missiles did Russia launch?")
    page.locator("#chat-summarize").click()
    reply = session.wait_answers(3)
    assert "[1]" in reply
    assert session.users()[-1] == "Summarize the article cited above"
    assert f"Sources for the summary of “{RUSSIA}”" in sources.inner_text()
    session.screenshot("chat-summary")


# Library


def test_upload_list_open_and_delete_an_article(session: Session, tmp_path: Path) -> None:
    upload = tmp_path / "harbour.json"
    upload.write_text(
        json.dumps(
            {
                "title": XSS_TITLE,
                "date": "2026-01-20",
                "text": "The harbour of Tallinn froze over in January, a local paper reported. "
                "Ferries were delayed for three days while icebreakers cleared the channel.",
            }
        )
    )
    page = session.page
    session.tab("Library")
    page.wait_for_function(  # listed as the page opens
        "() => document.querySelector('#article-count').innerText.trim() === '4 articles'"
    )
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ\x90\x00 not an article")
    # A batch with a file of a type not accepted: that file is refused by name, with the
    # types accepted; the others are uploaded.
    page.locator('#upload input[type="file"]').set_input_files([str(upload), str(program)])
    refusal = page.get_by_text(re.compile("Invalid file type: setup.exe")).first
    refusal.wait_for()
    assert ".html, .json" in refusal.inner_text() and ".txt" in refusal.inner_text()
    page.locator("#upload").get_by_label("harbour.json").wait_for()
    assert "setup" not in page.locator("#upload").inner_text()
    page.locator("#ingest").click()
    page.wait_for_function(
        "() => document.querySelector('#ingest-summary').innerText.includes('added')",
        timeout=ANSWER_TIMEOUT,
    )
    assert page.locator("#ingest-summary").inner_text().startswith("✓ 1 added")
    page.wait_for_function(  # the count follows the ingest
        "() => document.querySelector('#article-count').innerText.trim() === '5 articles'"
    )
    assert "added" in page.locator("#ingest-report").inner_text()
    articles = page.locator("#articles")
    assert XSS_TITLE in articles.inner_text()  # shown as text ...
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    session.screenshot("library-after-upload")

    session.tab("Chat")
    answer = session.ask("How long were the ferries in Tallinn delayed?")
    assert "three days" in answer
    assert XSS_TITLE in page.locator("#sources").inner_text()  # ... here too
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert page.evaluate("window.__xss === undefined")

    session.tab("Library")
    articles.get_by_text(XSS_TITLE).click()
    page.wait_for_function(
        "() => document.querySelector('#article-text textarea').value.includes('Tallinn')"
    )
    assert "Harbour report" in page.locator("#article-heading").inner_text()
    page.locator("#delete").click()  # the confirm dialog is accepted
    page.wait_for_function(
        "() => document.querySelector('#library-message').innerText.includes('Removed')"
    )
    page.wait_for_function(
        "(title) => !document.querySelector('#articles').innerText.includes(title)",
        arg=XSS_TITLE,
    )
    page.wait_for_function(
        "() => document.querySelector('#article-count').innerText.trim() === '4 articles'"
    )
    session.screenshot("library-after-delete")


def test_pasted_lines_that_are_not_urls_are_refused(session: Session) -> None:
    page = session.page
    session.tab("Library")
    page.locator("#urls textarea").fill("/etc/passwd")
    page.locator("#ingest").click()
    page.wait_for_function(
        "() => document.querySelector('#ingest-summary').innerText.includes('Skipped')"
    )
    summary = page.locator("#ingest-summary").inner_text()
    assert "not http(s) URLs" in summary and "/etc/passwd" in summary


def test_stories_group_a_rewrite_with_its_sample_and_the_brief_shows_where_they_differ(
    session: Session, tmp_path: Path
) -> None:
    rewrite = tmp_path / "strikes-wire.txt"
    rewrite.write_text(
        "Russia fires 70 missiles and 450 drones at Ukraine before talks\n\n"
        "Russia fired 70 missiles and 450 drones at Ukraine overnight in its biggest attack "
        "this year, the Ukrainian air force said, leaving hundreds of thousands of homes "
        "without heating in freezing weather a day before peace talks in Abu Dhabi.\n\n"
        "Ukraine said it intercepted or destroyed 38 missiles and 412 drones."
    )
    page = session.page
    session.tab("Library")
    page.locator('#upload input[type="file"]').set_input_files(str(rewrite))
    page.locator("#upload").get_by_label("strikes-wire.txt").wait_for()
    page.locator("#ingest").click()
    page.wait_for_function(
        "() => document.querySelector('#ingest-summary').innerText.includes('1 added')",
        timeout=ANSWER_TIMEOUT,
    )
    page.locator("#show-stories").click()
    page.wait_for_function(
        "() => document.querySelector('#story-count').innerText.startsWith('1 story')",
        timeout=ANSWER_TIMEOUT,
    )
    stories = page.locator("#stories")
    assert RUSSIA in stories.inner_text()
    stories.get_by_text(RUSSIA).filter(visible=True).first.click()  # picks the story
    page.wait_for_function(
        "() => document.querySelector('#pick-story input').value.includes('2 articles')"
    )
    page.locator("#brief").click()
    page.wait_for_function(
        "() => document.querySelector('#briefing').innerText.includes('Sources differ')",
        timeout=ANSWER_TIMEOUT,
    )
    briefing = page.locator("#briefing").inner_text()
    assert "What happened" in briefing and "Who said what" in briefing
    [differs] = [line for line in briefing.splitlines() if line.startswith("Sources differ:")]
    # The sample was ingested when the session started, the rewrite now: across midnight
    # their days differ, and the line then says when each was reported.
    assert re.fullmatch(
        r"Sources differ: 7[01] missiles \[[12]\] vs 7[01] missiles \[[12]\]"
        r"( \(reported \d{4}-\d\d-\d\d and \d{4}-\d\d-\d\d\))?",
        differs,
    )
    assert "70 missiles" in differs and "71 missiles" in differs
    sources = page.locator("#briefing-sources")
    assert sources.locator("details.aa-source").count() == 2
    session.screenshot("library-briefing")


# Basic auth


def test_auth_asks_for_the_password(
    browser: object, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    home = tmp_path_factory.mktemp("ui-auth")
    app = App(home, "--auth", "reader:s3cret", "--no-samples").wait()
    try:
        # No credentials: Chromium gets the 401 challenge, has nothing to answer it with and
        # gives up on the page.
        from playwright.sync_api import Error as PlaywrightError

        context = browser.new_context()  # type: ignore[attr-defined]
        page = context.new_page()
        with pytest.raises(PlaywrightError, match="ERR_INVALID_AUTH_CREDENTIALS"):
            page.goto(app.url)
        assert page.locator("#question textarea").count() == 0
        context.close()
        # Wrong ones: refused again; the browser shows the refusal, nothing of the app.
        wrong = {"username": "reader", "password": "wrong"}
        context = browser.new_context(http_credentials=wrong)  # type: ignore[attr-defined]
        page = context.new_page()
        response = page.goto(app.url)
        assert response is not None and response.status == 401
        assert response.headers["www-authenticate"].startswith("Basic realm=")
        assert "Sign in required" in page.content()
        assert page.locator("#question textarea").count() == 0
        context.close()
        # The right ones: the page, its uploads and its events all work with them.
        session = Session(browser, app, credentials=("reader", "s3cret"))
        try:
            page = session.page
            upload = tmp_path / "harbour.txt"
            upload.write_text(
                "Harbour of Tallinn\n\nThe harbour of Tallinn froze over in January, a local "
                "paper reported. Ferries were delayed for three days while icebreakers cleared "
                "the channel."
            )
            session.tab("Library")
            page.locator('#upload input[type="file"]').set_input_files(str(upload))
            page.locator("#upload").get_by_label("harbour.txt").wait_for()
            page.locator("#ingest").click()
            page.wait_for_function(
                "() => document.querySelector('#ingest-summary').innerText.includes('1 added')",
                timeout=ANSWER_TIMEOUT,
            )
            session.tab("Chat")
            assert "three days" in session.ask("How long were the ferries in Tallinn delayed?")
            assert session.foreign_requests() == []
        finally:
            session.close()
    finally:
        app.stop()


def test_a_file_over_the_upload_limit_is_refused(session: Session, tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("A long line of text about nothing in particular. " * 30_000)  # 1.5 MB
    session.tab("Library")
    session.page.locator('#upload input[type="file"]').set_input_files(str(big))
    refusal = session.page.get_by_text(re.compile("exceed the maximum allowed size")).first
    refusal.wait_for()
    assert "1.0 Mb" in refusal.inner_text() and "big.txt" in refusal.inner_text()
    session.screenshot("library-upload-too-large")
