"""What becomes of an answer whose claims did not check out (pure).

An LLM's reply with no valid citation, or with a claim its sources contradict, must not stand as
the answer. The policy (ASSISTANT_UNVERIFIED, `Query.unverified`) decides what is shown instead:
- `replace` (default): keep the sentences the sources support, drop contradicted ones; when no
  supported sentence is left, show the offline engine's cited answer (or its abstention);
- `refuse`: the same, but abstain instead of answering offline;
- `flag`: show the reply as it is, with its flags.
The model's own reply stays available as the answer's draft (`--show-draft`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from assistant.answer.citations import Checked, answer_sentences
from assistant.models import Citation, FlagKind

Policy = Literal["replace", "refuse", "flag"]
Action = Literal["keep", "edit", "replace", "refuse"]


@dataclass(frozen=True)
class Review:
    """The decision on one answer: keep it, keep part of it (`text`), replace it, or refuse."""

    action: Action
    text: str
    reason: str = ""


def review(checked: Checked, policy: Policy) -> Review:
    """Keep, trim, replace or refuse an answer given its checked citations.

    >>> from assistant.answer.citations import Checked
    >>> review(Checked("Paris is big.", [], [], [], []), "replace").action
    'replace'
    """
    sentences = answer_sentences(checked.text)
    verdicts = _verdicts(checked.citations, len(sentences))
    contradicted = [i for i, v in enumerate(verdicts) if v == "contradicted"]
    supported = [i for i, v in enumerate(verdicts) if v == "supported"]
    if not contradicted and supported and not _no_valid_citation(checked):
        return Review("keep", checked.text)
    if policy == "flag":
        return Review("keep", checked.text, _why(checked, sentences, contradicted, supported))
    why = _why(checked, sentences, contradicted, supported)
    if supported:
        kept = [s for i, s in enumerate(sentences) if i not in contradicted]
        return Review("edit", _join(checked.text, sentences, kept), why)
    return Review("refuse" if policy == "refuse" else "replace", checked.text, why)


def _verdicts(citations: Sequence[Citation], n_sentences: int) -> list[str | None]:
    """Per answer sentence: its worst citation verdict, None when it cites nothing valid."""
    out: list[str | None] = [None] * n_sentences
    rank = {"supported": 0, "not_found": 1, "contradicted": 2}
    for citation in citations:
        if 0 <= citation.sentence < n_sentences:
            now = out[citation.sentence]
            if now is None or rank[citation.verdict] > rank[now]:
                out[citation.sentence] = citation.verdict
    return out


def _no_valid_citation(checked: Checked) -> bool:
    return any(f.kind is FlagKind.NO_VALID_CITATION for f in checked.flags)


def _why(
    checked: Checked, sentences: Sequence[str], contradicted: list[int], supported: list[int]
) -> str:
    if _no_valid_citation(checked):
        return "the reply cites no valid source"
    parts = []
    for index in contradicted:
        reason = next((c.reason for c in checked.citations if c.sentence == index and c.reason), "")
        parts.append(f"“{_short(sentences[index])}” is contradicted: {reason}")
    if not supported:
        parts.append("no sentence of the reply is supported by the sources it cites")
    return "; ".join(parts)


def _join(original: str, sentences: Sequence[str], kept: Sequence[str]) -> str:
    """The kept sentences, joined as the reply joined them (lines for a list, else spaces)."""
    separator = "\n" if "\n" in original and len(sentences) > 1 else " "
    return separator.join(s.strip() for s in kept)


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
