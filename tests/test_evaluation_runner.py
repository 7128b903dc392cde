"""Running cases through a real Assistant (hash embedder, real chromadb) and scoring them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from assistant.api import Assistant
from assistant.errors import InputError, NotFoundError
from assistant.evaluation.datasets import Dataset, Passage, QACase, SummaryCase, load_dataset
from assistant.evaluation.runner import (
    build_judges,
    default_library,
    prepare_library,
    resolve_articles,
    run_dataset,
    run_summary,
    summary_sentences,
)
from assistant.models import Article, Citation, Summary, SummarySentence
from assistant.query import Query

STRIKES = (
    "Russia attacked with 71 missiles, as well as 450 drones, the Ukrainian air force said. "
    "Five people were wounded in the capital, officials said.\n\n"
    "Overnight temperatures plunged to minus 19C in Kyiv."
)
TALKS = "A second round of talks is due to begin on Wednesday in Abu Dhabi."


def article(id: str, source: str, title: str) -> Article:
    return Article(id=id, source=source, title=title, text="", content_hash="h")


def test_resolve_articles_exact_before_substring() -> None:
    articles = [
        article("a1", "squad:Normans#1", "Normans"),
        article("a10", "squad:Normans#10", "Normans"),
        article("b", "/news/russia-ukraine-strikes.txt", "Russia launches attack"),
    ]
    assert resolve_articles(["squad:Normans#1"], articles) == (["a1"], [])
    assert resolve_articles(["squad:Normans#"], articles) == (["a1", "a10"], [])
    assert resolve_articles(["russia-ukraine", "LAUNCHES"], articles) == (["b"], [])
    assert resolve_articles(["b", "nowhere"], articles) == (["b"], ["nowhere"])


def test_passages_are_ingested_once_into_the_dataset_library(fake_assistant: Assistant) -> None:
    dataset = Dataset(
        name="Tiny Set!",
        format="squad",
        cases=[QACase(id="q", question="How many missiles?", facts=[["71"]])],
        passages=[
            Passage(source="squad:x#0", title="Strikes", text=STRIKES),
            Passage(source="squad:x#1", title="Talks", text=TALKS),
        ],
    )
    assert default_library(dataset) == "eval-Tiny-Set"
    name, first = prepare_library(fake_assistant, dataset)
    assert name == "eval-Tiny-Set" and first is not None and first.counts["added"] == 2
    _, again = prepare_library(fake_assistant, dataset)
    assert again is not None and again.counts["unchanged"] == 2 and again.counts["added"] == 0


def test_nothing_to_ingest_needs_an_existing_library(fake_assistant: Assistant) -> None:
    dataset = Dataset(name="x", cases=[QACase(id="q", question="Why", facts=[["x"]])])
    with pytest.raises(NotFoundError, match="does not exist"):
        prepare_library(fake_assistant, dataset, library="missing")


def test_failed_ingest_is_a_clear_error(fake_assistant: Assistant, tmp_path: Path) -> None:
    dataset = Dataset(name="x", cases=[QACase(id="q", question="Why", facts=[["x"]])])
    (tmp_path / "empty.txt").write_text("   ")
    with pytest.raises(InputError, match="ingesting the dataset's articles failed"):
        prepare_library(fake_assistant, dataset, ingest=[tmp_path / "empty.txt"])


@pytest.fixture
def tiny(fake_assistant: Assistant) -> tuple[Assistant, str]:
    for text, source in ((STRIKES, "strikes"), (TALKS, "talks")):
        assert fake_assistant.ingest_text(text, title=source, source=source, library="tiny").ok
    return fake_assistant, "tiny"


def test_every_case_gets_scores_and_reasons(tiny: tuple[Assistant, str]) -> None:
    assistant, library = tiny
    dataset = Dataset(
        name="tiny",
        cases=[
            QACase(
                id="missiles",
                question="How many missiles and drones did Russia attack with?",
                facts=[["seventy-one"], ["450"]],
                articles=["strikes"],
                tags=["numbers"],
            ),
            QACase(id="ghost", question="How many missiles?", facts=[["71"]], articles=["ghost"]),
            QACase(id="mayor", question="Who is the mayor of Lviv?", answerable=False),
        ],
    )
    report = run_dataset(assistant, dataset, library=library, query=Query(engine="extractive", k=2))
    assert report.engine == "extractive" and report.k == 2 and report.judges == ["lexical"]
    assert report.counts["cases"] == 3 and report.counts["unanswerable"] == 1
    assert set(report.metrics) >= {"accuracy", "fact_recall", "refusal_rate", "latency_p50_s"}
    assert report.by_tag["numbers"]["cases"] == 1
    missiles, ghost, mayor = report.cases
    for case in report.cases:
        assert case.reasons, case.id
        assert case.latency_s is not None and "total" in case.timings
    if not missiles.abstained:
        assert len(missiles.facts) == 2 and missiles.citation("lexical") is not None
        assert missiles.correct == all(f.found for f in missiles.facts)
    assert missiles.retrieved is True
    assert ghost.retrieved is False
    assert any("'ghost'" in r and "not in library" in r for r in ghost.reasons)
    assert mayor.correct == mayor.abstained
    assert mayor.retrieved is None and mayor.fact_recall is None


def test_a_failing_question_is_an_error_case_not_a_crash(tiny: tuple[Assistant, str]) -> None:
    assistant, library = tiny
    dataset = Dataset(name="tiny", cases=[QACase(id="long", question="why " * 1000, facts=[["x"]])])
    report = run_dataset(assistant, dataset, library=library, query=Query(engine="extractive"))
    case = report.cases[0]
    assert case.error is not None and "limit is 2,000" in case.error and not case.correct
    assert report.counts["errors"] == 1 and case.fact_recall == 0.0


class SummarizingAssistant(Assistant):
    """The real assistant with a scripted `summarize`, to test how summaries are scored."""

    summary: Summary
    calls: list[dict[str, Any]]

    def summarize(self, *ids: str, **options: Any) -> Summary:  # type: ignore[override]
        self.calls.append({"ids": list(ids), **options})
        return self.summary


def citation(number: int, quote: str, sentence: int) -> Citation:
    return Citation(
        number=number,
        article_id="a",
        title="t",
        source="s",
        chunk_id="c",
        quote=quote,
        start=0,
        end=len(quote),
        support=1.0,
        sentence=sentence,
    )


def test_summary_cases_are_scored_for_facts_junk_and_citations(
    tiny: tuple[Assistant, str],
) -> None:
    base, library = tiny
    assistant = SummarizingAssistant(base.settings, embedder=base.embedder)
    assistant.calls = []
    missiles = citation(1, "Russia attacked with 71 missiles, as well as 450 drones.", 0)
    frost = citation(2, "Overnight temperatures plunged to minus 19C in Kyiv.", 1)
    assistant.summary = Summary(
        text="Russia fired seventy-one missiles and 450 drones [1]. "
        "Heating failed in a frost of 30 degrees [2]. I agree to cookies.",
        sentences=[
            SummarySentence(
                index=0, text="Russia fired 71 missiles and 450 drones.", citations=[missiles]
            ),
            SummarySentence(
                index=1, text="Heating failed in a frost of 30 degrees.", citations=[frost]
            ),
            SummarySentence(index=2, text="I agree to cookies."),
        ],
        citations=[missiles, frost],
        engine="extractive",
        timings={"total": 0.01},
    )
    case = SummaryCase(
        id="sum",
        article="strikes",
        facts=[["71"], ["heating"], ["talks", "negotiations"]],
        must_not_contain=["I agree", "Search Trends"],
        length="short",
    )
    articles = assistant.articles(library)
    judges = build_judges(assistant, "lexical")
    result = run_summary(
        assistant,
        case,
        query=Query(library=library, engine="extractive"),
        articles=articles,
        judges=judges,
    )
    strikes_id = next(a.id for a in articles if a.source == "strikes")
    assert assistant.calls == [
        {
            "ids": [strikes_id],
            "library": library,
            "length": "short",
            "engine": "extractive",
            "model": None,
        }
    ]
    assert [f.found for f in result.facts] == [True, True, False]
    assert result.fact_recall == pytest.approx(2 / 3)
    assert result.forbidden == ["I agree"] and not result.correct
    check = result.citation("lexical")
    assert check is not None and check.recall == pytest.approx(1 / 3)  # 30 ≠ -19; last uncited
    assert any("banned text 'I agree'" in r for r in result.reasons)
    assert any("fact 3/3 missing" in r for r in result.reasons)


def test_summary_sentences_without_sentence_list_use_the_markers() -> None:
    summary = Summary(
        text="Five people were wounded [1]. Talks begin on Wednesday [2].",
        citations=[
            citation(1, "Five people were wounded in the capital.", 0),
            citation(2, "A second round of talks is due to begin on Wednesday.", 1),
            citation(2, "A second round of talks is due to begin on Wednesday.", 1),
        ],
        engine="extractive",
    )
    first, second = summary_sentences(summary)
    assert first.passages == {1: "Five people were wounded in the capital."}
    assert second.passages == {2: "A second round of talks is due to begin on Wednesday."}


def test_summary_case_for_an_unknown_article(tiny: tuple[Assistant, str]) -> None:
    assistant, library = tiny
    case = SummaryCase(id="sum", article="nowhere", facts=[["x"]])
    result = run_summary(
        assistant,
        case,
        query=Query(library=library, engine="extractive"),
        articles=assistant.articles(library),
        judges=build_judges(assistant, "lexical"),
    )
    assert result.error is not None and "nowhere" in result.error and not result.correct


def test_run_report_round_trips_as_json(tiny: tuple[Assistant, str], tmp_path: Path) -> None:
    assistant, library = tiny
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"id": "q", "question": "When do talks begin?", "facts": ["Wed"]}))
    report = run_dataset(
        assistant, load_dataset(path), library=library, query=Query(engine="extractive")
    )
    assert report.started_at.tzinfo is dt.UTC
    again = type(report).model_validate_json(report.model_dump_json())
    assert again == report
