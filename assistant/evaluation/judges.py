"""Support judges for citation quality: lexical/embedding offline, or an LLM reading JSON.

A judge answers one question: do these passages, together, support this claim?
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from pydantic import BaseModel, ValidationError

from assistant.answer.citations import Similarity, lexical_support, strip_markers
from assistant.answer.claims import Verdict as ClaimVerdict
from assistant.answer.claims import check_sentence, evidence_from_text
from assistant.errors import AssistantError
from assistant.evaluation.normalize import normalize
from assistant.evaluation.results import Verdict
from assistant.llm import LLM, Message
from assistant.models import Usage
from assistant.prompts import render
from assistant.sentences import sentence_spans

LEXICAL_SUPPORT = 0.6  # share of the claim's content words the passages must hold
SEMANTIC_SUPPORT = 0.75  # or: cosine of the claim to the closest passage sentence
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


def numbers(text: str) -> set[str]:
    """The numbers a text states, normalised ('seventy-one' and '71' are both '71')."""
    return {token for token in normalize(text).split() if _NUMBER.match(token)}


class LexicalJudge:
    """Offline judge: no claim is contradicted by the passages (the claim checker: numbers,
    dates, names, negation, roles), every number of the claim is in them, and enough of its
    words are (stemmed), or an embedding of the claim is close to one passage sentence."""

    name = "lexical"

    def __init__(
        self,
        similarity: Similarity | None = None,
        lexical: float = LEXICAL_SUPPORT,
        semantic: float = SEMANTIC_SUPPORT,
    ) -> None:
        self.similarity = similarity
        self.lexical = lexical
        self.semantic = semantic

    def __call__(self, claim: str, passages: Sequence[str]) -> Verdict:
        claim = strip_markers(claim)
        text = "\n".join(passages)
        evidence = [e for p in passages for e in evidence_from_text(1, p)]
        contradicted = [
            c for c in check_sentence(claim, evidence) if c.verdict is ClaimVerdict.CONTRADICTED
        ]
        if contradicted:  # a changed number, name, date, negation or role: a citation error
            reason = contradicted[0].reason.replace("[1]", "the cited text")
            return Verdict(supported=False, score=0.0, reason=f"contradicted: {reason}")
        missing = sorted(numbers(claim) - numbers(text))
        words = lexical_support(normalize(claim), normalize(text))
        if missing:
            return Verdict(
                supported=False,
                score=0.0,
                reason=f"number(s) {', '.join(missing)} not in the cited text",
            )
        if words >= self.lexical:
            return Verdict(supported=True, score=round(words, 4), reason=f"words {words:.2f}")
        semantic = self._semantic(claim, passages)
        if semantic is not None and semantic >= self.semantic:
            return Verdict(
                supported=True, score=round(semantic, 4), reason=f"embedding {semantic:.2f}"
            )
        detail = f"words {words:.2f} < {self.lexical}"
        if semantic is not None:
            detail += f", embedding {semantic:.2f} < {self.semantic}"
        return Verdict(supported=False, score=round(max(words, semantic or 0.0), 4), reason=detail)

    def _semantic(self, claim: str, passages: Sequence[str]) -> float | None:
        if self.similarity is None:
            return None
        sentences = [p[a:b] for p in passages for a, b in sentence_spans(p)]
        if not sentences:
            return None
        return max(self.similarity(claim, sentences))


class JudgeReply(BaseModel):
    """The JSON the LLM judge must answer with."""

    supported: bool
    reason: str = ""


def parse_judge_reply(text: str) -> JudgeReply:
    """The judge's JSON object (a ```json fence or text around it is tolerated)."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise ValueError(f"no JSON object in the reply: {text[:120]!r}")
    return JudgeReply.model_validate(json.loads(text[start : end + 1]))


class LLMJudge:
    """Asks the chat model, with prompts/judge_support.md, and validates its JSON reply.

    Verdicts are cached per (claim, passages); a reply that is not the JSON asked for is a
    verdict with `error=True` (unsupported), counted in the report as a judge error.
    """

    name = "llm"

    def __init__(self, llm: LLM) -> None:
        self.llm = llm
        self.usage = Usage()
        self.calls = 0
        self._cache: dict[tuple[str, tuple[str, ...]], Verdict] = {}

    @staticmethod
    def messages(claim: str, passages: Sequence[str]) -> list[Message]:
        """The judge request (pure)."""
        numbered = "\n".join(
            f'<passage id="{i}">\n{p.strip()}\n</passage>' for i, p in enumerate(passages, 1)
        )
        prompt = render("judge_support", passages=numbered, claim=strip_markers(claim))
        return [{"role": "user", "content": prompt}]

    def __call__(self, claim: str, passages: Sequence[str]) -> Verdict:
        key = (claim, tuple(passages))
        if key not in self._cache:
            self._cache[key] = self._ask(claim, passages)
        return self._cache[key]

    def _ask(self, claim: str, passages: Sequence[str]) -> Verdict:
        self.calls += 1
        try:
            completion = self.llm.complete(self.messages(claim, passages))
        except AssistantError as error:
            return Verdict(supported=False, reason=f"judge failed: {error}", error=True)
        if completion.usage:
            self.usage = Usage(
                prompt_tokens=self.usage.prompt_tokens + completion.usage.prompt_tokens,
                completion_tokens=self.usage.completion_tokens + completion.usage.completion_tokens,
            )
        try:
            reply = parse_judge_reply(completion.text)
        except (ValueError, ValidationError) as error:
            detail = str(error).splitlines()[0]
            return Verdict(
                supported=False,
                reason=f"judge reply is not the JSON asked for: {detail}",
                error=True,
            )
        return Verdict(
            supported=reply.supported, score=1.0 if reply.supported else 0.0, reason=reply.reason
        )
