import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.answer.markers import parse_markers

# A corpus of replies in the styles models write, good and bad: (reply, number of sources,
# cited numbers per sentence, out-of-range numbers, unreadable markers).
CORPUS = [
    pytest.param(
        "Russia launched 71 missiles overnight [1]. Ukraine shot down 30 of them [2].",
        2,
        [[1], [2]],
        [],
        [],
        id="plain",
    ),
    pytest.param(
        "Power cuts hit Kyiv and Kharkiv [1][2]. Temperatures fell to minus 19C [2].",
        2,
        [[1, 2], [2]],
        [],
        [],
        id="adjacent",
    ),
    pytest.param(
        "The attack was the largest this year [1, 3].", 3, [[1, 3]], [], [], id="comma-list"
    ),
    pytest.param("Several outlets reported it [1-3].", 3, [[1, 2, 3]], [], [], id="range-hyphen"),
    pytest.param("Several outlets reported it [1–3].", 3, [[1, 2, 3]], [], [], id="range-en-dash"),
    pytest.param(
        "The central bank held rates at 4.75% [Source 2].", 2, [[2]], [], [], id="source-word"
    ),
    pytest.param("Inflation rose to 3.1% [source: 1].", 2, [[1]], [], [], id="source-colon"),
    pytest.param(
        "Both papers give the same date [Sources 1 and 2].", 2, [[1, 2]], [], [], id="sources-and"
    ),
    pytest.param(
        "Both papers give the same date [Source 1][Source 2].",
        2,
        [[1, 2]],
        [],
        [],
        id="source-twice",
    ),
    pytest.param("The merger was approved [Doc 2].", 2, [[2]], [], [], id="doc-word"),
    pytest.param(
        "The company cut 300 jobs【1】. Shares fell 5%【2†source】.",
        2,
        [[1], [2]],
        [],
        [],
        id="lenticular",
    ),
    pytest.param("Shares fell 5%【3†L10-L12】.", 3, [[3]], [], [], id="lenticular-lines"),
    pytest.param(
        "The match ended 2-1 (1). Chelsea are now top of the league (2).",
        2,
        [[1], [2]],
        [],
        [],
        id="parentheses",
    ),
    pytest.param(
        "Rates were held (1, 2), the bank said.", 2, [[1, 2]], [], [], id="parentheses-list"
    ),
    pytest.param(
        "Three things happened:\n(1) rates rose [1];\n(2) shares fell [2];\n(3) the pound fell [2]",
        3,
        [[], [1], [2], [2]],
        [],
        [],
        id="list-numbering",
    ),
    pytest.param(
        "The treaty (2019) was signed in Paris, and it changed in (2022).",
        3,
        [[]],
        [],
        [],
        id="years-in-parentheses",
    ),
    pytest.param("He scored twice (7).", 3, [[]], [], [], id="parentheses-out-of-range"),
    pytest.param(
        "Prices rose 3%^1 and wages rose 2%^2.", 2, [[1, 2]], [], [], id="caret-footnotes"
    ),
    pytest.param(
        "Prices rose 3%.[^1] Wages rose 2%.[^2]\n\n[^1]: Source 2\n[^2]: Source 1",
        2,
        [[2], [1]],
        [],
        [],
        id="footnote-section",
    ),
    pytest.param("Prices rose 3%.[^1]", 2, [[1]], [], [], id="footnote-without-section"),
    pytest.param(
        "Prices rose.[^a]\n\n[^a]: BBC News, 3 February",
        2,
        [[]],
        [],
        ["[^a]: BBC News, 3 February", "[^a]"],
        id="footnote-unmapped",
    ),
    pytest.param("**Key point:** rates were held **[1]**.", 2, [[1]], [], [], id="bold-marker"),
    pytest.param(
        "- Rates held at 4.75% [1]\n- The pound fell 0.5% [2]\n* Gilts rallied [2]",
        2,
        [[1], [2], [2]],
        [],
        [],
        id="bullets",
    ),
    pytest.param(
        "1. Rates held [1]\n2. The pound fell [2]", 2, [[1], [2]], [], [], id="numbered-list"
    ),
    pytest.param(
        'The minister said the plan was "dead in the water" [2].',
        2,
        [[2]],
        [],
        [],
        id="quote-then-marker",
    ),
    pytest.param(
        '"We will not back down," the union said [1]. "Never," it added [2].',
        2,
        [[1], [2]],
        [],
        [],
        id="quotes",
    ),
    pytest.param("Growth slowed to 0.1% [4].", 3, [[]], [4], [], id="out-of-range"),
    pytest.param("Growth slowed [0].", 3, [[]], [0], [], id="zero-index"),
    pytest.param("Both agree on it [2][5].", 3, [[2]], [5], [], id="valid-and-invalid"),
    pytest.param("Growth slowed [Source A].", 3, [[]], [], ["[Source A]"], id="source-letter"),
    pytest.param(
        "Growth slowed [citation needed].", 3, [[]], [], ["[citation needed]"], id="wiki-style"
    ),
    pytest.param(
        "Growth slowed (Source: Reuters).", 3, [[]], [], ["(Source: Reuters)"], id="named-source"
    ),
    pytest.param("Growth slowed {2}.", 3, [[]], [], ["{2}"], id="curly"),
    pytest.param("Growth slowed [1a].", 3, [[]], [], ["[1a]"], id="lettered"),
    pytest.param("Growth slowed [1-100].", 3, [[]], [], ["[1-100]"], id="range-too-wide"),
    pytest.param("I could not find this in the sources.", 3, [[]], [], [], id="no-citation"),
    pytest.param(
        "Growth slowed [1].\n\nSources:\n[1] BBC News - Economy\n[2] Reuters",
        2,
        [[1]],
        [],
        [],
        id="sources-section",
    ),
    pytest.param(
        "Growth slowed [1].\n\n**References:**\n1. BBC News\n2. Reuters",
        2,
        [[1]],
        [],
        [],
        id="references-section",
    ),
    pytest.param("Growth slowed.[1] Rates held.[2]", 2, [[1], [2]], [], [], id="after-period"),
    pytest.param("Growth slowed¹. Rates held².", 2, [[1], [2]], [], [], id="superscript"),
    pytest.param("The flat is 80m² and costs £2 per ft². [1]", 2, [[1]], [], [], id="squared"),
    pytest.param(
        "Growth slowed<sup>1</sup>. Rates held<sup>2,3</sup>.",
        3,
        [[1], [2, 3]],
        [],
        [],
        id="html-sup",
    ),
    pytest.param("Growth slowed [ 1 ].", 2, [[1]], [], [], id="spaces-inside"),
    pytest.param("Rates held (Source 2).", 2, [[2]], [], [], id="parenthesised-source"),
    pytest.param("Rates held [1], [2].", 2, [[1, 2]], [], [], id="separate-groups"),
    pytest.param("Rates held [1][1].", 2, [[1]], [], [], id="repeated"),
    pytest.param("As reported in [2], the deal collapsed.", 2, [[2]], [], [], id="marker-as-noun"),
    pytest.param("Rates held.\n[1][2]", 2, [[1, 2]], [], [], id="markers-on-own-line"),
    pytest.param(
        "Notes: the figures are provisional [1].", 2, [[1]], [], [], id="notes-word-in-answer"
    ),
    pytest.param(
        "Rates held [1]. Rates held [1]. Shares fell [3][2].",
        3,
        [[1], [1], [3, 2]],
        [],
        [],
        id="order-kept",
    ),
]


