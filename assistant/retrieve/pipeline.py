"""question -> hits: the query's filters, its retriever, then its post-processors."""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from assistant.embeddings import Vectors
from assistant.models import Hit, TimeWindow
from assistant.parts import Parts
from assistant.query import Filters, Query
from assistant.retrieve.base import (
    POSTPROCESSORS,
    RETRIEVERS,
    Narrowing,
    PostProcessor,
    Retriever,
    Search,
)
from assistant.store.catalog import ArticleFilter
from assistant.store.library import Library


def pool_size(k: int) -> int:
    """How many candidates a retriever returns for k sources."""
    return max(k * 4, 20)


def allowed(library: Library, filters: Filters) -> AbstractSet[str] | None:
    """The articles that pass the filters (the catalog evaluates them); None when no filter
    is set. A set the retrievers test their candidates against: for a wide time window, one
    that asks the catalog about them (`Matching`) instead of listing 100,000 ids."""
    if not filters.active():
        return None
    ids = [library.resolve(a) for a in filters.article_ids] if filters.article_ids else None
    where = ArticleFilter(**{**filters.model_dump(), "article_ids": ids})
    return library.filter_articles(where)


class Retrieval:
    """A retriever and its post-processors, built once from a query's names."""

    def __init__(self, parts: Parts, retriever: str, postprocessors: Sequence[str] = ()) -> None:
        self.library = parts.library
        self.retriever: Retriever = RETRIEVERS.get(retriever)(parts)
        self.postprocessors: list[PostProcessor] = [
            POSTPROCESSORS.get(name)(parts) for name in postprocessors
        ]

    def run(self, text: str, vector: Vectors, query: Query, k: int) -> list[Hit]:
        """The k best hits for the text, after filters and post-processors."""
        return self.search(text, vector, query, k).hits

    def search(self, text: str, vector: Vectors, query: Query, k: int) -> Retrieved:
        """The k best hits, and the time window the question asked for (when one was read)."""
        window: TimeWindow | None = None
        for step in self.postprocessors:
            if isinstance(step, Narrowing):
                query, found = step.narrow(text, query)
                window = found or window
        scope = allowed(self.library, query.filters)
        if scope is not None and not scope:
            if window is not None and window.applied and window.restricts():
                note = f"no article was published {window.span()}"
                window = window.model_copy(update={"note": note})
            return Retrieved([], window)
        search = Search(
            text=text, vector=vector, pool=pool_size(k), query=query, articles=scope, window=window
        )
        hits = self.retriever.search(search)
        for step in self.postprocessors:
            hits = step.process(search, hits, k)
        return Retrieved(hits[:k], window)


@dataclass(frozen=True)
class Retrieved:
    """What a retrieval found: the hits, best first, and the question's time window."""

    hits: list[Hit]
    window: TimeWindow | None = None
