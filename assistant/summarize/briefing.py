"""Briefings: for each story, what happened, who said what, and where the sources differ.

A story's articles (at most `MAX_ARTICLES`, spread over its dates) are numbered [1]..[n],
oldest first. Each section has three parts, every sentence cited:

- what happened: offline, the sentences most central to all the articles' leads, quoted
  (`QuotedLead`); with an LLM, a few sentences it writes from the leads, their citations
  checked like a summary's (`WrittenLead`);
- who said what: quoted sentences with an attribution verb and a named speaker ("..., the
  Ukrainian air force said"), the most central first, one per speaker;
- sources differ: a line for each fact on which two articles give different numbers, dates or
  names, found by the claim checker (disagreements.py), both sides cited. The LLM never writes
  these.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant.answer.citations import (
    answer_sentences,
    check_citations,
    defuse_markers,
    strip_markers,
)
from assistant.answer.generative import format_sources
from assistant.embeddings import EmbeddingSimilarity
from assistant.errors import ConfigError
from assistant.llm import LLM, Message
from assistant.models import (
    Article,
    Chunk,
    Citation,
    Disagreement,
    Flag,
    Source,
    Story,
    StoryBriefing,
    Summary,
    SummarySentence,
    Usage,
)
from assistant.parts import Parts
from assistant.prompts import render
from assistant.sentences import sentence_spans
from assistant.store.library import Library
from assistant.summarize.centrality import eligible, select_sentences
from assistant.summarize.disagreements import (
    Conflict,
    Side,
    disagreement_line,
    find_disagreements,
)
from assistant.summarize.sections import Section, chunk_at

MAX_ARTICLES = 8  # articles of a story read for its section, spread over its dates
LEAD_SENTENCES = 12  # sentences of each article that "what happened" chooses from
HAPPENED_SENTENCES = 3
SAID_SENTENCES = 3
SAID_CANDIDATES = 6  # attributed sentences per article considered
MAX_DIFFERENCES = 3
_ATTRIBUTION = re.compile(
    r"\b(?:said|says|told|tells|according to|announced|stated|added|wrote|warned|claimed|"
    r"confirmed|denied|insisted|argued|testified|posted)\b"
)
# Subjects that name no one: pronouns and unnamed groups.
_UNNAMED = frozenset(
    """he she they it we i you this that these those some others many officials authorities
    police experts researchers investigators scientists analysts witnesses residents
    prosecutors lawmakers critics sources doctors officers troops protesters organizers
    spokesperson spokesman spokeswoman""".split()
)
_CLAUSE_WORDS = frozenset(
    "when while after before if as because was were is are be been all what which".split()
)
_DETERMINERS = frozenset({"the", "a", "an", "its", "his", "her", "their"})
_SPEAKER_WORDS = re.compile(r"[\w’'.-]+")


def speaker(sentence: str) -> str | None:
    """Who a sentence attributes its words to, when it names them (pure).

    >>> speaker("Russia fired 71 missiles, the Ukrainian air force said.")
    'the Ukrainian air force'
    >>> speaker("Officials said the road was closed."), speaker("He told reporters he would stay.")
    (None, None)
    >>> speaker("When all was said and done, McIlroy had won.") is None
    True
    """
    for match in _ATTRIBUTION.finditer(sentence):
        verb = match.group()
        before = re.split(r"[,;:“”\"()—–]", sentence[: match.start()])[-1].strip()
        after = re.split(r"[,;:“”\"()—–]|\.\s*$", sentence[match.end() :])[0].strip()
        candidates = [] if verb == "according to" else [" ".join(before.split()[-6:])]
        # "..., said Gov. JB Pritzker." or "according to the police": the speaker follows.
        inverted = re.search(r"[,”\"]\s*$", sentence[: match.start()]) is not None
        if verb == "according to" or (inverted and verb in ("said", "says", "wrote", "added")):
            candidates.append(" ".join(after.split()[:6]))
        for phrase in candidates:
            words = _SPEAKER_WORDS.findall(phrase)
            if not words or words[0].lower() in _UNNAMED:
                continue
            if any(w.lower() in _CLAUSE_WORDS for w in words):
                continue  # "When all was said and done": a clause, not a speaker
            named = any(w[0].isupper() for w in words if w.lower() not in _DETERMINERS)
            if named and len(words) <= 6:
                return phrase.rstrip(".")
    return None


@dataclass
class Numbered:
    """An article of a section with its number and sentence spans."""

    number: int
    article: Article
    spans: list[tuple[int, int]]

    def cite(
        self, chunks: Sequence[Chunk], start: int, end: int, sentence: int, fallback: str = ""
    ) -> Citation:
        """A citation of article[start:end], in the chunk that holds it (else `fallback`)."""
        article = self.article
        return Citation(
            number=self.number,
            article_id=article.id,
            title=article.title,
            source=article.source,
            url=article.url,
            date=article.date,
            chunk_id=chunk_at(chunks, start, end) or fallback,
            quote=article.text[start:end],
            start=start,
            end=end,
            support=1.0,
            sentence=sentence,
        )

    def sentence(self, i: int) -> str:
        a, b = self.spans[i]
        return self.article.text[a:b]


class LeadWriter(Protocol):
    """Writes "what happened" for a story's numbered articles: a cited summary."""

    name: str

    def write(self, story: Story, articles: Sequence[Numbered]) -> Summary: ...


