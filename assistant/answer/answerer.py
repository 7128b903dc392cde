"""question -> retrieval -> engine -> Answer with checked citations, for every engine alike."""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass

from assistant.answer.chat import resolve_offline
from assistant.answer.citations import check_citations, number_sources
from assistant.answer.engines import AnswerEngine, AnswerRequest, Draft, FollowUpReader
from assistant.answer.judge import ClaimJudge
from assistant.answer.timeline import date_answer
from assistant.answer.verify import Policy, review
from assistant.embeddings import EmbeddingSimilarity
from assistant.errors import NotFoundError, ProviderError
from assistant.models import NO_ANSWER, Answer, Turn
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
    offline: AnswerEngine | None = None
    """Answers instead of a reply whose claims did not check out (the `replace` policy)."""
    unverified: Policy = "replace"
    judge: ClaimJudge | None = None
    """An LLM second opinion on the claims the rules leave undecided."""

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
        retrieved = self.retrieval.search(text, vector, query, k)
        hits = retrieved.hits
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
        t = time.perf_counter()
        shown = list(draft.sources) if draft.sources is not None else sources
        similarity = None if draft.verbatim else EmbeddingSimilarity(self.library.embedder)
        checked = check_citations(draft.text, shown, articles, similarity)
        if self.judge is not None and not draft.verbatim:
            checked = self.judge.review(checked, shown, articles)
        original, verification = None, None
        if not draft.verbatim and not draft.abstained:
            policy = query.unverified or self.unverified
            decision = review(checked, policy)
            if decision.reason:
                verification = decision.reason
            if decision.action != "keep":
                original = draft.text
            if decision.action == "edit":
                checked = check_citations(decision.text, shown, articles, similarity)
                verification = f"sentences the sources contradict were removed: {decision.reason}"
            elif decision.action == "refuse":
                draft = Draft(text=NO_ANSWER, abstained=True, model=draft.model, usage=draft.usage)
                checked = check_citations(NO_ANSWER, shown, articles)
                verification = f"the reply was not shown: {decision.reason}"
            elif decision.action == "replace" and self.offline is not None:
                usage = draft.usage
                draft = _quiet(self.offline, request)
                draft.usage = usage
                checked = check_citations(draft.text, sources, articles)
                shown, name = sources, self.fallback_name
                verification = f"the reply was replaced by the offline answer: {decision.reason}"
            elif decision.action == "replace":
                verification = f"unverified: {decision.reason}"
        citations, invalid, flags = checked.citations, checked.invalid, checked.flags
        dated = date_answer(ask, checked.text, citations, flags, shown, articles, retrieved.window)
        short = draft.short_answer
        first = {c.number for c in citations if c.sentence == 0}
        if any(s.older in first and s.newer not in first for s in dated.superseded):
            short = None  # the sentence it came from now follows as "Earlier"
        timings["check"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - started
        standalone = retrieve_with or ask
        answer = Answer(
            question=question,
            text=dated.text,
            abstained=draft.abstained,
            citations=dated.citations,
            invalid_citations=invalid,
            flags=dated.flags,
            sources=shown,
            engine=name,
            model=draft.model,
            confidence=draft.confidence,
            short_answer=short,
            usage=draft.usage,
            fallback=note,
            verification=verification,
            draft=original,
            standalone_question=standalone if standalone != question else None,
            timings={stage: round(value, 4) for stage, value in timings.items()},
            window=retrieved.window,
            as_of=dated.as_of,
            superseded=dated.superseded,
        )
        log.debug("answer by %s in %s: %r", name, answer.timings, answer.text[:200])
        yield answer

    def _standalone(self, question: str, history: Sequence[Turn]) -> tuple[str, str | None]:
        if not history:
            return question, None
        if isinstance(self.engine, FollowUpReader):
            return self.engine.standalone(question, history)
        return resolve_offline(question, history)


def _quiet(engine: AnswerEngine, request: AnswerRequest) -> Draft:
    """An engine's Draft, its text parts not passed on (the reply already streamed)."""
    draft = next((p for p in engine.answer(request) if isinstance(p, Draft)), None)
    if draft is None:
        raise RuntimeError(f"answer engine {type(engine).__name__} yielded no Draft")
    return draft


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
