"""question -> retrieval -> engine -> Answer with checked citations, for every engine alike."""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass

from assistant.answer.chat import resolve_offline
from assistant.answer.citations import check_citations, number_sources
from assistant.answer.engines import AnswerEngine, AnswerRequest, Draft, FollowUpReader
from assistant.embeddings import EmbeddingSimilarity
from assistant.errors import NotFoundError, ProviderError
from assistant.models import Answer, Turn
from assistant.query import Query, check_question
from assistant.retrieve.pipeline import Retrieval
from assistant.store.library import Library

log = logging.getLogger("assistant.answer")


@dataclass
class Answerer:
    """Answers questions over one library: a retrieval, an engine, and an optional fallback
    engine that answers when the first one's provider fails."""

    library: Library
    retrieval: Retrieval
    engine: AnswerEngine
    engine_name: str
    fallback: AnswerEngine | None = None
    fallback_name: str = "extractive"
    top_k: int = 6

    def ask(self, question: str, query: Query | None = None) -> Answer:
        """The whole answer at once."""
        final: Answer | None = None
        for part in self.stream(question, query):
            if isinstance(part, Answer):
                final = part
        assert final is not None
        return final

    def stream(self, question: str, query: Query | None = None) -> Iterator[str | Answer]:
        """Text as it is produced, then the final Answer.

        With `query.history`, the question is read as a follow-up: the Answer's `question` is
        the message as typed and `standalone_question` what was answered or retrieved with.
        """
        query = query or Query()
        started = time.perf_counter()
        question = check_question(question)
        articles_total, _ = self.library.stats()
        if articles_total == 0:
            raise NotFoundError(
                f"library {self.library.name!r} is empty: add articles first with "
                "`assistant ingest PATH|URL`"
            )
        ask, retrieve_with = self._standalone(question, query.history)
        text = retrieve_with or ask
        vector = self.library.embedder.embed([text])[0]
        k = query.k or self.top_k
        hits = self.retrieval.run(text, vector, query, k)
        timings = {"retrieve": time.perf_counter() - started}
        log.debug(
            "retrieved for %r: %s", text, [(h.chunk.id[:12], round(h.score, 3)) for h in hits]
        )
        stored = self.library.catalog.get_many(
            self.library.name, [h.chunk.article_id for h in hits]
        )
        articles = {aid: s.article for aid, s in stored.items()}
        sources = number_sources(hits, articles)
        request = AnswerRequest(ask, sources, articles, vector, query)
        t = time.perf_counter()
        name, note = self.engine_name, None
        try:
            draft = yield from _run(self.engine, request)
        except ProviderError as error:
            if self.fallback is None:
                raise
            log.info("%s failed, answering with %s: %s", name, self.fallback_name, error)
            name, note = (
                self.fallback_name,
                f"{error} -- this is the offline extractive answer instead",
            )
            draft = yield from _run(self.fallback, request)
        timings["answer"] = time.perf_counter() - t
        shown = list(draft.sources) if draft.sources is not None else sources
        similarity = None if draft.verbatim else EmbeddingSimilarity(self.library.embedder)
        citations, invalid, flags = check_citations(draft.text, shown, articles, similarity)
        timings["total"] = time.perf_counter() - started
        standalone = retrieve_with or ask
        answer = Answer(
            question=question,
            text=draft.text,
            abstained=draft.abstained,
            citations=citations,
            invalid_citations=invalid,
            flags=flags,
            sources=shown,
            engine=name,
            model=draft.model,
            confidence=draft.confidence,
            short_answer=draft.short_answer,
            usage=draft.usage,
            fallback=note,
            standalone_question=standalone if standalone != question else None,
            timings={stage: round(value, 4) for stage, value in timings.items()},
        )
        log.debug("answer by %s in %s: %r", name, answer.timings, answer.text[:200])
        yield answer

    def _standalone(self, question: str, history: Sequence[Turn]) -> tuple[str, str | None]:
        if not history:
            return question, None
        if isinstance(self.engine, FollowUpReader):
            return self.engine.standalone(question, history)
        return resolve_offline(question, history)


def _run(engine: AnswerEngine, request: AnswerRequest) -> Generator[str, None, Draft]:
    """Pass an engine's text parts on; return its Draft."""
    draft: Draft | None = None
    for part in engine.answer(request):
        if isinstance(part, Draft):
            draft = part
        else:
            yield part
    if draft is None:
        raise RuntimeError(f"answer engine {type(engine).__name__} yielded no Draft")
    return draft
