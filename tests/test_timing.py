"""Time-aware questions end to end: a temp ASSISTANT_HOME, dated articles written here, real
chromadb and catalog, the hash embedder; the LLM engine through the real openai client."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from fakes import HashEmbedder
from openai_server import OpenAIServer, Reply

from assistant.api import Assistant
from assistant.cli import main
from assistant.config import Settings
from assistant.llm import OpenAIChat
from assistant.models import Answer
from assistant.query import Query

ARTICLES = {
    "quake-1": (
        "Earthquake hits coastal region",
        "2026-02-01",
        "A strong earthquake struck the coastal region on Sunday. The death toll from the "
        "earthquake rose to 40, officials said. Rescue teams searched the rubble overnight.",
    ),
    "quake-2": (
        "Earthquake toll climbs",
        "2026-02-03",
        "Rescuers pulled more survivors from the rubble on Tuesday. The death toll from the "
        "earthquake rose to 112, officials said. Aid convoys reached the coast.",
    ),
    "talks": (
        "Peace talks open in Geneva",
        "2026-01-20",
        "Peace talks opened in Geneva on Tuesday between the two delegations. Diplomats said "
        "the talks would last a week.",
    ),
    "strike-1": (
        "Missile strikes on the city",
        "2026-01-10",
        "Russia launched 30 missiles at the city overnight, the air force said. Power was cut "
        "in several districts.",
    ),
    "strike-2": (
        "New strikes on the city",
        "2026-01-28",
        "Russia launched 55 missiles at the city on Monday, the air force said. Officials "
        "called it the largest attack this year.",
    ),
}


def write_library(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (title, date, text) in ARTICLES.items():
        (folder / f"{name}.md").write_text(
            f"---\ntitle: {title}\ndate: {date}\n---\n\n{text}\n", encoding="utf-8"
        )
    return folder


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("timeq-home")
    settings = Settings(home=home, library="news", _env_file=None)  # type: ignore[call-arg]
    folder = write_library(tmp_path_factory.mktemp("articles") / "news")
    report = Assistant(settings, embedder=HashEmbedder()).ingest(folder)
    assert report.counts["added"] == len(ARTICLES)
    return home


@pytest.fixture
def assistant(home: Path) -> Assistant:
    settings = Settings(home=home, library="news", _env_file=None)  # type: ignore[call-arg]
    return Assistant(settings, embedder=HashEmbedder())


def ask(assistant: Assistant, question: str, **options: object) -> Answer:
    return assistant.ask(question, engine="extractive", min_confidence=0.0, **options)  # type: ignore[arg-type]


def dates_of(answer: Answer) -> set[dt.date | None]:
    return {s.date for s in answer.sources}


def test_articles_keep_their_dates(assistant: Assistant) -> None:
    dates = {a.id.rsplit("/", 1)[-1]: a.date for a in assistant.articles()}
    assert dates["quake-2"] == dt.date(2026, 2, 3) and dates["strike-1"] == dt.date(2026, 1, 10)


def test_this_week_is_the_librarys_last_week(assistant: Assistant) -> None:
    answer = ask(assistant, "What happened this week?")
    assert answer.window is not None and answer.window.applied
    assert answer.window.now == dt.date(2026, 2, 3)  # the newest article, not the real date
    assert answer.window.span() == "2026-01-28 to 2026-02-03"
    assert dates_of(answer) <= {dt.date(2026, 1, 28), dt.date(2026, 2, 1), dt.date(2026, 2, 3)}


def test_now_is_injectable(assistant: Assistant) -> None:
    answer = ask(assistant, "What happened yesterday?", now=dt.date(2026, 1, 29))
    assert answer.window is not None and answer.window.span() == "2026-01-28"
    assert dates_of(answer) == {dt.date(2026, 1, 28)}


def test_before_an_event_ends_before_its_first_article(assistant: Assistant) -> None:
    answer = ask(assistant, "How many missiles did Russia launch before the talks?")
    window = answer.window
    assert window is not None and window.applied and window.event == "the talks"
    assert window.date_to == dt.date(2026, 1, 19)
    assert dates_of(answer) == {dt.date(2026, 1, 10)}
    assert "30 missiles" in answer.text


def test_an_event_no_article_mentions_is_reported_not_applied(assistant: Assistant) -> None:
    answer = ask(assistant, "How many missiles did Russia launch before the summit?")
    assert answer.window is not None and not answer.window.applied
    assert "could not tell when 'the summit' happened" in (answer.window.note or "")
    assert len(dates_of(answer)) > 1


def test_an_explicit_date_filter_wins(assistant: Assistant) -> None:
    answer = ask(
        assistant,
        "What happened this week?",
        filters={"date_from": dt.date(2026, 1, 1)},
    )
    assert answer.window is not None and not answer.window.applied
    assert answer.window.note == "your date filter wins"
    assert len(dates_of(answer)) > 1


def test_when_off_reads_no_window(assistant: Assistant) -> None:
    answer = ask(assistant, "What happened this week?", when="off")
    assert answer.window is None and len(dates_of(answer)) > 1


def test_an_empty_window_says_so(assistant: Assistant) -> None:
    answer = ask(assistant, "What happened last week?", now=dt.date(2026, 3, 30))
    assert answer.abstained and answer.window is not None
    assert answer.window.note == "no article was published 2026-03-23 to 2026-03-29"


def test_a_month_puts_its_articles_first_without_excluding_others(assistant: Assistant) -> None:
    answer = ask(assistant, "How many missiles did Russia launch in January?")
    window = answer.window
    assert window is not None and not window.strict and window.applied
    assert window.describe() == "'in January': 2026-01-01 to 2026-01-31 first"
    dates = [s.date for s in answer.sources]
    january = [d is not None and d.month == 1 for d in dates]
    assert any(january) and not all(january)
    assert january == sorted(january, reverse=True)  # January's first, then the others


def test_latest_toll_leads_and_the_older_is_superseded(assistant: Assistant) -> None:
    answer = ask(assistant, "What is the latest death toll from the earthquake?")
    assert answer.window is not None and answer.window.newest_first
    assert answer.sources[0].date == dt.date(2026, 2, 3)  # newest first
    new = next(s.number for s in answer.sources if s.date == dt.date(2026, 2, 3))
    old = next(s.number for s in answer.sources if s.date == dt.date(2026, 2, 1))
    assert answer.text == (
        "As of 3 February 2026: The death toll from the earthquake rose to 112, officials said. "
        f"[{new}] Earlier: “The death toll from the earthquake rose to 40, officials said” "
        f"[{old}], 1 February 2026."
    )
    assert answer.as_of == dt.date(2026, 2, 3)
    [superseded] = answer.superseded
    assert (superseded.newer, superseded.older) == (new, old)
    assert (superseded.newer_value, superseded.older_value) == ("112", "40")
    assert {(c.number, c.sentence) for c in answer.citations} == {(new, 0), (old, 1)}
    assert not answer.flags
    assert answer.short_answer in (None, "112")  # never the older value the text moved down


def test_the_newer_value_leads_even_when_the_older_was_chosen(assistant: Assistant) -> None:
    # Only the older article may answer, but the newer one is retrieved as a source too:
    # restricting to the older one by title shows the answer is dated, not replaced.
    answer = ask(
        assistant, "What was the death toll from the earthquake?", filters={"title": "hits"}
    )
    assert answer.text.startswith("As of 1 February 2026: The death toll")
    assert answer.superseded == []


def test_relative_dates_in_quotes_are_resolved(assistant: Assistant) -> None:
    answer = ask(assistant, "How many missiles did Russia launch after the talks?")
    assert all(d is not None and d >= dt.date(2026, 1, 20) for d in dates_of(answer))
    assert "on Monday (26 January 2026)" in answer.text
    assert answer.citations[0].dates == {"Monday": dt.date(2026, 1, 26)}


def test_summaries_resolve_relative_dates(assistant: Assistant) -> None:
    [article] = [a for a in assistant.articles() if a.id.endswith("strike-2")]
    summary = assistant.summarize(article.id, length="short", engine="extractive")
    assert "on Monday (26 January 2026)" in summary.text
    assert any(c.dates == {"Monday": dt.date(2026, 1, 26)} for c in summary.citations)
    assert all("(26 January" not in s.text for s in summary.sentences)  # quotes stay verbatim


def test_cli_prints_the_window(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ASSISTANT_HOME", str(home))
    monkeypatch.setenv("ASSISTANT_PLUGINS", "hash_plugin")
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "hash")
    code = main(
        ["ask", "What happened since Monday?", "--library", "news", "--engine", "extractive"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "dates: 'since Monday': 2026-02-02 onwards" in out
    code = main(
        [
            "ask",
            "What happened since Monday?",
            "--library",
            "news",
            "--engine",
            "extractive",
            "--now",
            "2026-01-29",
            "--json",
        ]
    )
    window = json.loads(capsys.readouterr().out)["window"]
    assert code == 0 and window["date_from"] == "2026-01-26"


@pytest.fixture
def with_llm(home: Path, openai_server: OpenAIServer) -> Iterator[Assistant]:
    settings = Settings(home=home, library="news", _env_file=None)  # type: ignore[call-arg]
    client = openai.OpenAI(base_url=openai_server.base_url, api_key="k", timeout=5.0, max_retries=0)
    yield Assistant(settings, embedder=HashEmbedder(), llm=OpenAIChat(client, "test-model"))


def test_llm_answers_get_as_of_and_superseded(
    with_llm: Assistant, openai_server: OpenAIServer
) -> None:
    question = "What is the latest death toll from the earthquake?"
    offline = ask(with_llm, question)
    old = next(s.number for s in offline.sources if s.date == dt.date(2026, 2, 1))
    new = next(s.number for s in offline.sources if s.date == dt.date(2026, 2, 3))
    openai_server.script(Reply(f"The death toll from the earthquake rose to 40 [{old}]."))
    answer = with_llm.ask(question, engine="openai")
    assert answer.engine == "openai"
    assert answer.text.startswith(
        f"As of 3 February 2026: The death toll from the earthquake rose to 112, officials "
        f"said. [{new}] Earlier: “The death toll from the earthquake rose to 40” [{old}]"
    )
    [superseded] = answer.superseded
    assert (superseded.newer, superseded.older) == (new, old)
    prompt = json.dumps(openai_server.requests[-1].body["messages"])
    assert 'date=\\"2026-02-03\\"' in prompt  # the model sees each source's date


def test_a_past_day_admits_the_next_days_reports(assistant: Assistant) -> None:
    answer = ask(assistant, "What happened on Sunday?")  # now: 3 February, a Tuesday
    assert answer.window is not None and answer.window.span() == "2026-02-01"
    assert answer.window.note == "reports up to 2026-02-03 included"
    assert dates_of(answer) == {dt.date(2026, 2, 1), dt.date(2026, 2, 3)}


def test_an_eval_case_is_asked_on_its_own_day(assistant: Assistant, tmp_path: Path) -> None:
    from assistant.evaluation.datasets import load_dataset
    from assistant.evaluation.runner import run_dataset

    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "name: when\ncases:\n"
        "  - id: strikes\n"
        "    question: How many missiles did Russia launch yesterday?\n"
        "    facts: [['55']]\n"
        "    asked: 2026-01-29\n",
        encoding="utf-8",
    )
    query = Query(engine="extractive", min_confidence=0.0)
    report = run_dataset(assistant, load_dataset(cases), library="news", query=query)
    assert report.cases[0].correct, report.cases[0].reasons  # without `asked`: 2 February
