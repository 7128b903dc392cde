"""Summaries with citations: offline by sentence centrality, or by an LLM (one call or map-reduce).

What is summarised is a list of sections, one per article and numbered [1]..[n]: whole
articles (one id, several ids, or every article of a library), or for a topic the passages that
retrieval found, grouped by article.

Offline (no LLM) the summary quotes sentences verbatim. Each sentence of a section gets a score:
- centrality: cosine similarity of its embedding to the mean of the section's sentences,
- lead: exp(-position / lead_decay), news puts the main facts first,
- length: longer sentences carry more facts (words / 30, at most 1),
- topic: cosine similarity to the query, for a topic summary.
Sentences that cannot stand alone (headings, photo captions, fragments under `min_words` words)
are left out. Picking is greedy with maximal marginal relevance, so near-repeats are skipped;
the picked sentences are shown in article order, each with its [n].

With an LLM the sections are fenced as data and summarised in one call when they fit the token
budget (context_tokens - answer_tokens - the prompt), else map-reduce: the sections are cut into
sentence-aligned parts that fit, each part is summarised into cited notes (map), and the notes
are merged into the summary (reduce; repeated while the notes do not fit). The reply's [n]
markers are checked like an answer's: out-of-range numbers reported, weak support flagged.

Lengths: one article gets 3 / 5 / 8 sentences (short / medium / long); several articles get
1 / 2 / 4 sentences each.
"""

from __future__ import annotations

import re
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypedDict, get_args

import numpy as np
from numpy.typing import NDArray

from assistant.answer.answerer import fence, format_sources
from assistant.answer.citations import (
    answer_sentences,
    check_citations,
    split_citations,
    strip_markers,
)
from assistant.embeddings import Embedder
from assistant.errors import ConfigError, InputError, NotFoundError, ProviderError
from assistant.llm import LLM, Completion, Message
from assistant.models import (
    Article,
    Chunk,
    Citation,
    Flag,
    FlagKind,
    Hit,
    Source,
    Summary,
    SummarySentence,
    Usage,
    sha256_hex,
)
from assistant.prompts import render
from assistant.retrieve.hybrid import Filters, retrieve
from assistant.sentences import sentence_spans
from assistant.store.library import Library
from assistant.tokens import Tokenizer

Length = Literal["short", "medium", "long"]
Format = Literal["bullets", "paragraph"]

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
MAX_REDUCE_ROUNDS = 4

_MARKER = re.compile(r"\[(\d+)\]")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_ENDS_LIKE_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*$")
# A photo caption ends with its credit: "... in Kyiv. /Valentyn Ogirenko/Reuters".
_CAPTION = re.compile(r"\s/\s?[^/\n]{2,60}/\s?[^/\n]{2,40}$|\b(?:photo|picture|image)\s*:\s", re.I)
_WORDS = re.compile(r"\w+")
# A sentence that leans on the one before it: "He added ...", "However, ...".
_DANGLING = re.compile(
    r"^[\"'“‘]?(he|she|it|they|this|these|those|his|her|its|their|but|however|also|and|so|"
    r"meanwhile|instead)\b",
    re.IGNORECASE,
)

Vectors = NDArray[np.float32]


class _Shape(TypedDict):
    """What the summary prompts are told about the summary wanted."""

    topic: str
    sentences: str
    format: str


class _NoteShape(TypedDict):
    topic: str
    notes: str


# The offline engine (pure)


@dataclass(frozen=True)
class CentralityConfig:
    """Weights of the offline summarizer; tuned on BBC News Summary (eval/bench_summary.py)."""

    w_central: float = 1.0
    w_lead: float = 0.3
    lead_decay: float = 3.0
    w_length: float = 0.2
    w_query: float = 1.5
    w_dangling: float = 0.2
    mmr_lambda: float = 0.85
    max_similarity: float = 0.9  # a sentence this similar to a picked one is a near-copy
    min_words: int = 6


DEFAULT_CONFIG = CentralityConfig()


