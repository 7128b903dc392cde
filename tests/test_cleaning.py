"""Tests for assistant.ingest.cleaning: the bundled seed page, and small pages for general rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.ingest.cleaning import CleanResult, clean_text, derive_title, normalize_text
from assistant.sentences import sentences

SEED = Path(__file__).parents[1] / "assistant" / "samples" / "russia-ukraine-strikes.txt"
SEED_TITLE = "Russia launches year's biggest attack on Ukraine ahead of fresh peace talks"
CAPTIONS = [
    "A police officer carries a part of a Russian 'suicide drone' that was found at the site",
    "People walk in front of a school building in Kyiv that was damaged amidst a Russian drone",
    "A man sleeps as he takes shelter inside a metro station during overnight missile and drone",
]

BODY = (
    "The storm hit the coast on Tuesday, cutting power to thousands of homes across the region.",
    "Officials ordered evacuations in three towns and opened shelters in local schools.",
    "Forecasters expect the storm to weaken by Thursday as it moves inland.",
)


def page(*paragraphs: str) -> str:
    """A page with one paragraph per blank-line separated block."""
    return "\n\n".join(paragraphs)


def lines(result: CleanResult) -> list[str]:
    return result.text.split("\n\n")


@pytest.fixture(scope="module")
def seed() -> CleanResult:
    return clean_text(SEED.read_text(encoding="utf-8"))


# --- the seed page ---------------------------------------------------------------------------


def test_seed_title_and_credits(seed: CleanResult) -> None:
    assert seed.title == SEED_TITLE
    assert seed.credits == ["AFP", "Reuters"]
    assert SEED_TITLE not in seed.text


def test_seed_keeps_every_body_sentence(seed: CleanResult) -> None:
    raw = normalize_text(SEED.read_text(encoding="utf-8"))
    start = raw.index("Russia launched its biggest drone")
    end = raw.index("very bad for global security.") + len("very bad for global security.")
    body = sentences(raw[start:end])
    assert len(body) > 60
    cleaned = " ".join(seed.text.split())
    missing = [s for s in body if " ".join(s.split()) not in cleaned]
    assert missing == []


def test_seed_drops_banner_buttons_and_chrome(seed: CleanResult) -> None:
    for junk in ("Cookie Policy", "cookies", "I agree", "Search Trends", "Source(s)", "CGTN"):
        assert junk not in seed.text
    assert "Europe;" not in lines(seed)
    assert seed.removed[:5] == [
        "Our Privacy Statement & Cookie Policy",
        seed.removed[1],
        "I agree",
        "CGTN",
        "Europe;",
    ]
    assert seed.removed[1].startswith("By continuing to browse our site")
    assert seed.removed[-2:] == ["Source(s): AFP ,Reuters", "Search Trends"]


def test_seed_keeps_each_caption_once(seed: CleanResult) -> None:
    for caption in CAPTIONS:
        assert seed.text.count(caption) == 1


def test_seed_keeps_subheadings(seed: CleanResult) -> None:
    paragraphs = lines(seed)
    for heading in (
        "Russia opposes foreign intervention",
        "Multiple strikes",
        "Trilateral talks",
        "View from the Kremlin",
        "'A critical point'",
        "Nuclear arms limits",
    ):
        assert heading in paragraphs


def test_seed_text_layout(seed: CleanResult) -> None:
    assert seed.text == seed.text.strip()
    assert "\n\n\n" not in seed.text
    assert all(p and p == p.strip() for p in lines(seed))
    assert "\u00a0" not in seed.text
    assert seed.text.startswith("A police officer carries")
    assert seed.text.endswith("would be very bad for global security.")


def test_large_text_keeps_one_copy_of_everything() -> None:
    # Speed on large inputs is measured by scripts, not asserted here.
    text = SEED.read_text(encoding="utf-8")
    big = "\n\n".join([text] * 450)  # about 5 MB
    assert clean_text(big).text == clean_text(text).text


# --- banners ---------------------------------------------------------------------------------

CONSENT_PAGE = page(
    "We value your privacy",
    "We and our partners use cookies and similar technologies to store and/or access "
    "information on a device, personalised ads and content, and to measure performance. "
    'Click "Accept all" to consent, or manage your preferences at any time.',
    "Accept all",
    "Reject all",
    "Manage preferences",
    "Storm hits the coast",
    *BODY,
)


def test_other_banner_wording_is_dropped() -> None:
    result = clean_text(CONSENT_PAGE)
    assert result.title == "Storm hits the coast"
    assert lines(result) == list(BODY)
    assert result.removed[:5] == [
        "We value your privacy",
        result.removed[1],
        "Accept all",
        "Reject all",
        "Manage preferences",
    ]


def test_banner_at_the_end_is_dropped() -> None:
    result = clean_text(
        page(
            *BODY,
            "This website uses cookies to improve your experience. By using our site "
            "you agree to our cookie policy.",
            "Got it",
        )
    )
    assert lines(result) == list(BODY)


@pytest.mark.parametrize(
    "sentence",
    [
        pytest.param(
            "Regulators said the app had breached users' privacy and ignored its own privacy "
            "policy when it shared data with advertisers.",
            id="privacy-policy",
        ),
        pytest.param(
            "The company said it would stop using third-party cookies, which track users "
            "across websites, by the end of the year after pressure from privacy regulators.",
            id="third-party-cookies",
        ),
        pytest.param(
            '"We take privacy very seriously and we comply with our terms of use," a '
            "spokesperson said.",
            id="quote-with-we",
        ),
        pytest.param(
            "The court ruled that a cookie banner must let users reject all tracking as "
            "easily as they accept it, a decision privacy groups welcomed.",
            id="news-about-banners",
        ),
    ],
)
def test_news_about_privacy_stays(sentence: str) -> None:
    result = clean_text(page("Headline about data", BODY[0], sentence, BODY[1]))
    assert sentence in lines(result)


def test_button_words_mid_article_stay() -> None:
    text = page(BODY[0], "Accept", BODY[1], "OK", BODY[2])
    assert lines(clean_text(text)) == [BODY[0], "Accept", BODY[1], "OK", BODY[2]]


# --- site chrome -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "chrome",
    [
        pytest.param("Share this article", id="share"),
        pytest.param("Advertisement", id="advertisement"),
        pytest.param("ADVERTISEMENT", id="upper-case"),
        pytest.param("Read more", id="read-more"),
        pytest.param("Skip to main content", id="skip"),
        pytest.param("Share | Tweet | Email", id="menu"),
        pytest.param("Don't miss:", id="apostrophe-colon"),
        pytest.param("READ MORE: Kremlin says talks will continue next week", id="link-teaser"),
    ],
)
def test_chrome_lines_are_dropped_anywhere(chrome: str) -> None:
    result = clean_text(page("Storm hits coast", BODY[0], chrome, BODY[1], BODY[2]))
    assert lines(result) == list(BODY)
    assert result.removed == [chrome]


def test_trailing_navigation_is_dropped() -> None:
    navigation = [
        "Related articles",
        "Kremlin says peace talks will continue next week",
        "Markets rally as inflation cools",
        "World",
        "Business",
        "Sport",
        "Follow us",
        "© 2026 Example News. All rights reserved.",
    ]
    result = clean_text(page("Storm hits coast", *BODY, *navigation))
    assert lines(result) == list(BODY)
    assert result.removed == navigation


def test_headlines_without_a_related_header_are_kept() -> None:
    result = clean_text(page(*BODY, "Kremlin says peace talks will continue next week"))
    assert lines(result)[-1] == "Kremlin says peace talks will continue next week"


def test_copyright_sentence_is_not_a_notice() -> None:
    sentence = "Copyright claims against the site rose by a fifth last year, the report said."
    assert sentence in lines(clean_text(page(*BODY, sentence)))


def test_list_at_the_end_is_kept() -> None:
    fixtures = ["Derby v Watford or Fulham", "Chelsea v Birmingham", "Charlton v Yeovil"]
    result = clean_text(page("Cup draw made", *BODY, *fixtures))
    assert lines(result) == [*BODY, *fixtures]


def test_header_tags_dropped_mid_article_short_lines_kept() -> None:
    result = clean_text(
        page("Storm hits coast", "NEWSX", "World;", BODY[0], "Evacuations", BODY[1], BODY[2])
    )
    assert result.title == "Storm hits coast"
    assert lines(result) == [BODY[0], "Evacuations", BODY[1], BODY[2]]
    assert result.removed == ["NEWSX", "World;"]


def test_lines_without_words_are_dropped() -> None:
    assert lines(clean_text(page(BODY[0], "* * *", BODY[1]))) == [BODY[0], BODY[1]]


# --- repeats ---------------------------------------------------------------------------------


def test_repeated_paragraphs_keep_the_first() -> None:
    caption = "Rescue workers search the rubble of a house in the town of Example. /Photo agency"
    quote = '"We will rebuild," the mayor said.'
    result = clean_text(
        page(BODY[0], caption, f"{caption}\n{caption}", BODY[1], quote, BODY[2], quote)
    )
    assert lines(result) == [BODY[0], caption, BODY[1], quote, BODY[2]]
    assert result.removed == [caption, caption, quote]


def test_repeats_compare_whitespace_normalised_text() -> None:
    result = clean_text(page(BODY[0], BODY[1], BODY[1].replace(" ", "  ")))
    assert lines(result) == [BODY[0], BODY[1]]


def test_short_repeated_list_items_stay() -> None:
    items = ["Mauritius v Madagascar", "Winners meet in final match"]
    text = page(BODY[0], *items, "Namibia v Botswana", items[1], BODY[1])
    assert lines(clean_text(text)).count(items[1]) == 2


# --- credits ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "credits"),
    [
        pytest.param("Source(s): AFP ,Reuters", ["AFP", "Reuters"], id="seed"),
        pytest.param("Source: Reuters", ["Reuters"], id="single"),
        pytest.param("Sources: AP, AFP", ["AP", "AFP"], id="plural"),
        pytest.param("SOURCE: Reuters.", ["Reuters"], id="upper-full-stop"),
        pytest.param("Sources: AP and Xinhua", ["AP", "Xinhua"], id="and"),
        pytest.param("Source(s): AFP / Reuters / AFP", ["AFP", "Reuters"], id="repeated-name"),
    ],
)
def test_credits_line(line: str, credits: list[str]) -> None:
    result = clean_text(page("Storm hits coast", *BODY, line))
    assert result.credits == credits
    assert lines(result) == list(BODY)


def test_sentence_starting_with_source_is_not_credits() -> None:
    sentence = "Source: a senior official said the talks would resume next week after a pause."
    result = clean_text(page(*BODY, sentence))
    assert result.credits == []
    assert sentence in lines(result)


# --- title -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "title"),
    [
        pytest.param("Storm hits coast", "Storm hits coast", id="plain"),
        pytest.param(
            "Is this the end of the storm season?",
            "Is this the end of the storm season?",
            id="question",
        ),
        pytest.param("Rivals of the £400 Apple...", "Rivals of the £400 Apple...", id="ellipsis"),
        pytest.param("The storm hit the coast on Tuesday night.", None, id="sentence"),
        pytest.param(" ".join(["word"] * 26), None, id="too-long"),
    ],
)
def test_title_from_first_line(first: str, title: str | None) -> None:
    result = clean_text(page(first, *BODY))
    assert result.title == title
    assert (first in lines(result)) is (title is None)


def test_title_after_publisher_tag() -> None:
    result = clean_text(page("CGTN", "Storm hits coast", *BODY))
    assert result.title == "Storm hits coast"
    assert lines(result) == list(BODY)


@pytest.mark.parametrize(
    ("known", "first", "kept_first"),
    [
        pytest.param("Storm hits coast", "Storm hits coast", False, id="repeat-dropped"),
        pytest.param("Storm hits  COAST", "Storm hits coast", False, id="case-and-spaces"),
        pytest.param("Storm report", "Evacuations ordered in towns", True, id="other-line-kept"),
        pytest.param("Storm report", "The storm hit on Tuesday night.", True, id="sentence"),
    ],
)
def test_known_title(known: str, first: str, kept_first: bool) -> None:
    result = clean_text(page("CGTN", first, *BODY), title=known)
    assert result.title == " ".join(known.split())
    assert lines(result) == ([first] if kept_first else []) + list(BODY)


def test_lone_line_is_not_taken_as_title() -> None:
    result = clean_text("Meeting moved to Tuesday")
    assert result.title is None
    assert result.text == "Meeting moved to Tuesday"


def test_clean_bbc_style_article_drops_only_the_headline() -> None:
    text = (
        "Ad sales boost Time Warner profit\n\n"
        "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn (£600m).\n\n"
        "The firm, which is now one of the biggest investors in Google, benefited from sales. "
        "TimeWarner said fourth quarter sales rose 2% to $11.1bn from $10.9bn.\n"
    )
    result = clean_text(text)
    assert result.title == "Ad sales boost Time Warner profit"
    assert result.removed == []
    assert result.text == text.split("\n\n", 1)[1].strip()


# --- normalisation ---------------------------------------------------------------------------


def test_normalisation() -> None:
    text = (
        "Title here\r\n\r\nCaf\u0065\u0301 owners\u00a0said\u200b so.   \r\n \t \r\nNext  one.\r\n"
    )
    result = clean_text(text)
    assert result.title == "Title here"
    assert result.text == "Café owners said so.\n\nNext  one."


def test_hard_wrapped_paragraphs_are_joined() -> None:
    wrapped = (
        "The storm hit the coast on Tuesday, cutting power to thousands of\n"
        "homes across the region. Officials ordered evacuations in three towns\n"
        "and opened shelters in local schools, the mayor told reporters on\n"
        "Wednesday.\n\n"
        "Forecasters expect the storm to weaken by Thursday as it moves inland\n"
        "towards the mountains, where snow is likely."
    )
    result = clean_text(wrapped)
    assert len(lines(result)) == 2
    assert "Officials ordered evacuations in three towns and opened shelters" in result.text


def test_empty_and_junk_only() -> None:
    assert clean_text("").text == ""
    assert clean_text(" \n\u00a0\n\t").text == ""
    assert clean_text(page("Accept all", "Share")).text == ""


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=80), max_size=20))
def test_never_invents_words(paragraphs: list[str]) -> None:
    text = "\n\n".join(paragraphs)
    result = clean_text(text)
    assert result.text == result.text.strip()
    assert "\n\n\n" not in result.text
    source_words = set(normalize_text(text).split())
    assert set(result.text.split()) <= source_words
    if result.title is not None:
        assert set(result.title.split()) <= source_words


# --- derive_title ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "title"),
    [
        pytest.param("Storm hits coast\n\nBody.", "Storm hits coast", id="short-line"),
        pytest.param("The storm hit. Power is out.", "The storm hit", id="first-sentence"),
        pytest.param(
            "Russia launched its biggest attack of the year on Ukraine on Monday night.",
            "Russia launched its biggest attack of the year on Ukraine on Monday…",
            id="cut-to-12-words",
        ),
        pytest.param("\n\n  \n", "Untitled", id="empty"),
        pytest.param("Is it over? Nobody knows.", "Is it over?", id="question"),
    ],
)
def test_derive_title(text: str, title: str) -> None:
    assert derive_title(text) == title