@pytest.mark.parametrize(("reply", "n_sources", "per_sentence", "invalid", "unknown"), CORPUS)
def test_corpus(
    reply: str,
    n_sources: int,
    per_sentence: list[list[int]],
    invalid: list[int],
    unknown: list[str],
) -> None:
    parsed = parse_markers(reply, n_sources)
    assert [s.cited for s in parsed.sentences] == per_sentence
    assert parsed.invalid == invalid
    assert parsed.unknown == unknown


@pytest.mark.parametrize(
    ("reply", "n_sources", "text"),
    [
        pytest.param(
            "Russia fired 71 missiles [Source 1, 2]. Kyiv lost power (3).",
            3,
            "Russia fired 71 missiles [1][2]. Kyiv lost power [3].",
            id="mixed",
        ),
        pytest.param("It rose [1–3].", 3, "It rose [1][2][3].", id="range"),
        pytest.param("It rose **[1]**.", 3, "It rose [1].", id="bold"),
        pytest.param("It rose【2†source】.", 3, "It rose[2].", id="lenticular"),
        pytest.param("It rose [7].", 3, "It rose [7].", id="invalid-kept"),
        pytest.param("It rose [Source A].", 3, "It rose [Source A].", id="unknown-kept"),
        pytest.param(
            "It rose.[^1]\n\n[^1]: Source 2", 3, "It rose.[2]", id="footnote-section-removed"
        ),
        pytest.param("It (2019) rose.", 3, "It (2019) rose.", id="year-untouched"),
    ],
)
def test_normalised_text(reply: str, n_sources: int, text: str) -> None:
    assert parse_markers(reply, n_sources).text == text


def test_cited_in_order_of_first_appearance() -> None:
    parsed = parse_markers("A [3]. B [1][3]. C [9]. D [2].", 3)
    assert parsed.cited == [3, 1, 2]
    assert parsed.invalid == [9]
    assert parsed.sentences[2].invalid == [9]


def test_footnote_mapping_reported() -> None:
    parsed = parse_markers("A.[^x] B.[^y]\n\n[^x]: [3] BBC\n[^y]: source 1", 3)
    assert parsed.footnotes == {"x": 3, "y": 1}
    assert parsed.cited == [3, 1]


def test_bullet_marks_leave_the_sentence_text() -> None:
    parsed = parse_markers("- Rates held at 4.75% [1]\n- The pound fell [2]", 2)
    assert [s.text for s in parsed.sentences] == ["Rates held at 4.75% [1]", "The pound fell [2]"]


@given(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=4))
def test_normalised_markers_read_back_the_same(numbers: list[int]) -> None:
    styles = [
        "".join(f"[{n}]" for n in numbers),
        "[" + ", ".join(str(n) for n in numbers) + "]",
        "[Sources " + ", ".join(str(n) for n in numbers) + "]",
    ]
    for style in styles:
        first = parse_markers(f"Prices rose {style}. Wages fell.", 5)
        again = parse_markers(first.text, 5)
        assert first.cited == list(dict.fromkeys(numbers))
        assert again.text == first.text
        assert again.cited == first.cited
