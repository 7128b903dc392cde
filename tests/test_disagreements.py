"""'Sources differ': conflicts between two articles' numbers, dates and names (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.summarize.disagreements import Conflict, Side, disagreement_line, find_disagreements

STRIKE = "Russia attacked Ukraine overnight with {n} missiles and 450 drones, the air force said."


def values(a: str, b: str) -> list[tuple[str, tuple[str, str]]]:
    return [(c.kind, c.values) for c in find_disagreements([Side(1, a), Side(2, b)])]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param(
            STRIKE.format(n=71),
            STRIKE.format(n=17),
            [("number", ("71 missiles", "17 missiles"))],
            id="number",
        ),
        pytest.param(
            "The museum will reopen to the public on June 12 after a two-year renovation.",
            "After a two-year renovation the museum reopens to the public on June 21.",
            [("date", ("June 12", "June 21"))],
            id="date",
        ),
        pytest.param(
            "A Russian drone struck an apartment building in Kyiv early on Thursday, the "
            "regional governor said.",
            "Early on Thursday a Russian drone hit an apartment building in Lviv, the regional "
            "governor said.",
            [("name", ("Kyiv", "Lviv"))],
            id="name",
        ),
    ],
)
def test_a_differing_fact_gives_one_conflict(
    a: str, b: str, expected: list[tuple[str, tuple[str, str]]]
) -> None:
    assert values(a, b) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param(STRIKE.format(n=71), STRIKE.format(n=71), id="identical"),
        pytest.param(
            STRIKE.format(n=71),
            "The air force said Russia fired seventy-one missiles at Ukraine overnight. It also "
            "sent 450 drones.",
            id="number-words-and-split-sentences",
        ),
        pytest.param(
            "Nancy Guthrie was reported missing on Feb. 1. She was last seen on Jan. 31.",
            "She was last seen at home on Jan. 31 and reported missing the next day, Feb. 1.",
            id="two-dates-spread-over-sentences",
        ),
        pytest.param(
            "A stamp may cost up to 95 cents. It now costs 78 cents.",
            "A stamp that costs 78 cents today could rise to as much as 95 cents.",
            id="different-figures-for-different-facts",
        ),
        pytest.param(
            "BTS will play 23 US shows. Tickets went on sale on Jan. 22.",
            "The tour includes 23 stops in the United States, with sales from Jan. 22.",
            id="a-capitalised-first-word-is-no-name",
        ),
        pytest.param(
            "Kamala Harris endorsed Jasmine Crockett in the Texas Senate primary on Friday.",
            "Harris is backing Jasmine Crockett in the Democratic Senate primary in Texas, her "
            "campaign said Friday.",
            id="names-that-qualify-the-same-thing",
        ),
    ],
)
def test_agreeing_articles_give_no_conflict(a: str, b: str) -> None:
    assert values(a, b) == []


def test_a_figure_of_another_fact_is_no_side_of_the_conflict() -> None:
    a = (
        "Russia attacked with 71 missiles, as well as 450 drones, the Ukrainian air force said. "
        "Ukraine said it intercepted or destroyed 38 missiles and 412 drones."
    )
    b = (
        "Russia fired 70 missiles and 450 drones at Ukraine overnight in its biggest attack this "
        "year, the Ukrainian air force said."
    )
    assert values(a, b) == [("number", ("71 missiles", "70 missiles"))]


def test_a_year_inside_a_range_is_written_by_the_article() -> None:
    a = "He joins Tiger Woods (2001-02) as one of four golfers to win back-to-back Masters."
    b = "He is the first golfer to win back-to-back Masters since Tiger Woods did in 2002."
    assert values(a, b) == []


def test_reports_of_their_own_day_are_updates_not_a_conflict() -> None:
    a = "For much of Thursday, April 2, the capsule will linger in Earth orbit, NASA said."
    b = "NASA shared new photos on Friday, April 3, as the capsule left Earth orbit, NASA said."
    sides = [Side(1, a, dt.date(2026, 4, 2)), Side(2, b, dt.date(2026, 4, 3))]
    assert find_disagreements(sides) == []
    undated = [Side(1, a), Side(2, b)]
    assert [c.kind for c in find_disagreements(undated)] in ([], ["date"])


def test_conflict_points_at_both_sentences_lower_number_first() -> None:
    a = "Officials gave no update. " + STRIKE.format(n=17)
    b = STRIKE.format(n=71)
    [conflict] = find_disagreements([Side(2, a), Side(1, b)])
    assert conflict.numbers == (1, 2) and conflict.values == ("71 missiles", "17 missiles")
    (b_start, b_end), (a_start, a_end) = conflict.spans
    assert b[b_start:b_end] == b and a[a_start:a_end] == STRIKE.format(n=17)


def test_one_line_per_fact_across_many_articles() -> None:
    sides = [Side(n, STRIKE.format(n=figure)) for n, figure in ((1, 71), (2, 17), (3, 71))]
    found = find_disagreements(sides)
    assert {c.values for c in found} == {("71 missiles", "17 missiles")}


@pytest.mark.parametrize(
    ("dates", "line"),
    [
        pytest.param({}, "Sources differ: 71 missiles [1] vs 17 missiles [2]", id="undated"),
        pytest.param(
            {1: dt.date(2026, 1, 1), 2: dt.date(2026, 1, 1)},
            "Sources differ: 71 missiles [1] vs 17 missiles [2]",
            id="same-day",
        ),
        pytest.param(
            {1: dt.date(2026, 1, 1), 2: dt.date(2026, 1, 3)},
            "Sources differ: 71 missiles [1] vs 17 missiles [2] (reported 2026-01-01 and "
            "2026-01-03)",
            id="later-report",
        ),
    ],
)
def test_disagreement_line(dates: dict[int, dt.date | None], line: str) -> None:
    conflict = Conflict("number", ("71 missiles", "17 missiles"), (1, 2), ((0, 1), (0, 1)), "")
    assert disagreement_line(conflict, dates) == line
