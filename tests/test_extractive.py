import dataclasses

import pytest
from fakes import HashEmbedder

from assistant.answer.citations import number_sources
from assistant.answer.extractive import (
    FEATURES,
    ExtractiveConfig,
    ExtractiveEngine,
    asking_clause,
    expected_type,
    fold,
    has_type,
    named_terms,
    question_terms,
)
from assistant.models import NO_ANSWER, Article, Chunk, Hit, Source, sha256_hex

TEXT = (
    "Russia attacked with 71 missiles, as well as 450 drones, the air force said. "
    "Ukraine said it intercepted 38 missiles.\n\n"
    "Overnight temperatures plunged to minus 19C in Kyiv and sank as low as minus 23C in "
    "Kharkiv. Heating was cut to 800 homes in Kharkiv. Maxim Timchenko is the CEO of DTEK."
)


def article() -> Article:
    return Article(
        id="art1",
        source="/news/strikes.txt",
        title="Russia launches biggest attack",
        text=TEXT,
        content_hash=sha256_hex(TEXT),
    )


def sources() -> list[Source]:
    cut = TEXT.index("\n\n")
    chunks = [
        Chunk(id="c1", article_id="art1", index=0, text=TEXT[:cut], start=0, end=cut, n_tokens=30),
        Chunk(
            id="c2",
            article_id="art1",
            index=1,
            text=TEXT[cut + 2 :],
            start=cut + 2,
            end=len(TEXT),
            n_tokens=40,
        ),
    ]
    hits = [Hit(chunk=c, score=1.0, dense=0.5) for c in chunks]
    return number_sources(hits, {"art1": article()})


def ask(
    question: str, config: ExtractiveConfig | None = None, embedder: HashEmbedder | None = None
):  # type: ignore[no-untyped-def]
    engine = ExtractiveEngine(embedder or HashEmbedder(), config)
    return engine.answer(question, sources(), {"art1": article()})


# Answer types


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        pytest.param("How many missiles did Russia launch?", "number", id="how-many"),
        pytest.param("How cold did it get in Kharkiv?", "measure", id="how-cold"),
        pytest.param("How tall is the monument?", "measure", id="how-tall"),
        pytest.param("How much land did Russia seize?", "number", id="how-much"),
        pytest.param("What percentage of homes lost heat?", "number", id="what-percentage"),
        pytest.param("How long did the attack last?", "duration", id="how-long"),
        pytest.param("What year was the treaty signed?", "date", id="what-year"),
        pytest.param("When does the treaty expire?", "date", id="when"),
        pytest.param("Who is the CEO of DTEK?", "person", id="who"),
        pytest.param("Which company runs the mine?", "person", id="which-company"),
        pytest.param("Where were the talks held?", "place", id="where"),
        pytest.param("Which city was hit hardest?", "place", id="which-city"),
        pytest.param("What did the ministry say?", None, id="open"),
        pytest.param("When a force acts on a body, what happens?", None, id="when-clause"),
    ],
)
def test_expected_type(question: str, kind: str | None) -> None:
    assert expected_type(question) == kind


def test_the_asking_clause_follows_a_leading_condition() -> None:
    assert asking_clause("When a body moves, who measures it?").strip() == "who measures it?"
    assert asking_clause("Who said that, in the end, it failed?") == (
        "Who said that, in the end, it failed?"
    )


@pytest.mark.parametrize(
    ("sentence", "kind", "question", "expected"),
    [
        pytest.param(
            "It sank to minus 23C in Kharkiv.", "number", "How cold was it?", 1.0, id="23C"
        ),
        pytest.param(
            "Russia fired 71 missiles.", "number", "Were 71 missiles fired?", 0.0, id="asked"
        ),
        pytest.param("Nothing was counted.", "number", "How many?", 0.0, id="no-number"),
        pytest.param("It is 828 metres tall.", "measure", "How tall is it?", 1.0, id="metres"),
        pytest.param("It fell to -20°C.", "measure", "How cold was it?", 1.0, id="celsius"),
        pytest.param("Built in 2010.", "measure", "How tall is it?", 0.5, id="no-unit"),
        pytest.param("It was signed in 2010.", "date", "When was it signed?", 1.0, id="year"),
        pytest.param("The war lasted four years.", "duration", "How long?", 1.0, id="duration"),
        pytest.param("The four-year war went on.", "duration", "How long?", 1.0, id="hyphen"),
        pytest.param("It was led by Maxim Timchenko.", "person", "Who led it?", 1.0, id="name"),
        pytest.param("It was led by the board.", "person", "Who led it?", 0.0, id="no-name"),
        pytest.param("Heat comes from power plants.", "place", "Where from?", 0.5, id="place-soft"),
        pytest.param("Anything at all.", None, "What?", 0.5, id="untyped"),
    ],
)
def test_has_type(sentence: str, kind: str | None, question: str, expected: float) -> None:
    assert has_type(sentence, kind, question) == expected


def test_a_sentence_may_open_with_a_known_name() -> None:
    sentence = "Aristotle proposed that air carries the projectile."
    assert has_type(sentence, "person", "Who proposed it?") == 0.0
    assert has_type(sentence, "person", "Who proposed it?", known_names={"aristotle"}) == 1.0


def test_how_many_asks_about_the_noun() -> None:
    assert question_terms("How many drones did Russia launch?") == ["dron", "russia", "launch"]
    assert question_terms("How tall is it?") == ["tall"]


def test_named_terms_and_folding() -> None:
    assert named_terms("What did John Paul II do in 1973?") == ["john", "paul", "ii", "1973"]
    assert named_terms("How many missiles were fired?") == []
    assert fold("Bolesław of Płock, Łódź") == "Boleslaw of Plock, Lodz"


