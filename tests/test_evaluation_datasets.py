"""Dataset files: YAML and JSONL cases, SQuAD v1.1 / v2.0, and the errors users see."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import InputError
from assistant.evaluation.datasets import QACase, SummaryCase, load_dataset
from assistant.evaluation.squad import load_squad

SEED = Path(__file__).resolve().parent.parent / "eval" / "seed_cases.yaml"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_with_metadata_cases_and_summaries(tmp_path: Path) -> None:
    path = write(
        tmp_path / "gold.yaml",
        """
name: my-set
ingest: [articles/, samples]
cases:
  - id: missiles
    question: How many missiles?
    facts: [["71", "seventy-one"], "450"]
    articles: [russia]
    tags: [numbers]
  - id: mayor
    question: Who is the mayor?
    answerable: false
  - id: sum
    article: russia
    facts: [[heating]]
    must_not_contain: [I agree]
    length: short
""",
    )
    dataset = load_dataset(path)
    assert dataset.name == "my-set" and dataset.format == "yaml"
    assert dataset.ingest == [str((tmp_path / "articles").resolve()), "samples"]
    first, second, third = dataset.cases
    assert isinstance(first, QACase) and first.facts == [["71", "seventy-one"], ["450"]]
    assert isinstance(second, QACase) and not second.answerable and second.facts == []
    assert isinstance(third, SummaryCase) and third.articles == ["russia"]
    assert third.length == "short" and third.must_not_contain == ["I agree"]
    assert [c.id for c in dataset.qa_cases] == ["missiles", "mayor"]
    assert len(dataset.limited(1).cases) == 1 and len(dataset.limited(0).cases) == 3


def test_yaml_list_and_jsonl(tmp_path: Path) -> None:
    listed = load_dataset(write(tmp_path / "a.yml", "- {id: q, question: Why, facts: [x]}\n"))
    assert listed.name == "a" and listed.cases[0].id == "q"
    lines = [
        json.dumps({"id": "q1", "question": "Who?", "facts": [["Rutte"]]}),
        "",
        "# a comment",
        json.dumps({"id": "q2", "question": "What?", "answerable": False}),
    ]
    jsonl = load_dataset(write(tmp_path / "cases.jsonl", "\n".join(lines)))
    assert jsonl.format == "jsonl" and [c.id for c in jsonl.cases] == ["q1", "q2"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("- {id: q, question: Why}\n", "needs facts", id="answerable-without-facts"),
        pytest.param("- {id: q, question: Why, facts: [['']]}\n", "non-empty", id="empty-fact"),
        pytest.param("- {id: q, facts: [x]}\n", "question", id="no-question"),
        pytest.param("- {id: q, question: W, facts: [x], colour: red}\n", "colour", id="extra-key"),
        pytest.param(
            "- {id: q, question: W, facts: [x]}\n- {id: q, question: V, facts: [y]}\n",
            "twice",
            id="duplicate-id",
        ),
        pytest.param("cases: [\n", r"bad.yaml:2: not valid YAML", id="bad-yaml"),
        pytest.param("nme: x\ncases: []\n", "unknown top-level", id="unknown-key"),
        pytest.param("just text\n", "list of cases", id="not-a-list"),
    ],
)
def test_bad_yaml_gives_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_dataset(write(tmp_path / "bad.yaml", text))


def test_bad_jsonl_line_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"bad.jsonl:2: not valid JSON"):
        load_dataset(
            write(tmp_path / "bad.jsonl", '{"id": "a", "question": "q", "facts": ["x"]}\n{')
        )


def test_unknown_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_dataset(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="unknown dataset format"):
        load_dataset(write(tmp_path / "cases.csv", "id,question\n"))
    with pytest.raises(InputError, match="SQuAD"):
        load_dataset(write(tmp_path / "other.json", '{"cases": []}'))


# SQuAD, written here in the standard shapes

SQUAD_V1 = {
    "version": "1.1",
    "data": [
        {
            "title": "Steam_engine",
            "paragraphs": [
                {
                    "context": "Watt patented the separate condenser in 1769.",
                    "qas": [
                        {
                            "id": "v1-a",
                            "question": "When was the condenser patented?",
                            "answers": [
                                {"text": "1769", "answer_start": 40},
                                {"text": "1769", "answer_start": 40},
                                {"text": "in 1769", "answer_start": 37},
                            ],
                        }
                    ],
                },
                {
                    "context": "Newcomen built the first engine.",
                    "qas": [
                        {
                            "id": "v1-b",
                            "question": "Who built the first engine?",
                            "answers": [{"text": "Newcomen", "answer_start": 0}],
                        }
                    ],
                },
            ],
        }
    ],
}

SQUAD_V2 = {
    "version": "v2.0",
    "data": [
        {
            "title": "Warsaw",
            "paragraphs": [
                {
                    "context": "Warsaw is the capital of Poland.",
                    "qas": [
                        {
                            "id": "v2-a",
                            "question": "What is Warsaw the capital of?",
                            "answers": [{"text": "Poland", "answer_start": 25}],
                            "is_impossible": False,
                        },
                        {
                            "id": "v2-b",
                            "question": "What is Warsaw the oldest city of?",
                            "answers": [],
                            "plausible_answers": [{"text": "Poland", "answer_start": 25}],
                            "is_impossible": True,
                        },
                    ],
                }
            ],
        }
    ],
}


def test_squad_v1_paragraphs_become_articles_and_answers_one_fact(tmp_path: Path) -> None:
    path = write(tmp_path / "squad-v1.json", json.dumps(SQUAD_V1))
    passages, cases = load_squad(path)
    assert [p.source for p in passages] == ["squad:Steam_engine#0", "squad:Steam_engine#1"]
    assert passages[0].title == "Steam engine" and passages[0].text.startswith("Watt")
    first = cases[0]
    assert first.facts == [["1769", "in 1769"]] and first.answerable
    assert first.articles == ["squad:Steam_engine#0"]
    assert cases[1].articles == ["squad:Steam_engine#1"]
    dataset = load_dataset(path)
    assert dataset.format == "squad" and dataset.name == "squad-v1"
    assert len(dataset.passages) == 2 and len(dataset.cases) == 2


def test_squad_v2_impossible_questions_are_unanswerable(tmp_path: Path) -> None:
    dataset = load_dataset(write(tmp_path / "dev-v2.0.json", json.dumps(SQUAD_V2)))
    answerable, impossible = dataset.qa_cases
    assert answerable.answerable and answerable.facts == [["Poland"]]
    assert not impossible.answerable and impossible.facts == []
    assert "impossible" in impossible.tags and "Warsaw" in impossible.tags


def test_squad_file_that_is_not_squad(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a SQuAD JSON file"):
        load_squad(write(tmp_path / "x.json", "[1, 2]"))


def test_seed_set_is_big_enough() -> None:
    dataset = load_dataset(SEED)
    qa = dataset.qa_cases
    assert len([c for c in qa if c.answerable]) >= 25
    assert len([c for c in qa if not c.answerable]) >= 5
    assert dataset.summary_cases and dataset.ingest == ["samples"]
