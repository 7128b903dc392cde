"""Dating answers (assistant/answer/timeline.py): as of, superseded values, relative dates."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.answer.citations import check_citations
from assistant.answer.timeline import asks_about_change, date_answer
from assistant.models import Article, Chunk, Hit, Source, TimeWindow

D = dt.date


def article(aid: str, text: str, date: dt.date, date_source: str = "metadata") -> Article:
    return Article(
        id=aid,
        source=f"{aid}.txt",
        title=aid,
        text=text,
        date=date,
        date_source=date_source,  # type: ignore[arg-type]
        content_hash=aid,
    )


def source(number: int, a: Article) -> Source:
    chunk = Chunk(
        id=f"c-{a.id}", article_id=a.id, index=0, text=a.text, start=0, end=len(a.text), n_tokens=9
    )
    return Source(
        number=number, hit=Hit(chunk=chunk, score=1.0), title=a.title, source=a.source, date=a.date
    )


OLD = article("old", "The death toll rose to 40, officials said. Rain fell.", D(2026, 2, 1))
NEW = article("new", "The death toll rose to 112, officials said. Aid came.", D(2026, 2, 3))
SAME = article("same", "The death toll rose to 112, the ministry said.", D(2026, 2, 2))


def dated(text: str, question: str, *arts: Article, window: TimeWindow | None = None):  # type: ignore[no-untyped-def]
    sources = [source(i + 1, a) for i, a in enumerate(arts)]
    articles = {a.id: a for a in arts}
    checked = check_citations(text, sources, articles)
    return date_answer(
        question, checked.text, checked.citations, checked.flags, sources, articles, window
    )


@pytest.mark.parametrize(
    ("question", "changing"),
    [
        pytest.param("What is the death toll?", True, id="toll"),
        pytest.param("How many people were killed?", True, id="killed"),
        pytest.param("What is the price of gas?", True, id="price"),
        pytest.param("What do the polls say?", True, id="polls"),
        pytest.param("What was the final score?", True, id="score"),
        pytest.param("How many missiles did Russia launch?", False, id="one-event"),
        pytest.param("Who is the prime minister?", False, id="name"),
    ],
)
def test_asks_about_change(question: str, changing: bool) -> None:
    assert asks_about_change(question) is changing


def test_the_newer_value_leads_and_the_older_is_earlier() -> None:
    out = dated(
        "The death toll rose to 40, officials said. [1]", "What is the death toll?", OLD, NEW
    )
    assert out.text == (
        "As of 3 February 2026: The death toll rose to 112, officials said. [2] "
        "Earlier: “The death toll rose to 40, officials said” [1], 1 February 2026."
    )
    assert [(c.number, c.sentence) for c in out.citations] == [(2, 0), (1, 1)]
    assert out.as_of == D(2026, 2, 3)
    [s] = out.superseded
    assert (s.newer, s.newer_value, s.older, s.older_value) == (2, "112", 1, "40")


def test_an_older_rival_follows_as_earlier() -> None:
    out = dated("The death toll rose to 112, officials said. [2]", "Any news?", OLD, NEW)
    assert out.text == (
        "As of 3 February 2026: The death toll rose to 112, officials said. [2] "
        "Earlier: “The death toll rose to 40, officials said” [1], 1 February 2026."
    )
    assert out.superseded[0].older_date == D(2026, 2, 1)


def test_agreeing_sources_are_not_superseded() -> None:
    out = dated(
        "The death toll rose to 112, officials said. [1]", "What is the death toll?", NEW, SAME
    )
    assert out.superseded == []
    assert out.text == "As of 3 February 2026: The death toll rose to 112, officials said. [1]"


def test_no_as_of_for_a_question_about_one_event() -> None:
    text = "The death toll rose to 112, officials said. [1]"
    assert dated(text, "What did officials say?", NEW).text == text


def test_latest_asks_for_as_of() -> None:
    window = TimeWindow(phrase="latest", newest_first=True)
    out = dated(
        "The death toll rose to 112, officials said. [1]",
        "Latest from officials?",
        NEW,
        window=window,
    )
    assert out.text.startswith("As of 3 February 2026: ")


def test_ingest_dates_are_not_publication_dates() -> None:
    undated_old = article("old", OLD.text, D(2026, 2, 1), "ingested")
    text = "The death toll rose to 40, officials said. [1]"
    out = dated(text, "What is the death toll?", undated_old, NEW)
    assert out.text == text and out.superseded == []


def test_relative_dates_are_resolved_for_the_cited_source() -> None:
    a = article("a", "Russia launched 55 missiles on Monday, the air force said.", D(2026, 1, 28))
    out = dated(
        "Russia launched 55 missiles on Monday, the air force said. [1]", "What happened?", a
    )
    assert out.text == (
        "Russia launched 55 missiles on Monday (26 January 2026), the air force said. [1]"
    )
    assert out.citations[0].dates == {"Monday": D(2026, 1, 26)}
