"""Answer engines: given a question and numbered sources, write an answer that cites [n].

An engine yields text as it is produced, then one `Draft`. The `Answerer` around it does the
rest for every engine alike: retrieval before, citation checks after. Engines register by
name; `Query.engine` picks one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from assistant.embeddings import Vectors
from assistant.models import Article, Source, Turn, Usage
from assistant.parts import Parts
from assistant.query import Query
from assistant.registry import Registry


@dataclass(frozen=True)
class AnswerRequest:
    """What an engine answers from."""

    question: str
    sources: Sequence[Source]
    """Numbered [1]..[n], best first."""
    articles: Mapping[str, Article]
    """The sources' articles by id, with their full text."""
    vector: Vectors
    """The question's embedding (the one retrieval used)."""
    query: Query


@dataclass
class Draft:
    """An engine's answer before its citations are checked."""

    text: str
    abstained: bool = False
    confidence: float | None = None
    """Probability that the answer is right, when the engine knows it."""
    short_answer: str | None = None
    """The asked-for span (a number, name, date, place ...), verbatim from a source."""
    model: str | None = None
    usage: Usage | None = None
    verbatim: bool = False
    """Its sentences are quoted from the sources, so citation support is checked lexically."""
    sources: Sequence[Source] | None = None
    """The sources it was shown, when fewer than requested (e.g. a context budget)."""
    details: dict[str, float] = field(default_factory=dict)


class AnswerEngine(Protocol):
    """Writes an answer: text parts as they come, then the Draft."""

    def answer(self, request: AnswerRequest) -> Iterator[str | Draft]: ...


@runtime_checkable
class FollowUpReader(Protocol):
    """An engine that reads follow-ups itself (e.g. an LLM rewriting them)."""

    def standalone(self, question: str, history: Sequence[Turn]) -> tuple[str, str | None]:
        """(question to answer, text to retrieve with when it differs)."""
        ...


EngineFactory = Callable[[Parts], AnswerEngine]

ENGINES: Registry[EngineFactory] = Registry(
    "answer engine",
    {
        "extractive": "assistant.answer.reader:ReaderAnswers",
        "heuristic": "assistant.answer.extractive:ExtractiveAnswers",
        "openai": "assistant.answer.generative:LLMAnswers",
    },
)
