"""Tests for assistant.ingest.dates: datelines, metadata, URLs, the order of sources (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.ingest.dates import (
    choose_date,
    date_from_html,
    date_from_text,
    date_from_url,
    parse_date_value,
    relative_dates,
    with_dates,
)

NOW = dt.datetime(2026, 3, 15, 12, 0, tzinfo=dt.UTC)
D = dt.date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Published 3 February 2026\n\nA storm hit.", D(2026, 2, 3), id="published-dmy"
        ),
        pytest.param(
            "Updated 16:56, 03-Feb-2026\n\nA storm hit.", D(2026, 2, 3), id="updated-dash"
        ),
        pytest.param("Feb. 3, 2026\n\nA storm hit.", D(2026, 2, 3), id="mdy-abbrev-line"),
        pytest.param("February 3rd 2026\n\nText.", D(2026, 2, 3), id="ordinal-no-comma"),
        pytest.param("Tuesday, February 3, 2026\nText.", D(2026, 2, 3), id="weekday"),
        pytest.param("Sept. 30, 2025, 4:08 p.m. ET\n\nText.", D(2025, 9, 30), id="sept"),
        pytest.param("By Jane Doe | 3rd of March, 2026\nText.", D(2026, 3, 3), id="byline"),
        pytest.param("Posted: 2026-02-03T23:30:00-05:00\nText.", D(2026, 2, 3), id="iso-offset"),
        pytest.param("2026/02/03 09:00\nText.", D(2026, 2, 3), id="iso-slashes"),
        pytest.param(
            "First published on Tue 3 Feb 2026 16.56 GMT\nText.", D(2026, 2, 3), id="guardian"
        ),
        pytest.param(
            "Jan. 14, 2026 Updated Feb. 4, 2026, 6:43 p.m. ET\n\nText.",
            D(2026, 1, 14),
            id="published-before-updated",
        ),
        pytest.param(
            "Updated Feb. 4, 2026\nPublished Jan. 14, 2026\nText.",
            D(2026, 1, 14),
            id="published-beats-updated",
        ),
        pytest.param(
            "Trevor Hughes\n\nUSA TODAY\n\nUpdated Jan. 16, 2015, 12:39 p.m. ET\n\nText.",
            D(2015, 1, 16),
            id="usa-today-byline",
        ),
        pytest.param(
            "WASHINGTON, Feb 3 (Reuters) - The Senate voted.", D(2026, 2, 3), id="agency-no-year"
        ),
        pytest.param(
            "LONDON, Dec 30 (Reuters) - Markets fell.", D(2025, 12, 30), id="agency-last-year"
        ),
    ],
)
def test_datelines(text: str, expected: dt.date) -> None:
    assert date_from_text(text, now=NOW) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "The bill was signed on Jan. 14, 2025, in a ceremony at the White House.",
            id="date-in-a-sentence",
        ),
        pytest.param("Storms are expected this week across the region.", id="no-date"),
        pytest.param("Published 3 April 2026\nText.", id="future"),
        pytest.param("Published 31 February 2026\nText.", id="impossible-day"),
        pytest.param(("x" * 1200) + "\nPublished 3 February 2026\n", id="beyond-the-head"),
        pytest.param("The report covers 2019-2026 and more.", id="year-range"),
    ],
)
def test_no_dateline(text: str) -> None:
    assert date_from_text(text, now=NOW) is None


def test_the_title_is_a_last_resort() -> None:
    title = "Ten things you need to know today: 28 Dec 2025"
    assert date_from_text("No date here.", title, now=NOW) == D(2025, 12, 28)
    assert date_from_text("Published 3 March 2026\n", title, now=NOW) == D(2026, 3, 3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("03/02/2026\nText.", D(2026, 2, 3), id="no-hint-day-first"),
        pytest.param("03.02.2026\nText.", D(2026, 2, 3), id="dots-day-first"),
        pytest.param("13/02/2026\nText.", D(2026, 2, 13), id="unambiguous-day-first"),
        pytest.param("02/13/2026\nText.", D(2026, 2, 13), id="unambiguous-month-first"),
        pytest.param(
            "03/02/2026\nThe deadline was 12/25/2025.", D(2026, 3, 2), id="numeric-hint-us"
        ),
        pytest.param(
            "03/02/2026\nThe deadline was 25/12/2025.", D(2026, 2, 3), id="numeric-hint-world"
        ),
        pytest.param(
            "03/02/2026\nThe vote is on February 20, 2026.", D(2026, 3, 2), id="written-us-style"
        ),
        pytest.param(
            "03/02/2026\nThe vote is on 20 February 2026.", D(2026, 2, 3), id="written-world-style"
        ),
        pytest.param("03/02/2026 4:08 p.m. ET\nText.", D(2026, 3, 2), id="us-time-zone"),
        pytest.param("03/04/2026\nText.", D(2026, 3, 4), id="future-reading-gives-way"),
    ],
)
def test_day_and_month_order(text: str, expected: dt.date) -> None:
    assert date_from_text(text, now=NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("Tue, 03 Feb 2026 23:30:00 -0500", D(2026, 2, 3), id="rfc2822-west"),
        pytest.param("Wed, 04 Feb 2026 00:30:00 +0900", D(2026, 2, 4), id="rfc2822-east"),
        pytest.param("2026-02-03T23:30:00-05:00", D(2026, 2, 3), id="iso-offset-not-utc"),
        pytest.param("2026-02-03T23:30:00Z", D(2026, 2, 3), id="iso-z"),
        pytest.param("2026-02-03", D(2026, 2, 3), id="iso-day"),
        pytest.param("3 February 2026", D(2026, 2, 3), id="written"),
        pytest.param("Feb. 3, 2026", D(2026, 2, 3), id="written-us"),
        pytest.param("yesterday", None, id="words"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="none"),
    ],
)
def test_parse_date_value(value: object, expected: dt.date | None) -> None:
    assert parse_date_value(value) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        pytest.param(
            '<meta property="article:published_time" content="2026-02-03T09:00:00+01:00">',
            D(2026, 2, 3),
            id="og-article",
        ),
        pytest.param(
            '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": '
            '[{"@type": "NewsArticle", "datePublished": "2026-02-03T10:00:00Z"}]}</script>',
            D(2026, 2, 3),
            id="json-ld-graph",
        ),
        pytest.param(
            '<script type="application/ld+json">{"datePublished": "2026-02-03", broken</script>',
            D(2026, 2, 3),
            id="json-ld-broken",
        ),
        pytest.param('<meta name="pubdate" content="20260203">', None, id="compact-unsupported"),
        pytest.param('<meta name="date" content="2026-02-03">', D(2026, 2, 3), id="meta-date"),
        pytest.param(
            '<time itemprop="datePublished" datetime="2026-02-03T08:00">3 Feb</time>',
            D(2026, 2, 3),
            id="time-itemprop",
        ),
        pytest.param(
            '<meta property="article:modified_time" content="2026-02-05">', None, id="modified"
        ),
        pytest.param(
            '<meta name="date" content="2026-01-01">'
            '<meta property="article:published_time" content="2026-02-03">',
            D(2026, 2, 3),
            id="published-time-first",
        ),
    ],
)
def test_date_from_html(html: str, expected: dt.date | None) -> None:
    assert date_from_html(f"<html><head>{html}</head><body><p>Hi.</p></body></html>") == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("https://e.com/news/2026/02/03/storm/", D(2026, 2, 3), id="ymd-path"),
        pytest.param("https://e.com/2026/2/3/storm", D(2026, 2, 3), id="short-numbers"),
        pytest.param("https://e.com/world/2026/feb/03/storm", D(2026, 2, 3), id="guardian"),
        pytest.param("https://e.com/news/2026-02-03-storm", D(2026, 2, 3), id="iso-slug"),
        pytest.param("https://e.com/archive/20260203/storm", D(2026, 2, 3), id="compact"),
        pytest.param("https://e.com/story/88176360007/", None, id="an-id"),
        pytest.param("https://e.com/2026/02/storm", None, id="no-day"),
        pytest.param("https://e.com/2026/04/01/x", None, id="future"),
        pytest.param("https://e.com/x?date=2026-02-03", None, id="query"),
        pytest.param(None, None, id="none"),
    ],
)
def test_date_from_url(url: str | None, expected: dt.date | None) -> None:
    assert date_from_url(url, now=NOW) == expected


def test_sources_in_order() -> None:
    text = "Published 3 February 2026\n\nA storm hit."
    url = "https://e.com/2026/01/31/storm"
    feed = D(2026, 2, 1)
    assert choose_date(now=NOW, metadata=D(2026, 2, 2), text=text, feed=feed, url=url).source == (
        "metadata"
    )
    chosen = choose_date(now=NOW, text=text, feed=feed, url=url)
    assert (chosen.date, chosen.source) == (D(2026, 2, 3), "text")
    assert choose_date(now=NOW, text="No date.", feed=feed, url=url).source == "feed"
    chosen = choose_date(now=NOW, text="No date.", url=url)
    assert (chosen.date, chosen.source) == (D(2026, 1, 31), "url")
    chosen = choose_date(now=NOW, text="No date.")
    assert (chosen.date, chosen.source) == (D(2026, 3, 15), "ingested")


@pytest.mark.parametrize(
    ("metadata", "source"),
    [
        pytest.param(D(2026, 3, 16), "metadata", id="tomorrow-allowed"),
        pytest.param(D(2026, 3, 17), "ingested", id="two-days-ahead-refused"),
        pytest.param(D(2099, 1, 1), "ingested", id="far-future"),
    ],
)
def test_never_after_the_ingest_time_plus_a_day(metadata: dt.date, source: str) -> None:
    assert choose_date(now=NOW, metadata=metadata).source == source
    assert choose_date(now=NOW, feed=metadata).source in (source, "feed")


def test_ingested_is_the_utc_day() -> None:
    late = dt.datetime(2026, 3, 15, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert choose_date(now=late).date == D(2026, 3, 16)


# --- relative expressions in the text, resolved against the publication date ----------------

THURSDAY = D(2026, 2, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Talks on Tuesday failed.", [("Tuesday", "3 February 2026")], id="weekday"),
        pytest.param("It rained on Thursday.", [("Thursday", "5 February 2026")], id="same-day"),
        pytest.param(
            "They met last Thursday.", [("last Thursday", "29 January 2026")], id="last-weekday"
        ),
        pytest.param(
            "Talks will resume on Friday.", [("Friday", "6 February 2026")], id="future-weekday"
        ),
        pytest.param(
            "The vote is next Thursday.", [("next Thursday", "12 February 2026")], id="next"
        ),
        pytest.param(
            "Strikes hit on Monday night.", [("Monday night", "2 February 2026")], id="night"
        ),
        pytest.param("Yesterday it snowed.", [("Yesterday", "4 February 2026")], id="yesterday"),
        pytest.param(
            "Shops shut last night.", [("last night", "4 February 2026")], id="last-night"
        ),
        pytest.param("Prices rose last month.", [("last month", "January 2026")], id="last-month"),
        pytest.param(
            "Sales fell last week.", [("last week", "week of 26 January 2026")], id="last-week"
        ),
        pytest.param("Output grew last year.", [("last year", "2025")], id="last-year"),
        pytest.param("Output grew this year.", [], id="this-year-is-plain"),
        pytest.param("On Tuesday, 3 February, they met.", [], id="weekday-with-its-date"),
        pytest.param("Shops opened on Black Friday.", [], id="named-day"),
        pytest.param("He spoke on Monday's call.", [], id="possessive"),
    ],
)
def test_relative_dates(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(r.phrase, r.label()) for r in relative_dates(text, THURSDAY)] == expected


def test_with_dates_follows_each_expression_with_its_date() -> None:
    text = "Russia attacked on Tuesday night, a day after talks last week."
    assert with_dates(text, THURSDAY) == (
        "Russia attacked on Tuesday night (3 February 2026), a day after talks last week "
        "(week of 26 January 2026)."
    )
    assert with_dates("On Tuesday (3 February) they met.", THURSDAY) == (
        "On Tuesday (3 February) they met."
    )
