"""question -> hits: the query's filters, its retriever, then its post-processors."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.embeddings import Vectors
from assistant.models import Hit
from assistant.parts import Parts
from assistant.query import Filters, Query
from assistant.retrieve.base import POSTPROCESSORS, RETRIEVERS, PostProcessor, Retriever, Search
from assistant.store.library import Library


def pool_size(k: int) -> int:
    """How many candidates a retriever returns for k sources."""
    return max(k * 4, 20)


def allowed(library: Library, filters: Filters) -> tuple[list[str], list[str]] | None:
    """(article ids, chunk ids) that pass the filters; None when no filter is set."""
    if not filters.active():
        return None
    if filters.article_ids is not None:
        filters = filters.model_copy(
            update={"article_ids": [library.resolve(a) for a in filters.article_ids]}
        )
    stored = library.catalog.all(library.name)
    articles = [s.article.id for s in stored if filters.matches(s.article)]
    keep = set(articles)
    chunks = [i for s in stored if s.article.id in keep for i in s.chunk_ids]
    return articles, chunks


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
        scope = allowed(self.library, query.filters)
        if scope is not None and not scope[0]:
            return []
        search = Search(
            text=text,
            vector=vector,
            pool=pool_size(k),
            query=query,
            articles=scope[0] if scope else None,
            chunks=scope[1] if scope else None,
        )
        hits = self.retriever.search(search)
        for step in self.postprocessors:
            hits = step.process(search, hits, k)
        return hits[:k]