def count_words(text: str) -> int:
    """Words as the summarizer counts them (runs of letters and digits)."""
    return len(_WORDS.findall(text))


def eligible(sentence: str, min_words: int = DEFAULT_CONFIG.min_words) -> bool:
    """Whether a sentence can stand in a summary: not a heading, caption or fragment.

    >>> eligible("Multiple strikes"), eligible("Russia attacked with 71 missiles, officials said.")
    (False, True)
    """
    text = sentence.strip()
    if count_words(text) < min_words:
        return False
    if not _ENDS_LIKE_SENTENCE.search(text):
        return False
    return _CAPTION.search(text) is None


def sentence_scores(
    sentences: Sequence[str],
    vectors: Vectors,
    config: CentralityConfig = DEFAULT_CONFIG,
    *,
    positions: Sequence[int] | None = None,
    query_vector: Vectors | None = None,
) -> NDArray[np.float64]:
    """A score per sentence (higher is more summary-worthy); ineligible sentences get -inf."""
    n = len(sentences)
    if n == 0:
        return np.zeros(0)
    ok = np.array([eligible(s, config.min_words) for s in sentences])
    pool = ok if ok.any() else np.ones(n, dtype=bool)
    v = np.asarray(vectors, dtype=np.float64)
    centroid = v[pool].mean(axis=0)
    norm = float(np.linalg.norm(centroid))
    central = v @ (centroid / norm) if norm > 0 else np.zeros(n)
    score = config.w_central * _rescale(central, pool)
    where = np.asarray(positions if positions is not None else range(n), dtype=np.float64)
    score += config.w_lead * np.exp(-where / config.lead_decay)
    words = np.array([count_words(s) for s in sentences], dtype=np.float64)
    score += config.w_length * np.minimum(1.0, words / 30.0)
    score -= config.w_dangling * np.array([_DANGLING.match(s) is not None for s in sentences])
    if query_vector is not None:
        relevance = v @ np.asarray(query_vector, dtype=np.float64)
        score += config.w_query * _rescale(relevance, pool)
    return np.where(pool, score, -np.inf)


def select_sentences(
    sentences: Sequence[str],
    vectors: Vectors,
    n: int,
    config: CentralityConfig = DEFAULT_CONFIG,
    *,
    positions: Sequence[int] | None = None,
    query_vector: Vectors | None = None,
    max_words: int | None = None,
) -> list[int]:
    """Indices of the n sentences that best summarise, in text order (pure).

    Greedy maximal marginal relevance over `sentence_scores`: each pick maximises
    lambda * score - (1 - lambda) * (highest cosine similarity to a sentence already picked).
    Near-copies of a picked sentence (similarity >= max_similarity) are never picked. With
    `max_words`, sentences that would take the summary over that many words are skipped.
    """
    scores = sentence_scores(
        sentences, vectors, config, positions=positions, query_vector=query_vector
    )
    candidates = [i for i in range(len(sentences)) if np.isfinite(scores[i])]
    if not candidates or n <= 0:
        return []
    finite = scores[candidates]
    low, high = float(finite.min()), float(finite.max())
    relevance = {i: (scores[i] - low) / (high - low) if high > low else 1.0 for i in candidates}
    v = np.asarray(vectors, dtype=np.float64)
    chosen: list[int] = []
    redundancy = dict.fromkeys(candidates, 0.0)
    lam = config.mmr_lambda
    words = [count_words(s) for s in sentences]
    room = max_words if max_words is not None else sum(words)
    while len(chosen) < n:
        candidates = [
            i for i in candidates if words[i] <= room and redundancy[i] < config.max_similarity
        ]
        if not candidates:
            break
        best = max(candidates, key=lambda i: lam * relevance[i] - (1 - lam) * redundancy[i])
        chosen.append(best)
        candidates.remove(best)
        room -= words[best]
        for i in candidates:
            redundancy[i] = max(redundancy[i], float(v[i] @ v[best]))
    return sorted(chosen)