@dataclass
class Briefer:
    """Builds the section of one story: its articles numbered, the three parts composed."""

    library: Library
    writer: LeadWriter

    def section(self, story: Story) -> StoryBriefing:
        """The cited section for one story."""
        timings: dict[str, float] = {}
        started = time.perf_counter()
        articles = self._articles(story)
        timings["read"] = time.perf_counter() - started
        t = time.perf_counter()
        lead = self.writer.write(story, articles)
        timings["happened"] = time.perf_counter() - t
        t = time.perf_counter()
        taken = {c.quote for c in lead.citations}
        said = self._said(articles, taken)
        timings["said"] = time.perf_counter() - t
        t = time.perf_counter()
        by_number = {a.number: a for a in articles}
        conflicts = find_disagreements(
            [Side(a.number, a.article.text, a.article.date) for a in articles],
            limit=MAX_DIFFERENCES,
        )
        dates = {a.number: a.article.date for a in articles}
        timings["differ"] = time.perf_counter() - t
        summary = self._compose(story, articles, lead, said, by_number, conflicts, dates)
        summary.timings = {k: round(v, 4) for k, v in timings.items()}
        happened = [s for s in summary.sentences if s.index < len(lead.sentences)]
        said_sentences = summary.sentences[len(happened) : len(happened) + len(said)]
        differences = [
            Disagreement(
                kind=c.kind,
                text=disagreement_line(c, dates),
                values=c.values,
                citations=summary.sentences[len(happened) + len(said) + k].citations,
            )
            for k, c in enumerate(conflicts)
        ]
        return StoryBriefing(
            story=story,
            summary=summary,
            happened=happened,
            said=said_sentences,
            differences=differences,
        )

    def _articles(self, story: Story) -> list[Numbered]:
        ids = story.article_ids
        if len(ids) > MAX_ARTICLES:
            picks = np.linspace(0, len(ids) - 1, MAX_ARTICLES).round().astype(int)
            ids = [ids[i] for i in dict.fromkeys(picks.tolist())]
        stored = self.library.catalog.get_many(self.library.name, ids)
        out: list[Numbered] = []
        for article_id in ids:
            if article_id in stored:
                article = stored[article_id].article
                spans = [
                    (a, b) for a, b in sentence_spans(article.text) if eligible(article.text[a:b])
                ]
                out.append(Numbered(len(out) + 1, article, spans))
        return out

    def _said(self, articles: Sequence[Numbered], taken: set[str]) -> list[tuple[int, int]]:
        """(article index, sentence index) of the attributed sentences to quote."""
        candidates: list[tuple[int, int, str]] = []
        for k, numbered in enumerate(articles):
            found = 0
            for i in range(min(len(numbered.spans), 40)):
                text = numbered.sentence(i)
                who = speaker(text)
                if who and text not in taken:
                    candidates.append((k, i, who))
                    found += 1
                    if found == SAID_CANDIDATES:
                        break
        if not candidates:
            return []
        texts = [articles[k].sentence(i) for k, i, _ in candidates]
        vectors = self.library.embedder.embed(texts)
        v = np.asarray(vectors, dtype=np.float64)
        centre = v.mean(axis=0)
        order = np.argsort(-(v @ centre))
        chosen: list[int] = []
        speakers: set[str] = set()
        for c in order.tolist():
            who = candidates[c][2].lower().removeprefix("the ")
            if who in speakers or any(float(v[c] @ v[p]) > 0.9 for p in chosen):
                continue
            chosen.append(c)
            speakers.add(who)
            if len(chosen) == SAID_SENTENCES:
                break
        return [(candidates[c][0], candidates[c][1]) for c in chosen]

    def _compose(
        self,
        story: Story,
        articles: Sequence[Numbered],
        lead: Summary,
        said: Sequence[tuple[int, int]],
        by_number: dict[int, Numbered],
        conflicts: Sequence[Conflict],
        dates: dict[int, dt.date | None],
    ) -> Summary:
        sources = [self._source(a) for a in articles]
        chunks = {a.article.id: self.library.chunks(a.article.id) for a in articles}
        sentences: list[SummarySentence] = []
        citations: list[Citation] = []

        def cite(numbered: Numbered, start: int, end: int, index: int) -> Citation:
            fallback = sources[numbered.number - 1].hit.chunk.id
            return numbered.cite(chunks[numbered.article.id], start, end, index, fallback)

        for s in lead.sentences:
            mine = [c.model_copy(update={"sentence": len(sentences)}) for c in s.citations]
            citations.extend(mine)
            sentences.append(s.model_copy(update={"index": len(sentences), "citations": mine}))
        said_lines = []
        for k, i in said:
            numbered = articles[k]
            a, b = numbered.spans[i]
            citation = cite(numbered, a, b, len(sentences))
            citations.append(citation)
            text = numbered.article.text[a:b]
            sentences.append(
                SummarySentence(
                    index=len(sentences),
                    text=text,
                    article_id=numbered.article.id,
                    citations=[citation],
                )
            )
            said_lines.append(f"- {defuse_markers(text)} [{numbered.number}]")
        difference_lines = []
        for conflict in conflicts:
            sides = [
                cite(by_number[n], a, b, len(sentences))
                for n, (a, b) in zip(conflict.numbers, conflict.spans, strict=True)
            ]
            citations.extend(sides)
            line = disagreement_line(conflict, dates)
            sentences.append(SummarySentence(index=len(sentences), text=line, citations=sides))
            difference_lines.append(line)
        parts = [f"What happened: {lead.text}" if lead.text else "What happened: (no summary)"]
        if said_lines:
            parts.append("Who said what:\n" + "\n".join(said_lines))
        parts.extend(difference_lines)
        return Summary(
            text="\n\n".join(parts),
            sentences=sentences,
            citations=citations,
            invalid_citations=lead.invalid_citations,
            flags=lead.flags,
            sources=sources,
            engine=self.writer.name,
            model=lead.model,
            article_ids=[a.article.id for a in articles],
            query=story.title,
            length="short",
            usage=lead.usage,
            llm_calls=lead.llm_calls,
        )

    @staticmethod
    def _source(numbered: Numbered) -> Source:
        article = numbered.article
        return Section(numbered.number, article, [(0, len(article.text))]).source()


