"""SQuAD v1.1 / v2.0 as (paragraphs, questions) for the eval scripts.

The reader itself is `assistant.evaluation.squad.load_squad` (what `assistant eval` uses);
this keeps the shapes that eval/tune_extractive.py reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.evaluation import squad


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
    passages, cases = squad.load_squad(path)
    paragraphs = [Paragraph(p.source, p.title, p.text) for p in passages]
    questions = [
        Question(
            id=c.id,
            question=c.question,
            answers=tuple(c.facts[0]) if c.facts else (),
            answerable=c.answerable,
            paragraph=c.articles[0],
        )
        for c in cases
    ]
    return paragraphs, questions
