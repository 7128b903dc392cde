"""Scoring functions (pure): facts, abstention, ALCE citation quality, retrieval, latency.

They take values and return values with the reasons behind them; no clients, files or clock.
"""

from __future__ import annotations

import math
import re
import statistics
import string
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from assistant.answer.citations import answer_sentences, split_citations
from assistant.evaluation.normalize import normalize
from assistant.evaluation.results import (
    CaseResult,
    CitationCheck,
    FactCheck,
    ReliabilityBin,
    SentenceCheck,
    Verdict,
)
from assistant.sentences import sentence_spans
from assistant.store.lexical import terms

Judge = Callable[[str, Sequence[str]], Verdict]
"""judge(claim, passages) -> whether the passages, taken together, support the claim."""

HEADLINE: dict[str, bool] = {
    "accuracy": True,
    "fact_recall": True,
    "all_facts": True,
    "refusal_rate": True,
    "false_refusal_rate": False,
    "citation_recall": True,
    "citation_precision": True,
    "retrieval_recall": True,
    "summary_fact_recall": True,
    "summary_clean": True,
}
"""The metrics a baseline comparison gates on, and whether higher is better."""


# Facts


def match_fact(text: str, alternatives: Sequence[str]) -> FactCheck:
    """Whether the text carries any alternative of a fact, after normalisation."""
    haystack = f" {normalize(text)} "
    for alternative in alternatives:
        want = normalize(alternative)
        if want and f" {want} " in haystack:
            return FactCheck(alternatives=list(alternatives), found=True, matched=alternative)
    return FactCheck(alternatives=list(alternatives), found=False)


def match_facts(text: str, facts: Sequence[Sequence[str]]) -> list[FactCheck]:
    """A check per gold fact.

    >>> [f.found for f in match_facts("Seventy-one missiles hit", [["71"], ["450"]])]
    [True, False]
    """
    return [match_fact(text, fact) for fact in facts]


def fact_recall(checks: Sequence[FactCheck]) -> float | None:
    """Share of facts found (None when there are no facts)."""
    return sum(c.found for c in checks) / len(checks) if checks else None


def missing_facts(checks: Sequence[FactCheck]) -> list[str]:
    """A reason for every missing fact: 'fact 2/3 missing: any of ['450']'."""
    return [
        f"fact {i}/{len(checks)} missing: any of {c.alternatives}"
        for i, c in enumerate(checks, start=1)
        if not c.found
    ]


def forbidden_found(text: str, banned: Iterable[str]) -> list[str]:
    """The banned strings the text contains (case-insensitive, as whole words)."""
    folded = text.casefold()
    found = []
    for item in banned:
        needle = re.escape(item.casefold().strip())
        if needle and re.search(rf"(?<!\w){needle}(?!\w)", folded):
            found.append(item)
    return found


# Abstention


@dataclass(frozen=True)
class AbstentionRates:
    """Refusals on unanswerable cases (want high) and on answerable ones (want low)."""

    refusal_rate: float | None
    false_refusal_rate: float | None
    n_unanswerable: int
    n_answerable: int


def abstention_rates(answerable: Sequence[bool], abstained: Sequence[bool]) -> AbstentionRates:
    """Refusal rate on unanswerable cases and false-refusal rate on answerable ones."""
    if len(answerable) != len(abstained):
        raise ValueError("answerable and abstained differ in length")
    pairs = list(zip(answerable, abstained, strict=True))
    refused_bad = [a for ok, a in pairs if not ok]
    refused_good = [a for ok, a in pairs if ok]
    return AbstentionRates(
        refusal_rate=sum(refused_bad) / len(refused_bad) if refused_bad else None,
        false_refusal_rate=sum(refused_good) / len(refused_good) if refused_good else None,
        n_unanswerable=len(refused_bad),
        n_answerable=len(refused_good),
    )


# Citations (ALCE: Gao et al. 2023, "Enabling LLMs to generate text with citations")


@dataclass(frozen=True)
class CitedSentence:
    """An answer sentence and the passages behind each citation number it carries."""

    text: str
    passages: dict[int, str]