def _lead_section(numbered: Numbered) -> Section:
    """The first LEAD_SENTENCES sentences of an article, as a summary section."""
    spans = numbered.spans[:LEAD_SENTENCES] or [(0, len(numbered.article.text))]
    return Section(numbered.number, numbered.article, [(spans[0][0], spans[-1][1])])


class QuotedLead:
    """What happened, offline: the lead sentences most central to all the articles, quoted."""

    name = "extractive"

    def __init__(self, library: Library) -> None:
        self.library = library

    def write(self, story: Story, articles: Sequence[Numbered]) -> Summary:
        pool: list[tuple[Numbered, int]] = [
            (a, i) for a in articles for i in range(min(len(a.spans), LEAD_SENTENCES))
        ]
        if not pool:
            return Summary(text="", engine=self.name)
        texts = [a.sentence(i) for a, i in pool]
        vectors = self.library.embedder.embed(texts)
        picked = select_sentences(
            texts, vectors, HAPPENED_SENTENCES, positions=[i for _, i in pool]
        )
        picked.sort(key=lambda p: (pool[p][0].number, pool[p][1]))
        sentences: list[SummarySentence] = []
        citations: list[Citation] = []
        for p in picked:
            numbered, i = pool[p]
            a, b = numbered.spans[i]
            article = numbered.article
            citation = numbered.cite(self.library.chunks(article.id), a, b, len(sentences))
            citations.append(citation)
            sentences.append(
                SummarySentence(
                    index=len(sentences),
                    text=article.text[a:b],
                    article_id=article.id,
                    citations=[citation],
                )
            )
        text = " ".join(f"{defuse_markers(s.text)} [{s.citations[0].number}]" for s in sentences)
        return Summary(
            text=text,
            sentences=sentences,
            citations=citations,
            engine=self.name,
            model=self.library.embedder.name,
        )