def _rescale(values: NDArray[np.float64], pool: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Values mapped to 0..1 by the min and max over the pool."""
    low, high = float(values[pool].min()), float(values[pool].max())
    if high <= low:
        return np.ones_like(values)
    return np.asarray((values - low) / (high - low), dtype=np.float64)


# What is summarised


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


def compose(groups: Sequence[tuple[int, Sequence[str]]], format: Format) -> str:
    """Summary text: each sentence followed by its [n], grouped by source.

    >>> compose([(1, ["A b.", "C d."]), (2, ["E f."])], "bullets")
    '- A b. [1]\\n- C d. [1]\\n\\n- E f. [2]'
    """
    blocks = []
    for number, sentences in groups:
        cited = [f"{_defuse(s.strip())} [{number}]" for s in sentences]
        if format == "bullets":
            blocks.append("\n".join(f"- {s}" for s in cited))
        else:
            blocks.append(" ".join(cited))
    return "\n\n".join(b for b in blocks if b)


def _defuse(sentence: str) -> str:
    """A quoted sentence with any "[3]" of its own shown as "(3)", so markers stay ours."""
    return _MARKER.sub(r"(\1)", sentence)


def check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    """An InputError unless value is one of the choices."""
    if value not in choices:
        raise InputError(f"{name} must be one of {', '.join(choices)}, not {value!r}")


# The summarizer


@dataclass
class Summarizer:
    """Summarises articles of one library, offline or with an LLM."""

    library: Library
    tokenizer: Tokenizer
    llm: LLM | None = None
    context_tokens: int = 8192
    answer_tokens: int = 700
    config: CentralityConfig = field(default_factory=CentralityConfig)
    topic_passages: int = TOPIC_PASSAGES

    @property
    def engine(self) -> str:
        return "openai" if self.llm is not None else "extractive"

    def summarize(
        self,
        article_ids: Sequence[str] = (),
        *,
        all: bool = False,
        query: str | None = None,
        length: Length = "medium",
        format: Format = "paragraph",
    ) -> Summary:
        """The whole summary at once."""
        final: Summary | None = None
        for part in self.stream(article_ids, all=all, query=query, length=length, format=format):
            if isinstance(part, Summary):
                final = part
        assert final is not None
        return final

    def stream(
        self,
        article_ids: Sequence[str] = (),
        *,
        all: bool = False,
        query: str | None = None,
        length: Length = "medium",
        format: Format = "paragraph",
    ) -> Iterator[str | Summary]:
        """Text as it is produced (the final LLM call, or the whole extractive text), then the
        Summary."""
        started = time.perf_counter()
        check_choice("length", length, get_args(Length))
        check_choice("format", format, get_args(Format))
        timings: dict[str, float] = {}
        sections, query_vector = self.sections(article_ids, all=all, query=query, length=length)
        timings["select"] = time.perf_counter() - started
        if self.llm is None:
            summary = self._extractive(sections, length, format, query_vector, timings)
            yield summary.text
        else:
            summary = yield from self._generate(sections, length, format, query, timings)
        summary.article_ids = [s.article.id for s in sections]
        summary.query = query.strip() if query else None
        summary.length, summary.format = length, format
        timings["total"] = time.perf_counter() - started
        summary.timings = {name: round(value, 4) for name, value in timings.items()}
        yield summary

    # Choosing the sections

    def sections(
        self,
        article_ids: Sequence[str] = (),
        *,
        all: bool = False,
        query: str | None = None,
        length: Length = "medium",
    ) -> tuple[list[Section], Vectors | None]:
        """What to summarise, numbered from 1; plus the query's vector for a topic."""
        n_articles, _ = self.library.stats()
        if n_articles == 0:
            raise NotFoundError(
                f"library {self.library.name!r} is empty: add articles first with "
                "`assistant ingest PATH|URL`"
            )
        ids = list(dict.fromkeys(self.library.resolve(a) for a in article_ids))
        if query is not None:
            return self._topic(_check_query(query), ids, length)
        if all and ids:
            raise InputError("give article ids or ask for all articles, not both")
        if not all and not ids:
            raise InputError(
                "say what to summarise: an article id, several ids, all articles (--all) "
                "or a topic (--query)"
            )
        if all:
            ids = [a.id for a in self.library.articles()]
        if len(ids) > MAX_ARTICLES:
            raise InputError(
                f"that is {len(ids)} articles; a summary covers at most {MAX_ARTICLES}: "
                "pick article ids, or summarise a topic with --query"
            )
        stored = self.library.catalog.get_many(self.library.name, ids)
        return [
            Section(number, stored[aid].article, [(0, len(stored[aid].article.text))])
            for number, aid in enumerate(ids, start=1)
        ], None

    def _topic(
        self, query: str, ids: Sequence[str], length: Length
    ) -> tuple[list[Section], Vectors | None]:
        vector = self.library.embedder.embed([query])[0]
        filters = Filters(article_ids=list(ids)) if ids else None
        hits = retrieve(
            self.library, query, k=self.topic_passages, filters=filters, query_vector=vector
        )
        matching = [h for h in hits if (h.dense or 0.0) >= TOPIC_MIN_SIMILARITY]
        if not matching:
            where = f"the {len(ids)} article(s) given" if ids else f"library {self.library.name!r}"
            raise NotFoundError(
                f"nothing in {where} matches {query!r}: try other words, or see what the "
                "library holds with `assistant docs list`"
            )
        by_article: dict[str, list[Hit]] = {}
        for hit in matching:
            by_article.setdefault(hit.chunk.article_id, []).append(hit)
        chosen = list(by_article)[: TOPIC_ARTICLES[length]]
        stored = self.library.catalog.get_many(self.library.name, chosen)
        sections: list[Section] = []
        for aid in chosen:
            if aid not in stored:
                continue
            hits = by_article[aid]
            spans = merge_spans([(h.chunk.start, h.chunk.end) for h in hits])
            sections.append(
                Section(len(sections) + 1, stored[aid].article, spans, max(h.score for h in hits))
            )
        return sections, vector

    # Offline

    def _extractive(
        self,
        sections: Sequence[Section],
        length: Length,
        format: Format,
        query_vector: Vectors | None,
        timings: dict[str, float],
    ) -> Summary:
        per_section = (
            ARTICLE_SENTENCES[length] if len(sections) == 1 else PER_ARTICLE_SENTENCES[length]
        )
        spans = [s.sentences() for s in sections]
        texts = [
            s.article.text[a:b]
            for s, found in zip(sections, spans, strict=True)
            for a, b, _ in found
        ]
        t = time.perf_counter()
        vectors = self.library.embedder.embed(texts) if texts else np.zeros((0, 0), np.float32)
        timings["embed"] = time.perf_counter() - t
        t = time.perf_counter()
        groups: list[tuple[int, list[str]]] = []
        sentences: list[SummarySentence] = []
        citations: list[Citation] = []
        offset = 0
        for section, found in zip(sections, spans, strict=True):
            mine = texts[offset : offset + len(found)]
            picked = select_sentences(
                mine,
                vectors[offset : offset + len(found)],
                per_section,
                self.config,
                positions=[p for _, _, p in found],
                query_vector=query_vector,
            )
            offset += len(found)
            chunks = self.library.chunks(section.article.id)
            source = section.source()
            for i in picked:
                start, end, _ = found[i]
                citation = Citation(
                    number=section.number,
                    article_id=section.article.id,
                    title=source.title,
                    source=source.source,
                    url=source.url,
                    date=source.date,
                    chunk_id=_chunk_at(chunks, start, end) or source.hit.chunk.id,
                    quote=mine[i],
                    start=start,
                    end=end,
                    support=1.0,
                    sentence=len(sentences),
                )
                citations.append(citation)
                sentences.append(
                    SummarySentence(
                        index=len(sentences),
                        text=mine[i],
                        article_id=section.article.id,
                        citations=[citation],
                    )
                )
            groups.append((section.number, [mine[i] for i in picked]))
        timings["rank"] = time.perf_counter() - t
        return Summary(
            text=compose(groups, format),
            sentences=sentences,
            citations=citations,
            sources=[s.source() for s in sections],
            engine="extractive",
            model=self.library.embedder.name,
        )

    # With an LLM

    def _generate(
        self,
        sections: Sequence[Section],
        length: Length,
        format: Format,
        query: str | None,
        timings: dict[str, float],
    ) -> Generator[str, None, Summary]:
        assert self.llm is not None
        t = time.perf_counter()
        sources = [s.source() for s in sections]
        articles = {s.article.id: s.article for s in sections}
        per_source = str(
            ARTICLE_SENTENCES[length] if len(sections) == 1 else PER_ARTICLE_SENTENCES[length]
        )
        topic = query.strip() if query else ""
        system = render("summarize_system")
        shape = _Shape(topic=topic, sentences=per_source, format=format)
        budget = self._budget(system, render("summarize_article", sources="", **shape))
        fenced, used = format_sources(sources, self.tokenizer, budget)
        run = _Run(system=system)
        fits = used == len(sources) and len(self.tokenizer.encode(fenced)) <= budget
        if fits:
            user = render("summarize_article", sources=fenced, **shape)
            completion = yield from self._stream(run, user)
        else:
            notes = self._map(run, sections, topic, per_source)
            timings["map"] = time.perf_counter() - t
            completion = yield from self._reduce(run, sources, notes, shape)
        timings["llm"] = time.perf_counter() - t
        t = time.perf_counter()
        text = completion.text.strip()
        citations, invalid, flags = check_citations(
            text, sources, articles, similarity=_Similarity(self.library.embedder)
        )
        citations = self._real_chunks(citations)
        timings["check"] = time.perf_counter() - t
        return Summary(
            text=text,
            sentences=_sentences(text, citations),
            citations=citations,
            invalid_citations=run.invalid + invalid,
            flags=run.flags + flags,
            sources=sources,
            engine="openai",
            model=self.llm.model,
            usage=run.usage,
            llm_calls=run.calls,
        )

    def _budget(self, system: str, empty_prompt: str) -> int:
        overhead = len(self.tokenizer.encode(system + empty_prompt)) + 64
        budget = self.context_tokens - self.answer_tokens - overhead
        if budget < 128:
            raise ConfigError(
                f"ASSISTANT_CONTEXT_TOKENS={self.context_tokens} leaves {budget} tokens for the "
                f"articles after the prompt and ASSISTANT_ANSWER_TOKENS={self.answer_tokens}; "
                "raise the context or lower the answer tokens"
            )
        return budget

    def _map(
        self, run: _Run, sections: Sequence[Section], topic: str, per_source: str
    ) -> list[tuple[int, str]]:
        """Cited notes for every part of every section: (source number, note) in order."""
        shape = _NoteShape(topic=topic, notes=str(max(int(per_source), 3)))
        budget = self._budget(run.system, render("summarize_chunk", sources="", **shape))
        parts = [p for s in sections for p in self._parts(s, budget)]
        notes: list[tuple[int, str]] = []
        first = 0
        while first < len(parts):
            fenced, used = format_sources(parts[first:], self.tokenizer, budget)
            completion = self._complete(run, render("summarize_chunk", sources=fenced, **shape))
            numbers = {p.number for p in parts[first : first + used]}
            notes.extend(self._notes(run, completion.text, numbers, len(sections)))
            first += used
        return sorted(notes, key=lambda note: note[0])

    def _parts(self, section: Section, budget: int) -> list[Source]:
        """The section cut at sentence ends into parts of at most `budget` tokens (fenced)."""
        article = section.article
        pieces: list[tuple[int, int]] = []
        for a, b, _ in section.sentences():
            pieces.extend(self._fit(article.text, a, b, budget // 2))
        parts: list[Source] = []
        start = end = used = 0
        limit = budget - 64  # room for the source tag
        for a, b in pieces:
            cost = len(self.tokenizer.encode(article.text[a:b])) + 1
            if used and used + cost > limit:
                parts.append(self._part(section, start, end, used))
                used = 0
            if not used:
                start = a
            end, used = b, used + cost
        if used:
            parts.append(self._part(section, start, end, used))
        return parts

    def _fit(self, text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
        """A sentence as one piece, or cut at spaces when it alone is over `limit` tokens."""
        n = len(self.tokenizer.encode(text[start:end]))
        if n <= limit:
            return [(start, end)]
        step = max(1, (end - start) * limit // n)
        pieces = []
        while start < end:
            stop = min(end, start + step)
            if stop < end:
                space = text.rfind(" ", start + 1, stop)
                stop = space if space > start else stop
            pieces.append((start, stop))
            start = stop
            while start < end and text[start].isspace():
                start += 1
        return pieces

    def _part(self, section: Section, start: int, end: int, n_tokens: int) -> Source:
        base = section.source()
        chunk = span_chunk(section.article, start, end, n_tokens)
        return base.model_copy(update={"hit": Hit(chunk=chunk, score=base.hit.score)})

    def _notes(
        self, run: _Run, reply: str, allowed: set[int], n_sources: int
    ) -> list[tuple[int, str]]:
        """The cited sentences of a map reply; other markers and uncited sentences flagged."""
        notes: list[tuple[int, str]] = []
        for sentence in answer_sentences(reply.strip()):
            valid, bad = split_citations(sentence, n_sources)
            wrong = bad + [n for n in valid if n not in allowed]
            kept = [n for n in dict.fromkeys(valid) if n in allowed]
            text = _BULLET.sub("", strip_markers(sentence)).strip()
            if wrong:
                run.invalid.extend(wrong)
                run.flags.append(
                    Flag(
                        kind=FlagKind.INVALID_CITATION,
                        sentence=-1,
                        text=sentence,
                        detail=f"map step cited {', '.join(f'[{n}]' for n in wrong)}, which was "
                        f"not among its sources {sorted(allowed)}",
                    )
                )
            if not text or (wrong and not kept):
                continue
            if not kept:
                run.flags.append(
                    Flag(
                        kind=FlagKind.UNCITED,
                        sentence=-1,
                        text=sentence,
                        detail="map step note without a valid citation; left out of the merge",
                    )
                )
                continue
            notes.append((kept[0], f"- {fence(text)} {''.join(f'[{n}]' for n in kept)}"))
        return notes

    def _reduce(
        self,
        run: _Run,
        sources: Sequence[Source],
        notes: list[tuple[int, str]],
        shape: _Shape,
    ) -> Generator[str, None, Completion]:
        titles = "\n".join(
            f'<source id="{s.number}" title="{fence(s.title).replace(chr(34), chr(39))}" />'
            for s in sources
        )
        budget = self._budget(
            run.system, render("summarize_merge", sources=titles, notes="", **shape)
        )
        for round in range(MAX_REDUCE_ROUNDS + 1):
            lines = [note for _, note in notes]
            if len(self.tokenizer.encode("\n".join(lines))) <= budget:
                break
            if round == MAX_REDUCE_ROUNDS:
                raise ProviderError(
                    f"the LLM's notes still do not fit {budget} tokens after {round} merge "
                    "rounds; raise ASSISTANT_CONTEXT_TOKENS or summarise fewer articles"
                )
            notes = self._collapse(run, titles, len(sources), notes, budget, shape)
        user = render("summarize_merge", sources=titles, notes="\n".join(lines), **shape)
        return (yield from self._stream(run, user))

    def _collapse(
        self,
        run: _Run,
        titles: str,
        n_sources: int,
        notes: list[tuple[int, str]],
        budget: int,
        shape: _Shape,
    ) -> list[tuple[int, str]]:
        """One round of merging groups of notes that fit the budget into shorter notes."""
        merged: list[tuple[int, str]] = []
        group: list[str] = []
        numbers: set[int] = set()
        used = 0

        def flush() -> None:
            user = render("summarize_merge", sources=titles, notes="\n".join(group), **shape)
            reply = self._complete(run, user)
            merged.extend(self._notes(run, reply.text, set(numbers), n_sources))

        for number, note in notes:
            cost = len(self.tokenizer.encode(note)) + 1
            if group and used + cost > budget:
                flush()
                group, numbers, used = [], set(), 0
            group.append(note)
            numbers.add(number)
            used += cost
        if group:
            flush()
        if len(merged) >= len(notes):
            raise ProviderError(
                "merging the LLM's notes did not make them shorter; raise "
                "ASSISTANT_CONTEXT_TOKENS or summarise fewer articles"
            )
        return sorted(merged, key=lambda note: note[0])

    def _messages(self, run: _Run, user: str) -> list[Message]:
        return [{"role": "system", "content": run.system}, {"role": "user", "content": user}]

    def _complete(self, run: _Run, user: str) -> Completion:
        assert self.llm is not None
        completion = self.llm.complete(self._messages(run, user))
        run.count(completion)
        return completion

    def _stream(self, run: _Run, user: str) -> Generator[str, None, Completion]:
        assert self.llm is not None
        completion: Completion | None = None
        for part in self.llm.stream(self._messages(run, user)):
            if isinstance(part, Completion):
                completion = part
            else:
                yield part
        assert completion is not None
        run.count(completion)
        return completion

    def _real_chunks(self, citations: Sequence[Citation]) -> list[Citation]:
        """Citations pointing at the stored chunk that holds their quote."""
        chunks: dict[str, list[Chunk]] = {}
        out = []
        for citation in citations:
            if citation.article_id not in chunks:
                chunks[citation.article_id] = self.library.chunks(citation.article_id)
            found = _chunk_at(chunks[citation.article_id], citation.start, citation.end)
            out.append(citation.model_copy(update={"chunk_id": found or citation.chunk_id}))
        return out


@dataclass
class _Run:
    """What the LLM calls of one summary added up to."""

    system: str
    calls: int = 0
    usage: Usage | None = None
    invalid: list[int] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)

    def count(self, completion: Completion) -> None:
        self.calls += 1
        if completion.usage is not None:
            before = self.usage or Usage()
            self.usage = Usage(
                prompt_tokens=before.prompt_tokens + completion.usage.prompt_tokens,
                completion_tokens=before.completion_tokens + completion.usage.completion_tokens,
            )


class _Similarity:
    """Embedding cosine similarity for citation checks, each text embedded once."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._cache: dict[str, Vectors] = {}

    def __call__(self, claim: str, candidates: Sequence[str]) -> list[float]:
        wanted = [t for t in dict.fromkeys([claim, *candidates]) if t not in self._cache]
        if wanted:
            vectors = self._embedder.embed(wanted)
            self._cache.update(zip(wanted, vectors, strict=True))
        target = self._cache[claim]
        return [max(0.0, float(self._cache[c] @ target)) for c in candidates]


def _sentences(text: str, citations: Sequence[Citation]) -> list[SummarySentence]:
    by_sentence: dict[int, list[Citation]] = {}
    for citation in citations:
        by_sentence.setdefault(citation.sentence, []).append(citation)
    out = []
    for index, sentence in enumerate(answer_sentences(text)):
        mine = by_sentence.get(index, [])
        out.append(
            SummarySentence(
                index=index,
                text=_BULLET.sub("", strip_markers(sentence)).strip(),
                article_id=mine[0].article_id if mine else None,
                citations=mine,
            )
        )
    return out


def _chunk_at(chunks: Sequence[Chunk], start: int, end: int) -> str | None:
    """The id of the chunk that holds [start, end), else of the one overlapping it most."""
    best, overlap = None, 0
    for chunk in chunks:
        if chunk.start <= start and end <= chunk.end:
            return chunk.id
        shared = min(end, chunk.end) - max(start, chunk.start)
        if shared > overlap:
            best, overlap = chunk.id, shared
    return best


def _check_query(query: str) -> str:
    text = query.strip() if isinstance(query, str) else ""
    if not text:
        raise InputError("the topic is empty: say what the summary should be about")
    if len(text) > MAX_QUERY_CHARS:
        raise InputError(
            f"the topic is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,}"
        )
    return text
