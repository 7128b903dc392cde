"""The LLM summarizer: one call when the sections fit the context, else map-reduce.

The sections are fenced as data and summarised in one call when they fit the token budget
(context_tokens - answer_tokens - the prompt), else map-reduce: the sections are cut into
sentence-aligned parts that fit, each part is summarised into cited notes (map), and the notes
are merged into the summary (reduce; repeated while the notes do not fit). The reply's [n]
markers are checked like an answer's: out-of-range numbers reported, weak support flagged.
"""

from __future__ import annotations

import re
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

from assistant.answer.citations import (
    answer_sentences,
    check_citations,
    split_citations,
    strip_markers,
)
from assistant.answer.generative import fence, format_sources
from assistant.embeddings import EmbeddingSimilarity
from assistant.errors import ConfigError, ProviderError
from assistant.llm import LLM, Completion, Message
from assistant.models import (
    Chunk,
    Citation,
    Flag,
    FlagKind,
    Hit,
    Source,
    Summary,
    SummarySentence,
    Usage,
)
from assistant.parts import Parts
from assistant.prompts import render
from assistant.summarize.sections import Section, chunk_at, per_section, span_chunk
from assistant.summarize.summarizer import SummaryJob

MAX_REDUCE_ROUNDS = 4
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


class _Shape(TypedDict):
    """What the summary prompts are told about the summary wanted."""

    topic: str
    sentences: str
    format: str


class _NoteShape(TypedDict):
    topic: str
    notes: str


class LLMSummaries:
    """Summaries written by a chat model through the `openai` client, citations checked."""

    def __init__(self, parts: Parts) -> None:
        self.library = parts.library
        self.llm: LLM = parts.chat()
        self.tokenizer = parts.tokenizer
        self.context_tokens = parts.settings.context_tokens
        self.answer_tokens = parts.settings.answer_tokens

    def summarize(self, job: SummaryJob) -> Iterator[str | Summary]:
        sections, timings = job.sections, job.timings
        t = time.perf_counter()
        sources = [s.source() for s in sections]
        articles = {s.article.id: s.article for s in sections}
        per_source = str(per_section(job.request.length, len(sections)))
        topic = job.request.topic.strip() if job.request.topic else ""
        system = render("summarize_system")
        shape = _Shape(topic=topic, sentences=per_source, format=job.request.format)
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
        checked = check_citations(
            text, sources, articles, similarity=EmbeddingSimilarity(self.library.embedder)
        )
        text, citations, invalid, flags = (
            checked.text,
            checked.citations,
            checked.invalid,
            checked.flags,
        )
        citations = self._real_chunks(citations)
        timings["check"] = time.perf_counter() - t
        yield Summary(
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
        completion = self.llm.complete(self._messages(run, user))
        run.count(completion)
        return completion

    def _stream(self, run: _Run, user: str) -> Generator[str, None, Completion]:
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
            found = chunk_at(chunks[citation.article_id], citation.start, citation.end)
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
