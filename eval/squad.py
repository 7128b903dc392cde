"""Read SQuAD v1.1 / v2.0 JSON: paragraphs become articles, questions keep their gold paragraph."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paragraph:
    source: str  # squad:<title>#<index>
    title: str
    text: str


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...]
    answerable: bool
    paragraph: str  # the source of its paragraph


def load_squad(path: Path) -> tuple[list[Paragraph], list[Question]]:
    """Paragraphs and questions of a SQuAD file (v2 `is_impossible` -> answerable False)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    paragraphs: list[Paragraph] = []
    questions: list[Question] = []
    for article in data["data"]:
        title = article["title"].replace("_", " ")
        for index, paragraph in enumerate(article["paragraphs"]):
            source = f"squad:{article['title']}#{index}"
            paragraphs.append(Paragraph(source, title, paragraph["context"]))
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa.get("answers", [])))
                questions.append(
                    Question(
                        id=qa["id"],
                        question=qa["question"],
                        answers=answers,
                        answerable=not qa.get("is_impossible", False) and bool(answers),
                        paragraph=source,
                    )
                )
    return paragraphs, questions