def cited_sentences(text: str, passages: Mapping[int, str]) -> list[CitedSentence]:
    """The answer's sentences, each with the passages of the valid [n] markers it carries."""
    out = []
    for sentence in answer_sentences(text):
        numbers, _ = split_citations(sentence, max(passages, default=0))
        cited = {n: passages[n] for n in dict.fromkeys(numbers) if n in passages}
        if sentence.strip():
            out.append(CitedSentence(text=sentence.strip(), passages=cited))
    return out


def citation_quality(sentences: Sequence[CitedSentence], judge: Judge, name: str) -> CitationCheck:
    """ALCE citation recall and precision.

    Recall: share of sentences whose cited passages, together, support them (uncited: 0).
    Precision: share of citations that are needed. A citation is not needed when the sentence
    is supported, the citation alone does not support it, and the other citations still do.
    """
    checks: list[SentenceCheck] = []
    supported_sentences = 0
    precise = 0
    total = 0
    errors = 0
    for index, sentence in enumerate(sentences):
        numbers = list(sentence.passages)
        total += len(numbers)
        if not numbers:
            checks.append(SentenceCheck(index=index, text=sentence.text, reason="cites nothing"))
            continue
        joint = judge(sentence.text, [sentence.passages[n] for n in numbers])
        errors += joint.error
        unneeded: list[int] = []
        if joint.supported:
            supported_sentences += 1
            if len(numbers) == 1:
                precise += 1
            for number in numbers if len(numbers) > 1 else []:
                alone = judge(sentence.text, [sentence.passages[number]])
                errors += alone.error
                if alone.supported:
                    precise += 1
                    continue
                rest = judge(sentence.text, [sentence.passages[n] for n in numbers if n != number])
                errors += rest.error
                if rest.supported:
                    unneeded.append(number)
                else:
                    precise += 1
        cites = "".join(f"[{n}]" for n in numbers)
        if not joint.supported:
            reason = f"{cites} do(es) not support it: {joint.reason}"
        elif unneeded:
            reason = f"supported, but {''.join(f'[{n}]' for n in unneeded)} not needed"
        else:
            reason = f"supported by {cites}"
        checks.append(
            SentenceCheck(
                index=index,
                text=sentence.text,
                citations=numbers,
                supported=joint.supported,
                unneeded=unneeded,
                reason=reason,
            )
        )
    return CitationCheck(
        judge=name,
        recall=supported_sentences / len(sentences) if sentences else None,
        precision=precise / total if total else None,
        n_citations=total,
        judge_errors=errors,
        sentences=checks,
    )


def citation_reasons(check: CitationCheck) -> list[str]:
    """A reason per unsupported sentence and per unneeded citation."""
    reasons = []
    for s in check.sentences:
        if not s.supported or s.unneeded:
            reasons.append(f"{check.judge}: sentence {s.index + 1} {_quote(s.text)} {s.reason}")
    return reasons


