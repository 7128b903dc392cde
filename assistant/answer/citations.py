"""Number sources, parse [n] markers, and check each cited sentence against its source (pure)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from assistant.models import NO_ANSWER, Article, Citation, Flag, FlagKind, Hit, Source
from assistant.sentences import sentence_spans
from assistant.store.lexical import terms

MARKER = re.compile(r"\[(\d+)\]")
MARKER_GROUP = re.compile(r"\s*(?:\[\d+\]\s*)+")
_LEADING_MARKERS = re.compile(r"^(\[\d+\]\s*)+")
WEAK_SUPPORT = 0.5  # below this, a cited sentence is flagged

Similarity = Callable[[str, Sequence[str]], list[float]]
"""similarity(claim, candidates) -> a 0..1 score per candidate (e.g. embedding cosine)."""


def number_sources(hits: Sequence[Hit], articles: Mapping[str, Article]) -> list[Source]:
    """Sources [1]..[n] in hit order, with their articles' metadata."""
    sources: list[Source] = []
    for hit in hits:
        article = articles.get(hit.chunk.article_id)
        sources.append(
            Source(
                number=len(sources) + 1,
                hit=hit,
                title=article.title if article else "(removed article)",
                source=article.source if article else "",
                url=article.url if article else None,
                date=article.date if article else None,
            )
        )
    return sources


def defuse_markers(text: str) -> str:
    """Text with any "[3]" of its own shown as "(3)", so that only our markers read as citations.

    >>> defuse_markers("as table [2] shows")
    'as table (2) shows'
    """
    return MARKER.sub(r"(\1)", text)


def split_citations(text: str, n_sources: int) -> tuple[list[int], list[int]]:
    """Markers in order of appearance: (valid, out of range)."""
    found = [int(n) for n in MARKER.findall(text)]
    ok = [n for n in found if 1 <= n <= n_sources]
    return ok, [n for n in found if not 1 <= n <= n_sources]


def strip_markers(text: str) -> str:
    """The text without [n] markers."""
    return re.sub(r"\s+([.,;:!?])", r"\1", MARKER_GROUP.sub(" ", text)).strip()


def is_abstention(text: str) -> bool:
    """Whether a reply is the fixed no-answer message (allowing quotes and punctuation)."""
    core = strip_markers(text).strip(" \"'“”.").lower()
    return core == NO_ANSWER.rstrip(".").lower()


def lexical_support(claim: str, quote: str) -> float:
    """Share of the claim's content words (stemmed) that the quote contains, numbers counted."""
    wanted = set(terms(strip_markers(claim)))
    if not wanted:
        return 1.0
    have = set(terms(quote))
    return len(wanted & have) / len(wanted)


def answer_sentences(text: str) -> list[str]:
    """The sentences of an answer; a marker group after a full stop stays with its sentence."""
    pieces = [text[a:b] for a, b in sentence_spans(text)]
    merged: list[str] = []
    for piece in pieces:
        if merged and MARKER_GROUP.fullmatch(piece.strip()) is not None:
            merged[-1] = f"{merged[-1]} {piece.strip()}"
        elif merged and (lead := _LEADING_MARKERS.match(piece)) is not None:
            merged[-1] = f"{merged[-1]} {lead.group(0).strip()}"
            rest = piece[lead.end() :].strip()
            if rest:
                merged.append(rest)
        else:
            merged.append(piece)
    return merged


def best_quote(
    claim: str, source: Source, article: Article | None, similarity: Similarity | None = None
) -> tuple[str, int, int, float]:
    """The sentence of the source chunk that best supports the claim: (quote, start, end, score)."""
    chunk = source.hit.chunk
    spans = [(chunk.start + a, chunk.start + b) for a, b in sentence_spans(chunk.text)]
    if not spans:
        return chunk.text, chunk.start, chunk.end, 0.0
    text = article.text if article and article.text else None
    quotes = [
        text[a:b] if text else chunk.text[a - chunk.start : b - chunk.start] for a, b in spans
    ]
    scores = [lexical_support(claim, q) for q in quotes]
    if similarity is not None:
        semantic = similarity(strip_markers(claim), quotes)
        scores = [max(lex, sem) for lex, sem in zip(scores, semantic, strict=True)]
    best = max(range(len(quotes)), key=lambda i: scores[i])
    return quotes[best], spans[best][0], spans[best][1], round(float(scores[best]), 4)


def check_citations(
    text: str,
    sources: Sequence[Source],
    articles: Mapping[str, Article],
    similarity: Similarity | None = None,
    weak: float = WEAK_SUPPORT,
) -> tuple[list[Citation], list[int], list[Flag]]:
    """Resolve every [n] in an answer to a quote; flag uncited, weak and invalid citations."""
    citations: list[Citation] = []
    invalid: list[int] = []
    flags: list[Flag] = []
    if is_abstention(text):
        return citations, invalid, flags
    by_number = {s.number: s for s in sources}
    for index, sentence in enumerate(answer_sentences(text)):
        valid, bad = split_citations(sentence, len(sources))
        invalid.extend(bad)
        if bad:
            flags.append(
                Flag(
                    kind=FlagKind.INVALID_CITATION,
                    sentence=index,
                    text=sentence,
                    detail=f"no source {', '.join(f'[{n}]' for n in bad)}; "
                    f"there are {len(sources)}",
                )
            )
        if not valid:
            if not bad and len(terms(strip_markers(sentence))) >= 3:
                flags.append(Flag(kind=FlagKind.UNCITED, sentence=index, text=sentence))
            continue
        best_support = 0.0
        for number in dict.fromkeys(valid):
            source = by_number[number]
            article = articles.get(source.hit.chunk.article_id)
            quote, start, end, support = best_quote(sentence, source, article, similarity)
            best_support = max(best_support, support)
            citations.append(
                Citation(
                    number=number,
                    article_id=source.hit.chunk.article_id,
                    title=source.title,
                    source=source.source,
                    url=source.url,
                    date=source.date,
                    chunk_id=source.hit.chunk.id,
                    quote=quote,
                    start=start,
                    end=end,
                    support=support,
                    sentence=index,
                )
            )
        if best_support < weak:
            flags.append(
                Flag(
                    kind=FlagKind.WEAK_SUPPORT,
                    sentence=index,
                    text=sentence,
                    detail=f"best support {best_support:.2f} < {weak}",
                )
            )
    if not citations:
        flags.append(
            Flag(
                kind=FlagKind.NO_VALID_CITATION,
                sentence=0,
                text=text[:200],
                detail="the answer cites no valid source",
            )
        )
    return citations, invalid, flags
