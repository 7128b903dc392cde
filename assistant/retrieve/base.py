"""Retrieval parts: a retriever finds candidate chunks, post-processors re-rank them.

Both kinds register by name; `Query.retriever` and `Query.postprocess` pick them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from assistant.embeddings import Vectors
from assistant.models import Hit, TimeWindow
from assistant.parts import Parts
from assistant.query import Query
from assistant.registry import Registry


@dataclass(frozen=True)
class Search:
    """One retrieval: the text and its vector, how many candidates, and where to look."""

    text: str
    vector: Vectors
    pool: int
    query: Query
    articles: Collection[str] | None = None
    """Allowed article ids (None: every article)."""
    window: TimeWindow | None = None
    """The question's time window, when a step read one (see assistant/retrieve/timing.py)."""


class Retriever(Protocol):
    """Finds up to `search.pool` chunks for a search, best first."""

    def search(self, search: Search) -> list[Hit]: ...


class PostProcessor(Protocol):
    """Re-orders (or drops) candidate hits; the first k of its result are kept."""

    def process(self, search: Search, hits: list[Hit], k: int) -> list[Hit]: ...


@runtime_checkable
class Narrowing(Protocol):
    """A post-processor that also narrows the query before retrieval (e.g. to a date window)."""

    def narrow(self, text: str, query: Query) -> tuple[Query, TimeWindow | None]: ...


RetrieverFactory = Callable[[Parts], Retriever]
PostProcessorFactory = Callable[[Parts], PostProcessor]

RETRIEVERS: Registry[RetrieverFactory] = Registry(
    "retriever",
    {
        "hybrid": "assistant.retrieve.retrievers:Hybrid",
        "dense": "assistant.retrieve.retrievers:Dense",
        "lexical": "assistant.retrieve.retrievers:Lexical",
        "rrf": "assistant.retrieve.retrievers:ReciprocalRank",
    },
)
POSTPROCESSORS: Registry[PostProcessorFactory] = Registry(
    "post-processor",
    {
        "mmr": "assistant.retrieve.postprocess:MaximalMarginalRelevance",
        "recency": "assistant.retrieve.postprocess:Recency",
        "when": "assistant.retrieve.timing:TimeAware",
    },
)
