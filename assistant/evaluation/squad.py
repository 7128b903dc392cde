"""SQuAD v1.1 / v2.0 JSON as a dataset: each paragraph an article, each question a case.

A question's distinct gold answers become one fact (any of them counts); `is_impossible`
(v2.0) becomes `answerable: false`; its paragraph's source is the gold article.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.evaluation.datasets import Dataset, Passage, QACase, slug, split_of


def paragraph_source(title: str, index: int) -> str:
    """The source of a paragraph: 'squad:<title>#<index>'."""
    return f"squad:{title}#{index}"


def is_squad(path: Path) -> bool:
    """Whether a .json file looks like SQuAD (a top-level 'data' list of titled articles)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return (
        isinstance(data, dict)
        and isinstance(data.get("data"), list)
        and all(isinstance(a, dict) and "paragraphs" in a for a in data["data"][:3])
    )


def load_squad(path: str | Path) -> tuple[list[Passage], list[QACase]]:
    """Paragraphs and question cases of a SQuAD file."""
    path = Path(path)
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        articles = data["data"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as error:
        raise InputError(f"{path}: not a SQuAD JSON file ({error})") from error
    passages: list[Passage] = []
    cases: list[QACase] = []
    seen: set[str] = set()
    for article in articles:
        title = str(article.get("title", "untitled"))
        for index, paragraph in enumerate(article.get("paragraphs", [])):
            source = paragraph_source(title, index)
            passages.append(
                Passage(source=source, title=title.replace("_", " "), text=paragraph["context"])
            )
            for qa in paragraph.get("qas", []):
                answers = list(dict.fromkeys(a["text"].strip() for a in qa.get("answers", [])))
                answers = [a for a in answers if a]
                answerable = not qa.get("is_impossible", False) and bool(answers)
                case_id = str(qa.get("id") or f"{source}/{len(cases)}")
                if case_id in seen:
                    case_id = f"{case_id}-{len(cases)}"
                seen.add(case_id)
                cases.append(
                    QACase(
                        id=case_id,
                        question=qa["question"].strip() or "(empty question)",
                        facts=[answers] if answerable else [],
                        answerable=answerable,
                        articles=[source],
                        tags=[
                            title.replace("_", " "),
                            "answerable" if answerable else "impossible",
                        ],
                    )
                )
    return passages, cases


def load_squad_dataset(path: str | Path) -> Dataset:
    """A SQuAD file as a Dataset whose paragraphs are ingested as articles."""
    path = Path(path)
    passages, cases = load_squad(path)
    return Dataset(
        name=slug(path.stem),
        split=split_of(path.stem),
        path=str(path),
        format="squad",
        cases=list(cases),
        passages=passages,
    )
