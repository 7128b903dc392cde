"""The pure parts of the eval: normalisation, facts, abstention, ALCE citations, comparison."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from assistant.evaluation.compare import compare
from assistant.evaluation.judges import LexicalJudge, numbers
from assistant.evaluation.metrics import (
    abstention_rates,
    aggregate,
    citation_quality,
    cited_sentences,
    exact_match,
    fact_recall,
    first_matching_sentence,
    forbidden_found,
    match_fact,
    match_facts,
    missing_facts,
    percentile,
    reliability,
    retrieval_hit,
    token_f1,
)
from assistant.evaluation.normalize import normalize, words_to_number
from assistant.evaluation.results import CaseResult, CitationCheck, Verdict

# Normalisation: the same fact written differently meets in one spelling


@pytest.mark.parametrize(
    ("answer", "fact"),
    [
        pytest.param("Seventy-one missiles", "71", id="number-word-hyphen"),
        pytest.param("seventy one missiles", "71", id="number-words-space"),
        pytest.param("Russia launched 71 missiles", "seventy-one", id="digits-vs-words"),
        pytest.param("twelve miners were killed", "12", id="twelve"),
        pytest.param("one hundred and twenty-five homes", "125", id="hundred-and"),
        pytest.param("1.5 million people", "1,500,000", id="million"),
        pytest.param("over 1,000 buildings", "1000", id="thousands-separator"),
        pytest.param("over 1000 buildings", "1,000", id="thousands-separator-in-fact"),
        pytest.param("12,000,000 euros", "12000000", id="two-separators"),
        pytest.param("Temperatures plunged to minus 19C", "minus 19C", id="unit-verbatim"),
        pytest.param("it was -19 °C in Kyiv", "minus 19C", id="unit-degree-sign"),
        pytest.param("minus 19 degrees Celsius", "minus 19C", id="unit-degrees-celsius"),
        pytest.param("\u221219C overnight", "minus 19C", id="unicode-minus"),
        pytest.param("below \u201320\u00b0C", "minus 20 Celsius", id="en-dash-degree"),
        pytest.param("\u2103 check: 5\u2103", "5 °C", id="nfkc-celsius-sign"),
        pytest.param("481 square kilometers", "481 km²", id="square-km"),
        pytest.param("tariffs of 18 percent", "18%", id="percent"),
        pytest.param("\u201cirresponsible\u201d", '"Irresponsible."', id="quotes-case-punct"),
        pytest.param("a four-year conflict", "four year", id="hyphenated-words"),
        pytest.param("the Normans", "Normans", id="articles-dropped"),
        pytest.param("T\u00fcrkiye", "Tu\u0308rkiye", id="nfkc-combining"),
    ],
)
def test_fact_matches_after_normalisation(answer: str, fact: str) -> None:
    assert match_fact(answer, [fact]).found, (normalize(answer), normalize(fact))


@pytest.mark.parametrize(
    ("answer", "fact"),
    [
        pytest.param("minus 19C in Kyiv", "19C", id="sign-matters"),
        pytest.param("71 missiles", "7", id="whole-numbers-only"),
        pytest.param("710 missiles", "71", id="no-number-prefix"),
        pytest.param("heating was cut", "heat", id="whole-words-only"),
        pytest.param("two three-bedroom flats", "23", id="numbers-stay-apart"),
        pytest.param("Russia attacked [1].", "1", id="citation-markers-ignored"),
    ],
)
def test_fact_does_not_match(answer: str, fact: str) -> None:
    assert not match_fact(answer, [fact]).found, (normalize(answer), normalize(fact))


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        pytest.param(["seventy", "one"], [71], id="tens-units"),
        pytest.param(["two", "three"], [2, 3], id="apart"),
        pytest.param(["two", "thousand", "and", "five"], [2005], id="thousand-and"),
        pytest.param(["three", "hundred", "million"], [300_000_000], id="hundred-million"),
        pytest.param(["twenty", "twenty"], [20, 20], id="tens-apart"),
    ],
)
def test_words_to_number(words: list[str], expected: list[int]) -> None:
    assert words_to_number(words) == expected


def test_normalize_example() -> None:
    assert normalize("Minus 19 degrees Celsius, hitting 1,000 homes!") == "-19 c hitting 1000 homes"


# Facts


def test_fact_recall_counts_each_fact_once_with_any_alternative() -> None:
    checks = match_facts(
        "Russia attacked with seventy-one missiles.", [["71", "seventy-one"], ["450"]]
    )
    assert [c.found for c in checks] == [True, False]
    assert checks[0].matched == "71"
    assert fact_recall(checks) == 0.5
    assert missing_facts(checks) == ["fact 2/2 missing: any of ['450']"]
    assert fact_recall([]) is None


def test_forbidden_strings_are_whole_words_case_insensitive() -> None:
    text = "Talks in Abu Dhabi agreed on little. Source(s): AFP. search trends"
    assert forbidden_found(text, ["I agree", "Source(s)", "Search Trends", "cookie"]) == [
        "Source(s)",
        "Search Trends",
    ]


# Abstention


def test_abstention_rates() -> None:
    rates = abstention_rates(
        answerable=[True, True, True, True, False, False],
        abstained=[False, True, False, False, True, False],
    )
    assert rates.refusal_rate == 0.5
    assert rates.false_refusal_rate == 0.25
    assert (rates.n_answerable, rates.n_unanswerable) == (4, 2)


def test_abstention_rates_without_unanswerable_cases() -> None:
    rates = abstention_rates([True], [False])
    assert rates.refusal_rate is None and rates.false_refusal_rate == 0.0
    with pytest.raises(ValueError):
        abstention_rates([True], [])


# Citations, ALCE style, with hand-made answers

PASSAGES = {
    1: "Russia attacked with 71 missiles, as well as 450 drones, the Ukrainian air force said.",
    2: "Five people were wounded in the capital, officials said.",
    3: "Overnight temperatures plunged to minus 19C in Kyiv.",
}


def lexical() -> LexicalJudge:
    return LexicalJudge()


def test_citation_recall_and_precision_all_supported() -> None:
    text = "Russia attacked with 71 missiles and 450 drones [1]. Five people were wounded [2]."
    check = citation_quality(cited_sentences(text, PASSAGES), lexical(), "lexical")
    assert check.recall == 1.0 and check.precision == 1.0 and check.n_citations == 2


def test_unsupported_and_uncited_sentences_lower_recall() -> None:
    text = (
        "Russia attacked with 90 missiles [1]. "  # wrong number: not supported
        "Five people were wounded [2]. "
        "Temperatures plunged to minus 19C in Kyiv overnight."  # no citation
    )
    check = citation_quality(cited_sentences(text, PASSAGES), lexical(), "lexical")
    assert check.recall == pytest.approx(1 / 3)
    assert check.precision == 0.5  # [1] supports nothing, [2] is needed
    first, second, third = check.sentences
    assert not first.supported and "90" in first.reason
    assert second.supported
    assert third.reason == "cites nothing" and third.citations == []


def test_a_citation_that_adds_nothing_lowers_precision() -> None:
    text = "Five people were wounded in the capital [2][3]."
    check = citation_quality(cited_sentences(text, PASSAGES), lexical(), "lexical")
    assert check.recall == 1.0
    assert check.precision == 0.5
    assert check.sentences[0].unneeded == [3]
    assert "[3] not needed" in check.sentences[0].reason


def test_two_citations_both_needed_for_a_combined_claim() -> None:
    text = "Russia fired 71 missiles and five people were wounded in the capital [1][2]."
    check = citation_quality(cited_sentences(text, PASSAGES), lexical(), "lexical")
    assert check.recall == 1.0 and check.precision == 1.0
    assert check.sentences[0].unneeded == []


def test_citation_quality_uses_the_judge_it_is_given() -> None:
    calls: list[tuple[str, tuple[str, ...]]] = []

    def never(claim: str, passages: Sequence[str]) -> Verdict:
        calls.append((claim, tuple(passages)))
        return Verdict(supported=False, reason="judge says no")

    check = citation_quality(cited_sentences("Five were wounded [2].", PASSAGES), never, "x")
    assert check.judge == "x" and check.recall == 0.0 and check.precision == 0.0
    assert calls == [("Five were wounded [2].", (PASSAGES[2],))]


def test_out_of_range_markers_cite_nothing() -> None:
    sentences = cited_sentences("Five people were wounded [7].", PASSAGES)
    assert sentences[0].passages == {}


def test_lexical_judge_requires_every_number() -> None:
    judge = LexicalJudge()
    assert judge("Russia fired seventy-one missiles.", [PASSAGES[1]]).supported
    verdict = judge("Russia fired 72 missiles.", [PASSAGES[1]])
    assert not verdict.supported and "72" in verdict.reason
    assert numbers("minus 19C and 1,000 homes") == {"-19", "1000"}


def test_lexical_judge_falls_back_to_embedding_similarity() -> None:
    def similar(claim: str, candidates: Sequence[str]) -> list[float]:
        return [0.9 for _ in candidates]

    claim = "Several officials were hurt downtown."
    assert not LexicalJudge()(claim, [PASSAGES[2]]).supported
    verdict = LexicalJudge(similar)(claim, [PASSAGES[2]])
    assert verdict.supported and "embedding" in verdict.reason


# Retrieval


def test_retrieval_hit_by_gold_article() -> None:
    hit, share, reason = retrieval_hit(["a", "b"], ["71 missiles", "x"], ["b"], [["71"]])
    assert hit is True and share == 1.0 and reason is None
    hit, _, reason = retrieval_hit(["a"], ["x"], ["b"], [["71"]])
    assert hit is False and reason is not None and "gold article" in reason


def test_retrieval_hit_by_facts_when_no_gold_article() -> None:
    hit, share, reason = retrieval_hit(["a"], ["seventy-one missiles", "no"], [], [["71"], ["450"]])
    assert hit is False and share == 0.5 and reason is not None and "450" in reason
    assert retrieval_hit(["a"], ["x"], [], []) == (None, None, None)


# Aggregates and comparison


def test_percentile_interpolates() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([5.0], 0.95) == 5.0
    assert percentile([], 0.5) is None


def case(id: str, **values: object) -> CaseResult:
    return CaseResult.model_validate({"id": id, "kind": "qa", "prompt": id, **values})


def test_aggregate_headline_metrics() -> None:
    cases = [
        case("a", correct=True, fact_recall=1.0, retrieved=True, latency_s=0.1),
        case("b", correct=False, fact_recall=0.5, retrieved=False, latency_s=0.3),
        case("c", correct=False, abstained=True, fact_recall=0.0, latency_s=0.2),
        case("d", answerable=False, abstained=True, correct=True, latency_s=0.2),
        case(
            "e",
            answerable=False,
            correct=False,
            latency_s=0.2,
            citations=[CitationCheck(judge="lexical", recall=0.5, precision=1.0)],
        ),
    ]
    m = aggregate(cases)
    assert m["accuracy"] == 0.4
    assert m["fact_recall"] == 0.5
    assert m["all_facts"] == pytest.approx(0.3333, abs=1e-4)
    assert m["refusal_rate"] == 0.5
    assert m["false_refusal_rate"] == pytest.approx(0.3333, abs=1e-4)
    assert m["retrieval_recall"] == 0.5  # c has no retrieval result
    assert m["citation_recall"] == 0.5 and m["citation_precision"] == 1.0
    assert m["latency_p50_s"] == 0.2
    assert m["summary_fact_recall"] is None


def test_compare_flags_regressions_beyond_tolerance() -> None:
    baseline = {"accuracy": 0.90, "fact_recall": 0.90, "false_refusal_rate": 0.05}
    current = {"accuracy": 0.89, "fact_recall": 0.85, "false_refusal_rate": 0.10}
    result = compare(current, baseline, tolerance=0.02)
    assert [r.metric for r in result.regressions] == ["fact_recall", "false_refusal_rate"]
    assert "fell from 0.900 to 0.850" in result.regressions[0].reason
    assert "rose" in result.regressions[1].reason
    assert result.deltas["accuracy"] == -0.01
    assert not result.ok


def test_compare_improvements_and_equal_runs_pass() -> None:
    baseline = {"accuracy": 0.80, "false_refusal_rate": 0.10}
    assert compare({"accuracy": 0.95, "false_refusal_rate": 0.0}, baseline).ok
    assert compare(baseline, baseline, tolerance=0.0).ok


def test_compare_missing_and_new_metrics() -> None:
    result = compare({"refusal_rate": 0.5}, {"accuracy": 0.8})
    assert [r.metric for r in result.regressions] == ["accuracy"]
    assert "missing" in result.regressions[0].reason
    assert result.notes == ["refusal_rate is new: 0.500"]


@pytest.mark.parametrize(
    ("prediction", "golds", "em", "f1"),
    [
        pytest.param("the Dnieper", ["Dnieper"], 1.0, 1.0, id="article-ignored"),
        pytest.param("450 drones", ["about 450 drones"], 0.0, 0.8, id="partial"),
        pytest.param("Paris", ["London", "paris!"], 1.0, 1.0, id="any-gold"),
        pytest.param("", ["x"], 0.0, 0.0, id="empty"),
        pytest.param("450 drones", ["450"], 0.0, 2 / 3, id="longer"),
        pytest.param("Paris", ["London", "Paris, France"], 0.0, 2 / 3, id="best-alternative"),
        pytest.param("the", ["a"], 1.0, 1.0, id="only-articles"),
    ],
)
def test_squad_short_answer_scores(prediction: str, golds: list[str], em: float, f1: float) -> None:
    assert exact_match(prediction, golds) == em
    assert token_f1(prediction, golds) == pytest.approx(f1)


def test_reliability_bins_and_calibration_error() -> None:
    bins, ece = reliability([0.95, 0.95, 0.55, 0.15], [True, False, True, False])
    filled = [b for b in bins if b.count]
    assert [(b.low, b.count, b.accuracy) for b in filled] == [
        (0.1, 1, 0.0),
        (0.5, 1, 1.0),
        (0.9, 2, 0.5),
    ]
    assert ece == pytest.approx((0.15 + 0.45 + 2 * 0.45) / 4)


def test_the_first_matching_sentence_baseline() -> None:
    passages = ["Markets rose. Russia fired 71 missiles overnight. Talks begin.", "Other text."]
    assert first_matching_sentence("How many missiles?", passages) == (
        "Russia fired 71 missiles overnight."
    )
    assert first_matching_sentence("Who won the cup?", passages) == "Markets rose."
    assert first_matching_sentence("Anything?", []) == ""
