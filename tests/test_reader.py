"""The learned reader: question parts, answer composition, and the engine end to end."""

from pathlib import Path

import numpy as np
import pytest
from fakes import HashEmbedder

from assistant.answer.citations import answer_sentences
from assistant.answer.engines import ENGINES
from assistant.answer.features import Sentence, analyse_question
from assistant.answer.reader import (
    Reading,
    SpanChoice,
    bundled_encoder,
    bundled_model,
    compose,
    leads_with_span,
    question_parts,
    token_encoder,
)
from assistant.api import Assistant
from assistant.config import Settings
from assistant.embeddings import OnnxEmbedder
from assistant.models import NO_ANSWER


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        pytest.param("Who founded it, and in which year?", 2, id="comma-and-in-which"),
        pytest.param("How much did they pay and who brought the charges?", 2, id="and-who"),
        pytest.param("What is the EP called, and when is it due out?", 2, id="and-when"),
        pytest.param("How many missiles and drones did Russia launch?", 1, id="one-thing"),
        pytest.param("Who won?", 1, id="plain"),
    ],
)
def test_question_parts(question: str, parts: int) -> None:
    assert len(question_parts(question)) == parts


@pytest.mark.parametrize(
    ("question", "kind", "leads"),
    [
        pytest.param("How many drones?", "number", True, id="typed"),
        pytest.param("What is the new EP called?", None, True, id="called"),
        pytest.param("What is the name of the band?", None, True, id="name"),
        pytest.param("Why did the talks fail?", None, False, id="why"),
    ],
)
def test_which_answers_lead_with_the_short_answer(
    question: str, kind: str | None, leads: bool
) -> None:
    assert leads_with_span(question, kind) is leads


def reading(question: str, texts: list[str], probability: float) -> Reading:
    sentences = [
        Sentence(source=i + 1, article_id="a", start=0, end=len(t), text=t, rank=i, score=-i)
        for i, t in enumerate(texts)
    ]
    analysis = analyse_question(question, lambda term: 1.0)
    probabilities = np.asarray([0.7, 0.3][: len(texts)])
    result = Reading(analysis, sentences, sentences, probabilities, None)
    result.probability = probability
    first = texts[0]
    start = next((i for i, ch in enumerate(first) if ch.isdigit()), 0)
    result.spans = {0: SpanChoice(start, first.index(" ", start), 1.0)}
    return result


def test_compose_leads_with_the_span_then_quotes_and_cites() -> None:
    text = "Russia attacked with 450 drones, the air force said."
    question = "How many drones did Russia launch?"
    result = compose(reading(question, [text], 0.8), bundled_model(), question, 0.5)
    assert result.text == f'450 drones — "{text}" [1]'
    assert result.short_answer == "450" and not result.abstained and result.confidence == 0.8


def test_a_sentence_holding_straight_quotes_is_quoted_in_curly_ones() -> None:
    text = '"Hundreds of families were left without heat," he added.'
    question = "How many families were left without heat?"
    r = reading(question, [text], 0.8)
    r.spans = {0: SpanChoice(1, 9, 1.0)}
    result = compose(r, bundled_model(), question, 0.5)
    assert result.text == f"Hundreds — “{text}” [1]"


@pytest.mark.parametrize(
    ("question", "text", "span", "lead"),
    [
        pytest.param(
            "What is the event called?",
            'They are often called "blood moons" due to the colour.',
            "blood moons",
            "blood moons",
            id="quoted-name",
        ),
        pytest.param(
            "What is the event called?",
            "Total eclipses are often called blood moons due to the colour.",
            "due",
            None,
            id="lowercase-word-for-a-name",
        ),
        pytest.param(
            "Who sent the troops?",
            "The U.S. sent troops on Monday.",
            "S",
            None,
            id="letter-of-an-abbreviation",
        ),
        pytest.param(
            "How many families left?",
            "Families left on Monday, officials said.",
            "Monday",
            None,
            id="no-number-for-how-many",
        ),
        pytest.param(
            "How long did the siege last?",
            "The siege began on 4 August 1915 and ended in spring.",
            "4",
            None,
            id="day-of-a-date-for-how-long",
        ),
        pytest.param(
            "Where did rescuers search?",
            "Rescuers searched the hillside on Tuesday.",
            "Tuesday",
            None,
            id="weekday-for-where",
        ),
        pytest.param(
            "How long did the siege last?",
            "The siege lasted 4 months before the town fell.",
            "4",
            "4",
            id="a-count-still-leads",
        ),
    ],
)
def test_an_answer_leads_only_with_a_span_of_the_kind_asked(
    question: str, text: str, span: str, lead: str | None
) -> None:
    r = reading(question, [text], 0.8)
    start = text.index(span) if span != "S" else text.index("S.")
    r.spans = {0: SpanChoice(start, start + len(span), 1.0)}
    result = compose(r, bundled_model(), question, 0.5)
    opening, closing = ("“", "”") if '"' in text else ('"', '"')
    assert result.text == (f"{lead} — {opening}{text}{closing} [1]" if lead else f"{text} [1]")


