"""Short answers: candidate spans of a sentence, and the span the shipped model picks."""

import pytest
from fakes import HashEmbedder

from assistant.answer.features import analyse_question
from assistant.answer.reader import bundled_model
from assistant.answer.spans import (
    SPAN_FEATURES,
    candidate_spans,
    complete_date,
    complete_number,
)
from assistant.embeddings import OnnxEmbedder
from assistant.store.lexical import STOPWORDS


def flat(term: str) -> float:
    return 1.0


def spans_of(question: str, sentence: str, encoder: object) -> list[str]:
    q_tokens, s_tokens = encoder.token_vectors([question, sentence])  # type: ignore[attr-defined]
    spans = candidate_spans(analyse_question(question, flat), q_tokens, sentence, s_tokens)
    assert spans.features.shape == (len(spans.offsets), len(SPAN_FEATURES))
    return [sentence[a:b] for a, b in spans.offsets]


def test_candidates_are_verbatim_and_never_bounded_by_stopwords_or_punctuation() -> None:
    sentence = "Russia attacked with 71 missiles, as well as 450 drones, the air force said."
    found = spans_of("How many drones did Russia launch?", sentence, HashEmbedder())
    assert "450" in found and "450 drones" in found and "air force" in found
    for span in found:
        assert span in sentence
        words = span.split()
        assert words[0].lower() not in STOPWORDS and words[-1].lower() not in STOPWORDS
        assert span[0].isalnum() and (span[-1].isalnum() or span[-1] == "%")
        assert len(words) <= 8
    assert "Russia" not in found and "drones" not in found  # only words of the question


def test_a_sentence_of_question_words_only_has_no_candidates() -> None:
    assert spans_of("Did Russia attack?", "Russia attacked.", HashEmbedder()) == []
    assert spans_of("Anything?", "", HashEmbedder()) == []


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        pytest.param(
            "How many drones did Russia launch?",
            "Russia attacked with 71 missiles, as well as 450 drones, the air force said.",
            "450",
            id="how-many",
        ),
        pytest.param(
            "Who is the chief executive of the mining company?",
            "The mining company's chief executive, Anna Kowalska, said output would rise.",
            "Anna Kowalska",
            id="who",
        ),
        pytest.param(
            "When will the treaty expire?",
            "The treaty will expire on February 5 unless it is extended.",
            "February 5",
            id="when",
        ),
        pytest.param(
            "When will the treaty expire?",
            "The treaty, signed in 2010, will expire on February 5 unless it is extended.",
            "February 5",
            id="when-two-dates",
        ),
        pytest.param(
            "Which country did the envoy visit last week?",
            "The envoy visited the U.S. last week for talks on the ceasefire.",
            "U.S.",
            id="initialism",
        ),
        pytest.param(
            "In which year did the bridge open?",
            "The bridge finally opened to traffic in 1932 after years of delays.",
            "1932",
            id="which-year",
        ),
        pytest.param(
            "How much was the bank fined?",
            "The bank has agreed to pay a $1.5m fine to settle the case.",
            "$1.5m",
            id="how-much",
        ),
        pytest.param(
            "What percentage of homes lost power?",
            "Officials said 12% of homes lost power during the storm.",
            "12%",
            id="percentage",
        ),
    ],
)
def test_the_model_picks_the_asked_for_span(
    question: str, sentence: str, expected: str, onnx_embedder: OnnxEmbedder
) -> None:
    model = bundled_model()
    q_tokens, s_tokens = onnx_embedder.token_vectors([question, sentence])
    spans = candidate_spans(analyse_question(question, flat), q_tokens, sentence, s_tokens)
    best = int(model.span.scores(spans.features).argmax())
    a, b = spans.offsets[best]
    if analyse_question(question, flat).kind == "date":
        a, b = complete_date(sentence, a, b)
    assert sentence[a:b] == expected


@pytest.mark.parametrize(
    ("text", "span", "expected"),
    [
        pytest.param("It ends on February 5 unless", "February", "February 5", id="month-day"),
        pytest.param("It ends on February 5 unless", "5", "February 5", id="day-month"),
        pytest.param("released in May 2006.", "May", "May 2006", id="month-year"),
        pytest.param("on March 3, 2024 it", "March", "March 3, 2024", id="full"),
        pytest.param("in 1932 after", "1932", "1932", id="year-alone"),
        pytest.param("He may 5 times", "may", "may", id="not-a-month"),
    ],
)
def test_dates_are_completed(text: str, span: str, expected: str) -> None:
    start = text.index(span)
    a, b = complete_date(text, start, start + len(span))
    assert text[a:b] == expected


@pytest.mark.parametrize(
    ("text", "span", "expected"),
    [
        pytest.param("sank as low as minus 23C in Kharkiv", "23C", "minus 23C", id="minus-word"),
        pytest.param("falling below –20°C, in Kyiv", "20", "–20°C", id="en-dash-degrees"),
        pytest.param("a low of -5 °F overnight", "5", "-5 °F", id="hyphen-fahrenheit"),
        pytest.param("from 10-20 people", "20", "20", id="range-not-negative"),
        pytest.param("about 450 drones", "450", "450", id="plain"),
        pytest.param("the Minus Club", "Club", "Club", id="not-a-number"),
    ],
)
def test_numbers_keep_their_sign_and_degrees(text: str, span: str, expected: str) -> None:
    start = text.index(span)
    a, b = complete_number(text, start, start + len(span))
    assert text[a:b] == expected
