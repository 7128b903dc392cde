"""What a summary covers: sections, one per article, numbered [1]..[n].

Whole articles (one id, several ids, or every article of a library), or for a topic the
passages that retrieval found, grouped by article.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.embeddings import Vectors
from assistant.errors import InputError, NotFoundError
from assistant.models import Article, Chunk, Hit, Source, sha256_hex
from assistant.query import Filters, Length, Query, SummaryRequest
from assistant.retrieve.pipeline import Retrieval
from assistant.sentences import sentence_spans
from assistant.store.library import Library

ARTICLE_SENTENCES: dict[str, int] = {"short": 3, "medium": 5, "long": 8}
"""Sentences in the summary of one article."""
PER_ARTICLE_SENTENCES: dict[str, int] = {"short": 1, "medium": 2, "long": 4}
"""Sentences per article when a summary covers several."""
TOPIC_ARTICLES: dict[str, int] = {"short": 3, "medium": 5, "long": 8}
"""Most articles a topic summary covers."""
MAX_ARTICLES = 20  # one summary covers at most this many whole articles
TOPIC_PASSAGES = 12  # passages retrieved for a topic
TOPIC_MIN_SIMILARITY = 0.3  # a passage matches a topic from this cosine similarity up
MAX_QUERY_CHARS = 1000


def per_section(length: Length, n_sections: int) -> int:
    """Sentences per section: 3 / 5 / 8 for one article, 1 / 2 / 4 each for several."""
    return ARTICLE_SENTENCES[length] if n_sections == 1 else PER_ARTICLE_SENTENCES[length]


@dataclass
class Section:
    """The part of one article a summary covers, numbered [number]."""

    number: int
    article: Article
    spans: list[tuple[int, int]]
    score: float = 1.0

    @property
    def hull(self) -> tuple[int, int]:
        """From the first span's start to the last span's end."""
        return self.spans[0][0], self.spans[-1][1]

    def sentences(self) -> list[tuple[int, int, int]]:
        """(start, end, position in the article) of every sentence inside the spans."""
        out = []
        for position, (a, b) in enumerate(sentence_spans(self.article.text)):
            if any(start <= a and b <= end for start, end in self.spans):
                out.append((a, b, position))
        return out

    def source(self) -> Source:
        """The numbered source for this section: its hull as one span of the article."""
        start, end = self.hull
        return Source(
            number=self.number,
            hit=Hit(chunk=span_chunk(self.article, start, end), score=self.score),
            title=self.article.title,
            source=self.article.source,
            url=self.article.url,
            date=self.article.date,
        )


def span_chunk(article: Article, start: int, end: int, n_tokens: int = 0) -> Chunk:
    """A chunk for any span of an article (not one of the stored chunks)."""
    return Chunk(
        id=sha256_hex("span", article.id, str(start), str(end)),
        article_id=article.id,
        index=0,
        text=article.text[start:end],
        start=start,
        end=end,
        n_tokens=n_tokens,
    )


def merge_spans(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching spans joined, in order."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def chunk_at(chunks: Sequence[Chunk], start: int, end: int) -> str | None:
    """The id of the chunk that holds [start, end), else of the one overlapping it most."""
    best, overlap = None, 0
    for chunk in chunks:
        if chunk.start <= start and end <= chunk.end:
            return chunk.id
        shared = min(end, chunk.end) - max(start, chunk.start)
        if shared > overlap:
            best, overlap = chunk.id, shared
    return best


def choose_sections(
    library: Library, request: SummaryRequest, retrieval: Retrieval
) -> tuple[list[Section], Vectors | None]:
    """What to summarise, numbered from 1; plus the topic's vector for a topic summary."""
    n_articles, _ = library.stats()
    if n_articles == 0:
        raise NotFoundError(
            f"library {library.name!r} is empty: add articles first with "
            "`assistant ingest PATH|URL`"
        )
    ids = list(dict.fromkeys(library.resolve(a) for a in request.article_ids))
    if request.topic is not None:
        return _topic(library, retrieval, check_topic(request.topic), ids, request.length)
    if request.all and ids:
        raise InputError("give article ids or ask for all articles, not both")
    if not request.all and not ids:
        raise InputError(
            "say what to summarise: an article id, several ids, all articles (--all) "
            "or a topic (--topic)"
        )
    if request.all:
        ids = [a.id for a in library.articles()]
    if len(ids) > MAX_ARTICLES:
        raise InputError(
            f"that is {len(ids)} articles; a summary covers at most {MAX_ARTICLES}: "
            "pick article ids, or summarise a topic with --topic"
        )
    stored = library.catalog.get_many(library.name, ids)
    return [
        Section(number, stored[aid].article, [(0, len(stored[aid].article.text))])
        for number, aid in enumerate(ids, start=1)
    ], None


def _topic(
    library: Library, retrieval: Retrieval, topic: str, ids: Sequence[str], length: Length
) -> tuple[list[Section], Vectors | None]:
    vector = library.embedder.embed([topic])[0]
    query = Query(filters=Filters(article_ids=list(ids)) if ids else Filters())
    hits = retrieval.run(topic, vector, query, TOPIC_PASSAGES)
    matching = [h for h in hits if (h.dense or 0.0) >= TOPIC_MIN_SIMILARITY]
    if not matching:
        where = f"the {len(ids)} article(s) given" if ids else f"library {library.name!r}"
        raise NotFoundError(
            f"nothing in {where} matches {topic!r}: try other words, or see what the "
            "library holds with `assistant docs list`"
        )
    by_article: dict[str, list[Hit]] = {}
    for hit in matching:
        by_article.setdefault(hit.chunk.article_id, []).append(hit)
    chosen = list(by_article)[: TOPIC_ARTICLES[length]]
    stored = library.catalog.get_many(library.name, chosen)
    sections: list[Section] = []
    for aid in chosen:
        if aid not in stored:
            continue
        found = by_article[aid]
        spans = merge_spans([(h.chunk.start, h.chunk.end) for h in found])
        sections.append(
            Section(len(sections) + 1, stored[aid].article, spans, max(h.score for h in found))
        )
    return sections, vector


def check_topic(topic: str) -> str:
    """The topic, stripped; an InputError when it is empty or too long."""
    text = topic.strip() if isinstance(topic, str) else ""
    if not text:
        raise InputError("the topic is empty: say what the summary should be about")
    if len(text) > MAX_QUERY_CHARS:
        raise InputError(
            f"the topic is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,}"
        )
    return text