def test_a_quote_without_a_full_stop_ends_its_line() -> None:
    texts = ["It had 450 drones, a photo shows. /Reuters", "Another 38 were shot down."]
    result = compose(reading("How many drones?", texts, 0.6), bundled_model(), "How many drones?")
    assert result.text == f'450 drones — "{texts[0]}" [1]\nAnother 38 were shot down. [2]'
    assert answer_sentences(result.text) == result.text.split("\n")


def test_compose_abstains_below_the_threshold_with_the_probability() -> None:
    r = reading("How many drones?", ["It had 450 drones."], 0.2)
    result = compose(r, bundled_model(), "How many drones?", 0.5)
    assert result.abstained and result.text == NO_ANSWER and result.confidence == 0.2


def test_compose_adds_a_close_runner_up_from_the_same_article_without_a_lead() -> None:
    texts = ["It had 450 drones.", "Another 38 were shot down."]
    result = compose(reading("How many drones?", texts, 0.6), bundled_model(), "How many drones?")
    assert result.text == '450 drones — "It had 450 drones." [1] Another 38 were shot down. [2]'


def test_the_bundled_model_gives_the_encoder_to_other_embedders() -> None:
    embedder = bundled_encoder()
    assert token_encoder(embedder) is embedder
    assert token_encoder(HashEmbedder()) is embedder


# End to end on the bundled samples (real ONNX, chromadb on disk)


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory, onnx_embedder: OnnxEmbedder) -> Assistant:
    home: Path = tmp_path_factory.mktemp("reader-home")
    assistant = Assistant(Settings(home=home, _env_file=None), embedder=onnx_embedder)  # type: ignore[call-arg]
    assert assistant.ingest_samples().ok
    return assistant


def test_a_number_question_leads_with_the_number_and_cites_its_sentence(
    offline: Assistant,
) -> None:
    answer = offline.ask("How many missiles did Russia launch?")
    assert answer.engine == "extractive" and not answer.abstained
    assert answer.text.startswith('71 missiles — "Russia attacked with 71 missiles')
    assert answer.short_answer == "71"
    assert answer.confidence is not None and 0.0 <= answer.confidence <= 1.0
    assert answer.flags == [] and answer.citations
    assert all(c.quote in answer.text for c in answer.citations)


def test_a_person_question_leads_with_the_name(offline: Assistant) -> None:
    answer = offline.ask("Who is the CEO of DTEK?")
    assert answer.text.startswith("Maxim Timchenko — ")
    assert answer.short_answer == "Maxim Timchenko"


def test_a_question_asking_two_numbers_leads_with_both(offline: Assistant) -> None:
    question = "How many missiles and how many drones did Russia launch?"
    answer = offline.ask(question, min_confidence=0.0)
    assert answer.text.startswith('71 missiles; 450 drones — "Russia attacked with 71 missiles')
    assert answer.flags == [] and {c.verdict for c in answer.citations} == {"supported"}


def test_a_question_the_articles_cannot_answer_is_refused_with_a_low_probability(
    offline: Assistant,
) -> None:
    answer = offline.ask("Who won the 2018 FIFA World Cup?")
    assert answer.abstained and answer.text == NO_ANSWER and answer.short_answer is None
    assert answer.confidence is not None
    assert 0.0 <= answer.confidence < bundled_model().threshold


def test_min_confidence_overrides_the_model_threshold(offline: Assistant) -> None:
    question = "Who won the 2018 FIFA World Cup?"
    assert not offline.ask(question, min_confidence=0.0).abstained
    assert offline.ask("How many missiles did Russia launch?", min_confidence=1.0).abstained


def test_the_old_engine_stays_available_as_heuristic(offline: Assistant) -> None:
    answer = offline.ask("How many missiles did Russia launch?", engine="heuristic")
    assert answer.engine == "heuristic" and "71" in answer.text
    assert "heuristic" in ENGINES.names() and "extractive" in ENGINES.names()


def test_a_library_of_another_embedder_reads_with_the_bundled_token_vectors(
    settings: Settings, hash_embedder: HashEmbedder
) -> None:
    assistant = Assistant(settings, embedder=hash_embedder)
    assistant.ingest_samples()
    answer = assistant.ask("How many missiles did Russia launch?", min_confidence=0.0)
    assert not answer.abstained and answer.citations
    assert answer.confidence is not None and 0.0 <= answer.confidence <= 1.0
