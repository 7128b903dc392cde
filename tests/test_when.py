"""Reading time in questions (assistant/retrieve/when.py): pure, so every case is exact."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.retrieve.when import add_months, at_event, last_weekday, read_when, week_start

NOW = dt.date(2026, 2, 5)  # a Thursday
D = dt.date


@pytest.mark.parametrize(
    ("question", "date_from", "date_to", "phrase"),
    [
        pytest.param("What happened today?", D(2026, 2, 5), D(2026, 2, 5), "today", id="today"),
        pytest.param(
            "What did Kyiv say yesterday?",
            D(2026, 2, 4),
            D(2026, 2, 4),
            "yesterday",
            id="yesterday",
        ),
        pytest.param(
            "Who spoke this morning?", D(2026, 2, 5), D(2026, 2, 5), "this morning", id="morning"
        ),
        pytest.param(
            "What happened this week?", D(2026, 1, 30), D(2026, 2, 5), "this week", id="this-week"
        ),
        pytest.param(
            "What happened last week?", D(2026, 1, 26), D(2026, 2, 1), "last week", id="last-week"
        ),
        pytest.param(
            "What happened in the past week?",
            D(2026, 1, 30),
            D(2026, 2, 5),
            "past week",
            id="past-week",
        ),
        pytest.param(
            "News from the last 3 days?",
            D(2026, 2, 3),
            D(2026, 2, 5),
            "the last 3 days",
            id="last-n-days",
        ),
        pytest.param(
            "Any strikes in the past two weeks?",
            D(2026, 1, 23),
            D(2026, 2, 5),
            "in the past two weeks",
            id="past-two-weeks",
        ),
        pytest.param(
            "What happened this month?", D(2026, 2, 1), D(2026, 2, 5), "this month", id="this-month"
        ),
        pytest.param(
            "What happened last month?",
            D(2026, 1, 1),
            D(2026, 1, 31),
            "last month",
            id="last-month",
        ),
        pytest.param(
            "Who resigned earlier this week?",
            D(2026, 2, 2),
            D(2026, 2, 5),
            "earlier this week",
            id="earlier-this-week",
        ),
        pytest.param(
            "What changed earlier this month?",
            D(2026, 2, 1),
            D(2026, 2, 5),
            "earlier this month",
            id="earlier-this-month",
        ),
        pytest.param(
            "What happened last year?", D(2025, 1, 1), D(2025, 12, 31), "last year", id="last-year"
        ),
        pytest.param(
            "What happened since Monday?", D(2026, 2, 2), None, "since Monday", id="since-monday"
        ),
        pytest.param(
            "What happened since Friday?",
            D(2026, 1, 30),
            None,
            "since Friday",
            id="since-friday-last-week",
        ),
        pytest.param(
            "What happened since 3 March?",
            D(2025, 3, 3),
            None,
            "since 3 March",
            id="since-day-month-last-year",
        ),
        pytest.param(
            "What happened since February 1?", D(2026, 2, 1), None, "since February 1", id="mdy"
        ),
        pytest.param(
            "What happened since last week?",
            D(2026, 1, 26),
            None,
            "since last week",
            id="since-last-week",
        ),
        pytest.param(
            "What happened in January?",
            D(2026, 1, 1),
            D(2026, 1, 31),
            "in January",
            id="in-month",
        ),
        pytest.param(
            "What happened in December?",
            D(2025, 12, 1),
            D(2025, 12, 31),
            "in December",
            id="in-month-last-year",
        ),
        pytest.param(
            "What happened in May 2025?",
            D(2025, 5, 1),
            D(2025, 5, 31),
            "in May 2025",
            id="in-month-year",
        ),
        pytest.param(
            "How many died in 2025?", D(2025, 1, 1), D(2025, 12, 31), "in 2025", id="in-year"
        ),
        pytest.param(
            "What happened on Tuesday?", D(2026, 2, 3), D(2026, 2, 3), "on Tuesday", id="weekday"
        ),
        pytest.param(
            "What happened on Thursday?",
            D(2026, 2, 5),
            D(2026, 2, 5),
            "on Thursday",
            id="weekday-today",
        ),
        pytest.param(
            "What was said on 3 February?",
            D(2026, 2, 3),
            D(2026, 2, 3),
            "on 3 February",
            id="on-day",
        ),
        pytest.param(
            "What was said on 2026-01-14?",
            D(2026, 1, 14),
            D(2026, 1, 14),
            "on 2026-01-14",
            id="iso",
        ),
        pytest.param(
            "What happened before 3 February?",
            None,
            D(2026, 2, 2),
            "before 3 February",
            id="before-day",
        ),
        pytest.param(
            "What happened after Feb 1, 2026?",
            D(2026, 2, 2),
            None,
            "after Feb 1, 2026",
            id="after-day",
        ),
        pytest.param(
            "What happened before January?",
            None,
            D(2025, 12, 31),
            "before January",
            id="before-month",
        ),
        pytest.param(
            "What happened after January?",
            D(2026, 2, 1),
            None,
            "after January",
            id="after-month",
        ),
        pytest.param(
            "What was known by 20 January?",
            None,
            D(2026, 1, 20),
            "by 20 January",
            id="by-day",
        ),
        pytest.param(
            "What happened between 1 and 3 February?",
            D(2026, 2, 1),
            D(2026, 2, 3),
            "between 1 and 3 February",
            id="between-days",
        ),
        pytest.param(
            "What happened from January 5 to January 20?",
            D(2026, 1, 5),
            D(2026, 1, 20),
            "from January 5 to January 20",
            id="from-to",
        ),
        pytest.param(
            "What happened this weekend?",
            D(2026, 1, 31),
            D(2026, 2, 1),
            "this weekend",
            id="weekend",
        ),
        pytest.param(
            "What happened three days ago?",
            D(2026, 2, 2),
            D(2026, 2, 2),
            "three days ago",
            id="days-ago",
        ),
        pytest.param(
            "What did he say last Tuesday?",
            D(2026, 2, 3),
            D(2026, 2, 3),
            "last Tuesday",
            id="last-weekday",
        ),
        pytest.param(
            "What did he say last Thursday?",
            D(2026, 1, 29),
            D(2026, 1, 29),
            "last Thursday",
            id="last-weekday-said-that-day",
        ),
        pytest.param(
            "Who won at the weekend?",
            D(2026, 1, 31),
            D(2026, 2, 1),
            "at the weekend",
            id="at-the-weekend",
        ),
        pytest.param(
            "What has changed since the start of January?",
            D(2026, 1, 1),
            None,
            "since the start of January",
            id="start-of-month",
        ),
        pytest.param(
            "What happened in late January?",
            D(2026, 1, 22),
            D(2026, 1, 31),
            "in late January",
            id="late-month",
        ),
        pytest.param(
            "What happened in the second week of January?",
            D(2026, 1, 8),
            D(2026, 1, 14),
            "in the second week of January",
            id="nth-week",
        ),
        pytest.param(
            "How many people died in the floods last week?",
            D(2026, 1, 26),
            D(2026, 2, 1),
            "last week",
            id="period-at-the-end",
        ),
    ],
)
def test_dates_and_periods(
    question: str, date_from: dt.date | None, date_to: dt.date | None, phrase: str
) -> None:
    window = read_when(question, NOW)
    assert window is not None
    assert (window.date_from, window.date_to, window.phrase) == (date_from, date_to, phrase)
    assert window.now == NOW and window.event is None


@pytest.mark.parametrize(
    "question",
    [
        pytest.param("What is the latest death toll?", id="latest"),
        pytest.param("What is the most recent estimate?", id="most-recent"),
        pytest.param("Who is currently leading?", id="currently"),
        pytest.param("What is the newest figure?", id="newest"),
    ],
)
def test_latest_orders_without_restricting(question: str) -> None:
    window = read_when(question, NOW)
    assert window is not None and window.newest_first and not window.restricts()
    assert window.span() == "newest first"


def test_latest_with_a_period_does_both() -> None:
    window = read_when("What is the latest news since Monday?", NOW)
    assert window is not None and window.newest_first
    assert (window.date_from, window.phrase) == (D(2026, 2, 2), "latest, since Monday")


@pytest.mark.parametrize(
    ("question", "event", "relation"),
    [
        pytest.param("What did Russia do before the talks?", "the talks", "before", id="before"),
        pytest.param(
            "How many missiles were fired after the ceasefire?",
            "the ceasefire",
            "after",
            id="after",
        ),
        pytest.param("What has happened since the election?", "the election", "since", id="since"),
        pytest.param(
            "Before the talks in Geneva, what did he say?",
            "the talks in Geneva",
            "before",
            id="event-with-place",
        ),
        pytest.param(
            "What did they say ahead of the summit?", "the summit", "before", id="ahead-of"
        ),
    ],
)
def test_events_are_left_for_the_library(question: str, event: str, relation: str) -> None:
    window = read_when(question, NOW)
    assert window is not None
    assert (window.event, window.relation) == (event, relation)
    assert not window.restricts()


@pytest.mark.parametrize(
    "question",
    [
        pytest.param("Who won the match?", id="no-time"),
        pytest.param("Who was the ship named after the founder?", id="named-after"),
        pytest.param("Who testified before the committee?", id="before-a-body"),
        pytest.param("Who appeared before the court?", id="appeared-before"),
        pytest.param("What may happen to the deal?", id="may-the-verb"),
        pytest.param("What is the current account deficit?", id="current-alone"),
        pytest.param("What did the Monday Club say?", id="name-with-weekday"),
        pytest.param("How many missiles did Russia launch?", id="plain"),
        pytest.param("Are prices back at 2019 levels?", id="year-as-a-level"),
        pytest.param("Which band formed in 1980?", id="history"),
        pytest.param("Who sang 50 years ago?", id="years-ago-is-history"),
        pytest.param("Who will play on February 8?", id="a-day-ahead"),
        pytest.param("What happens in the week ahead?", id="no-particular-week"),
    ],
)
def test_no_window(question: str) -> None:
    assert read_when(question, NOW) is None


def test_an_event_once_dated() -> None:
    before = read_when("What happened before the talks?", NOW)
    after = read_when("What happened after the talks?", NOW)
    since = read_when("What happened since the talks?", NOW)
    assert before and after and since
    day = D(2026, 1, 20)
    assert at_event(before, day).date_to == D(2026, 1, 19)
    assert at_event(after, day).date_from == day  # the event's own day's news counts
    assert at_event(since, day).date_from == day


@pytest.mark.parametrize(
    ("question", "strict"),
    [
        pytest.param("What happened in January?", False, id="month"),
        pytest.param("What happened last month?", False, id="last-month"),
        pytest.param("What happened in 2025?", False, id="year"),
        pytest.param("What happened last week?", True, id="week"),
        pytest.param("What happened since January?", True, id="open-bound"),
        pytest.param("What happened yesterday?", True, id="day"),
    ],
)
def test_a_month_or_longer_is_a_preference(question: str, strict: bool) -> None:
    window = read_when(question, NOW)
    assert window is not None and window.strict is strict


def test_only_the_asking_sentence_is_read() -> None:
    context = "Jesse Jackson died this week at 84. Which office did he run for in the 1980s?"
    assert read_when(context, NOW) is None
    window = read_when("Storms hit the coast. What did the mayor say yesterday?", NOW)
    assert window is not None and window.phrase == "yesterday"


def test_a_possessive_is_no_window() -> None:
    assert read_when("Which sport at this year's Games is the fastest?", NOW) is None


def test_how_long_after_is_a_duration_not_an_event() -> None:
    assert read_when("How long after the breach would the force be triggered?", NOW) is None


def test_describe_says_what_was_applied() -> None:
    window = read_when("What happened since Monday?", NOW)
    assert window is not None
    assert window.describe() == "'since Monday': 2026-02-02 onwards"
    off = window.model_copy(update={"applied": False, "note": "your date filter wins"})
    assert off.describe().endswith("-- not applied (your date filter wins)")


def test_calendar_helpers() -> None:
    assert week_start(NOW) == D(2026, 2, 2)
    assert last_weekday(0, NOW) == D(2026, 2, 2) and last_weekday(3, NOW) == NOW
    assert add_months(D(2026, 3, 31), -1) == D(2026, 2, 28)
    assert add_months(D(2026, 1, 15), -1) == D(2025, 12, 15)