class WrittenLead:
    """What happened, written by a chat model from the articles' leads; citations checked."""

    name = "openai"

    def __init__(self, parts: Parts) -> None:
        self.library = parts.library
        self.llm: LLM = parts.chat()
        self.tokenizer = parts.tokenizer
        self.context_tokens = parts.settings.context_tokens
        self.answer_tokens = parts.settings.answer_tokens

    def write(self, story: Story, articles: Sequence[Numbered]) -> Summary:
        sources = [_lead_section(a).source() for a in articles]
        system = render("summarize_system")
        empty = render(
            "brief_story", sources="", title=story.title, sentences=str(HAPPENED_SENTENCES)
        )
        budget = (
            self.context_tokens
            - self.answer_tokens
            - len(self.tokenizer.encode(system + empty))
            - 64
        )
        if budget < 128:
            raise ConfigError(
                f"ASSISTANT_CONTEXT_TOKENS={self.context_tokens} leaves no room for the articles "
                "of a briefing; raise it or lower ASSISTANT_ANSWER_TOKENS"
            )
        fenced, used = format_sources(sources, self.tokenizer, budget)
        user = render(
            "brief_story",
            sources=fenced,
            title=story.title,
            sentences=str(HAPPENED_SENTENCES),
        )
        messages: list[Message] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        completion = self.llm.complete(messages)
        shown = sources[:used]
        checked = check_citations(
            completion.text.strip(),
            shown,
            {a.article.id: a.article for a in articles},
            similarity=EmbeddingSimilarity(self.library.embedder),
        )
        by_sentence: dict[int, list[Citation]] = {}
        for citation in checked.citations:
            by_sentence.setdefault(citation.sentence, []).append(citation)
        sentences = [
            SummarySentence(
                index=i,
                text=strip_markers(text),
                article_id=by_sentence[i][0].article_id if by_sentence.get(i) else None,
                citations=by_sentence.get(i, []),
            )
            for i, text in enumerate(answer_sentences(checked.text))
        ]
        usage = completion.usage if isinstance(completion.usage, Usage) else None
        flags: list[Flag] = list(checked.flags)
        return Summary(
            text=checked.text,
            sentences=sentences,
            citations=checked.citations,
            invalid_citations=checked.invalid,
            flags=flags,
            engine=self.name,
            model=self.llm.model,
            usage=usage,
            llm_calls=1,
        )
