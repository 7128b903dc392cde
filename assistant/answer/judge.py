"""An LLM second opinion on the claims the rules could not decide (prompts/judge_claim.md).

The claim checker decides most claims; those it leaves `not_found` (a paraphrase it cannot
align, say) go to the chat model once each, with the sentences of the sources they cite. Its
reply must be the JSON asked for (checked by a pydantic model); a failed or malformed reply
leaves the rules' verdict as it was.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

from pydantic import BaseModel, ValidationError

from assistant.answer.citations import Checked, answer_sentences, source_sentences, strip_markers
from assistant.answer.generative import fence
from assistant.errors import AssistantError
from assistant.llm import LLM, Message
from assistant.models import Article, Citation, Flag, FlagKind, Source
from assistant.prompts import render

log = logging.getLogger("assistant.answer")


class ClaimVerdict(BaseModel):
    """The JSON the judge must answer with."""

    verdict: Literal["supported", "contradicted", "not_found"]
    reason: str = ""


def parse_verdict(text: str) -> ClaimVerdict:
    """The judge's JSON object (a ```json fence or text around it is tolerated).

    >>> parse_verdict('```json\\n{"verdict": "contradicted", "reason": "it says 71"}\\n```').verdict
    'contradicted'
    """
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise ValueError(f"no JSON object in the reply: {text[:120]!r}")
    return ClaimVerdict.model_validate(json.loads(text[start : end + 1]))


class ClaimJudge:
    """Re-checks the not-found sentences of an answer with the chat model."""

    def __init__(self, llm: LLM) -> None:
        self.llm = llm
        self.calls = 0

    def messages(self, claim: str, sentences: Sequence[tuple[int, str]]) -> list[Message]:
        """The request for one claim (pure)."""
        listed = "\n".join(f'<source id="{n}">{fence(text)}</source>' for n, text in sentences)
        prompt = render("judge_claim", sources=listed, claim=strip_markers(claim))
        return [{"role": "user", "content": prompt}]

    def review(
        self, checked: Checked, sources: Sequence[Source], articles: dict[str, Article]
    ) -> Checked:
        """The checked answer with the judge's verdict on each not-found sentence."""
        pending = {c.sentence for c in checked.citations if c.verdict == "not_found"}
        if not pending:
            return checked
        by_number = {s.number: s for s in sources}
        sentences = answer_sentences(checked.text)
        decided: dict[int, ClaimVerdict] = {}
        for index in sorted(pending):
            cited = sorted({c.number for c in checked.citations if c.sentence == index})
            evidence = [
                (n, quote)
                for n in cited
                for quote, _, _ in source_sentences(
                    by_number[n], articles.get(by_number[n].hit.chunk.article_id)
                )
            ]
            verdict = self._ask(sentences[index], evidence)
            if verdict is not None and verdict.verdict != "not_found":
                decided[index] = verdict
        if not decided:
            return checked
        return replace(
            checked,
            citations=[_updated(c, decided.get(c.sentence)) for c in checked.citations],
            flags=_flags(checked.flags, decided),
        )

    def _ask(self, claim: str, evidence: Sequence[tuple[int, str]]) -> ClaimVerdict | None:
        self.calls += 1
        try:
            reply = self.llm.complete(self.messages(claim, evidence))
            return parse_verdict(reply.text)
        except (AssistantError, ValueError, ValidationError) as error:
            log.info("claim judge gave no usable verdict: %s", str(error).splitlines()[0])
            return None


def _updated(citation: Citation, verdict: ClaimVerdict | None) -> Citation:
    if verdict is None or citation.verdict != "not_found":
        return citation
    return citation.model_copy(
        update={"verdict": verdict.verdict, "reason": f"LLM judge: {verdict.reason}"}
    )


def _flags(flags: Sequence[Flag], decided: dict[int, ClaimVerdict]) -> list[Flag]:
    out: list[Flag] = []
    for flag in flags:
        verdict = decided.get(flag.sentence)
        if flag.kind is not FlagKind.NOT_FOUND or verdict is None:
            out.append(flag)
        elif verdict.verdict == "contradicted":
            detail = f"LLM judge: {verdict.reason}"
            out.append(flag.model_copy(update={"kind": FlagKind.CONTRADICTED, "detail": detail}))
    return out