# The engine


def test_quotes_the_sentence_with_the_answer_and_cites_it() -> None:
    result = ask("How many missiles did Russia launch?", ExtractiveConfig(threshold=0.0))
    assert not result.abstained
    assert result.text.startswith("Russia attacked with 71 missiles") and "[1]" in result.text
    assert result.chosen[0].text in TEXT
    assert TEXT[result.chosen[0].start : result.chosen[0].end] == result.chosen[0].text


def one_source(text: str) -> tuple[list[Source], dict[str, Article]]:
    art = Article(id="a", source="s", title="News", text=text, content_hash=sha256_hex(text))
    chunk = Chunk(id="c", article_id="a", index=0, text=text, start=0, end=len(text), n_tokens=20)
    return number_sources([Hit(chunk=chunk, score=1.0, dense=0.5)], {"a": art}), {"a": art}


def test_the_answer_type_picks_the_sentence_with_a_number() -> None:
    srcs, arts = one_source(
        "Kharkiv was attacked again overnight. Temperatures sank as low as minus 23C in Kharkiv."
    )
    engine = ExtractiveEngine(None, ExtractiveConfig(threshold=0.0))
    result = engine.answer("How cold did it get in Kharkiv?", srcs, arts)
    assert result.chosen[0].text.startswith("Temperatures sank") and "[1]" in result.text
    assert [c.features["type"] for c in result.candidates] == [1.0, 0.0]


def test_a_question_the_sources_do_not_answer_is_refused() -> None:
    result = ask("What is the capital of Australia?")
    assert result.abstained and result.text == NO_ANSWER and result.chosen == []
    assert result.confidence < ExtractiveConfig().threshold


def test_the_threshold_applies_to_the_confidence() -> None:
    question = "Who is the CEO of DTEK?"
    assert not ask(question, ExtractiveConfig(threshold=0.0)).abstained
    refused = ask(question, ExtractiveConfig(threshold=10.0))
    assert refused.abstained and refused.confidence > 0
    assert refused.candidates[0].confidence == refused.confidence


def only(ranking: str, confidence: str, **rest: float) -> ExtractiveConfig:
    """A config ranking by one feature and rating by another."""
    weights = {f"{p}_{name}": 0.0 for p in "wc" for name in FEATURES}
    return ExtractiveConfig(**{**weights, f"w_{ranking}": 1.0, f"c_{confidence}": 1.0}, **rest)


def test_ranking_and_confidence_have_their_own_weights() -> None:
    # Rank by lexical match, but rate only by the question's names: DTEK is there.
    result = ask("Who is the CEO of DTEK?", only("lexical", "named", threshold=0.99))
    assert not result.abstained and "Maxim Timchenko" in result.text
    assert result.confidence == pytest.approx(1.0)
    assert ask("Who is the CEO of DTEK?", only("lexical", "retrieval", threshold=0.99)).abstained


def test_a_sentence_that_only_repeats_the_question_is_never_quoted() -> None:
    srcs, arts = one_source("Kharkiv heating. The city cut heating to 800 homes in Kharkiv.")
    result = ExtractiveEngine(HashEmbedder(), ExtractiveConfig(threshold=0.0)).answer(
        "Kharkiv heating?", srcs, arts
    )
    assert [c.text for c in result.chosen] == ["The city cut heating to 800 homes in Kharkiv."]
    assert not next(c for c in result.candidates if c.text == "Kharkiv heating.").shortlisted


def test_only_the_shortlist_is_embedded() -> None:
    embedder = HashEmbedder()
    config = ExtractiveConfig(semantic_candidates=2, threshold=0.0)
    vector = HashEmbedder().embed(["How many missiles did Russia launch?"])[0]
    engine = ExtractiveEngine(embedder, config)
    result = engine.answer(
        "How many missiles did Russia launch?",
        sources(),
        {"art1": article()},
        question_vector=vector,
    )
    assert embedder.texts_embedded == 2
    assert sum(c.shortlisted for c in result.candidates) == 2
    assert all(c.shortlisted for c in result.chosen)


def test_a_close_runner_up_is_quoted_too_in_source_order() -> None:
    tie = only("retrieval", "lexical", threshold=0.0, runner_up_margin=0.0)
    result = ask("How many missiles did Russia launch?", tie)
    assert len(result.chosen) == 2
    assert [(c.source, c.start) for c in result.chosen] == sorted(
        (c.source, c.start) for c in result.chosen
    )
    single = ask("How many missiles did Russia launch?", dataclasses.replace(tie, max_sentences=1))
    assert len(single.chosen) == 1


def test_no_sources_no_answer() -> None:
    result = ExtractiveEngine(HashEmbedder()).answer("Anything?", [], {})
    assert result.abstained and result.text == NO_ANSWER and result.candidates == []


def test_without_an_embedder_the_engine_still_ranks() -> None:
    engine = ExtractiveEngine(None, ExtractiveConfig(threshold=0.0))
    result = engine.answer("How many missiles did Russia launch?", sources(), {"art1": article()})
    assert "71 missiles" in result.text
    assert all(c.semantic == 0.0 for c in result.candidates)


def test_the_tuned_defaults_are_normalised() -> None:
    config = ExtractiveConfig()
    assert sum(config.weights().values()) == pytest.approx(1.0, abs=1e-3)
    assert sum(config.confidence_weights().values()) == pytest.approx(1.0, abs=1e-3)
    assert 0 < config.threshold < 1 and config.semantic_candidates <= 8
