"""Summaries with citations: choose what to summarise, then let a summary engine write it.

Engines register by name: `extractive` quotes the most central sentences (offline, see
centrality.py), `openai` writes with an LLM (one call or map-reduce, see generative.py). Every
summary sentence cites its article [n]; lengths are 3 / 5 / 8 sentences for one article and
1 / 2 / 4 per article for several (short / medium / long).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from assistant.answer.timeline import date_summary
from assistant.embeddings import Vectors
from assistant.models import Summary
from assistant.parts import Parts
from assistant.query import SummaryRequest
from assistant.registry import Registry
from assistant.retrieve.pipeline import Retrieval
from assistant.store.library import Library
from assistant.summarize.sections import Section, choose_sections


@dataclass(frozen=True)
class SummaryJob:
    """What a summary engine summarises: numbered sections, the request, the topic's vector."""

    sections: Sequence[Section]
    request: SummaryRequest
    query_vector: Vectors | None = None
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per stage; an engine adds its own."""


class SummaryEngine(Protocol):
    """Writes a summary: text parts as they come, then the Summary."""

    def summarize(self, job: SummaryJob) -> Iterator[str | Summary]: ...


SummaryEngineFactory = Callable[[Parts], SummaryEngine]

SUMMARIZERS: Registry[SummaryEngineFactory] = Registry(
    "summarizer",
    {
        "extractive": "assistant.summarize.centrality:CentralitySummaries",
        "openai": "assistant.summarize.generative:LLMSummaries",
    },
)


@dataclass
class Summarizer:
    """Summarises articles of one library with one engine."""

    library: Library
    retrieval: Retrieval
    engine: SummaryEngine
    engine_name: str

    def summarize(self, request: SummaryRequest) -> Summary:
        """The whole summary at once."""
        final: Summary | None = None
        for part in self.stream(request):
            if isinstance(part, Summary):
                final = part
        assert final is not None
        return final

    def stream(self, request: SummaryRequest) -> Iterator[str | Summary]:
        """Text as it is produced, then the Summary."""
        started = time.perf_counter()
        sections, vector = choose_sections(self.library, request, self.retrieval)
        job = SummaryJob(sections, request, vector, {"select": time.perf_counter() - started})
        summary: Summary | None = None
        for part in self.engine.summarize(job):
            if isinstance(part, Summary):
                summary = part
            else:
                yield part
        if summary is None:
            raise RuntimeError(f"summarizer {self.engine_name!r} yielded no Summary")
        published = {s.article.id for s in sections if s.article.date_source != "ingested"}
        summary = date_summary(summary, published)
        summary.engine = self.engine_name
        summary.article_ids = [s.article.id for s in sections]
        summary.query = request.topic.strip() if request.topic else None
        summary.length, summary.format = request.length, request.format
        job.timings["total"] = time.perf_counter() - started
        summary.timings = {name: round(value, 4) for name, value in job.timings.items()}
        yield summary
