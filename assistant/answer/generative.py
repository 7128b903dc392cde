"""The LLM answer engine: numbered sources fenced as data, one streamed chat completion."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from assistant.answer.chat import condense, resolve_offline
from assistant.answer.citations import defuse_markers, is_abstention
from assistant.answer.engines import AnswerRequest, Draft
from assistant.errors import ProviderError
from assistant.llm import LLM, Completion, Message
from assistant.models import NO_ANSWER, Source, Turn
from assistant.parts import Parts
from assistant.prompts import render
from assistant.tokens import Tokenizer

_FENCE = re.compile(r"<(/?\s*sources?\b)", re.IGNORECASE)


def fence(text: str) -> str:
    """Source text made inert inside the data fence: no fence tags, no citation markers."""
    return defuse_markers(_FENCE.sub(r"&lt;\1", text))


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


class LLMAnswers:
    """Answers with a chat model through the `openai` client (any compatible endpoint)."""

    def __init__(self, parts: Parts) -> None:
        self.llm: LLM = parts.chat()
        self.tokenizer = parts.tokenizer
        self.context_tokens = parts.settings.context_tokens
        self.answer_tokens = parts.settings.answer_tokens
        self.fallback = parts.settings.llm_fallback

    def standalone(self, question: str, history: Sequence[Turn]) -> tuple[str, str | None]:
        """The follow-up rewritten by the LLM; read offline when the LLM fails (and may)."""
        if not history:
            return question, None
        try:
            return condense(question, history, self.llm), None
        except ProviderError:
            if not self.fallback:
                raise
            return resolve_offline(question, history)

    def answer(self, request: AnswerRequest) -> Iterator[str | Draft]:
        system = render("answer_system", no_answer=NO_ANSWER)
        overhead = len(self.tokenizer.encode(system + request.question)) + 64
        budget = max(256, self.context_tokens - self.answer_tokens - overhead)
        fenced, used = format_sources(request.sources, self.tokenizer, budget)
        messages: list[Message] = [
            {"role": "system", "content": system},
            {
                "role": "user",
                "content": render("answer", sources=fenced, question=request.question),
            },
        ]
        completion: Completion | None = None
        for part in self.llm.stream(messages):
            if isinstance(part, Completion):
                completion = part
            else:
                yield part
        assert completion is not None
        text = completion.text.strip()
        abstained = is_abstention(text) or not used
        if not text:
            text, abstained = NO_ANSWER, True
        yield Draft(
            text=text,
            abstained=abstained,
            model=self.llm.model,
            usage=completion.usage,
            sources=request.sources[:used],
        )