def _quote(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return f"'{text if len(text) <= limit else text[: limit - 1] + '…'}'"


# Retrieval


def retrieval_hit(
    retrieved_articles: Sequence[str],
    chunk_texts: Sequence[str],
    gold_articles: Sequence[str],
    facts: Sequence[Sequence[str]],
) -> tuple[bool | None, float | None, str | None]:
    """(hit, share of facts in the chunks, reason when missed).

    With gold articles, a hit means one of them is among the retrieved chunks' articles;
    without, that every fact appears in some retrieved chunk.
    """
    checks = match_facts("\n".join(chunk_texts), facts) if facts else []
    share = fact_recall(checks)
    if gold_articles:
        hit = any(a in set(retrieved_articles) for a in gold_articles)
        reason = None if hit else f"gold article not among the {len(chunk_texts)} retrieved"
        return hit, share, reason
    if not checks:
        return None, None, None
    hit = all(c.found for c in checks)
    missing = [c.alternatives for c in checks if not c.found]
    reason = None if hit else f"not in the {len(chunk_texts)} retrieved chunks: {missing}"
    return hit, share, reason


# SQuAD's short-answer scores


_SQUAD_ARTICLES = re.compile(r"\b(a|an|the)\b")


def squad_normalize(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces (SQuAD's answer normalisation).

    >>> squad_normalize("The Eiffel  Tower!")
    'eiffel tower'
    """
    text = "".join(ch for ch in text.lower() if ch not in string.punctuation)
    return " ".join(_SQUAD_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    """1.0 when the prediction equals a gold answer after normalisation."""
    guess = squad_normalize(prediction)
    return float(any(guess == squad_normalize(g) for g in golds))


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    """The best word-overlap F1 against any gold answer (SQuAD's F1).

    >>> round(token_f1("450 drones", ["about 450 drones"]), 3)
    0.8
    """
    guess = squad_normalize(prediction).split()
    best = 0.0
    for gold in golds:
        truth = squad_normalize(gold).split()
        if not guess or not truth:
            best = max(best, float(guess == truth))
            continue
        common = Counter(guess) & Counter(truth)
        same = sum(common.values())
        if same:
            precision, recall = same / len(guess), same / len(truth)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


# Calibration


def reliability(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> tuple[list[ReliabilityBin], float | None]:
    """Reliability diagram bins and the expected calibration error (weighted |acc - conf|).

    >>> _, ece = reliability([0.9, 0.9, 0.1, 0.1], [True, True, False, True])
    >>> round(ece, 3)
    0.25
    """
    out: list[ReliabilityBin] = []
    error, total = 0.0, len(confidences)
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [
            (c, ok)
            for c, ok in zip(confidences, correct, strict=True)
            if low <= c < high or (b == bins - 1 and c == 1.0)
        ]
        confidence = statistics.fmean(c for c, _ in inside) if inside else None
        accuracy = statistics.fmean(float(ok) for _, ok in inside) if inside else None
        out.append(
            ReliabilityBin(
                low=low, high=high, count=len(inside), confidence=confidence, accuracy=accuracy
            )
        )
        if confidence is not None and accuracy is not None:
            error += len(inside) / total * abs(accuracy - confidence)
    return out, (round(error, 4) if total else None)


# Trivial baselines


def first_matching_sentence(question: str, passages: Sequence[str]) -> str:
    """The "quote the top hit" baseline: the first sentence of the first passage that shares a
    content word with the question (the first sentence when none does); '' without passages."""
    wanted = set(terms(question))
    for passage in passages[:1]:
        spans = sentence_spans(passage)
        for a, b in spans:
            if wanted & set(terms(passage[a:b])):
                return passage[a:b]
        if spans:
            return passage[spans[0][0] : spans[0][1]]
    return ""


def baseline_metrics(cases: Sequence[CaseResult]) -> dict[str, dict[str, float | None]]:
    """Headline metrics of two trivial answerers on the same cases: refusing everything, and
    quoting the top hit's first matching sentence (never refusing)."""
    qa = [c for c in cases if c.kind == "qa" and c.error is None]
    answerable = [c for c in qa if c.answerable]
    if not qa:
        return {}
    refuse = {
        "accuracy": _mean(float(not c.answerable) for c in qa),
        "fact_recall": 0.0 if answerable else None,
        "all_facts": 0.0 if answerable else None,
        "refusal_rate": 1.0 if len(answerable) < len(qa) else None,
        "false_refusal_rate": 1.0 if answerable else None,
    }
    first = {
        "accuracy": _mean(float(bool(c.answerable and c.baseline_correct)) for c in qa),
        "fact_recall": _mean(c.baseline_fact_recall for c in answerable),
        "all_facts": _mean(float(bool(c.baseline_correct)) for c in answerable),
        "refusal_rate": 0.0 if len(answerable) < len(qa) else None,
        "false_refusal_rate": 0.0 if answerable else None,
    }
    return {
        "refuse everything": {k: _round(v) for k, v in refuse.items()},
        "top hit's first matching sentence": {k: _round(v) for k, v in first.items()},
    }


# Aggregates


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.fmean(present) if present else None


def aggregate(cases: Sequence[CaseResult]) -> dict[str, float | None]:
    """The headline metrics of a set of case results (None where nothing was measured)."""
    qa = [c for c in cases if c.kind == "qa"]
    answerable = [c for c in qa if c.answerable]
    summaries = [c for c in cases if c.kind == "summary"]
    rates = abstention_rates([c.answerable for c in qa], [c.abstained for c in qa])
    answered = [c for c in qa if not c.abstained and c.error is None]
    metrics: dict[str, float | None] = {
        "accuracy": _mean(float(c.correct) for c in qa),
        "fact_recall": _mean(c.fact_recall for c in answerable),
        "all_facts": _mean(float(c.correct) for c in answerable),
        "refusal_rate": rates.refusal_rate,
        "false_refusal_rate": rates.false_refusal_rate,
        "citation_recall": _mean(_citation(c, "lexical", "recall") for c in answered),
        "citation_precision": _mean(_citation(c, "lexical", "precision") for c in answered),
        "retrieval_recall": _mean(
            None if c.retrieved is None else float(c.retrieved) for c in answerable
        ),
        "facts_retrieved": _mean(c.facts_retrieved for c in answerable),
        "summary_fact_recall": _mean(c.fact_recall for c in summaries),
        "summary_clean": _mean(float(not c.forbidden) for c in summaries if c.error is None),
    }
    if any(c.citation("llm") for c in cases):
        metrics["citation_recall_llm"] = _mean(_citation(c, "llm", "recall") for c in answered)
        metrics["citation_precision_llm"] = _mean(
            _citation(c, "llm", "precision") for c in answered
        )
    if answered:
        metrics["contradicted_answers"] = _mean(float(c.contradicted) for c in answered)
    scored = [c for c in qa if c.short_f1 is not None]
    if scored:
        metrics["short_em"] = _mean(c.short_em for c in scored)
        metrics["short_f1"] = _mean(c.short_f1 for c in scored)
    rated = [c for c in answered if c.confidence is not None]
    if rated:
        _, metrics["calibration_error"] = reliability(
            [c.confidence for c in rated if c.confidence is not None], [c.correct for c in rated]
        )
    latencies = [c.latency_s for c in qa if c.latency_s is not None and c.error is None]
    metrics["latency_p50_s"] = _round(percentile(latencies, 0.5))
    metrics["latency_p95_s"] = _round(percentile(latencies, 0.95))
    tokens = [c.prompt_tokens + c.completion_tokens for c in cases if c.error is None]
    metrics["tokens_per_case"] = _mean(tokens) if any(tokens) else None
    return {k: _round(v) for k, v in metrics.items()}


def _citation(case: CaseResult, judge: str, field: str) -> float | None:
    check = case.citation(judge)
    if check is None:
        return None
    value: float | None = getattr(check, field)
    return value


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def counts(cases: Sequence[CaseResult]) -> dict[str, int]:
    """How many cases of each kind, and how many errored, abstained or were right."""
    qa = [c for c in cases if c.kind == "qa"]
    return {
        "cases": len(cases),
        "qa": len(qa),
        "answerable": sum(c.answerable for c in qa),
        "unanswerable": sum(not c.answerable for c in qa),
        "summary": sum(c.kind == "summary" for c in cases),
        "correct": sum(c.correct for c in cases),
        "abstained": sum(c.abstained for c in qa),
        "errors": sum(c.error is not None for c in cases),
        "prompt_tokens": sum(c.prompt_tokens for c in cases),
        "completion_tokens": sum(c.completion_tokens for c in cases),
        "judge_errors": sum(check.judge_errors for c in cases for check in c.citations),
    }


def by_tag(cases: Sequence[CaseResult]) -> dict[str, dict[str, float | None]]:
    """Accuracy, fact recall and count per tag."""
    tags = sorted({t for c in cases for t in c.tags})
    out: dict[str, dict[str, float | None]] = {}
    for tag in tags:
        tagged = [c for c in cases if tag in c.tags]
        out[tag] = {
            "cases": float(len(tagged)),
            "accuracy": _round(_mean(float(c.correct) for c in tagged)),
            "fact_recall": _round(_mean(c.fact_recall for c in tagged if c.answerable)),
        }
    return out
