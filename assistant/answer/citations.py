"""Number sources, parse [n] markers, and check each cited sentence against its source (pure)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from assistant.answer.claims import ClaimCheck, Evidence, Verdict, check_sentence
from assistant.answer.markers import parse_markers
from assistant.models import NO_ANSWER, Article, Citation, Flag, FlagKind, Hit, Source
from assistant.sentences import sentence_spans
from assistant.store.lexical import terms

MARKER = re.compile(r"\[(\d+)\]")
MARKER_GROUP = re.compile(r"\s*(?:\[\d+\]\s*)+")
_LEADING_MARKERS = re.compile(r"^(\[\d+\]\s*)+")

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


@dataclass(frozen=True)
class Checked:
    """An answer's citations, checked: the text with its markers read as [n], what each [n]
    resolved to, invalid numbers, flags, and the claim checker's verdict on each claim."""

    text: str
    citations: list[Citation]
    invalid: list[int]
    flags: list[Flag]
    claims: list[ClaimCheck]


def source_sentences(source: Source, article: Article | None) -> list[tuple[str, int, int]]:
    """The sentences of a source's chunk as (text, start, end), offsets in the article."""
    chunk = source.hit.chunk
    text = article.text if article and article.text else None
    out = []
    for a, b in sentence_spans(chunk.text):
        start, end = chunk.start + a, chunk.start + b
        out.append((text[start:end] if text else chunk.text[a:b], start, end))
    return out or [(chunk.text, chunk.start, chunk.end)]


def cite(
    source: Source,
    quote: str,
    start: int,
    end: int,
    *,
    support: float,
    sentence: int = 0,
    verdict: Literal["supported", "contradicted", "not_found"] = "supported",
    reason: str = "",
) -> Citation:
    """A citation of a quote (offsets in the source's article) from one source."""
    return Citation(
        number=source.number,
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
        sentence=sentence,
        verdict=verdict,
        reason=reason,
    )


def best_quote(
    claim: str,
    quotes: Sequence[tuple[str, int, int]],
    similarity: Similarity | None = None,
    prefer: str | None = None,
) -> tuple[str, int, int, float]:
    """The sentence that best supports the claim: (quote, start, end, support 0..1).

    `prefer` is the sentence the claim checker aligned the claim with, taken when it is one of
    the quotes; otherwise the best by word overlap (or embedding similarity, when given).
    """
    texts = [q for q, _, _ in quotes]
    scores = [lexical_support(claim, q) for q in texts]
    if similarity is not None:
        semantic = similarity(strip_markers(claim), texts)
        scores = [max(lex, sem) for lex, sem in zip(scores, semantic, strict=True)]
    best = max(range(len(texts)), key=lambda i: scores[i])
    if prefer is not None and prefer in texts:
        best = texts.index(prefer)
    quote, start, end = quotes[best]
    return quote, start, end, round(float(scores[best]), 4)


def check_citations(
    text: str,
    sources: Sequence[Source],
    articles: Mapping[str, Article],
    similarity: Similarity | None = None,
) -> Checked:
    """Read the answer's markers (any common style), resolve every [n] to a quote, and check
    each cited claim against its sources for numbers, dates, names, negation and roles.

    Flags: uncited sentences, contradicted and not-found claims, invalid numbers, unreadable
    marker styles, and an answer that cites no valid source at all.
    """
    if is_abstention(text):
        return Checked(text, [], [], [], [])
    parsed = parse_markers(text, len(sources))
    text = parsed.text
    citations: list[Citation] = []
    flags: list[Flag] = []
    claims: list[ClaimCheck] = []
    by_number = {s.number: s for s in sources}
    sentences_of: dict[int, list[tuple[str, int, int]]] = {}

    def quotes(number: int) -> list[tuple[str, int, int]]:
        if number not in sentences_of:
            source = by_number[number]
            sentences_of[number] = source_sentences(
                source, articles.get(source.hit.chunk.article_id)
            )
        return sentences_of[number]

    if parsed.unknown:
        flags.append(
            Flag(
                kind=FlagKind.UNKNOWN_CITATION,
                sentence=-1,
                text=", ".join(parsed.unknown)[:200],
                detail="citation markers in a style that could not be read",
            )
        )
    for index, sentence in enumerate(answer_sentences(text)):
        valid, bad = split_citations(sentence, len(sources))
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
        cited = list(dict.fromkeys(valid))
        evidence = [
            Evidence(number=n, text=q, date=by_number[n].date)
            for n in cited
            for q, _, _ in quotes(n)
        ]
        checks = check_sentence(sentence, evidence)
        claims.extend(checks)
        verdict, reason = _sentence_verdict(checks)
        for number in cited:
            aligned = (
                next(
                    (c.evidence for c in checks if c.number == number and c.verdict is verdict),
                    None,
                )
                if verdict is not Verdict.SUPPORTED
                else None
            )
            quote, start, end, support = best_quote(sentence, quotes(number), similarity, aligned)
            source = by_number[number]
            citations.append(
                cite(
                    source,
                    quote,
                    start,
                    end,
                    support=support,
                    sentence=index,
                    verdict=verdict.value,
                    reason=reason,
                )
            )
        if verdict is not Verdict.SUPPORTED:
            kind = FlagKind.CONTRADICTED if verdict is Verdict.CONTRADICTED else FlagKind.NOT_FOUND
            flags.append(Flag(kind=kind, sentence=index, text=sentence, detail=reason))
    if not citations:
        flags.append(
            Flag(
                kind=FlagKind.NO_VALID_CITATION,
                sentence=0,
                text=text[:200],
                detail="the answer cites no valid source",
            )
        )
    return Checked(text, citations, list(parsed.invalid), flags, claims)


def _sentence_verdict(checks: Sequence[ClaimCheck]) -> tuple[Verdict, str]:
    """A sentence is contradicted if any claim is, else not found if any claim is."""
    for wanted in (Verdict.CONTRADICTED, Verdict.NOT_FOUND):
        worst = [c for c in checks if c.verdict is wanted]
        if worst:
            return wanted, "; ".join(dict.fromkeys(c.reason for c in worst))
    return Verdict.SUPPORTED, "; ".join(dict.fromkeys(c.reason for c in checks))
