"""question -> retrieval -> engine (extractive or LLM) -> Answer with checked citations."""

from __future__ import annotations

import re
import time
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.answer.citations import check_citations, is_abstention, number_sources
from assistant.answer.extractive import ExtractiveEngine
from assistant.errors import InputError, NotFoundError, ProviderError
from assistant.llm import LLM, Completion, Message
from assistant.models import NO_ANSWER, Answer, Article, Source
from assistant.prompts import render
from assistant.retrieve.hybrid import Filters, Mode, retrieve
from assistant.store.library import Library
from assistant.tokens import Tokenizer

MAX_QUESTION_CHARS = 2000
_FENCE = re.compile(r"<(/?\s*sources?\b)", re.IGNORECASE)
_FAKE_MARKER = re.compile(r"\[(\d+)\]")


def check_question(question: str) -> str:
    """The question, stripped; an InputError when it is empty or too long."""
    text = question.strip() if isinstance(question, str) else ""
    if not text:
        raise InputError("the question is empty: type a question about your articles")
    if len(text) > MAX_QUESTION_CHARS:
        raise InputError(
            f"the question is {len(text):,} characters long; the limit is "
            f"{MAX_QUESTION_CHARS:,}. Ask a shorter question"
        )
    return text


def fence(text: str) -> str:
    """Source text made inert inside the data fence: no fence tags, no citation markers."""
    return _FAKE_MARKER.sub(r"(\1)", _FENCE.sub(r"&lt;\1", text))


def format_sources(sources: Sequence[Source], tokenizer: Tokenizer, budget: int) -> tuple[str, int]:
    """The numbered, fenced sources that fit in `budget` tokens: (text, how many fit)."""
    blocks: list[str] = []
    used = 0
    for source in sources:
        title = fence(source.title).replace('"', "'")
        attrs = f'id="{source.number}" title="{title}"'
        if source.date:
            attrs += f' date="{source.date.isoformat()}"'
        block = f"<source {attrs}>\n{fence(source.hit.chunk.text)}\n</source>"
        cost = len(tokenizer.encode(block)) + 1
        if used + cost > budget and blocks:
            break
        blocks.append(block)
        used += cost
    return "\n".join(blocks), len(blocks)


@dataclass
class Answerer:
    """Answers questions over one library with one engine."""

    library: Library
    extractive: ExtractiveEngine
    tokenizer: Tokenizer
    llm: LLM | None = None
    context_tokens: int = 8192
    answer_tokens: int = 700
    fallback: bool = True

    @property
    def engine(self) -> str:
        return "openai" if self.llm is not None else "extractive"

    def ask(
        self,
        question: str,
        *,
        k: int = 6,
        filters: Filters | None = None,
        mode: Mode = "hybrid",
        mmr_lambda: float | None = None,
    ) -> Answer:
        """The whole answer at once."""
        final: Answer | None = None
        for part in self.stream(question, k=k, filters=filters, mode=mode, mmr_lambda=mmr_lambda):
            if isinstance(part, Answer):
                final = part
        assert final is not None
        return final

    def stream(
        self,
        question: str,
        *,
        k: int = 6,
        filters: Filters | None = None,
        mode: Mode = "hybrid",
        mmr_lambda: float | None = None,
        retrieval_question: str | None = None,
    ) -> Iterator[str | Answer]:
        """Text as it is produced, then the final Answer."""
        started = time.perf_counter()
        question = check_question(question)
        timings: dict[str, float] = {}
        articles_total, _ = self.library.stats()
        if articles_total == 0:
            raise NotFoundError(
                f"library {self.library.name!r} is empty: add articles first with "
                "`assistant ingest PATH|URL`"
            )
        query = retrieval_question or question
        vector = self.library.embedder.embed([query])[0]
        hits = retrieve(
            self.library,
            query,
            k=k,
            mode=mode,
            filters=filters,
            mmr_lambda=mmr_lambda,
            query_vector=vector,
        )
        timings["retrieve"] = time.perf_counter() - started
        stored = self.library.catalog.get_many(
            self.library.name, [h.chunk.article_id for h in hits]
        )
        articles = {aid: s.article for aid, s in stored.items()}
        sources = number_sources(hits, articles)
        t = time.perf_counter()
        if self.llm is None:
            answer = self._extractive(question, sources, articles, vector)
            yield answer.text
        else:
            try:
                answer = yield from self._generate(question, sources, articles)
            except ProviderError as error:
                if not self.fallback:
                    raise
                answer = self._extractive(question, sources, articles, vector)
                answer.fallback = f"{error} -- this is the offline extractive answer instead"
                yield answer.text
        timings["answer"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - started
        answer.timings = {name: round(value, 4) for name, value in timings.items()}
        if retrieval_question and retrieval_question != question:
            answer.standalone_question = retrieval_question
        yield answer

    def _extractive(
        self,
        question: str,
        sources: list[Source],
        articles: Mapping[str, Article],
        vector: np.ndarray,
    ) -> Answer:
        index = self.library.lexical()
        result = self.extractive.answer(
            question, sources, articles, idf=index.idf if index else None, question_vector=vector
        )
        citations, invalid, flags = check_citations(result.text, sources, articles)
        return Answer(
            question=question,
            text=result.text,
            abstained=result.abstained,
            citations=citations,
            invalid_citations=invalid,
            flags=flags,
            sources=sources,
            engine="extractive",
            model=self.library.embedder.name,
            confidence=round(result.confidence, 4),
        )

    def _generate(
        self, question: str, sources: list[Source], articles: Mapping[str, Article]
    ) -> Generator[str, None, Answer]:
        assert self.llm is not None
        system = render("answer_system", no_answer=NO_ANSWER)
        overhead = len(self.tokenizer.encode(system + question)) + 64
        budget = max(256, self.context_tokens - self.answer_tokens - overhead)
        fenced, used = format_sources(sources, self.tokenizer, budget)
        sources = sources[:used]
        messages: list[Message] = [
            {"role": "system", "content": system},
            {"role": "user", "content": render("answer", sources=fenced, question=question)},
        ]
        completion: Completion | None = None
        for part in self.llm.stream(messages):
            if isinstance(part, Completion):
                completion = part
            else:
                yield part
        assert completion is not None
        text = completion.text.strip()
        abstained = is_abstention(text) or not sources
        if not text:
            text, abstained = NO_ANSWER, True
        citations, invalid, flags = check_citations(
            text, sources, articles, similarity=self._similarity
        )
        return Answer(
            question=question,
            text=text,
            abstained=abstained,
            citations=citations,
            invalid_citations=invalid,
            flags=flags,
            sources=sources,
            engine="openai",
            model=self.llm.model,
            usage=completion.usage,
        )

    def _similarity(self, claim: str, candidates: Sequence[str]) -> list[float]:
        vectors = self.library.embedder.embed([claim, *candidates])
        return [max(0.0, float(v @ vectors[0])) for v in vectors[1:]]
