import pytest

from assistant.answer.citations import (
    answer_sentences,
    check_citations,
    is_abstention,
    lexical_support,
    number_sources,
    split_citations,
    strip_markers,
)
from assistant.models import NO_ANSWER, Article, Chunk, FlagKind, Hit, sha256_hex

TEXT = (
    "Russia attacked with 71 missiles, as well as 450 drones, the air force said. "
    "Ukraine said it intercepted 38 missiles.\n\n"
    "Temperatures fell to minus 19C in Kyiv. Heating was cut to 800 homes in Kharkiv."
)


def article() -> Article:
    return Article(
        id="art1", source="/news/a.txt", title="Strikes", text=TEXT, content_hash=sha256_hex(TEXT)
    )


def sources():  # type: ignore[no-untyped-def]
    first_end = TEXT.index("\n\n")
    chunks = [
        Chunk(
            id="c1",
            article_id="art1",
            index=0,
            text=TEXT[:first_end],
            start=0,
            end=first_end,
            n_tokens=30,
        ),
        Chunk(
            id="c2",
            article_id="art1",
            index=1,
            text=TEXT[first_end + 2 :],
            start=first_end + 2,
            end=len(TEXT),
            n_tokens=20,
        ),
    ]
    hits = [Hit(chunk=c, score=1.0) for c in chunks]
    return number_sources(hits, {"art1": article()})


@pytest.mark.parametrize(
    ("text", "valid", "invalid"),
    [
        pytest.param("Paris [1].", [1], [], id="one"),
        pytest.param("A [1][2]. B [3].", [1, 2], [3], id="out-of-range"),
        pytest.param("Zero [0].", [], [0], id="zero-index"),
        pytest.param("No markers.", [], [], id="none"),
        pytest.param("Year [2024] is not a marker range", [], [2024], id="big-number"),
    ],
)
def test_split_citations(text: str, valid: list[int], invalid: list[int]) -> None:
    assert split_citations(text, 2) == (valid, invalid)


def test_strip_markers_and_abstention() -> None:
    assert strip_markers("Kyiv froze [1] [2].") == "Kyiv froze."
    assert is_abstention(NO_ANSWER)
    assert is_abstention(f'"{NO_ANSWER}"')
    assert not is_abstention("Kyiv froze [1].")


def test_answer_sentences_keep_trailing_markers() -> None:
    assert answer_sentences("Kyiv froze. [1] Kharkiv too. [2][3]") == [
        "Kyiv froze. [1]",
        "Kharkiv too. [2][3]",
    ]
    assert answer_sentences("Kyiv froze [1]. Kharkiv too [2].") == [
        "Kyiv froze [1].",
        "Kharkiv too [2].",
    ]


def test_lexical_support() -> None:
    assert (
        lexical_support("Russia fired 71 missiles [1].", "Russia attacked with 71 missiles.") > 0.6
    )
    assert lexical_support("Paris is in France.", "Russia attacked with 71 missiles.") == 0.0


def test_each_citation_points_at_the_exact_sentence() -> None:
    text = "Russia fired 71 missiles [1]. Heating was cut to 800 homes [2]."
    checked = check_citations(text, sources(), {"art1": article()})
    assert checked.invalid == [] and checked.flags == []
    first, second = checked.citations
    assert (
        first.quote
        == "Russia attacked with 71 missiles, as well as 450 drones, the air force said."
    )
    assert TEXT[first.start : first.end] == first.quote
    assert second.quote == "Heating was cut to 800 homes in Kharkiv."
    assert TEXT[second.start : second.end] == second.quote
    assert (first.number, second.number) == (1, 2) and first.sentence == 0 and second.sentence == 1
    assert first.title == "Strikes" and first.chunk_id == "c1"
    assert first.verdict == second.verdict == "supported"


def test_invalid_uncited_and_unfound_are_flagged_not_dropped() -> None:
    text = (
        "Russia fired 71 missiles [7]. "
        "Officials praised the weather service for its forecasts. "
        "The mayor resigned over a scandal [2]."
    )
    checked = check_citations(text, sources(), {"art1": article()})
    assert checked.invalid == [7]
    kinds = [(f.kind, f.sentence) for f in checked.flags]
    assert (FlagKind.INVALID_CITATION, 0) in kinds
    assert (FlagKind.UNCITED, 1) in kinds
    assert (FlagKind.NOT_FOUND, 2) in kinds
    [citation] = checked.citations
    assert citation.verdict == "not_found" and citation.support < 0.5


@pytest.mark.parametrize(
    ("text", "kind", "reason"),
    [
        pytest.param(
            "Russia attacked with 17 missiles [1].",
            "number",
            "17 is not in [1], which says 71",
            id="number",
        ),
        pytest.param(
            "Ukraine attacked Russia with 71 missiles [1].",
            "role",
            "'Russia attacked'",
            id="roles-swapped",
        ),
    ],
)
def test_a_changed_fact_is_contradicted_with_its_reason(text: str, kind: str, reason: str) -> None:
    checked = check_citations(text, sources(), {"art1": article()})
    [flag] = checked.flags
    assert flag.kind is FlagKind.CONTRADICTED and reason in flag.detail
    assert checked.citations[0].verdict == "contradicted" and reason in checked.citations[0].reason
    assert [c.kind for c in checked.claims] == [kind]


def test_other_marker_styles_are_read_as_numbers() -> None:
    checked = check_citations(
        "Russia attacked with 71 missiles [Source 1]. Heating was cut to 800 homes 【2】.",
        sources(),
        {"art1": article()},
    )
    assert checked.text == (
        "Russia attacked with 71 missiles [1]. Heating was cut to 800 homes [2]."
    )
    assert [c.number for c in checked.citations] == [1, 2] and checked.flags == []


def test_an_unreadable_marker_is_flagged_not_dropped() -> None:
    checked = check_citations(
        "Russia attacked with 71 missiles [Source A].", sources(), {"art1": article()}
    )
    assert FlagKind.UNKNOWN_CITATION in {f.kind for f in checked.flags}
    assert "[Source A]" in checked.text


def test_answer_without_any_valid_citation_is_flagged() -> None:
    checked = check_citations("Russia fired many missiles.", sources(), {"art1": article()})
    assert FlagKind.NO_VALID_CITATION in {f.kind for f in checked.flags}


def test_abstention_needs_no_citation() -> None:
    checked = check_citations(NO_ANSWER, sources(), {"art1": article()})
    assert (checked.citations, checked.invalid, checked.flags) == ([], [], [])


def test_similarity_can_rescue_a_paraphrase() -> None:
    text = "The cold was severe in the capital [2]."

    def similarity(claim: str, candidates: list[str]) -> list[float]:
        return [0.9 if "minus 19C" in c else 0.1 for c in candidates]

    checked = check_citations(text, sources(), {"art1": article()}, similarity=similarity)
    assert checked.citations[0].quote == "Temperatures fell to minus 19C in Kyiv."
    assert checked.citations[0].support == 0.9
