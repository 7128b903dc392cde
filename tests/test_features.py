"""The reader's features on small hand-made examples (HashEmbedder: a word aligns with itself)."""

import math

import pytest
from fakes import HashEmbedder

from assistant.answer.citations import number_sources
from assistant.answer.features import (
    Sentence,
    alignment_features,
    analyse_question,
    question_features,
    sentence_features,
    sentences_of,
)
from assistant.models import Article, Chunk, Hit, sha256_hex

TEXT = (
    "Russia attacked with 71 missiles, as well as 450 drones, the air force said. "
    "Ukraine said it intercepted 38 missiles.\n\n"
    "Heating was cut to 800 homes in Kharkiv. Maxim Timchenko is the CEO of DTEK."
)


def flat(term: str) -> float:
    return 1.0


def sources():  # type: ignore[no-untyped-def]
    article = Article(
        id="art1", source="/news/a.txt", title="Russia strikes", text=TEXT,
        content_hash=sha256_hex(TEXT),
    )  # fmt: skip
    cut = TEXT.index("\n\n")
    chunks = [
        Chunk(id="c1", article_id="art1", index=0, text=TEXT[:cut], start=0, end=cut, n_tokens=9),
        Chunk(
            id="c2", article_id="art1", index=1, text=TEXT[cut + 2 :], start=cut + 2,
            end=len(TEXT), n_tokens=9,
        ),
    ]  # fmt: skip
    hits = [
        Hit(chunk=chunks[0], score=1.0, dense=0.6, lexical=8.0),
        Hit(chunk=chunks[1], score=0.5, dense=0.3, lexical=2.0),
    ]
    return number_sources(hits, {"art1": article}), {"art1": article}


def read(question: str) -> tuple[list[Sentence], object]:
    srcs, articles = sources()
    analysis = analyse_question(question, flat)
    sentences = sentences_of(srcs, articles)
    sentence_features(analysis, sentences, srcs)
    return sentences, analysis


def test_question_analysis_finds_the_type_names_and_content_words() -> None:
    q = analyse_question("How many drones did Russia launch in 2024?", flat)
    assert q.kind == "number"
    assert q.named == ["russia", "2024"]
    assert [w.key for w in q.words] == ["dron", "russia", "launch", "2024"]
    assert [w.numeric for w in q.words] == [False, False, False, True]
    text = "How many drones did Russia launch in 2024?"
    assert [text[w.start : w.end] for w in q.words][0] == "drones"


def test_sentences_are_cut_once_with_article_offsets() -> None:
    sentences, _ = read("How many drones?")
    assert [s.text for s in sentences][:2] == [
        "Russia attacked with 71 missiles, as well as 450 drones, the air force said.",
        "Ukraine said it intercepted 38 missiles.",
    ]
    assert all(TEXT[s.start : s.end] == s.text for s in sentences)
    assert [s.source for s in sentences] == [1, 1, 2, 2]


def test_cheap_features_reward_the_sentence_that_holds_the_answer() -> None:
    sentences, _ = read("How many drones did Russia launch?")
    attack, intercepted, heating, ceo = (s.features for s in sentences)
    assert attack["lexical"] == pytest.approx(2 / 3)  # drones, Russia; not launch
    assert attack["named"] == 1.0 and attack["type"] == 1.0
    assert intercepted["lexical"] == 0.0 and intercepted["context"] == pytest.approx(2 / 3)
    assert heating["rank"] == 0.5 and heating["bm25_rel"] == 0.25
    assert ceo["type"] == 0.0 and ceo["type_miss"] == 1.0
    assert attack["length"] == pytest.approx(math.log1p(14))  # 14 words


def test_a_question_about_another_name_is_missing_it_everywhere() -> None:
    sentences, _ = read("How many drones did Belarus launch?")
    assert all(s.features["named_nowhere"] == 1.0 for s in sentences)


def aligned(question: str, sentence_index: int = 0) -> dict[str, float]:
    sentences, analysis = read(question)
    encoder = HashEmbedder(dim=4096)
    q_tokens, s_tokens = encoder.token_vectors([question, sentences[sentence_index].text])
    sentence = sentences[sentence_index]
    sentence.tokens = s_tokens
    return alignment_features(analysis, q_tokens, sentence)  # type: ignore[arg-type]


def test_alignment_of_a_sentence_with_every_question_word() -> None:
    f = aligned("Did Russia attack with drones?")
    assert f["align_min"] == 1.0 and f["align_low"] == 0.0 and f["align_named"] == 1.0
    assert f["align_order"] == 1.0 and f["negation"] == 0.0


def test_alignment_flags_a_missing_name_a_missing_number_and_negation() -> None:
    f = aligned("Did Belarus not attack with 72 drones?")
    assert f["align_named_low"] == pytest.approx(1.0)  # Belarus and 72: neither is there
    assert f["align_number_low"] == 1.0
    assert f["align_low"] > 0.3 and f["align_min"] < 0.5
    assert f["negation"] == 1.0


def test_alignment_order_reverses_with_the_words() -> None:
    assert aligned("Drones attacked Russia?")["align_order"] < 0
    assert aligned("Russia attacked drones?")["align_order"] == 1.0


def test_question_features_see_words_no_shortlisted_sentence_has() -> None:
    sentences, analysis = read("How many drones did Belarus launch?")
    encoder = HashEmbedder(dim=4096)
    vectors = encoder.token_vectors([analysis.text] + [s.text for s in sentences])  # type: ignore[attr-defined]
    for sentence, v in zip(sentences, vectors[1:], strict=True):
        sentence.tokens = v
        sentence.features.update(alignment_features(analysis, vectors[0], sentence))  # type: ignore[arg-type]
        sentence.score = sentence.features["lexical"]
    ranked = sorted(sentences, key=lambda s: -s.score)
    f = question_features(analysis, ranked, [0.7, 0.1, 0.1, 0.1])  # type: ignore[arg-type]
    assert f["top_prob"] == 0.7 and f["margin"] > 0
    assert f["cover_low"] > 0.3 and f["cover_min"] < 0.6  # Belarus and launch: nowhere
    assert f["kind_number"] == 1.0 and f["kind_person"] == 0.0
